import Glibc

/// Reads and writes the kernel's files (cgroupfs, and procfs for reading) with plain system
/// calls: a read goes on to the end even where the file says its size is 0 (Foundation's
/// `String(contentsOfFile:)` stops at the first 4 KiB of a /proc file), and a failed write reports the
/// kernel's own errno (EBUSY, EINVAL, ENOENT...) rather than a generic error.
public enum CgroupFiles {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var errno: Int32

        public var description: String { "\(path): \(String(cString: strerror(errno)))" }
    }

    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: result, as: UTF8.self)
    }

    public static func write(_ text: String, to path: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, errno: errno) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var result: Int
        repeat {
            result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        } while result < 0 && errno == EINTR
        guard result == bytes.count else { throw Failure(path: path, errno: result < 0 ? errno : EIO) }
    }

    /// `KEY VALUE` lines (memory.events, cpu.stat, cgroup.events) as a dictionary.
    public static func flatKeyed(_ text: String) -> [String: Int64] {
        var values: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = Int64(fields[1]) { values[String(fields[0])] = value }
        }
        return values
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
