import CLinux
import Confinement
import Foundation
import Glibc
import StackFile
import StateStore

/// Runs a stack in the foreground: `berth up`.
///
/// `prepare` does everything that can fail before a single service starts — the state
/// directory and its lock, the history, the cgroup tree, cleaning up after a predecessor that
/// died, programs, limits and leaves — and reports every problem at once. `run` then starts the
/// services in dependency order, restarts them by their policies, stops them in reverse order
/// on SIGTERM or SIGINT, and returns the exit code.
public final class Supervisor {
    public struct Options: Sendable {
        public var stateDirectory: StateDirectory
        /// Run even when the host cannot enforce some limits; record them as not enforced.
        public var allowUnenforced: Bool
        /// Print services' output on the terminal.
        public var echoServiceOutput: Bool
        public var color: Bool
        public var isPID1: Bool
        /// The process environment (for NOTIFY_SOCKET).
        public var environment: [String: String]
        /// Where cgroup filesystems are mounted (tests point elsewhere).
        public var cgroupMount: String
        /// `up --wait`: where to write the readiness report (a pipe to the waiting command).
        public var waitReport: Int32?
        /// `up --wait-timeout`.
        public var waitTimeout: Duration = .seconds(60)
        /// `up --sample-interval`, `--sample-retention`.
        public var sampling = SamplingPolicy()
        /// Plans each service's user, capabilities, no_new_privs and seccomp filter (tests give
        /// it their own user database).
        public var confinement: ConfinementPlanner
        /// The colour each blue-green service runs as (the last deploy's); blue when not said.
        public var liveColors: [String: BlueGreen.Color] = [:]

        public init(stateDirectory: StateDirectory, allowUnenforced: Bool = false, echoServiceOutput: Bool = false,
                    color: Bool = false, isPID1: Bool = false, environment: [String: String] = [:],
                    cgroupMount: String = "/sys/fs/cgroup", confinement: ConfinementPlanner = ConfinementPlanner()) {
            self.stateDirectory = stateDirectory
            self.allowUnenforced = allowUnenforced
            self.echoServiceOutput = echoServiceOutput
            self.color = color
            self.isPID1 = isPID1
            self.environment = environment
            self.cgroupMount = cgroupMount
            self.confinement = confinement
        }
    }

    let stack: Stack
    let options: Options
    let loop: EventLoop
    let environment: RunEnvironment
    let tree: CgroupTree?
    private let lockDescriptor: Int32
    private let signalDescriptor: Int32
    private var signals: SignalSource?
    // Settable from the blue-green extension: a deploy swaps a service's runner.
    var runners: [ServiceRunner] = []
    var byName: [String: ServiceRunner] = [:]
    /// Blue-green services: live colours, and the second instance during a deploy.
    var blueGreen = BlueGreenSlots()
    /// What to do when each child of berth ends: services' main processes and probes.
    private var children: [Int32: (Int32) -> Void] = [:]
    private(set) var dependents: [String: [String]] = [:]
    private(set) var phase = Phase.running
    private var stopSent: Set<String> = []
    var failedToStart: Set<String> = []
    /// Services stopped with `berth stop`: they stay stopped until `berth start`.
    var userStopped: Set<String> = []
    /// Services a `berth stop` will send their stop to, once their dependents have stopped.
    var stopTargets: Set<String> = []
    /// Commands waiting for their effect, and `berth down`s waiting for the end.
    var pendingCommands: [(isDone: () -> Bool, complete: () -> Void)] = []
    var downCompletions: [@Sendable (Result<StackStatus, ControlError>) -> Void] = []
    /// When this supervisor started, Unix time.
    let startedAt = WallClock.now
    /// The history store, for the control API's reads.
    public var history: HistoryStore? { environment.history }
    /// The thread-safe face of this supervisor, for the control API.
    public private(set) lazy var handle = SupervisorHandle(loop: loop, supervisor: self)
    private var announcedReady = false
    private var interrupts = 0
    private var stopReason: String?
    private var waitReport: Int32?

    enum Phase { case running, stopping }

    // MARK: - Preparing

    public static func prepare(_ stack: Stack, options: Options) throws(SupervisorError) -> Supervisor {
        // Before any thread starts, so that all of them inherit the blocked mask.
        let signalDescriptor = SignalSource.block()
        guard signalDescriptor >= 0 else { throw .cannotPrepare("signalfd: \(String(cString: strerror(errno)))") }
        if !options.isPID1 { PIDOne.becomeSubreaper() }

        try options.stateDirectory.create()
        let lock = try options.stateDirectory.lock()
        do {
            return try Supervisor(stack: stack, options: options, lock: lock, signalDescriptor: signalDescriptor)
        } catch {
            close(lock)
            throw error
        }
    }

    private init(stack: Stack, options: Options, lock: Int32, signalDescriptor: Int32) throws(SupervisorError) {
        self.stack = stack
        self.options = options
        lockDescriptor = lock
        self.signalDescriptor = signalDescriptor
        loop = EventLoop()

        let echo = TerminalEcho(services: stack.startOrder, useColor: options.color,
                                showServiceOutput: options.echoServiceOutput)
        let logs = LogWriter(directory: options.stateDirectory.logs, echo: echo)
        var historyWarning: String?
        let history: HistoryStore?
        do {
            history = try HistoryStore(path: options.stateDirectory.database) { message in
                logs.announce("warning: the history cannot be written: \(message); the stack keeps running", time: WallClock.now)
            }
        } catch {
            history = nil
            historyWarning = "warning: no history this run: \(error)"
        }
        environment = RunEnvironment(loop: loop, logs: logs, history: history, sessionID: UUID().uuidString.lowercased(),
                                     cgroupEvents: CgroupEventWatcher(loop: loop))
        if let historyWarning { environment.announce(historyWarning) }

        var problems: [String] = []
        var tree: CgroupTree?
        do {
            tree = try CgroupTree.prepare(project: stack.name, isPID1: options.isPID1, mountRoot: options.cgroupMount)
        } catch {
            if error.isConflict {
                // Another berth runs this project: nothing may be touched, not even its leftovers.
                logs.finish()
                throw .problems([error.description])
            }
            if options.allowUnenforced {
                environment.announce("warning: services run without cgroup leaves: \(error)")
            } else {
                problems.append("cgroups: \(error); use --allow-unenforced to run without them")
            }
        }
        self.tree = tree
        recoverFromUncleanEnd(history: history, tree: tree)

        let order = stack.startOrder
        for name in order {
            guard let written = stack[name] else { continue }
            let color = written.berth.deploy.map { _ in options.liveColors[name] ?? .blue }
            let service = color.map { Self.instanceSpec(written, color: $0) } ?? written
            for dependency in service.dependencies { dependents[dependency.service, default: []].append(name) }
            let leafName = color.map { Self.instanceName(name, $0) } ?? name
            guard let runner = makeRunner(for: service, leafName: leafName, problems: &problems) else { continue }
            runners.append(runner)
            byName[name] = runner
            if let color {
                runner.color = color
                blueGreen.slots[name] = BlueGreenSlots.Slot(live: color, spec: written)
            }
            if runner.leaf != nil, problems.isEmpty {
                do {
                    try runner.prepareLeaf()
                } catch {
                    problems.append("\(name): cannot set up its cgroup leaf: \(error)")
                }
            }
        }
        guard problems.isEmpty else {
            for runner in runners { try? runner.leaf?.remove() }
            tree?.dismantle()
            logs.finish()
            throw .problems(problems)
        }
        environment.delegate = self
        history?.startSession(SessionRecord(
            id: environment.sessionID, project: stack.name, pid: getpid(), startedAt: WallClock.now, endedAt: nil,
            endReason: nil, cgroupRoot: tree?.root, isPID1: options.isPID1))
    }

    struct ProbeProblem: Error, CustomStringConvertible {
        var description: String
    }

    /// The runner for one service spec, as `init` makes one for every service and a deploy for
    /// the colour it starts: the program resolved, the limits planned against this host, the
    /// confinement planned (its filter compiled once, here), the health probe, the sd_notify
    /// socket, its log configured. Each problem is appended to `problems`; nil when there is one.
    func makeRunner(for service: Service, leafName: String, problems: inout [String]) -> ServiceRunner? {
        let name = service.name
        let before = problems.count
        let executable: String
        switch ExecutableResolver.resolve(service.argv.first ?? "", path: service.environment["PATH"] ?? ExecutableResolver.defaultPath,
                                          workingDirectory: service.workingDirectory) {
        case let .success(path): executable = path
        case let .failure(error):
            problems.append(SpawnFailure.message(service: name, error: error))
            return nil
        }
        let settings = CgroupLimits.settings(for: service)
        let (enforced, unenforced) = tree?.plan(settings) ?? ([], settings)
        let refused = unenforced.filter(\.isExplicit)
        if !refused.isEmpty, !options.allowUnenforced {
            for setting in refused {
                let reason = tree?.missingReasons[setting.controller] ?? "berth runs without cgroups on this host"
                problems.append("\(name): \(setting.description) cannot be enforced: the \(setting.controller) controller "
                    + "is not available (\(reason)); use --allow-unenforced to run without it")
            }
        }
        if !refused.isEmpty, options.allowUnenforced {
            let controllers = Set(refused.map(\.controller)).sorted().joined(separator: ", ")
            environment.announce("warning: \(name): not enforced on this host (no \(controllers) controller): "
                + refused.map(\.description).joined(separator: ", "))
        }
        var programEnvironment = service.environment
        if programEnvironment["PATH"] == nil { programEnvironment["PATH"] = ExecutableResolver.defaultPath }
        let notifyPath = options.stateDirectory.path + "/notify/\(leafName).sock"
        if service.berth.notify {
            programEnvironment["NOTIFY_SOCKET"] = notifyPath
            if let watchdog = service.berth.watchdog {
                programEnvironment["WATCHDOG_USEC"] = String(watchdog.nanoseconds / 1000)
            }
        }
        let program = ServiceRunner.Program(executable: executable, arguments: service.argv, environment: programEnvironment)
        let leaf = tree?.leaf(named: leafName)
        let confinement: ConfinementPlan?
        do {
            let planned = try options.confinement.plan(for: service)
            confinement = planned.plan
            for warning in planned.warnings { environment.announce("warning: \(name): \(warning)") }
        } catch {
            problems.append("\(name): \(error)")
            return nil
        }
        let health: HealthChecker?
        switch Self.healthProbe(for: service, environment: programEnvironment, leaf: leaf, confinement: confinement,
                                loop: loop, reaper: self) {
        case let .success(probe): health = probe
        case let .failure(problem):
            problems.append("\(name): health check: \(problem)")
            return nil
        }
        let runner = ServiceRunner(service: service, program: program, leaf: leaf, limits: enforced,
                                   unenforced: refused, confinement: confinement, health: health, environment: environment)
        if service.berth.notify {
            try? FileManager.default.createDirectory(atPath: options.stateDirectory.path + "/notify", withIntermediateDirectories: true)
            if !runner.listenForNotifications(at: notifyPath) {
                problems.append("\(name): cannot open its notify socket \(notifyPath): \(String(cString: strerror(errno)))")
            }
        }
        environment.logs.configure(service: name, policy: service.berth.logs)
        return problems.count == before ? runner : nil
    }

    /// The service's `healthcheck` as an exec probe, or its `x-berth.probe` as a native one;
    /// programs and addresses are resolved here, before anything starts.
    static func healthProbe(for service: Service, environment: [String: String], leaf: CgroupLeaf?,
                            confinement: ConfinementPlan?, loop: EventLoop,
                            reaper: ChildReaper) -> Result<HealthChecker?, ProbeProblem> {
        if let check = service.healthcheck {
            let arguments: [String]
            switch check.test {
            case let .exec(argv): arguments = argv
            case let .shell(command): arguments = ["/bin/sh", "-c", command]
            }
            switch ExecutableResolver.resolve(arguments[0], path: environment["PATH"], workingDirectory: service.workingDirectory) {
            case let .success(executable):
                let probe = ExecProbe(executable: executable, arguments: arguments, environment: environment,
                                      workingDirectory: service.workingDirectory, leaf: leaf, confinement: confinement,
                                      loop: loop, children: reaper)
                return .success(HealthChecker(timing: check.timing, probe: .exec(probe), loop: loop))
            case let .failure(error):
                return .failure(ProbeProblem(description: "exec \(error)"))
            }
        }
        if let probe = service.berth.probe {
            switch NetworkProbe.resolve(probe.target) {
            case let .success(address):
                let runner = NetworkProbe(target: probe.target, address: address, loop: loop)
                return .success(HealthChecker(timing: probe.timing, probe: .network(runner), loop: loop))
            case let .failure(error):
                return .failure(ProbeProblem(description: error.description))
            }
        }
        return .success(nil)
    }

    /// A berth that was killed leaves its services running, in their leaves, with nobody to
    /// read their output. They are stopped — not adopted, since their pipes died with the old
    /// berth — before anything starts again, so that no service ever runs twice.
    private func recoverFromUncleanEnd(history: HistoryStore?, tree: CgroupTree?) {
        var roots = Set<String>()
        let previous = (try? history?.unfinishedSessions(project: stack.name)) ?? []
        for session in previous { if let root = session.cgroupRoot { roots.insert(root) } }
        if let root = tree?.root { roots.insert(root) }
        var stopped: [String] = []
        for root in roots {
            for leaf in Self.leaves(under: root) where leaf.name != "supervisor" {
                let count = leaf.processes.count
                if count > 0 {
                    leaf.killAll()
                    stopped.append("\(leaf.name) (\(count) process\(count == 1 ? "" : "es"))")
                }
                Self.waitUntilEmpty(leaf)
                try? leaf.remove()
            }
        }
        for session in previous {
            let detail = "berth (pid \(session.pid)) ended without stopping the stack"
                + (stopped.isEmpty ? "" : "; stopped what it left running: \(stopped.joined(separator: ", "))")
            history?.closeUncleanSession(id: session.id, at: WallClock.now, detail: detail)
            environment.announce("warning: the previous run \(detail)")
        }
        if previous.isEmpty, !stopped.isEmpty {
            environment.announce("warning: stopped processes left in berth's cgroups: \(stopped.joined(separator: ", "))")
        }
    }

    private static func leaves(under root: String) -> [CgroupLeaf] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return entries.sorted().compactMap { name in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory), isDirectory.boolValue
            else { return nil }
            return CgroupLeaf(name: name, path: root + "/" + name)
        }
    }

    /// Before the loop runs, waiting in place is acceptable: nothing else is running yet.
    private static func waitUntilEmpty(_ leaf: CgroupLeaf) {
        for _ in 0..<500 where leaf.isPopulated {
            leaf.killAll()
            usleep(10_000)
        }
    }

    // MARK: - Running

    /// Runs the stack until it has ended or been stopped; returns `up`'s exit code.
    public func run() -> Int32 {
        signals = SignalSource(descriptor: signalDescriptor, loop: loop) { [weak self] signal in self?.received(signal) }
        if let report = options.waitReport {
            waitReport = report
            loop.schedule(after: options.waitTimeout) { [weak self] in self?.reportReadiness(timedOut: true) }
        }
        environment.record(service: nil, kind: "up", detail: "starting stack \(stack.name): \(runners.count) services"
            + (tree.map { " in \($0.root) (\($0.placement.rawValue), \($0.mode) cgroups)" } ?? " without cgroups"))
        // How each service is confined, as resolved (user ids, capability sets, filter).
        for runner in runners {
            if let plan = runner.confinement { environment.remember(service: runner.name, kind: "confinement", detail: plan.summary) }
        }
        startReadyServices()
        checkFinished()
        let sampler = UsageSampler(policy: options.sampling, loop: loop, environment: environment) { [unowned self] in
            runners.compactMap { runner in
                guard runner.state.pid != nil, let leaf = runner.leaf else { return nil }
                return (runner.name, readCounters(of: runner, leaf: leaf))
            }
        }
        sampler.start()
        StartupPages.release()
        _ = loop.schedule(after: .seconds(60)) { StartupPages.release() }
        loop.run()
        return finish()
    }

    private func received(_ signal: Int32) {
        switch signal {
        case SIGCHLD:
            reapChildren()
        case SIGINT where phase == .stopping:
            interrupts += 1
            environment.record(service: nil, kind: "kill", detail: "second interrupt: killing every service now")
            for runner in runners { runner.send(.kill) }
        case SIGTERM, SIGINT, SIGQUIT:
            beginStop(reason: "signal \(SignalName.name(of: signal) ?? String(signal))")
        default:
            break
        }
    }

    /// Reaps every child that ended: services' main processes, and orphans that were
    /// re-parented to berth (as PID 1 or as a child subreaper).
    private func reapChildren() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            children.removeValue(forKey: pid)?(status)
        }
    }

    /// Stops every service, dependents before what they depend on.
    func beginStop(reason: String) {
        guard phase != .stopping else { return }
        phase = .stopping
        stopReason = reason
        environment.record(service: nil, kind: "stopping", detail: "stopping the stack (\(reason))")
        SystemdNotify.send("STOPPING=1", environment: options.environment)
        advanceStop()
        stopSecondInstances()
    }

    private func advanceStop() {
        for runner in runners.reversed() where !stopSent.contains(runner.name) {
            let waitingOn = (dependents[runner.name] ?? []).filter { byName[$0].map { !$0.state.isFinal } ?? false }
            guard waitingOn.isEmpty else { continue }
            stopSent.insert(runner.name)
            runner.send(.stop)
        }
    }

    // MARK: - Dependencies

    private enum Readiness {
        case ready
        case waiting(String)
        case failed(String)
    }

    /// What each waiting service last said it waits for, so that it is said once.
    private var waitingFor: [String: String] = [:]
    /// The optional dependencies' failures already said for each waiting service.
    private var warnedFor: [String: Set<String>] = [:]

    func startReadyServices() {
        guard phase == .running else { return }
        for runner in runners where runner.isWaitingToStart && !failedToStart.contains(runner.name) && !userStopped.contains(runner.name) {
            var warnings: [String] = []
            let readiness = readiness(of: runner, warnings: &warnings)
            // Each optional dependency's failure is said once per start, not at every re-evaluation.
            for warning in warnings where warnedFor[runner.name, default: []].insert(warning).inserted {
                environment.record(service: runner.name, kind: "warning", detail: warning)
            }
            switch readiness {
            case .ready:
                waitingFor[runner.name] = nil
                warnedFor[runner.name] = nil
                runner.send(runner.state == .waiting ? .start : .dependenciesReady)
            case let .waiting(reason):
                if waitingFor[runner.name] != reason {
                    waitingFor[runner.name] = reason
                    environment.record(service: runner.name, kind: "waiting", detail: reason)
                }
            case let .failed(message):
                failedToStart.insert(runner.name)
                environment.record(service: runner.name, kind: "not_started", detail: message)
                runner.send(.spawnFailed(message))
            }
        }
    }

    /// Whether every dependency of `runner` meets its condition. A dependency that can no
    /// longer meet it fails the dependent, unless it is optional (`required: false`).
    private func readiness(of runner: ServiceRunner, warnings: inout [String]) -> Readiness {
        for dependency in runner.service.dependencies {
            guard let target = byName[dependency.service] else { continue }
            let failure: String?
            switch (dependency.condition, target.state) {
            case (.completedSuccessfully, .exited(let reason)), (.completedSuccessfully, .gaveUp(let reason, _)):
                failure = reason.isSuccess ? nil : "\(dependency.service) did not complete successfully: \(reason)"
            case (.completedSuccessfully, _):
                return .waiting("waiting for \(dependency.service) to complete")
            case (_, .exited(.failedToStart(let message))), (_, .gaveUp(.failedToStart(let message), _)):
                failure = "\(dependency.service) failed to start (\(message))"
            case (.started, _):
                if target.hasRun { failure = nil } else if target.state.isFinal {
                    failure = "\(dependency.service) is not running (\(target.state))"
                } else {
                    return .waiting("waiting for \(dependency.service) to start")
                }
            case (.healthy, _):
                if target.isHealthy { failure = nil } else if target.state.isFinal {
                    failure = "\(dependency.service) is not running (\(target.state))"
                } else {
                    return .waiting("waiting for \(dependency.service) to be healthy")
                }
            }
            if let failure {
                if dependency.required { return .failed("dependency \(failure)") }
                warnings.append("optional dependency \(failure)")
            }
        }
        return .ready
    }

    // MARK: - Finishing

    // MARK: - up --wait

    /// Tells `up --wait` how the stack stands once every service is running and healthy (or
    /// completed), as soon as one has failed, or at the timeout. Said once.
    private func reportReadiness(timedOut: Bool = false) {
        guard let fd = waitReport else { return }
        let failed = runners.filter { runner in
            switch runner.state {
            case let .exited(reason), let .gaveUp(reason, _): return !reason.isSuccess
            case .stopped: return true
            default: return false
            }
        }
        let ready = runners.allSatisfy { $0.isHealthy || $0.state == .exited(.exited(code: 0)) }
        guard ready || !failed.isEmpty || timedOut || phase == .stopping else { return }
        let verdict = ready ? "ready" : !failed.isEmpty ? "failed" : timedOut ? "timeout" : "stopped"
        var lines = ["\(verdict)\t\(getpid())\t\(options.stateDirectory.path)"]
        for runner in runners {
            let health = runner.healthDescription ?? "-"
            let ok = runner.isHealthy || runner.state == .exited(.exited(code: 0))
            lines.append("\(runner.name)\t\(runner.state)\t\(health)\t\(ok ? "ok" : "not ready")")
        }
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        waitReport = nil
    }

    func checkFinished() {
        if !announcedReady, runners.allSatisfy({ $0.hasRun || $0.state.isFinal }) {
            announcedReady = true
            SystemdNotify.send("READY=1", environment: options.environment)
        }
        reportReadiness()
        completeCommands()
        // Services stopped with `berth stop` may be started again: berth waits for that, or for
        // `berth down`, rather than ending when the rest has ended.
        guard runners.allSatisfy({ $0.state.isFinal }), blueGreen.secondInstances.allSatisfy({ $0.state.isFinal }),
              phase == .stopping || userStopped.isEmpty else { return }
        loop.stop()
    }

    /// Gives up before `run()` (the CLI could not open the control socket or the metrics
    /// port): nothing was started; the session ends and the cgroups and lock are released.
    public func abandon(reason: String) {
        environment.record(service: nil, kind: "down", detail: "stack \(stack.name) was not started: \(reason)")
        environment.history?.endSession(id: environment.sessionID, at: WallClock.now, reason: "not started")
        for runner in runners { runner.finish() }
        tree?.dismantle()
        _ = environment.history?.flush(timeout: .seconds(5))
        environment.logs.finish()
        close(lockDescriptor)
    }

    private func finish() -> Int32 {
        let failed = runners.filter { runner in
            switch runner.state {
            case let .exited(reason), let .gaveUp(reason, _): return !reason.isSuccess
            default: return false
            }
        }
        let code: Int32 = stopReason != nil || failed.isEmpty ? 0 : 1
        let reason = stopReason ?? (failed.isEmpty ? "every service ended" : "services failed: \(failed.map(\.name).joined(separator: ", "))")
        environment.record(service: nil, kind: "down", detail: "stack \(stack.name) is down: \(reason)")
        environment.history?.endSession(id: environment.sessionID, at: WallClock.now,
                                        reason: stopReason != nil ? "stopped" : "finished")
        for runner in runners + blueGreen.secondInstances { runner.finish() }
        tree?.dismantle()
        _ = environment.history?.flush(timeout: .seconds(5))
        let final = status()
        for completion in downCompletions { completion(.success(final)) }
        environment.logs.finish()
        close(lockDescriptor)
        return code
    }
}

extension Supervisor: RunnerDelegate, ChildReaper {
    func register(pid: Int32, for runner: ServiceRunner) {
        children[pid] = { [weak runner] status in runner?.reaped(status: status) }
    }

    func watch(pid: Int32, _ onExit: @escaping (Int32) -> Void) {
        children[pid] = onExit
    }

    /// `depends_on: {X: {restart: true}}`: when berth starts X again, the services that ask
    /// for it are restarted too, and wait for X's condition like any start.
    func dependencyRestarted(_ runner: ServiceRunner) {
        guard phase == .running else { return }
        for dependent in runners {
            guard dependent.service.dependencies.contains(where: { $0.service == runner.name && $0.restart }),
                  dependent.state.pid != nil else { continue }
            environment.record(service: dependent.name, kind: "dependency_restarted",
                               detail: "\(runner.name) was restarted; restarting \(dependent.name) too")
            dependent.send(.restart)
        }
    }

    func serviceChanged(_ runner: ServiceRunner) {
        switch phase {
        case .running:
            advanceUserStop()
            startReadyServices()
        case .stopping: advanceStop()
        }
        checkFinished()
    }
}
