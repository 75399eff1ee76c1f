import Budget
import Deploy
import Foundation
import Glibc
import Supervisor

/// The CLI's side of the control socket: one blocking HTTP/1.1 request per call.
public struct ControlClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    public enum Failure: Error, CustomStringConvertible {
        /// Nobody listens on the socket: no supervisor runs this stack.
        case noSupervisor(String)
        case refused(String)
        case io(String)
        /// The supervisor answered with an error.
        case answer(status: Int, message: String)

        public var description: String {
            switch self {
            case let .noSupervisor(path): return "no berth is running this stack (no supervisor at \(path))"
            case let .refused(message): return message
            case let .io(message): return "talking to berth: \(message)"
            case let .answer(_, message): return message
            }
        }
    }

    public func status() throws(Failure) -> StackStatus {
        try decode(StackStatus.self, request("GET", "/v1/status"))
    }

    public func perform(_ command: String, services: [String]) throws(Failure) -> StackStatus {
        let body = try? JSONEncoder().encode(["services": services])
        return try decode(StackStatus.self, request("POST", "/v1/services/\(command)", body: body.map { Array($0) } ?? []))
    }

    public func down() throws(Failure) -> StackStatus {
        try decode(StackStatus.self, request("POST", "/v1/down"))
    }

    public func events(since: Double?, service: String?, limit: Int? = nil) throws(Failure) -> [EventPayload] {
        var query: [String] = []
        if let since { query.append("since=\(since)") }
        if let service { query.append("service=\(service.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? service)") }
        if let limit { query.append("limit=\(limit)") }
        return try decode([EventPayload].self, request("GET", "/v1/events" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))))
    }

    /// `POST /v1/deploy` (or `/v1/rollback`): calls `onEvent` with each line of progress as it
    /// comes, and returns the result (the last line).
    public func deploy(_ request: DeployRequest, onEvent: (DeployEvent) -> Void) throws(Failure) -> DeployEvent {
        let body = (try? JSONEncoder().encode(request)).map { Array($0) } ?? []
        var result: DeployEvent?
        try stream("POST", request.rollback ? "/v1/rollback" : "/v1/deploy", body: body) { line in
            guard let event = try? JSONDecoder().decode(DeployEvent.self, from: Data(line.utf8)) else { return }
            if event.event == "result" { result = event }
            onEvent(event)
        }
        guard let result else { throw .io("the deploy's answer ended without a result") }
        return result
    }

    /// Asks a running deploy of `service` to roll back.
    public func cancelDeploy(_ service: String) throws(Failure) {
        let body = (try? JSONEncoder().encode(["service": service])).map { Array($0) } ?? []
        _ = try request("POST", "/v1/deploy/cancel", body: body)
    }

    /// One request whose answer is JSON lines in a chunked body; `onLine` gets each line as it arrives.
    func stream(_ method: String, _ path: String, body: [UInt8], onLine: (String) -> Void) throws(Failure) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .io(String(cString: strerror(errno))) }
        defer { close(fd) }
        if Self.connect(fd, to: socketPath) != 0 {
            if errno == ENOENT || errno == ECONNREFUSED { throw .noSupervisor(socketPath) }
            if errno == EACCES { throw .refused("permission denied on \(socketPath): only root and the group \"berth\" may control this stack") }
            throw .io("\(socketPath): \(String(cString: strerror(errno)))")
        }
        let request = Array(("\(method) \(path) HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n").utf8) + body
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw .io(String(cString: strerror(errno)))
        }
        var pending: [UInt8] = []
        var headRead = false
        var chunked = false
        var decoded: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        func deliverLines() {
            while let newline = decoded.firstIndex(of: 10) {
                onLine(String(decoding: decoded[..<newline], as: UTF8.self))
                decoded.removeSubrange(...newline)
            }
        }
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0, errno == EINTR { continue }
            if count < 0 { throw .io(String(cString: strerror(errno))) }
            if count == 0 { break }
            pending += buffer[0..<count]
            if !headRead {
                guard let end = pending.indices.dropLast(3).first(where: { pending[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) else { continue }
                let head = String(decoding: pending[..<end], as: UTF8.self)
                let statusLine = head.split(separator: "\r\n").first ?? ""
                let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                if !(200..<300).contains(status) {
                    // An ordinary error answer: read it whole.
                    while true {
                        let more = recv(fd, &buffer, buffer.count, 0)
                        if more <= 0 { break }
                        pending += buffer[0..<more]
                    }
                    _ = try Self.parse(pending)
                    return
                }
                chunked = head.lowercased().contains("transfer-encoding: chunked")
                pending.removeSubrange(..<(end + 4))
                headRead = true
            }
            if !chunked {
                decoded += pending
                pending.removeAll()
            } else {
                // Chunks: size in hex, CRLF, data, CRLF.
                while let lineEnd = pending.indices.dropLast().first(where: { pending[$0] == 13 && pending[$0 + 1] == 10 }) {
                    let sizeText = String(decoding: pending[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                    guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                        throw .io("bad chunk in the deploy's answer")
                    }
                    if size == 0 { pending.removeAll(); break }
                    guard pending.count >= lineEnd + 2 + size + 2 else { break }
                    decoded += pending[(lineEnd + 2)..<(lineEnd + 2 + size)]
                    pending.removeSubrange(..<(lineEnd + 2 + size + 2))
                }
            }
            deliverLines()
        }
        deliverLines()
    }

    /// Whether something accepts connections on the socket (a stale file refuses them).
    public var isAnswering: Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Self.connect(fd, to: socketPath) == 0 || errno == EACCES
    }

    /// connect(2) to a Unix socket path; 0, or -1 with errno set (ENAMETOOLONG for a long path).
    static func connect(_ fd: Int32, to path: String) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    public func samples(since: Double?, service: String? = nil) throws(Failure) -> [UsageSample] {
        var query: [String] = []
        if let since { query.append("since=\(since)") }
        if let service { query.append("service=\(service.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? service)") }
        return try decode([UsageSample].self, request("GET", "/v1/samples" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))))
    }

    /// The running stack for `berth budget`: each service's state and counters, and with
    /// `window` (seconds) its peaks and averages over that much sampled history.
    public func liveBudget(window: Double? = nil, now: Double = Date().timeIntervalSince1970) throws(Failure) -> LiveBudget {
        try liveStatus(window: window, now: now).budget
    }

    /// `liveBudget`, with the status it was made from (which names the second instances of
    /// blue-green services during a deploy).
    public func liveStatus(window: Double? = nil, now: Double = Date().timeIntervalSince1970) throws(Failure)
        -> (status: StackStatus, budget: LiveBudget) {
        let status = try status()
        var windows: [String: UsageWindow] = [:]
        if let window {
            windows = UsageWindow.summarize(try samples(since: now - window))
        }
        return (status, LiveBudget(status: status, time: now, windowSeconds: window, windows: windows))
    }

    private func decode<Value: Decodable>(_ type: Value.Type, _ body: [UInt8]) throws(Failure) -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw .io("unexpected answer: \(error)")
        }
    }

    /// Sends one request and returns the body of a 2xx answer.
    public func request(_ method: String, _ path: String, body: [UInt8] = []) throws(Failure) -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .io(String(cString: strerror(errno))) }
        defer { close(fd) }
        if Self.connect(fd, to: socketPath) != 0 {
            if errno == ENAMETOOLONG { throw .io("socket path too long: \(socketPath)") }
            if errno == ENOENT || errno == ECONNREFUSED { throw .noSupervisor(socketPath) }
            if errno == EACCES { throw .refused("permission denied on \(socketPath): only root and the group \"berth\" may control this stack") }
            throw .io("\(socketPath): \(String(cString: strerror(errno)))")
        }
        var request = Array("\(method) \(path) HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n".utf8)
        if !body.isEmpty || method == "POST" {
            request += Array("Content-Type: application/json\r\nContent-Length: \(body.count)\r\n".utf8)
        }
        request += Array("\r\n".utf8) + body
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(String(cString: strerror(errno)))
            }
            sent += count
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(String(cString: strerror(errno)))
            }
            if count == 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        return try Self.parse(answer)
    }

    static func parse(_ answer: [UInt8]) throws(Failure) -> [UInt8] {
        guard let end = answer.indices.first(where: { $0 + 3 < answer.count && answer[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) else {
            throw .io("incomplete answer")
        }
        let head = String(decoding: answer[..<end], as: UTF8.self)
        let body = Array(answer[(end + 4)...])
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw .io("not an HTTP answer") }
        guard (200..<300).contains(status) else {
            let message = (try? JSONDecoder().decode([String: String].self, from: Data(body)))?["error"]
                ?? String(decoding: body, as: UTF8.self)
            if status == 403 { throw .refused(message) }
            throw .answer(status: status, message: message)
        }
        return body
    }
}
