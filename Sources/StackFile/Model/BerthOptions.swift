/// The `x-berth` mapping of a service: what berth adds to Compose. Compose ignores `x-` keys,
/// so a stack using them stays a valid compose file.
public struct BerthOptions: Equatable, Sendable {
    /// A health probe berth runs itself, without starting a process per check.
    public var probe: Probe?
    public var logs = LogPolicy()
    /// Restart a service that turns unhealthy, through its restart policy.
    public var restartOnUnhealthy = true
    /// Give the service a `NOTIFY_SOCKET` and wait for `READY=1`.
    public var notify = false
    /// With `notify`: the service must send `WATCHDOG=1` at least this often (`WATCHDOG_USEC`),
    /// or it is restarted as unhealthy.
    public var watchdog: Duration?
    /// `memory.high`: the point where the kernel starts reclaiming and throttling, below `memory.max`.
    public var memoryHigh: Int64?
    /// A system-call name in the service's seccomp profile that libseccomp does not know is an
    /// error instead of a warning (crun's `run.oci.seccomp_fail_unknown_syscall`). Only for a
    /// profile the stack names (`seccomp=PATH`): berth's built-in profile lists calls newer than
    /// older libseccomps on purpose.
    public var seccompStrict = false
    /// `x-berth.deploy`: the service runs as one of two colours and is replaced by `berth deploy`.
    public var deploy: BlueGreen?
    /// `x-berth.proxy`: this service is the reverse proxy blue-green services are switched behind.
    public var proxy: ProxyOptions?

    public init() {}
}

/// `x-berth.deploy`: a blue-green service. It runs as `<service>-blue` or `<service>-green`,
/// each colour on its own port (`$BERTH_PORT`, `$BERTH_COLOR`), behind the proxy service that
/// berth switches from one colour to the other.
public struct BlueGreen: Equatable, Sendable {
    public enum Color: String, Sendable, CaseIterable, Codable {
        case blue, green

        /// The colour that is not this one: where the next deploy starts.
        public var other: Color { self == .blue ? .green : .blue }
    }

    /// The port of each colour.
    public var bluePort: Int
    public var greenPort: Int
    /// The service that proxies to this one (it has `x-berth.proxy`).
    public var proxy: String
    /// How long the new colour has to become healthy.
    public var deployTimeout: Duration = .seconds(30)
    /// How long the old colour keeps its connections after the switch, at most.
    public var drain: Duration = .seconds(10)
    /// A path berth probes on the new colour's port (HTTP GET, 2xx or 3xx) to call it healthy;
    /// without it, the service's healthcheck or x-berth.probe decides.
    public var health: String?

    public init(bluePort: Int, greenPort: Int, proxy: String) {
        self.bluePort = bluePort
        self.greenPort = greenPort
        self.proxy = proxy
    }

    public func port(of color: Color) -> Int { color == .blue ? bluePort : greenPort }
}

/// `x-berth.proxy`: a supervised reverse proxy whose upstream file berth owns.
public struct ProxyOptions: Equatable, Sendable {
    public enum Kind: String, Sendable { case nginx }

    public var kind: Kind = .nginx
    /// The file berth renders (absolute): one `upstream` per blue-green service behind this proxy.
    /// The proxy's own configuration includes it.
    public var upstreams: String
    /// Where berth reaches the proxy to check that a switch took effect (`HOST:PORT`).
    public var listen: HostPort
    /// The proxy's main configuration, for `nginx -t -c`; by default the `-c` of its command,
    /// else nginx's own default.
    public var config: String?
    /// nginx's error log, read for new `[emerg]` lines after a reload; by default the `-e` of
    /// its command.
    public var errorLog: String?

    public init(upstreams: String, listen: HostPort) {
        self.upstreams = upstreams
        self.listen = listen
    }
}

/// A native health probe: an HTTP GET or a TCP connect, with the same timing as a healthcheck.
public struct Probe: Equatable, Sendable {
    public enum Target: Equatable, Sendable {
        /// Healthy on a 2xx or 3xx answer.
        case http(HTTPTarget)
        /// Healthy when a connection is accepted.
        case tcp(host: String, port: Int)
    }

    public var target: Target
    public var timing: ProbeTiming

    public init(target: Target, timing: ProbeTiming = ProbeTiming()) {
        self.target = target
        self.timing = timing
    }
}

/// An `http://host:port/path` URL, taken apart once at load so that probing never parses.
public struct HTTPTarget: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The path and query, starting with `/`.
    public var path: String

    public init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses an absolute `http://` URL; `nil` for anything else.
    public init?(url: String) {
        guard url.lowercased().hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard let parsed = HostPort(String(authority), defaultPort: 80) else { return nil }
        host = parsed.host
        port = parsed.port
    }

    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "http://\(hostText):\(port)\(path)"
    }
}

/// `HOST:PORT`, with IPv6 hosts in brackets.
public struct HostPort: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init?(_ text: String, defaultPort: Int? = nil) {
        var hostPart = Substring(text)
        var portPart: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { return nil }
            let after = hostPart[hostPart.index(after: close)...]
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = hostPart.lastIndex(of: ":") {
            guard !hostPart[..<colon].contains(":") else { return nil }
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        guard let port = portPart.map({ Int($0) }) ?? defaultPort, (1...65535).contains(port) else { return nil }
        host = String(hostPart)
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// How much of a service's output berth keeps: `max_files` files of up to `max_size` bytes.
public struct LogPolicy: Equatable, Sendable {
    public var maxSize: Int64 = 10 * 1024 * 1024
    public var maxFiles: Int = 3

    public init() {}
}
