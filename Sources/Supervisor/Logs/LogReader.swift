import Glibc

/// One line of a service's log, as `LogFile` wrote it.
public struct LogLine: Sendable, Equatable {
    public var service: String
    /// `2026-11-22T15:04:05.123Z`: UTC, so lines sort by time as text.
    public var timestamp: String
    /// `out` or `err`.
    public var stream: String
    public var text: String

    public init(service: String, timestamp: String, stream: String, text: String) {
        self.service = service
        self.timestamp = timestamp
        self.stream = stream
        self.text = text
    }

    /// Splits `2026-11-22T15:04:05.123Z out text`; a line in another shape is kept whole as text.
    init(service: String, record: Substring) {
        self.service = service
        let parts = record.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count >= 2, parts[0].count == 24, parts[0].last == "Z", parts[1] == "out" || parts[1] == "err" {
            timestamp = String(parts[0])
            stream = String(parts[1])
            text = parts.count == 3 ? String(parts[2]) : ""
        } else {
            timestamp = ""
            stream = "out"
            text = String(record)
        }
    }
}

/// Reads the rotated log files of a stack (`web.log.2`, `web.log.1`, `web.log`, oldest first)
/// and follows them as they grow and rotate, for `berth logs`.
///
/// Following keeps the current file open: when the writer renames it to `web.log.1` the open
/// descriptor still reads its last lines, then the new `web.log` is opened from its start, so
/// nothing written around a rotation is lost or shown twice.
public final class LogReader {
    public let directory: String
    public let services: [String]
    private var cursors: [String: Cursor] = [:]

    /// Lines newer than `since` (a Unix time), at most the last `tail` per service.
    public struct Selection: Sendable {
        public var since: Double?
        public var tail: Int?
        public init(since: Double? = nil, tail: Int? = nil) {
            self.since = since
            self.tail = tail
        }
    }

    public init(directory: String, services: [String]) {
        self.directory = directory
        self.services = services
    }

    deinit {
        for cursor in cursors.values { close(cursor.fd) }
    }

    /// What the files hold now, merged across services by time; opens each current file so
    /// `poll()` can carry on from here.
    public func read(_ selection: Selection) -> [LogLine] {
        var all: [LogLine] = []
        let sinceStamp = selection.since.map { Timestamp.iso8601($0) }
        for service in services {
            var lines: [LogLine] = []
            for path in rotatedFiles(of: service) {
                lines += Self.parse(Self.contents(of: path), service: service)
            }
            let cursor = Cursor(path: currentFile(of: service))
            if cursor.fd >= 0 {
                lines += Self.parse(cursor.drain(), service: service)
            }
            cursors[service] = cursor
            if let sinceStamp { lines.removeAll { !$0.timestamp.isEmpty && $0.timestamp < sinceStamp } }
            if let tail = selection.tail { lines = Array(lines.suffix(max(0, tail))) }
            all += lines
        }
        // Stable: a service's lines keep their order when two share a millisecond.
        return all.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
    }

    /// Lines written since the last `read()` or `poll()`, following rotations.
    public func poll() -> [LogLine] {
        var lines: [LogLine] = []
        for service in services {
            let path = currentFile(of: service)
            guard let cursor = cursors[service], cursor.fd >= 0 else {
                let cursor = Cursor(path: path)
                cursors[service] = cursor
                if cursor.fd >= 0 { lines += Self.parse(cursor.drain(), service: service) }
                continue
            }
            lines += Self.parse(cursor.drain(), service: service)
            guard let now = Self.inode(path), now != cursor.inode else { continue }
            // Rotated, maybe several times since the last look. The writer closes a file before
            // renaming it, so the old one is complete now: read its last lines. Then open the
            // current file first, and only then list the rotated ones: whatever rotates meanwhile
            // sits between the old file and the one now open, and is read whole.
            lines += Self.parse(cursor.drain(includingPartial: true), service: service)
            let next = Cursor(path: path)
            let chain = stableRotatedFiles(of: service)  // oldest first
            let start = chain.lastIndex { $0.inode == cursor.inode }.map { $0 + 1 } ?? 0
            let end = chain.firstIndex { $0.inode == next.inode } ?? chain.count
            for file in chain[start..<max(start, end)] {
                lines += Self.parse(file.drain(includingPartial: true), service: service)
            }
            for file in chain { close(file.fd) }
            close(cursor.fd)
            cursors[service] = next
            if next.fd >= 0 { lines += Self.parse(next.drain(), service: service) }
        }
        return lines
    }

    /// The directory to watch with inotify for new lines.
    public var watchPath: String { directory }

    // MARK: - Files

    func currentFile(of service: String) -> String { "\(directory)/\(service).log" }

    /// `web.log.N` … `web.log.1` that exist, oldest first.
    ///
    /// A rotation renames `.38` to `.39`, then `.37` to `.38`, and so on down to `web.log` to
    /// `.1`: while it runs, one index is missing. So the listing goes on past a single gap and
    /// ends at the second missing index in a row.
    func rotatedFiles(of service: String) -> [String] {
        var found: [String] = []
        var index = 1, missing = 0
        while index < 1000, missing < 2 {
            let path = "\(currentFile(of: service)).\(index)"
            if access(path, F_OK) == 0 {
                found.append(path)
                missing = 0
            } else {
                missing += 1
            }
            index += 1
        }
        return found.reversed()
    }

    /// The rotated files, open, oldest first: listed until two listings agree, so that a
    /// rotation in the middle of one cannot make a file appear twice or not at all.
    func stableRotatedFiles(of service: String) -> [Cursor] {
        var previous: [ino_t] = []
        for _ in 0..<10 {
            var opened: [Cursor] = []
            var index = 1, missing = 0
            while index < 1000, missing < 2 {  // past a single gap, as `rotatedFiles`
                let cursor = Cursor(path: "\(currentFile(of: service)).\(index)")
                if cursor.fd >= 0 {
                    opened.append(cursor)
                    missing = 0
                } else {
                    missing += 1
                }
                index += 1
            }
            let inodes = opened.map(\.inode)
            if inodes == previous { return opened.reversed() }
            for cursor in opened { close(cursor.fd) }
            previous = inodes
        }
        return []
    }

    static func contents(of path: String) -> [UInt8] {
        let cursor = Cursor(path: path)
        defer { close(cursor.fd) }
        return cursor.fd >= 0 ? cursor.drain(includingPartial: true) : []
    }

    static func inode(_ path: String) -> ino_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_ino : nil
    }

    static func parse(_ bytes: [UInt8], service: String) -> [LogLine] {
        guard !bytes.isEmpty else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map { LogLine(service: service, record: $0) }
    }

    /// An open log file and how far it has been read; a line without its newline yet waits.
    final class Cursor {
        let fd: Int32
        let inode: ino_t
        private var partial: [UInt8] = []

        init(path: String) {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            var info = stat()
            inode = fd >= 0 && fstat(fd, &info) == 0 ? info.st_ino : 0
        }

        func drain(includingPartial: Bool = false) -> [UInt8] {
            var bytes = partial
            partial = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                bytes += buffer[0..<count]
            }
            if !includingPartial, let last = bytes.lastIndex(of: UInt8(ascii: "\n")), last != bytes.count - 1 {
                partial = Array(bytes[(last + 1)...])
                bytes.removeSubrange((last + 1)...)
            } else if !includingPartial, !bytes.isEmpty, bytes.last != UInt8(ascii: "\n") {
                partial = bytes
                bytes = []
            }
            return bytes
        }
    }
}
