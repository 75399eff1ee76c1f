import CLinux
import Confinement
import Glibc
import StackFile
import StateStore

/// Runs one service: feeds events to its `ServiceLifecycle` and carries out the effects —
/// spawning into the leaf, signalling, killing the leaf, timers, history, terminal lines.
final class ServiceRunner {
    let service: Service
    let program: Program
    let leaf: CgroupLeaf?
    /// The limits written into the leaf.
    let limits: [LimitSetting]
    /// Limits written in the stack that this host does not enforce (`--allow-unenforced`).
    let unenforced: [LimitSetting]
    /// User, capabilities, no_new_privs and seccomp filter: planned once, applied at each start.
    let confinement: ConfinementPlan?
    /// `cgroup.kill` was written to the leaf since it was made. On some kernels (6.18 here) a
    /// `clone3(CLONE_INTO_CGROUP)` into such a cgroup is killed at birth, so a killed leaf is
    /// made again before the next start.
    private var leafWasKilled = false
    private(set) var lifecycle: ServiceLifecycle
    /// Set once the program was executed at least once (for `service_started`).
    private(set) var hasRun = false
    /// Processes started so far (a restart shows as a new number).
    private(set) var starts = 0
    /// When the current process started, Unix time.
    private(set) var startedAtWall: Double?
    /// The colour of a blue-green service's instance (`x-berth.deploy`); nil for other services.
    var color: BlueGreen.Color?
    /// The previous reading of the leaf's counters, for rates (CPU %, throttling %).
    var lastUsage: (time: Instant, usage: CgroupUsage)?

    private let environment: RunEnvironment
    private let capture: OutputCapture
    /// The health check or native probe, if the service has one.
    let health: HealthChecker?
    /// The sd_notify socket, with `x-berth.notify`.
    private var notify: NotifyListener?
    /// `READY=1` arrived since the current process started.
    private(set) var ready = false
    /// The last `STATUS=` the service sent.
    private(set) var statusText: String?
    private var watchdogTimer: EventLoop.TimerID?
    private var reportDescriptor: Int32?
    private var graceTimer: EventLoop.TimerID?
    private var restartTimer: EventLoop.TimerID?
    private var emptyLeafPoll: EventLoop.TimerID?
    private var oomKillsBefore: Int64 = 0
    private var runID: String?
    private var nextBackoff: Duration?
    private var queue: [ServiceLifecycle.Event] = []
    private var handling = false

    /// What to execute, resolved before anything starts.
    struct Program {
        var executable: String
        var arguments: [String]
        var environment: [String: String]
    }

    init(service: Service, program: Program, leaf: CgroupLeaf?, limits: [LimitSetting], unenforced: [LimitSetting],
         confinement: ConfinementPlan?, health: HealthChecker?, environment: RunEnvironment) {
        self.service = service
        self.program = program
        self.leaf = leaf
        self.limits = limits
        self.unenforced = unenforced
        self.confinement = confinement
        self.health = health
        self.environment = environment
        lifecycle = ServiceLifecycle(policy: service.restart, stopSignal: service.stopSignal,
                                     gracePeriod: service.stopGracePeriod)
        capture = OutputCapture(service: service.name, loop: environment.loop, writer: environment.logs)
        health?.onChange = { [weak self] status, why in self?.healthChanged(status, why) }
    }

    /// Opens the service's sd_notify socket (`x-berth.notify`); false when it cannot be made.
    func listenForNotifications(at path: String) -> Bool {
        notify = NotifyListener(path: path, loop: environment.loop, accepts: { [weak self] pid in
            self?.owns(pid) ?? false
        }, onMessage: { [weak self] fields in self?.notified(fields) })
        return notify != nil
    }

    /// Whether `pid` belongs to this service: in its leaf, or its main process without one.
    private func owns(_ pid: Int32) -> Bool {
        if let leaf { return leaf.processes.contains(pid) }
        return pid == lifecycle.state.pid
    }

    /// Healthy for `service_healthy` and `up --wait`: running, and healthy by its check or,
    /// without one, ready by sd_notify.
    var isHealthy: Bool {
        guard case .running = lifecycle.state else { return false }
        if let health { return health.status == .healthy }
        if service.berth.notify { return ready }
        return true
    }

    /// What `up --wait` and messages say about its health: healthy, starting, unhealthy, or nil.
    var healthDescription: String? {
        if let status = health?.status { return status.description }
        if service.berth.notify, case .running = lifecycle.state { return ready ? "ready" : "starting" }
        return nil
    }

    var name: String { service.name }
    var state: ServiceLifecycle.State { lifecycle.state }

    /// Waiting for its first start, or to start again, once its dependencies are ready.
    var isWaitingToStart: Bool {
        switch lifecycle.state {
        case .waiting, .restarting: return true
        default: return false
        }
    }

    /// Feeds an event to the lifecycle. Events raised while effects are being carried out wait
    /// their turn, so that effects always see the state they were computed from.
    /// Set by a restart's spawn; `send` restarts the dependents that ask for it once done.
    private var restartDependents = false

    func send(_ event: ServiceLifecycle.Event) {
        queue.append(event)
        guard !handling else { return }
        handling = true
        while !queue.isEmpty {
            let next = queue.removeFirst()
            let wasRunning = lifecycle.state.isRunning
            for effect in lifecycle.handle(next, at: .now) { perform(effect) }
            if lifecycle.state.isRunning != wasRunning { runningChanged() }
        }
        handling = false
        if restartDependents {
            restartDependents = false
            environment.delegate?.dependencyRestarted(self)
        }
        environment.delegate?.serviceChanged(self)
    }

    // MARK: - Health and readiness

    /// Probes, readiness and the watchdog live exactly as long as the program runs.
    private func runningChanged() {
        ready = false
        if let watchdogTimer { environment.loop.cancel(watchdogTimer) }
        watchdogTimer = nil
        if lifecycle.state.isRunning {
            health?.start()
            armWatchdog()
        } else {
            health?.stop()
        }
    }

    private func healthChanged(_ status: HealthMonitor.Status, _ why: String) {
        environment.record(service: name, kind: "health", detail: why)
        environment.delegate?.serviceChanged(self)
        if status == .unhealthy, service.berth.restartOnUnhealthy {
            send(.unhealthy(why))
        }
    }

    private func notified(_ fields: [String: String]) {
        if fields["READY"] == "1", !ready, lifecycle.state.isRunning {
            ready = true
            environment.record(service: name, kind: "ready", detail: "READY=1")
            environment.delegate?.serviceChanged(self)
        }
        if let status = fields["STATUS"], status != statusText {
            statusText = status
            environment.record(service: name, kind: "status", detail: status)
        }
        if fields["WATCHDOG"] == "1" { armWatchdog() }
    }

    /// `x-berth.watchdog`: without a `WATCHDOG=1` within the interval, the service is unhealthy.
    private func armWatchdog() {
        guard let interval = service.berth.watchdog, lifecycle.state.isRunning else { return }
        if let watchdogTimer { environment.loop.cancel(watchdogTimer) }
        watchdogTimer = environment.loop.schedule(after: interval) { [weak self] in
            guard let self else { return }
            self.watchdogTimer = nil
            let why = "no WATCHDOG=1 for \(ComposeDuration.format(interval))"
            self.environment.record(service: self.name, kind: "watchdog", detail: why)
            if self.service.berth.restartOnUnhealthy { self.send(.unhealthy(why)) }
        }
    }

    // MARK: - Effects

    private func perform(_ effect: ServiceLifecycle.Effect) {
        switch effect {
        case .spawn:
            spawn()
        case let .signal(pid, signal):
            kill(pid, signal)
        case .killLeaf:
            if let leaf {
                if leaf.isPopulated {
                    leaf.killAll()
                    leafWasKilled = true
                }
            } else if let pid = lifecycle.state.pid {
                kill(-pid, SIGKILL)
            }
        case .awaitEmptyLeaf:
            awaitEmptyLeaf()
        case let .scheduleGrace(delay):
            graceTimer = environment.loop.schedule(after: delay) { [weak self] in self?.send(.graceExpired) }
        case .awaitDependencies:
            // The supervisor checks dependencies after every change and sends
            // `dependenciesReady` when they meet their conditions.
            break
        case let .scheduleRestart(delay):
            nextBackoff = delay
            restartTimer = environment.loop.schedule(after: delay) { [weak self] in self?.send(.backoffElapsed) }
        case .cancelTimers:
            for timer in [graceTimer, restartTimer, emptyLeafPoll].compactMap({ $0 }) { environment.loop.cancel(timer) }
            graceTimer = nil
            restartTimer = nil
            emptyLeafPoll = nil
        case let .record(kind, detail):
            environment.record(service: name, kind: kind, detail: detail)
        }
    }

    /// Creates the leaf and writes the service's limits into it.
    func prepareLeaf() throws(CgroupFiles.Failure) {
        guard let leaf else { return }
        try leaf.create()
        for setting in limits { try leaf.write(setting) }
    }

    private func spawn() {
        if leafWasKilled, let leaf {
            do {
                try leaf.remove()
                try prepareLeaf()
                leafWasKilled = false
            } catch {
                send(.spawnFailed("\(name): cannot make its cgroup leaf again: \(error)"))
                return
            }
        }
        guard let pipes = capture.makePipes() else {
            send(.spawnFailed("\(name): cannot create output pipes: \(String(cString: strerror(errno)))"))
            return
        }
        defer { close(pipes.stdout); close(pipes.stderr) }
        var cgroupDirectory: Int32?
        if let leaf {
            do {
                cgroupDirectory = try leaf.openDirectory()
            } catch {
                send(.spawnFailed("\(name): cgroup leaf \(leaf.path): \(error)"))
                return
            }
            oomKillsBefore = leaf.memoryEvents["oom_kill"] ?? 0
        }
        defer { if let cgroupDirectory { close(cgroupDirectory) } }
        let request = SpawnRequest(
            executable: program.executable, arguments: program.arguments, environment: program.environment,
            workingDirectory: service.workingDirectory, cgroupDirectory: cgroupDirectory,
            standardInput: nil, standardOutput: pipes.stdout, standardError: pipes.stderr,
            resourceLimits: service.ulimits.map(ResourceLimit.init), oomScoreAdjust: service.oomScoreAdjust,
            confinement: confinement
        )
        let process: SpawnedProcess
        do {
            process = try Spawner.spawn(request)
        } catch {
            send(.spawnFailed(SpawnFailure.message(service: name, executable: program.executable, error: error)))
            return
        }
        reportDescriptor = process.reportDescriptor
        environment.loop.watch(process.reportDescriptor) { [weak self] _ in self?.readReport() }
        environment.delegate?.register(pid: process.pid, for: self)
        let restarted = hasRun
        let id = environment.newRunID()
        runID = id
        environment.history?.startRun(RunRecord(
            id: id, sessionID: environment.sessionID, service: name, pid: process.pid, startedAt: WallClock.now,
            endedAt: nil, endKind: nil, exitCode: nil, signal: nil, detail: nil,
            restartCount: lifecycle.tracker.restarts, backoffMilliseconds: nextBackoff.map { Int($0.milliseconds) },
            unenforced: unenforced.isEmpty ? nil : unenforced.map(\.description)
        ))
        nextBackoff = nil
        starts += 1
        startedAtWall = WallClock.now
        send(.spawned(pid: process.pid))
        // Dependents are restarted once `.spawned` has been handled (at the end of `send`):
        // restarting them re-evaluates every waiting service, and this one must count as
        // started by then, not as still waiting to be spawned.
        if restarted { restartDependents = true }
    }

    /// The exec report: end of file means the program runs; a report means it never did.
    private func readReport() {
        guard let fd = reportDescriptor else { return }
        let outcome = Spawner.outcome(of: fd)
        guard outcome != .pending else { return }
        environment.loop.unwatch(fd)
        reportDescriptor = nil
        switch outcome {
        case .executed:
            hasRun = true
            send(.executed)
        case let .failed(stage, code):
            let message = SpawnFailure.message(service: name, executable: program.executable,
                                               workingDirectory: service.workingDirectory, stage: stage, errno: code)
            environment.announce("error: \(message)")
            endRun(kind: "exec_failed", exitCode: 127, signal: nil, detail: message)
            send(.spawnFailed(message))
        case let .failedConfinement(step, code):
            let message = SpawnFailure.message(service: name, executable: program.executable, step: step, errno: code)
            environment.announce("error: \(message)")
            endRun(kind: "exec_failed", exitCode: 127, signal: nil, detail: message)
            send(.spawnFailed(message))
        case .pending:
            break
        }
    }

    /// `waitpid` reported the main process's end.
    func reaped(status: Int32) {
        // The child may have died before its exec report was read: read it first, so that a
        // failed exec is reported as such and not as an exit with 127.
        if reportDescriptor != nil { readReport() }
        if case .exited(.failedToStart) = lifecycle.state { return }
        if case .stopped(.failedToStart?) = lifecycle.state { return }
        let oomKilled = (leaf?.memoryEvents["oom_kill"] ?? 0) > oomKillsBefore
        let reason = ExitReason(
            status: clinux_exited(status) != 0 ? clinux_exit_status(status) : nil,
            signal: clinux_signaled(status) != 0 ? clinux_term_signal(status) : nil,
            oomKilled: oomKilled
        )
        switch reason {
        case let .exited(code): endRun(kind: reason.kind, exitCode: code, signal: nil, detail: reason.description)
        case let .killed(signal): endRun(kind: reason.kind, exitCode: nil, signal: signal, detail: reason.description)
        case .oomKilled: endRun(kind: reason.kind, exitCode: nil, signal: SIGKILL, detail: reason.description)
        case .failedToStart, .stoppedUnhealthy: break
        }
        send(.exited(reason))
    }

    private func endRun(kind: String, exitCode: Int32?, signal: Int32?, detail: String) {
        guard let id = runID else { return }
        environment.history?.endRun(id: id, at: WallClock.now, kind: kind, exitCode: exitCode, signal: signal, detail: detail)
        runID = nil
    }

    /// Reports `leafEmpty` once nothing is left in the leaf: watched through `cgroup.events`,
    /// and polled as well in case an event is missed.
    private func awaitEmptyLeaf() {
        guard let leaf, leaf.isPopulated else {
            send(.leafEmpty)
            return
        }
        environment.cgroupEvents?.watch(leaf) { [weak self] in self?.checkLeaf() }
        emptyLeafPoll = environment.loop.schedule(after: .milliseconds(100)) { [weak self] in self?.checkLeaf() }
    }

    private func checkLeaf() {
        guard case .cleaning = lifecycle.state, let leaf else { return }
        if leaf.isPopulated {
            leaf.killAll()
            leafWasKilled = true
            emptyLeafPoll = environment.loop.schedule(after: .milliseconds(100)) { [weak self] in self?.checkLeaf() }
            return
        }
        environment.cgroupEvents?.unwatch(leaf)
        if let poll = emptyLeafPoll { environment.loop.cancel(poll) }
        emptyLeafPoll = nil
        send(.leafEmpty)
    }

    /// Closes the output pipes; the supervisor is done.
    func finish() {
        health?.stop()
        notify = nil
        capture.closeAll()
        if let leaf {
            environment.cgroupEvents?.unwatch(leaf)
            try? leaf.remove()
        }
    }
}

extension ResourceLimit {
    /// A compose `ulimits` entry as setrlimit(2) wants it; -1 is unlimited.
    init(_ limit: Ulimit) {
        func value(_ number: Int64) -> UInt64 { number < 0 ? ResourceLimit.unlimited : UInt64(number) }
        self.init(resource: Self.resource(named: limit.name), soft: value(limit.soft), hard: value(limit.hard))
    }

    static func resource(named name: String) -> Int32 {
        switch name {
        case "core": return Int32(RLIMIT_CORE.rawValue)
        case "cpu": return Int32(RLIMIT_CPU.rawValue)
        case "data": return Int32(RLIMIT_DATA.rawValue)
        case "fsize": return Int32(RLIMIT_FSIZE.rawValue)
        case "locks": return Int32(__RLIMIT_LOCKS.rawValue)
        case "memlock": return Int32(__RLIMIT_MEMLOCK.rawValue)
        case "msgqueue": return Int32(__RLIMIT_MSGQUEUE.rawValue)
        case "nice": return Int32(__RLIMIT_NICE.rawValue)
        case "nofile": return Int32(RLIMIT_NOFILE.rawValue)
        case "nproc": return Int32(__RLIMIT_NPROC.rawValue)
        case "rss": return Int32(__RLIMIT_RSS.rawValue)
        case "rtprio": return Int32(__RLIMIT_RTPRIO.rawValue)
        case "rttime": return Int32(__RLIMIT_RTTIME.rawValue)
        case "sigpending": return Int32(__RLIMIT_SIGPENDING.rawValue)
        case "stack": return Int32(RLIMIT_STACK.rawValue)
        default: return -1
        }
    }
}
