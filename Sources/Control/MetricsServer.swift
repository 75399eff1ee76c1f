import Budget
import NIOCore
import NIOHTTP1
import NIOPosix
import Supervisor

/// `berth up --metrics-listen ADDR:PORT`: Prometheus text at `GET /metrics`, over TCP.
///
/// Each scrape asks the supervisor for its status (on its loop, like `berth ps`) and renders
/// the budget report with its live part: limits and reservations, usage, throttling, OOM
/// kills, restarts and health per service. Read-only, so no credentials are asked for; bind it
/// to 127.0.0.1 or a private address.
public final class MetricsServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    /// The address it listens on, e.g. `127.0.0.1:9100` (the port is the real one when 0 was asked).
    public let address: String

    public static func start(host: String, port: Int, report: BudgetReport, handle: SupervisorHandle) throws -> MetricsServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(report: report, handle: handle))
                }
            }
        do {
            let channel = try bootstrap.bind(host: host, port: port).wait()
            let bound = channel.localAddress?.port ?? port
            return MetricsServer(group: group, channel: channel, address: host.contains(":") ? "[\(host)]:\(bound)" : "\(host):\(bound)")
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, address: String) {
        self.group = group
        self.channel = channel
        self.address = address
    }

    public func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let report: BudgetReport
    private let handle: SupervisorHandle

    init(report: BudgetReport, handle: SupervisorHandle) {
        self.report = report
        self.handle = handle
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case let .head(request) = unwrapInboundIn(data) else { return }
        let channel = context.channel
        let keepAlive = request.isKeepAlive
        let respond: @Sendable (Response) -> Void = { ControlHTTPHandler.write($0, keepAlive: keepAlive, channel: channel) }
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        guard path == "/metrics" else { return respond(.error(.notFound, "only /metrics is served here")) }
        guard request.method == .GET || request.method == .HEAD else {
            return respond(.error(.methodNotAllowed, "\(request.method) is not allowed on /metrics"))
        }
        let report = self.report
        handle.status { status in
            var live = report
            live.attach(LiveBudget(status: status, time: WallClock.now))
            respond(Response(status: .ok, body: Array(live.prometheus.utf8), contentType: "text/plain; version=0.0.4; charset=utf-8"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

extension LiveBudget {
    /// The live side of a budget from a supervisor's status (and sampled windows, if any).
    public init(status: StackStatus, time: Double, windowSeconds: Double? = nil, windows: [String: UsageWindow] = [:]) {
        var services: [String: ServiceLive] = [:]
        for service in status.services {
            services[service.name] = ServiceLive(state: service.state, health: service.health, restarts: service.restarts,
                                                 usage: service.usage, window: windows[service.name])
        }
        self.init(supervisorPID: status.pid, time: time, windowSeconds: windowSeconds, services: services)
    }
}
