import CLinux
import Glibc
import StackFile

/// A native probe (`x-berth.probe`): a TCP connect, or an HTTP GET whose answer must be 2xx or
/// 3xx, run on the loop with non-blocking sockets — no process per probe.
///
/// Addresses are resolved once, before the stack starts (`resolve`), so that a probe never waits
/// on DNS.
final class NetworkProbe {
    struct Address {
        var family: Int32
        var storage: sockaddr_storage
        var length: socklen_t
    }

    enum Kind {
        case tcp
        /// The request to send.
        case http(request: [UInt8])
    }

    private let loop: EventLoop
    private let address: Address
    private let kind: Kind
    private var fd: Int32 = -1
    private var timer: EventLoop.TimerID?
    private var response: [UInt8] = []
    private var sent = 0
    private var completion: ((Int32, String) -> Void)?

    init(target: Probe.Target, address: Address, loop: EventLoop) {
        self.loop = loop
        self.address = address
        switch target {
        case .tcp:
            kind = .tcp
        case let .http(target):
            let hostHeader = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
            kind = .http(request: Array("GET \(target.path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: berth\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8))
        }
    }

    /// Resolves a probe's host once (getaddrinfo may block; it runs before the loop does).
    struct ResolveFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func resolve(_ target: Probe.Target) -> Result<Address, ResolveFailure> {
        let (host, port): (String, Int)
        switch target {
        case let .tcp(h, p): (host, port) = (h, p)
        case let .http(t): (host, port) = (t.host, t.port)
        }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            return .failure(ResolveFailure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(result) }
        var address = Address(family: first.pointee.ai_family, storage: sockaddr_storage(), length: first.pointee.ai_addrlen)
        withUnsafeMutableBytes(of: &address.storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return .success(address)
    }

    /// Runs the probe once; `completion` gets 0 for healthy, 1 for unhealthy, -1 for a timeout,
    /// and what was seen.
    func run(timeout: Duration, completion: @escaping (Int32, String) -> Void) {
        self.completion = completion
        response.removeAll(keepingCapacity: true)
        sent = 0
        fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return finish(1, "socket: \(String(cString: strerror(errno)))") }
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
        }
        if result != 0, errno != EINPROGRESS {
            return finish(1, "connect: \(String(cString: strerror(errno)))")
        }
        timer = loop.schedule(after: timeout) { [weak self] in
            self?.finish(-1, "Health check exceeded timeout (\(ComposeDuration.format(timeout)))")
        }
        loop.watch(fd, for: .writable) { [weak self] _ in self?.connected() }
    }

    /// Abandons a probe in flight (the service is stopping).
    func cancel() {
        completion = nil
        finish(1, "")
    }

    private func connected() {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else { return finish(1, "connect: \(String(cString: strerror(error)))") }
        switch kind {
        case .tcp:
            finish(0, "connected")
        case .http:
            sendRequest()
        }
    }

    private func sendRequest() {
        guard case let .http(request) = kind else { return }
        let count = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
        if count < 0 {
            if errno == EAGAIN { return }
            return finish(1, "send: \(String(cString: strerror(errno)))")
        }
        sent += count
        if sent == request.count {
            loop.watch(fd, for: .readable) { [weak self] _ in self?.readResponse() }
        }
    }

    private func readResponse() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 {
                if errno == EAGAIN { break }
                return finish(1, "recv: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return judge(closed: true) }
            if response.count < HealthMonitor.maximumOutput {
                response.append(contentsOf: buffer[0..<min(count, HealthMonitor.maximumOutput - response.count)])
            }
        }
        judge(closed: false)
    }

    /// Decides as soon as the status line is in: 2xx and 3xx are healthy.
    private func judge(closed: Bool) {
        let lineEnd = response.indices.first { $0 + 1 < response.count && response[$0] == 13 && response[$0 + 1] == 10 }
        guard let end = lineEnd ?? (closed ? response.count : nil) else { return }
        let statusLine = String(decoding: response[..<end], as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return finish(1, statusLine.isEmpty ? "connection closed without a response" : "not HTTP: \(statusLine)")
        }
        finish((200..<400).contains(code) ? 0 : 1, statusLine)
    }

    private func finish(_ code: Int32, _ output: String) {
        if let timer { loop.cancel(timer) }
        timer = nil
        if fd >= 0 {
            loop.unwatch(fd)
            close(fd)
            fd = -1
        }
        let completion = self.completion
        self.completion = nil
        completion?(code, output)
    }
}
