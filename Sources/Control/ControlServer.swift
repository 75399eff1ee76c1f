import CLinux
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import StateStore
import Supervisor

/// The supervisor's API: HTTP/1.1 with JSON bodies on a Unix socket, served by SwiftNIO on its
/// own thread. Requests reach the supervisor only through `SupervisorHandle`, so a slow, broken
/// or malicious client can delay its own answer but never the supervision loop.
public final class ControlServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    public let socketPath: String

    /// Binds the socket (replacing a stale one) and starts serving.
    public static func start(socketPath: String, handle: SupervisorHandle, history: HistoryStore?,
                             policy: AccessPolicy = AccessPolicy(), deploys: DeployDesk? = nil) throws -> ControlServer {
        if ControlClient(socketPath: socketPath).isAnswering {
            throw ControlServerError.socketInUse(socketPath)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let router = Router(handle: handle, history: history, deploys: deploys)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 32)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        ControlHTTPHandler(router: router, policy: policy, handle: handle))
                }
            }
        do {
            let channel = try bootstrap.bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).wait()
            policy.protect(socketPath: socketPath)
            return ControlServer(group: group, channel: channel, socketPath: socketPath)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, socketPath: String) {
        self.group = group
        self.channel = channel
        self.socketPath = socketPath
    }

    /// Stops serving and removes the socket.
    public func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
        unlink(socketPath)
    }
}

public enum ControlServerError: Error, CustomStringConvertible {
    /// A live berth already listens there (the same project from another state directory).
    case socketInUse(String)

    public var description: String {
        switch self {
        case let .socketInUse(path): return "another berth already listens on \(path)"
        }
    }
}

/// One connection: reads a request, checks who sent it, asks the router, writes the answer.
final class ControlHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maximumBody = 64 * 1024

    private let router: Router
    private let policy: AccessPolicy
    private let handle: SupervisorHandle
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(router: Router, policy: AccessPolicy, handle: SupervisorHandle) {
        self.router = router
        self.policy = policy
        self.handle = handle
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(request):
            head = request
            body.removeAll()
            tooLarge = false
        case var .body(chunk):
            if body.count + chunk.readableBytes > Self.maximumBody {
                tooLarge = true
            } else if let bytes = chunk.readBytes(length: chunk.readableBytes) {
                body.append(contentsOf: bytes)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    private func handle(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = request.isKeepAlive
        // The answer may come from the supervisor's thread; the channel (not this handler's
        // context) is safe to write from anywhere, and a client that has gone just fails the write.
        let channel = context.channel
        let respond: @Sendable (Response) -> Void = { response in
            ControlHTTPHandler.write(response, keepAlive: keepAlive, channel: channel)
        }
        let stream: @Sendable () -> ResponseStream = { ResponseStream(channel: channel) }
        if tooLarge { return respond(.error(.payloadTooLarge, "the request body is larger than 64 KiB")) }
        guard let provider = context.channel as? SocketOptionProvider else {
            return respond(.error(.forbidden, "cannot read the credentials of this connection"))
        }
        // SO_PEERCRED: who is at the other end, as the kernel says.
        let credentials: EventLoopFuture<clinux_peer> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        let (router, policy, handle, body) = (self.router, self.policy, self.handle, self.body)
        credentials.whenComplete { result in
            guard case let .success(peer) = result else {
                return respond(.error(.forbidden, "cannot read the credentials of this connection"))
            }
            guard policy.allows(uid: peer.uid) else {
                handle.recordRefusal("refused uid \(peer.uid) (pid \(peer.pid)): \(request.method) \(request.uri)")
                return respond(.error(.forbidden, "uid \(peer.uid) may not control this stack: only root, berth's own user "
                    + "and members of the group \"\(AccessPolicy.groupName)\" may"))
            }
            router.route(method: request.method, uri: request.uri, body: body, respond: respond, stream: stream)
        }
    }

    static func write(_ response: Response, keepAlive: Bool, channel: Channel) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        var buffer = channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive {
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

extension clinux_peer: @retroactive @unchecked Sendable {}

/// An answer: a status and a JSON (or text) body.
struct Response: Sendable {
    var status: HTTPResponseStatus
    var body: [UInt8]
    var contentType = "application/json"

    static func json<Value: Encodable>(_ value: Value, status: HTTPResponseStatus = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, body: Array(data))
    }

    static func error(_ status: HTTPResponseStatus, _ message: String) -> Response {
        json(["error": message], status: status)
    }
}

/// An answer written as it happens: JSON lines in a chunked body, for `berth deploy`'s
/// progress. The connection closes at the end.
struct ResponseStream: Sendable {
    let channel: Channel

    init(channel: Channel) {
        self.channel = channel
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-ndjson")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Connection", value: "close")
        channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)),
                              promise: nil)
    }

    func send<Value: Encodable>(_ value: Value) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return }
        var buffer = channel.allocator.buffer(capacity: data.count + 1)
        buffer.writeBytes(data)
        buffer.writeInteger(UInt8(ascii: "\n"))
        channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
    }

    func end() {
        let channel = self.channel
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Runs `body` if the client goes away before the end.
    func onClose(_ body: @escaping @Sendable () -> Void) {
        channel.closeFuture.whenComplete { _ in body() }
    }
}
