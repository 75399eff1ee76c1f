import Budget
import Deploy
import Foundation
import Synchronization
import StateStore
import Supervisor

/// Where the API's deploys run: one `Deployer` per service at a time, each on its own thread,
/// its progress streamed to the client that asked. A client that goes away (Ctrl-C killed it)
/// cancels its deploy, which then rolls back, as `POST /v1/deploy/cancel` does.
public final class DeployDesk: Sendable {
    private let context: Deployer.Context
    private let running = Mutex<[String: Deployer]>([:])

    public init(context: Deployer.Context) {
        self.context = context
    }

    func deploy(_ request: DeployRequest, stream: ResponseStream) {
        let deployer = Deployer(context: context, request: request) { event in stream.send(event) }
        let service = request.service
        let accepted = running.withLock { deployers -> Bool in
            guard deployers[service] == nil else { return false }
            deployers[service] = deployer
            return true
        }
        guard accepted else {
            var event = DeployEvent(event: "result")
            event.outcome = "refused"
            event.reason = "a deploy of \(service) is already in progress"
            stream.send(event)
            return stream.end()
        }
        stream.onClose { [weak deployer] in deployer?.cancel("the client went away") }
        let thread = Thread { [self] in
            deployer.run()
            running.withLock { $0[service] = nil }
            stream.end()
        }
        thread.name = "berth-deploy-\(service)"
        thread.start()
    }

    func cancel(_ service: String) -> Bool {
        guard let deployer = running.withLock({ $0[service] }) else { return false }
        deployer.cancel("interrupted (Ctrl-C)")
        return true
    }
}
