import Confinement
import Foundation
import Glibc
import StackFile

/// The supervisor's side of blue-green services (`x-berth.deploy`). A blue-green service runs as
/// one instance, `web-blue` or `web-green`, with its own cgroup leaf, `$BERTH_PORT` and
/// `$BERTH_COLOR`. During a deploy a second instance, the candidate, runs next to it; once the
/// proxy serves the candidate, it becomes the service's runner and the old one retires.
///
/// The supervisor only starts, swaps and stops instances, each step an order from the deploy
/// (the `Deploy` module) through `SupervisorHandle`; the switch itself, the proxy and every
/// wait that could block happen off the loop, in the deploy.
final class BlueGreenSlots {
    struct Slot {
        /// The colour that serves.
        var live: BlueGreen.Color
        /// The live instance's spec as written (without `BERTH_PORT`/`BERTH_COLOR`).
        var spec: Service
        /// The instance being deployed, next to the live one.
        var candidate: ServiceRunner?
        var candidateSpec: Service?
        /// The old instance after a switch, until it has stopped.
        var retiring: ServiceRunner?
        /// A deploy holds the service: a second one is refused.
        var deploying = false
    }

    var slots: [String: Slot] = [:]

    /// Instances that are not the services' runners: candidates and retiring instances.
    var secondInstances: [ServiceRunner] {
        slots.values.flatMap { [$0.candidate, $0.retiring].compactMap { $0 } }
    }
}

/// Why the supervisor cannot do what a deploy asks.
public enum BlueGreenRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownService(String)
    case notBlueGreen(String)
    case deployInProgress(String)
    case supervisorStopping
    case noCandidate(String)
    /// The new instance could not be set up (its program, its leaf, its health check).
    case cannotStart(String)

    public var description: String {
        switch self {
        case let .unknownService(name): return "no such service: \"\(name)\""
        case let .notBlueGreen(name): return "\(name) is not a blue-green service (it has no x-berth.deploy)"
        case let .deployInProgress(name): return "a deploy of \(name) is already in progress"
        case .supervisorStopping: return "the stack is being stopped"
        case let .noCandidate(name): return "\(name) has no new instance"
        case let .cannotStart(reason): return reason
        }
    }
}

/// A blue-green service as a deploy starts from.
public struct BlueGreenState: Sendable {
    public var service: String
    public var live: BlueGreen.Color
    public var options: BlueGreen
    /// The live instance's spec, as written.
    public var spec: Service
    public var livePID: Int32?
    public var proxyName: String
    public var proxy: ProxyOptions?
    /// The proxy's main process (nginx's master), to signal a reload.
    public var proxyPID: Int32?
    /// The proxy's program, resolved (`/usr/sbin/nginx`), for `nginx -t`.
    public var proxyExecutable: String?
    /// Every blue-green service behind the same proxy, with its live colour and port.
    public var upstreams: [Upstream]
    /// The running stack's specs, for the budget of the overlap.
    public var stack: Stack

    public struct Upstream: Sendable, Equatable {
        public var service: String
        public var color: BlueGreen.Color
        public var port: Int

        public init(service: String, color: BlueGreen.Color, port: Int) {
            self.service = service
            self.color = color
            self.port = port
        }
    }
}

/// How a candidate's wait for health ended.
public enum CandidateOutcome: Sendable, Equatable {
    case healthy(pid: Int32)
    /// It ended, or could not be started: the reason.
    case ended(String)
}

extension Supervisor {
    static func instanceName(_ service: String, _ color: BlueGreen.Color) -> String { "\(service)-\(color.rawValue)" }

    /// A blue-green service's spec for one colour: `$BERTH_PORT` and `$BERTH_COLOR` in its
    /// environment (its health check sees them too), and `health: PATH` as a native probe on
    /// the colour's port. An `x-berth.probe` on the blue or green port follows the colour.
    static func instanceSpec(_ written: Service, color: BlueGreen.Color) -> Service {
        guard let deploy = written.berth.deploy else { return written }
        var service = written
        let port = deploy.port(of: color)
        service.environment["BERTH_PORT"] = String(port)
        service.environment["BERTH_COLOR"] = color.rawValue
        if let path = deploy.health, service.healthcheck == nil {
            var timing = written.berth.probe?.timing ?? ProbeTiming()
            if written.berth.probe == nil {
                // Probed often while starting, so that a deploy switches soon after the new
                // colour answers; failures while starting only count after deploy_timeout.
                timing.interval = .seconds(10)
                timing.timeout = .seconds(5)
                timing.startPeriod = deploy.deployTimeout
                timing.startInterval = .milliseconds(200)
            }
            service.berth.probe = Probe(target: .http(HTTPTarget(host: "127.0.0.1", port: port, path: path)), timing: timing)
        } else if var probe = service.berth.probe {
            switch probe.target {
            case var .http(target) where [deploy.bluePort, deploy.greenPort].contains(target.port):
                target.port = port
                probe.target = .http(target)
            case let .tcp(host, probePort) where [deploy.bluePort, deploy.greenPort].contains(probePort):
                probe.target = .tcp(host: host, port: port)
            default:
                break
            }
            service.berth.probe = probe
        }
        return service
    }

    /// Both instances go down with the stack.
    func stopSecondInstances() {
        for runner in blueGreen.secondInstances where !runner.state.isFinal { runner.send(.stop) }
    }

    // MARK: - Orders from a deploy

    func beginDeploy(_ name: String) -> Result<BlueGreenState, BlueGreenRefusal> {
        guard phase == .running else { return .failure(.supervisorStopping) }
        guard let runner = byName[name] else { return .failure(.unknownService(name)) }
        guard var slot = blueGreen.slots[name], let options = slot.spec.berth.deploy else { return .failure(.notBlueGreen(name)) }
        guard !slot.deploying else { return .failure(.deployInProgress(name)) }
        slot.deploying = true
        blueGreen.slots[name] = slot
        let proxyRunner = byName[options.proxy]
        let upstreams = blueGreen.slots.compactMap { service, slot -> BlueGreenState.Upstream? in
            guard let deploy = slot.spec.berth.deploy, deploy.proxy == options.proxy else { return nil }
            return .init(service: service, color: slot.live, port: deploy.port(of: slot.live))
        }.sorted { $0.service < $1.service }
        var running = stack
        running.services = runners.map { blueGreen.slots[$0.name]?.spec ?? $0.service }
        return .success(BlueGreenState(
            service: name, live: slot.live, options: options, spec: slot.spec, livePID: runner.state.pid,
            proxyName: options.proxy, proxy: proxyRunner?.service.berth.proxy, proxyPID: proxyRunner?.state.pid,
            proxyExecutable: proxyRunner?.program.executable,
            upstreams: upstreams, stack: running))
    }

    func endDeploy(_ name: String) {
        blueGreen.slots[name]?.deploying = false
    }

    /// Starts `spec` as the idle colour of `name`, next to the live instance.
    func startCandidate(_ name: String, spec written: Service) -> Result<Int32?, BlueGreenRefusal> {
        guard phase == .running else { return .failure(.supervisorStopping) }
        guard var slot = blueGreen.slots[name], slot.candidate == nil else { return .failure(.deployInProgress(name)) }
        let color = slot.live.other
        let runner: ServiceRunner
        switch makeInstance(written, color: color) {
        case let .success(made): runner = made
        case let .failure(refusal): return .failure(refusal)
        }
        slot.candidate = runner
        slot.candidateSpec = written
        blueGreen.slots[name] = slot
        environment.record(service: name, kind: "deploy", detail: "starting \(Self.instanceName(name, color)) "
            + "on port \(written.berth.deploy?.port(of: color) ?? 0)")
        runner.send(.start)
        return .success(runner.state.pid)
    }

    /// Completes once the candidate is healthy, or has ended.
    func awaitCandidate(_ name: String, completion: @escaping (CandidateOutcome) -> Void) {
        guard let candidate = blueGreen.slots[name]?.candidate else { return completion(.ended("it was not started")) }
        pendingCommands.append((isDone: { [weak candidate] in
            guard let candidate else { return true }
            if candidate.isHealthy { return true }
            if candidate.state.isFinal { return true }
            if case .backoff = candidate.state { return true }
            return false
        }, complete: { [weak candidate] in
            guard let candidate else { return completion(.ended("it was removed")) }
            if candidate.isHealthy, let pid = candidate.state.pid { return completion(.healthy(pid: pid)) }
            completion(.ended(candidate.lifecycle.lastExit.map { "it \($0)" } ?? candidate.state.description))
        }))
        checkFinished()
    }

    /// The switch, as the supervisor sees it: the candidate becomes the service's runner, and the
    /// old instance retires (it keeps running until `retire`). Returns the old instance's pid.
    func promoteCandidate(_ name: String) -> Result<Int32?, BlueGreenRefusal> {
        guard var slot = blueGreen.slots[name], let candidate = slot.candidate, let spec = slot.candidateSpec,
              let old = byName[name], let index = runners.firstIndex(where: { $0 === old }) else {
            return .failure(.noCandidate(name))
        }
        runners[index] = candidate
        byName[name] = candidate
        slot.retiring = old
        slot.candidate = nil
        slot.candidateSpec = nil
        slot.live = candidate.color ?? slot.live.other
        slot.spec = spec
        blueGreen.slots[name] = slot
        environment.record(service: name, kind: "deploy", detail: "\(Self.instanceName(name, slot.live)) serves")
        serviceChanged(candidate)
        return .success(old.state.pid)
    }

    /// Stops the old instance with its stop signal and grace period; completes once it has
    /// stopped and its leaf is gone.
    func retire(_ name: String, completion: @escaping () -> Void) {
        guard let old = blueGreen.slots[name]?.retiring else { return completion() }
        stopInstance(old) { [weak self] in
            self?.blueGreen.slots[name]?.retiring = nil
            completion()
        }
    }

    /// Stops and removes the candidate (a deploy that failed or was interrupted).
    func discardCandidate(_ name: String, completion: @escaping () -> Void) {
        guard let candidate = blueGreen.slots[name]?.candidate else { return completion() }
        stopInstance(candidate) { [weak self] in
            self?.blueGreen.slots[name]?.candidate = nil
            self?.blueGreen.slots[name]?.candidateSpec = nil
            completion()
        }
    }

    private func stopInstance(_ runner: ServiceRunner, completion: @escaping () -> Void) {
        if !runner.state.isFinal { runner.send(.stop) }
        pendingCommands.append((isDone: { runner.state.isFinal }, complete: {
            runner.finish()
            completion()
        }))
        checkFinished()
    }

    /// A runner for one colour of a blue-green service, its leaf ready: what `init` does for
    /// every service, for one instance started while the stack runs.
    private func makeInstance(_ written: Service, color: BlueGreen.Color) -> Result<ServiceRunner, BlueGreenRefusal> {
        let name = written.name
        let service = Self.instanceSpec(written, color: color)
        var problems: [String] = []
        guard let runner = makeRunner(for: service, leafName: Self.instanceName(name, color), problems: &problems) else {
            return .failure(.cannotStart(problems.joined(separator: "; ")))
        }
        runner.color = color
        // A leaf left by an instance that did not stop cleanly would refuse to be made again.
        if let leaf = runner.leaf, leaf.isPopulated { leaf.killAll() }
        try? runner.leaf?.remove()
        do {
            try runner.prepareLeaf()
        } catch {
            return .failure(.cannotStart("\(Self.instanceName(name, color)): cannot set up its cgroup leaf: \(error)"))
        }
        return .success(runner)
    }
}

extension SupervisorHandle {
    /// Holds `service` for a deploy and says how it stands; a second deploy is refused until
    /// `endDeploy`.
    public func beginDeploy(_ service: String, completion: @escaping @Sendable (Result<BlueGreenState, BlueGreenRefusal>) -> Void) {
        onLoop { completion($0.beginDeploy(service)) }
    }

    public func endDeploy(_ service: String) {
        onLoop { $0.endDeploy(service) }
    }

    /// Starts `spec` as the idle colour; answers with its pid once spawned.
    public func startCandidate(_ service: String, spec: Service,
                               completion: @escaping @Sendable (Result<Int32?, BlueGreenRefusal>) -> Void) {
        onLoop { completion($0.startCandidate(service, spec: spec)) }
    }

    public func awaitCandidate(_ service: String, completion: @escaping @Sendable (CandidateOutcome) -> Void) {
        onLoop { $0.awaitCandidate(service, completion: completion) }
    }

    public func promoteCandidate(_ service: String, completion: @escaping @Sendable (Result<Int32?, BlueGreenRefusal>) -> Void) {
        onLoop { completion($0.promoteCandidate(service)) }
    }

    public func retire(_ service: String, completion: @escaping @Sendable () -> Void) {
        onLoop { $0.retire(service, completion: completion) }
    }

    public func discardCandidate(_ service: String, completion: @escaping @Sendable () -> Void) {
        onLoop { $0.discardCandidate(service, completion: completion) }
    }

    /// Runs a program as a child of berth (as health checks run: reaped by the loop, output
    /// captured, killed past `timeout`) and answers with its exit code and output.
    public func runTool(executable: String, arguments: [String], timeout: Duration,
                        completion: @escaping @Sendable (Int32, String) -> Void) {
        onLoop { supervisor in
            let tool = ExecProbe(executable: executable, arguments: arguments, environment: ["PATH": ExecutableResolver.defaultPath],
                                 workingDirectory: "/", leaf: nil, confinement: nil, loop: supervisor.loop, children: supervisor)
            tool.run(timeout: timeout) { code, output in
                withExtendedLifetime(tool) { completion(code, output) }
            }
        }
    }

    /// Records an event in the history (and on berth's terminal).
    public func record(service: String?, kind: String, detail: String) {
        onLoop { $0.environment.record(service: service, kind: kind, detail: detail) }
    }
}
