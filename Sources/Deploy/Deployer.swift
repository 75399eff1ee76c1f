import Budget
import Foundation
import Glibc
import StackFile
import StateStore
import Supervisor

/// What `berth deploy` and `berth rollback` ask for.
public struct DeployRequest: Codable, Sendable, Equatable {
    public var service: String
    /// The new spec as a one-service compose file (`-f` files, rendered by the CLI); nil to
    /// start from the live spec.
    public var spec: String?
    /// `--set KEY=VALUE`: environment variables over the spec's.
    public var set: [String: String]
    /// `berth rollback`: deploy the previous spec (`spec` and `set` are ignored).
    public var rollback: Bool

    public init(service: String, spec: String? = nil, set: [String: String] = [:], rollback: Bool = false) {
        self.service = service
        self.spec = spec
        self.set = set
        self.rollback = rollback
    }
}

/// One line of a deploy's progress, as the API streams it (JSON lines) and the CLI shows it.
public struct DeployEvent: Codable, Sendable, Equatable {
    /// `step` (a step began or ended), `rollback` (an action of the rollback), `result` (last).
    public var event: String
    public var step: DeployMachine.Step?
    /// For steps: `started`, `done`, `failed`.
    public var status: String?
    public var detail: String?
    /// How long the step took, in milliseconds (when it ended).
    public var milliseconds: Int?
    // The result:
    /// `deployed`, `rolled_back`, `refused`.
    public var outcome: String?
    public var from: String?
    public var to: String?
    public var digest: String?
    public var failedStep: DeployMachine.Step?
    public var reason: String?
    /// Green healthy → the proxy answers green, in milliseconds.
    public var switchMilliseconds: Int?
    public var timings: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case event, step, status, detail, outcome, from, to, digest, reason, timings
        case milliseconds = "ms"
        case failedStep = "failed_step"
        case switchMilliseconds = "switch_ms"
    }

    public init(event: String, step: DeployMachine.Step? = nil, status: String? = nil, detail: String? = nil,
                milliseconds: Int? = nil) {
        self.event = event
        self.step = step
        self.status = status
        self.detail = detail
        self.milliseconds = milliseconds
    }
}

/// Carries out one deploy, step by step, on its own thread: every wait (health, `nginx -t`,
/// the reload, probes through the proxy, the drain) happens here and never on the supervision
/// loop, which only gets orders through `SupervisorHandle`.
public final class Deployer: @unchecked Sendable {
    // Unchecked: `run` is called once, on one thread; `cancel` only sets the lock-protected flag.
    public struct Context: Sendable {
        public var handle: SupervisorHandle
        public var history: HistoryStore?
        public var stateDirectory: String
        public var project: String
        /// The host the budget of the overlap is checked against; nil skips admission.
        public var machine: Machine?
        /// How long the proxy has to answer with the new colour after the reload.
        public var verifyTimeout: Duration = .seconds(2)

        public init(handle: SupervisorHandle, history: HistoryStore?, stateDirectory: String, project: String, machine: Machine?) {
            self.handle = handle
            self.history = history
            self.stateDirectory = stateDirectory
            self.project = project
            self.machine = machine
        }
    }

    private let context: Context
    private let request: DeployRequest
    private let emit: @Sendable (DeployEvent) -> Void
    private let lock = NSLock()
    private var cancelled: String?
    private var machine = DeployMachine()
    private var timings: [String: Int] = [:]

    public init(context: Context, request: DeployRequest, emit: @escaping @Sendable (DeployEvent) -> Void) {
        self.context = context
        self.request = request
        self.emit = emit
    }

    /// Ctrl-C: the deploy rolls back at its next wait (or, once switched, ends its drain).
    public func cancel(_ reason: String = "interrupted") {
        lock.withLock { if cancelled == nil { cancelled = reason } }
    }

    private var cancellation: String? { lock.withLock { cancelled } }

    // MARK: - The steps

    /// Runs the deploy to its end and returns its last event (the result).
    @discardableResult
    public func run() -> DeployEvent {
        let service = request.service
        let started = Date().timeIntervalSince1970
        let state: BlueGreenState
        switch wait({ done in self.context.handle.beginDeploy(service, completion: done) }) {
        case let .success(value): state = value
        case let .failure(refusal): return finishRefused(refusal.description, started: started)
        }
        defer { context.handle.endDeploy(service) }
        let from = state.live
        let to = from.other
        let store = SpecStore(stateDirectory: context.stateDirectory, project: context.project)

        // The new spec.
        var spec: Service
        do throws(DeployFailure) {
            spec = try newSpec(state: state, store: store)
        } catch {
            return finishRefused(error.description, started: started, from: from, to: to)
        }
        let digest = SpecStore.text(of: spec, project: context.project).digest
        guard let proxyOptions = state.proxy, let executable = state.proxyExecutable else {
            return finishRefused("\(state.proxyName), the proxy of \(service), is not a proxy berth can switch", started: started)
        }
        let proxy = NginxProxy(options: proxyOptions, executable: executable)
        let port = state.options.port(of: to)
        context.handle.record(service: service, kind: request.rollback ? "rollback" : "deploy",
                              detail: "\(request.rollback ? "rolling back" : "deploying") \(service): \(from.rawValue) → \(to.rawValue) (spec \(digest))")

        var previousUpstreams: String?
        var reloaded = false
        var healthyAt: ContinuousClock.Instant?
        var switchMilliseconds: Int?

        while case let .running(step) = machine.state {
            let clock = ContinuousClock.now
            emit(DeployEvent(event: "step", step: step, status: "started", detail: step.title))
            let outcome: Result<String, DeployFailure>
            switch step {
            case .admit:
                outcome = admit(state: state, spec: spec, color: to)
            case .start:
                outcome = wait { done in self.context.handle.startCandidate(service, spec: spec, completion: done) }
                    .map { pid in "\(service)-\(to.rawValue) on port \(port)" + (pid.map { ", pid \($0)" } ?? "") }
                    .mapError { .failed($0.description) }
            case .health:
                outcome = awaitHealth(service: service, color: to, timeout: state.options.deployTimeout)
                if case .success = outcome { healthyAt = .now }
            case .switch:
                outcome = switchProxy(state: state, proxy: proxy, to: to, previous: &previousUpstreams, reloaded: &reloaded)
            case .verify:
                outcome = verify(proxy: proxy, state: state, color: to)
                if case .success = outcome, let healthyAt { switchMilliseconds = Self.milliseconds(since: healthyAt) }
                if case .success = outcome {
                    // The switch stands: the supervisor's runner for the service is the new colour.
                    _ = wait { done in self.context.handle.promoteCandidate(service, completion: done) }
                }
            case .drain:
                outcome = drain(port: state.options.port(of: from), limit: state.options.drain)
            case .stop:
                _ = wait { (done: @escaping @Sendable (Bool) -> Void) in self.context.handle.retire(service) { done(true) } }
                outcome = .success("\(service)-\(from.rawValue) stopped")
            case .record:
                do throws(DeployFailure) {
                    try store.save(spec, color: to, base: state.spec, droppingLast: request.rollback)
                    outcome = .success("spec \(digest) kept in \(store.directory)/\(service)")
                } catch {
                    outcome = .failure(error)
                }
            }
            let elapsed = Self.milliseconds(since: clock)
            timings[step.rawValue] = elapsed
            switch outcome {
            case let .success(detail):
                emit(DeployEvent(event: "step", step: step, status: "done", detail: detail, milliseconds: elapsed))
                machine.succeeded()
            case let .failure(failure):
                emit(DeployEvent(event: "step", step: step, status: "failed", detail: failure.description, milliseconds: elapsed))
                machine.failed(failure.description)
            }
        }

        if case let .rollingBack(step, reason) = machine.state {
            rollBack(state: state, proxy: proxy, previous: previousUpstreams, reloaded: reloaded)
            machine.rolledBack()
            return finish(outcome: "rolled_back", started: started, from: from, to: to, digest: digest,
                          failedStep: step, reason: reason, switchMilliseconds: nil)
        }
        return finish(outcome: "deployed", started: started, from: from, to: to, digest: digest,
                      failedStep: nil, reason: nil, switchMilliseconds: switchMilliseconds)
    }

    private func newSpec(state: BlueGreenState, store: SpecStore) throws(DeployFailure) -> Service {
        var spec: Service
        if request.rollback {
            spec = try store.previous(of: state.service)
        } else if let text = request.spec {
            spec = try SpecStore.service(from: text, named: state.service, scratch: store.directory)
        } else {
            spec = state.spec
        }
        for (key, value) in request.set { spec.environment[key] = value }
        // A deploy changes the program, its environment and limits; not how the service is
        // wired into the stack, nor its ports and proxy.
        spec.dependencies = state.spec.dependencies
        spec.profiles = state.spec.profiles
        spec.berth.deploy = state.options
        return spec
    }

    private func admit(state: BlueGreenState, spec: Service, color: BlueGreen.Color) -> Result<String, DeployFailure> {
        if let cancelled = cancellation { return .failure(.failed(cancelled)) }
        guard let machine = context.machine else { return .success("no host to check against") }
        return Admission.check(running: state.stack, service: state.service, newSpec: spec, color: color, host: machine)
    }

    private func awaitHealth(service: String, color: BlueGreen.Color, timeout: Duration) -> Result<String, DeployFailure> {
        let outcome: CandidateOutcome?? = wait(timeout: timeout) { done in self.context.handle.awaitCandidate(service, completion: done) }
        switch outcome {
        case let .some(.some(.healthy(pid))): return .success("\(service)-\(color.rawValue) is healthy (pid \(pid))")
        case let .some(.some(.ended(reason))): return .failure(.failed("\(service)-\(color.rawValue) did not become healthy: \(reason)"))
        case .some(.none): return .failure(.failed(cancellation ?? "interrupted"))
        case .none:
            return .failure(.failed("\(service)-\(color.rawValue) was not healthy within deploy_timeout "
                + "(\(ComposeDuration.format(timeout)))"))
        }
    }

    /// Writes the upstream file, tests the whole configuration, and signals the reload.
    private func switchProxy(state: BlueGreenState, proxy: NginxProxy, to color: BlueGreen.Color, previous: inout String?,
                             reloaded: inout Bool) -> Result<String, DeployFailure> {
        if let cancelled = cancellation { return .failure(.failed(cancelled)) }
        let path = proxy.options.upstreams
        previous = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let upstreams = state.upstreams.map { upstream in
            upstream.service == state.service
                ? BlueGreenState.Upstream(service: upstream.service, color: color, port: state.options.port(of: color))
                : upstream
        }
        do throws(DeployFailure) {
            try UpstreamFile.write(UpstreamFile.render(upstreams), to: path)
        } catch {
            return .failure(error)
        }
        let (code, output) = wait { (done: @escaping @Sendable ((Int32, String)) -> Void) in
            self.context.handle.runTool(executable: proxy.executable, arguments: proxy.testArguments, timeout: .seconds(10)) {
                done(($0, $1))
            }
        }
        guard code == 0 else {
            let firstLine = output.split(separator: "\n").first(where: { $0.contains("[emerg]") }) ?? output.split(separator: "\n").first
            return .failure(.failed("nginx -t failed (exit \(code)): \(firstLine.map(String.init) ?? "no output")"))
        }
        guard let pid = currentProxyPID(state: state) else {
            return .failure(.failed("\(state.proxyName) is not running: nothing to reload"))
        }
        reloadOffset = proxy.errorLogOffset()
        oldWorkers = NginxProxy.workers(of: pid)
        guard kill(pid, SIGHUP) == 0 else {
            return .failure(.failed("cannot signal \(state.proxyName) (pid \(pid)): \(String(cString: strerror(errno)))"))
        }
        reloaded = true
        return .success("\(path) → \(color.rawValue), nginx -t passed, SIGHUP to pid \(pid)")
    }

    private var reloadOffset: UInt64 = 0
    /// nginx's workers before the reload: the switch is done once none of them accepts any more.
    private var oldWorkers: [Int32] = []

    private func currentProxyPID(state: BlueGreenState) -> Int32? {
        let status = wait { (done: @escaping @Sendable (StackStatus) -> Void) in self.context.handle.status(done) }
        return status.services.first { $0.name == state.proxyName }?.pid
    }

    /// The reload took effect: the proxy answers with the new colour (a new connection each
    /// time) within the verify timeout, and nginx's error log says nothing of an `[emerg]`.
    private func verify(proxy: NginxProxy, state: BlueGreenState, color: BlueGreen.Color) -> Result<String, DeployFailure> {
        let path = state.options.health ?? "/"
        let listen = proxy.options.listen
        let deadline = ContinuousClock.now + context.verifyTimeout
        var last = "no answer"
        var attempts = 0
        while true {
            if let cancelled = cancellation { return .failure(.failed(cancelled)) }
            let emergencies = proxy.emergencies(since: reloadOffset)
            if let first = emergencies.first {
                return .failure(.failed("nginx did not apply the new configuration: \(first)"))
            }
            attempts += 1
            switch HTTPCheck.get(host: listen.host, port: listen.port, path: path, timeout: .milliseconds(500)) {
            case let .success(answer):
                let colors = answer.values("x-berth-color")
                let accepting = oldWorkers.filter { !NginxProxy.hasStoppedAccepting($0) }
                if !colors.isEmpty, colors.allSatisfy({ $0 == color.rawValue }), accepting.isEmpty {
                    // A last look at the log: nginx writes [emerg] before it goes on with the old workers.
                    if let first = proxy.emergencies(since: reloadOffset).first {
                        return .failure(.failed("nginx did not apply the new configuration: \(first)"))
                    }
                    return .success("\(listen) answers \(answer.status) from \(color.rawValue) (after \(attempts) request\(attempts == 1 ? "" : "s"))")
                }
                last = "answered \(answer.status) with X-Berth-Color: \(colors.isEmpty ? "(none)" : colors.joined(separator: ", "))"
                    + (accepting.isEmpty ? "" : "; old workers still accept: \(accepting.map(String.init).joined(separator: ", "))")
            case let .failure(error):
                last = error.description
            }
            if ContinuousClock.now >= deadline { break }
            usleep(20_000)
        }
        return .failure(.failed("the proxy does not serve \(color.rawValue) after \(context.verifyTimeout) (\(listen) \(last))"))
    }

    /// Waits until nothing is connected to the old colour's port, or `limit` has passed.
    private func drain(port: Int, limit: Duration) -> Result<String, DeployFailure> {
        let deadline = ContinuousClock.now + limit
        while true {
            let open = Connections.count(localPort: port)
            if open == 0 { return .success("no connection left on port \(port)") }
            if let cancelled = cancellation { return .success("\(cancelled): \(open) connection(s) left on port \(port)") }
            if ContinuousClock.now >= deadline {
                return .success("\(open) connection(s) still open on port \(port) after \(ComposeDuration.format(limit))")
            }
            usleep(50_000)
        }
    }

    /// Back to how it was: the upstream file restored (and reloaded if it was), the new colour stopped.
    private func rollBack(state: BlueGreenState, proxy: NginxProxy, previous: String?, reloaded: Bool) {
        if let previous {
            do throws(DeployFailure) {
                try UpstreamFile.write(previous, to: proxy.options.upstreams)
                emit(DeployEvent(event: "rollback", detail: "restored \(proxy.options.upstreams)"))
                if reloaded, let pid = currentProxyPID(state: state) {
                    kill(pid, SIGHUP)
                    emit(DeployEvent(event: "rollback", detail: "reloaded \(state.proxyName) (pid \(pid))"))
                }
            } catch {
                emit(DeployEvent(event: "rollback", detail: "cannot restore \(proxy.options.upstreams): \(error)"))
            }
        }
        _ = wait { (done: @escaping @Sendable (Bool) -> Void) in self.context.handle.discardCandidate(state.service) { done(true) } }
        emit(DeployEvent(event: "rollback", detail: "stopped \(state.service)-\(state.live.other.rawValue); "
            + "\(state.service)-\(state.live.rawValue) keeps serving"))
    }

    // MARK: - The end

    private func finishRefused(_ reason: String, started: Double, from: BlueGreen.Color? = nil,
                               to: BlueGreen.Color? = nil) -> DeployEvent {
        var event = DeployEvent(event: "result")
        event.outcome = "refused"
        event.reason = reason
        event.from = from?.rawValue
        event.to = to?.rawValue
        emit(event)
        return event
    }

    private func finish(outcome: String, started: Double, from: BlueGreen.Color, to: BlueGreen.Color, digest: String,
                        failedStep: DeployMachine.Step?, reason: String?, switchMilliseconds: Int?) -> DeployEvent {
        let ended = Date().timeIntervalSince1970
        let record = DeployRecord(
            id: UUID().uuidString.lowercased(), sessionID: nil, service: request.service, kind: request.rollback ? "rollback" : "deploy",
            startedAt: started, endedAt: ended, fromColor: from.rawValue, toColor: to.rawValue, specDigest: digest,
            outcome: outcome, failedStep: failedStep?.rawValue, reason: reason, timings: timings)
        context.history?.recordDeploy(record)
        context.handle.record(service: request.service, kind: outcome == "deployed" ? "deployed" : "deploy_rolled_back",
                              detail: outcome == "deployed"
                                ? "\(to.rawValue) serves (spec \(digest)), \(from.rawValue) stopped"
                                : "\(failedStep?.rawValue ?? "?") failed: \(reason ?? "")); \(from.rawValue) keeps serving")
        var event = DeployEvent(event: "result")
        event.outcome = outcome
        event.from = from.rawValue
        event.to = to.rawValue
        event.digest = digest
        event.failedStep = failedStep
        event.reason = reason
        event.switchMilliseconds = switchMilliseconds
        event.timings = timings
        emit(event)
        return event
    }

    // MARK: - Waiting for the loop

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Calls `call` and waits for its completion (the supervisor always answers).
    private func wait<Value: Sendable>(_ call: (@escaping @Sendable (Value) -> Void) -> Void) -> Value {
        let box = Box<Value>()
        call { box.put($0) }
        box.semaphore.wait()
        return box.value!
    }

    /// Waits at most `timeout` (nil: timed out), and not past a cancel (`.some(nil)`).
    private func wait<Value: Sendable>(timeout: Duration, _ call: (@escaping @Sendable (Value) -> Void) -> Void) -> Value?? {
        let box = Box<Value>()
        call { box.put($0) }
        let deadline = ContinuousClock.now + timeout
        while true {
            if box.semaphore.wait(timeout: .now() + .milliseconds(50)) == .success { return .some(box.value) }
            if cancellation != nil { return .some(nil) }
            if ContinuousClock.now >= deadline { return nil }
        }
    }
}

private final class Box<Value: Sendable>: @unchecked Sendable {
    // Unchecked: `value` is written once before the semaphore is signalled, and read after.
    let semaphore = DispatchSemaphore(value: 0)
    var value: Value?

    func put(_ value: Value) {
        self.value = value
        semaphore.signal()
    }
}
