import Confinement
import Foundation
import Glibc
import StackFile

/// nginx as the proxy of blue-green services. A reload is asynchronous and its exit code says
/// little: `nginx -s reload` (SIGHUP) answers 0 even when the master then fails to apply the
/// new configuration (a `listen` on a busy port) and keeps the old one. So a switch is checked
/// twice: `nginx -t` before the signal, and afterwards a request through the proxy must be
/// answered by the new colour while the error log gains no `[emerg]` line.
public struct NginxProxy: Sendable {
    public var options: ProxyOptions
    /// The nginx program (the proxy service's own).
    public var executable: String

    public init(options: ProxyOptions, executable: String) {
        self.options = options
        self.executable = executable
    }

    /// `nginx -t -q -c CONF [-e LOG]`: the arguments of the configuration test.
    public var testArguments: [String] {
        var arguments = [executable, "-t", "-q"]
        if let config = options.config { arguments += ["-c", config] }
        if let errorLog = options.errorLog { arguments += ["-e", errorLog] }
        return arguments
    }

    /// The worker processes of the master `pid` (children whose title says `worker process`).
    /// After a reload the master starts new workers, waits 100 ms, then tells the old ones to
    /// stop accepting; until then an old worker still takes new connections with the old
    /// configuration, so a switch is only done once every old worker is shutting down.
    public static func workers(of master: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = CgroupFiles.read("/proc/\(pid)/stat"),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == master else { return false }
            return title(of: pid).contains("worker process")
        }.sorted()
    }

    /// Whether `pid` is gone, or is a worker that no longer accepts connections.
    public static func hasStoppedAccepting(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno != ESRCH else { return true }
        let title = title(of: pid)
        return title.isEmpty || title.contains("shutting down")
    }

    private static func title(of pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
    }

    /// How much of the error log exists now: lines after this offset are the reload's.
    public func errorLogOffset() -> UInt64 {
        guard let errorLog = options.errorLog, let attributes = try? FileManager.default.attributesOfItem(atPath: errorLog),
              let size = attributes[.size] as? NSNumber else { return 0 }
        return size.uint64Value
    }

    /// `[emerg]` lines written to the error log after `offset`.
    public func emergencies(since offset: UInt64) -> [String] {
        guard let errorLog = options.errorLog, let handle = FileHandle(forReadingAtPath: errorLog) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").filter { $0.contains("[emerg]") }.map(String.init)
    }
}

/// One HTTP/1.1 GET with `Connection: close` (no keep-alive connection of ours is ever closed
/// under us by a reload), blocking with a deadline: for the deploy's thread, never the loop.
public enum HTTPCheck {
    public struct Answer: Sendable, Equatable {
        public var status: Int
        /// Header names lowercased; a header sent twice keeps every value.
        public var headers: [(String, String)]

        public static func == (lhs: Answer, rhs: Answer) -> Bool {
            lhs.status == rhs.status && lhs.headers.elementsEqual(rhs.headers, by: { $0 == $1 })
        }

        public func values(_ name: String) -> [String] {
            headers.filter { $0.0 == name.lowercased() }.map(\.1)
        }
    }

    public static func get(host: String, port: Int, path: String, timeout: Duration = .seconds(1)) -> Result<Answer, DeployFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else {
            return .failure(.failed("cannot resolve \(host)"))
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.failed("socket: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        let micros = Int(timeout.components.seconds) * 1_000_000 + Int(timeout.components.attoseconds / 1_000_000_000_000)
        var limit = timeval(tv_sec: micros / 1_000_000, tv_usec: micros % 1_000_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            return .failure(.failed("connect to \(host):\(port): \(String(cString: strerror(errno)))"))
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: berth-deploy\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            return .failure(.failed("send to \(host):\(port): \(String(cString: strerror(errno)))"))
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while answer.count < 65_536 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            answer += buffer[0..<count]
            if answer.count >= 4, answer.indices.dropLast(3).contains(where: { answer[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) { break }
        }
        let head = String(decoding: answer, as: UTF8.self).components(separatedBy: "\r\n\r\n").first ?? ""
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, let status = Int(parts[1]) else {
            return .failure(.failed("no HTTP answer from \(host):\(port)"))
        }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return .success(Answer(status: status, headers: headers))
    }
}

/// Open TCP connections to a local port, from `/proc/net/tcp` and `/proc/net/tcp6`: how the
/// drain knows that the old colour has no client left.
public enum Connections {
    /// Established (or closing) connections whose local port is `port`.
    public static func count(localPort port: Int, tables: [String] = ["/proc/net/tcp", "/proc/net/tcp6"]) -> Int {
        tables.reduce(0) { total, table in
            total + count(localPort: port, in: CgroupFiles.read(table) ?? "")
        }
    }

    /// Counts in the text of one table: `sl local_address rem_address st ...`, addresses as
    /// `HEX:PORT`, state `01` established, `06`..`0B` closing (not `0A`, listening).
    public static func count(localPort port: Int, in table: String) -> Int {
        let wanted = String(format: "%04X", port)
        var count = 0
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[1].hasSuffix(":" + wanted) else { continue }
            let state = fields[3]
            if state == "01" || state == "02" || state == "03" || state == "04" || state == "05" || state == "08" {
                count += 1
            }
        }
        return count
    }
}
