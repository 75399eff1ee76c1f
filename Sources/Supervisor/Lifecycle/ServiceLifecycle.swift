import StackFile

/// The life of one service as an explicit state machine: every event moves it from one state
/// to the next and yields the effects the runner must carry out. It does no I/O and reads no
/// clock, so every rule is tested on a virtual clock, and `description` prints where a
/// service stands.
///
///     waiting ─start→ starting ─executed→ running ─exited→ cleaning ─leaf empty→ backoff ─→ restarting
///                                            │                            └→ exited | gave up | stopped
///                                            ├─stop→ stopping ─exited→ cleaning ─leaf empty→ stopped
///                                            └─unhealthy, restart→ stopping ─…→ backoff | restarting
///     restarting ─dependencies ready→ starting
public struct ServiceLifecycle: Sendable {
    public enum State: Equatable, Sendable, CustomStringConvertible {
        /// Not started: waiting for `up` or for its dependencies.
        case waiting
        /// Spawned; the program has not been executed yet.
        case starting(pid: Int32)
        case running(pid: Int32)
        /// The stop signal was sent; `escalated` once the grace period ran out and the leaf was killed.
        case stopping(pid: Int32, escalated: Bool)
        /// The main process ended; whatever it left in its leaf is being killed.
        case cleaning(ExitReason)
        /// Will start again at `until`.
        case backoff(ExitReason, until: Instant)
        /// About to start again, once its dependencies meet their conditions.
        case restarting(ExitReason?)
        /// Stopped on request.
        case stopped(ExitReason?)
        /// Ended, and its restart policy does not start it again.
        case exited(ExitReason)
        /// Ended, and the restart policy's attempts are used up.
        case gaveUp(ExitReason, attempts: Int)

        public var description: String {
            switch self {
            case .waiting: return "waiting"
            case let .starting(pid): return "starting (pid \(pid))"
            case let .running(pid): return "running (pid \(pid))"
            case let .stopping(pid, escalated): return escalated ? "stopping (pid \(pid), killed)" : "stopping (pid \(pid))"
            case let .cleaning(reason): return "ended (\(reason)), cleaning up"
            case let .backoff(reason, _): return "ended (\(reason)), restarting"
            case .restarting: return "restarting, waiting for its dependencies"
            case let .stopped(reason): return reason.map { "stopped (\($0))" } ?? "stopped"
            case let .exited(reason): return reason.description
            case let .gaveUp(reason, attempts): return "\(reason), gave up after \(attempts) restarts"
            }
        }

        /// The main process, while there is one.
        public var pid: Int32? {
            switch self {
            case let .starting(pid), let .running(pid), let .stopping(pid, _): return pid
            default: return nil
            }
        }

        /// The program is executing (not starting, not stopping).
        public var isRunning: Bool {
            if case .running = self { return true }
            return false
        }

        /// No process, and nothing will start one unless asked.
        public var isFinal: Bool {
            switch self {
            case .stopped, .exited, .gaveUp: return true
            default: return false
            }
        }
    }

    public enum Event: Equatable, Sendable {
        /// Start it (the first time, or again after it ended or was stopped).
        case start
        case spawned(pid: Int32)
        case spawnFailed(String)
        case executed
        case exited(ExitReason)
        /// No process is left in its leaf.
        case leafEmpty
        case backoffElapsed
        /// Its dependencies meet their conditions again (after `awaitDependencies`).
        case dependenciesReady
        case stop
        /// Stop it and start it again at once (`berth restart`, `depends_on.restart`).
        case restart
        /// Its health check or watchdog says unhealthy: stop it, then apply the restart policy
        /// as if it had failed.
        case unhealthy(String)
        case graceExpired
        /// Kill at once (a second Ctrl-C).
        case kill
    }

    public enum Effect: Equatable, Sendable {
        case spawn
        case signal(pid: Int32, signal: Int32)
        /// SIGKILL everything in the leaf.
        case killLeaf
        /// Report `leafEmpty` once the leaf has no process.
        case awaitEmptyLeaf
        case scheduleGrace(Duration)
        case scheduleRestart(Duration)
        /// Report `dependenciesReady` once its dependencies meet their conditions.
        case awaitDependencies
        case cancelTimers
        /// Something for the history and the terminal.
        case record(kind: String, detail: String)
    }

    public private(set) var state: State = .waiting
    public private(set) var tracker: RestartTracker
    /// When the current (or last) process was spawned.
    public private(set) var startedAt: Instant?
    public private(set) var stopRequested = false
    /// How the last process ended, if one has.
    public private(set) var lastExit: ExitReason?
    /// What follows the end of the current process.
    private var afterExit = AfterExit.policy
    /// A `.spawn` was asked for and neither `.spawned` nor `.spawnFailed` has come back: a
    /// second request meanwhile (dependencies re-evaluated) must not start a second process.
    private var spawning = false

    private enum AfterExit: Equatable {
        /// The restart policy decides.
        case policy
        /// Start again at once, without backoff (an explicit restart).
        case restart
        /// The restart policy decides, counting the end as a failure (unhealthy).
        case failure
    }
    public let stopSignal: Int32
    public let gracePeriod: Duration

    public init(policy: RestartPolicy, stopSignal: Int32, gracePeriod: Duration) {
        tracker = RestartTracker(policy: policy)
        self.stopSignal = stopSignal
        self.gracePeriod = gracePeriod
    }

    /// Moves to the next state; returns what must be done.
    public mutating func handle(_ event: Event, at now: Instant) -> [Effect] {
        switch (event, state) {
        case (.start, .waiting), (.start, .stopped), (.start, .exited), (.start, .gaveUp):
            guard !spawning else { return [] }
            spawning = true
            stopRequested = false
            tracker.reset()
            return [.spawn]

        case let (.spawned(pid), _):
            spawning = false
            state = .starting(pid: pid)
            startedAt = now
            afterExit = .policy
            return [.record(kind: "started", detail: "pid \(pid)")]

        case let (.spawnFailed(message), _):
            spawning = false
            let reason = ExitReason.failedToStart(message)
            lastExit = reason
            state = stopRequested ? .stopped(reason) : .exited(reason)
            return [.record(kind: "exited", detail: reason.description)]

        case let (.executed, .starting(pid)):
            state = .running(pid: pid)
            return []

        case let (.exited(reason), .starting), let (.exited(reason), .running), let (.exited(reason), .stopping):
            lastExit = reason
            state = .cleaning(reason)
            return [.cancelTimers, .record(kind: "exited", detail: reason.description), .killLeaf, .awaitEmptyLeaf]

        case let (.leafEmpty, .cleaning(ending)):
            // Stopped for failing its health check: not a success, whatever the exit code.
            let reason = afterExit == .failure && !stopRequested ? ExitReason.stoppedUnhealthy(ending) : ending
            lastExit = reason
            return decideAfterExit(reason, at: now)

        case let (.backoffElapsed, .backoff(reason, _)):
            state = .restarting(reason)
            return [.awaitDependencies]

        case (.dependenciesReady, .restarting) where !spawning:
            spawning = true
            return [.spawn]

        case let (.unhealthy(why), .running(pid)), let (.unhealthy(why), .starting(pid)):
            afterExit = .failure
            state = .stopping(pid: pid, escalated: false)
            let then = tracker.policy.mode == .no ? "stopping it (restart: \"no\": it stays stopped)" : "stopping it to restart it"
            return [.record(kind: "unhealthy_restart", detail: "\(why); \(then)"),
                    .signal(pid: pid, signal: stopSignal), .scheduleGrace(gracePeriod)]

        case let (.restart, .running(pid)), let (.restart, .starting(pid)):
            afterExit = .restart
            state = .stopping(pid: pid, escalated: false)
            return [.record(kind: "restarting", detail: "\(SignalName.name(of: stopSignal) ?? String(stopSignal)) to pid \(pid)"),
                    .signal(pid: pid, signal: stopSignal), .scheduleGrace(gracePeriod)]

        case let (.restart, .backoff(reason, _)):
            state = .restarting(reason)
            return [.cancelTimers, .awaitDependencies]

        case (.restart, .waiting), (.restart, .stopped), (.restart, .exited), (.restart, .gaveUp):
            stopRequested = false
            tracker.reset()
            state = .restarting(lastExit)
            return [.awaitDependencies]

        case (.stop, _):
            return stop()

        case let (.graceExpired, .stopping(pid, false)):
            state = .stopping(pid: pid, escalated: true)
            return [.record(kind: "killed", detail: "still running after the \(ComposeDuration.format(gracePeriod)) grace period"),
                    .killLeaf]

        case (.kill, _):
            stopRequested = true
            switch state {
            case let .starting(pid), let .running(pid), let .stopping(pid, _):
                state = .stopping(pid: pid, escalated: true)
                return [.cancelTimers, .killLeaf]
            case .backoff, .waiting, .restarting:
                state = .stopped(lastExit)
                return [.cancelTimers]
            default:
                return []
            }

        default:
            // Events that no longer apply (a late timer, the exit of a child whose exec failed).
            return []
        }
    }

    private mutating func stop() -> [Effect] {
        stopRequested = true
        switch state {
        case .waiting:
            state = .stopped(nil)
            return []
        case let .starting(pid), let .running(pid):
            state = .stopping(pid: pid, escalated: false)
            return [.record(kind: "stopping", detail: "\(SignalName.name(of: stopSignal) ?? String(stopSignal)) to pid \(pid)"),
                    .signal(pid: pid, signal: stopSignal), .scheduleGrace(gracePeriod)]
        case let .backoff(reason, _):
            state = .stopped(reason)
            return [.cancelTimers, .record(kind: "stopped", detail: "restart cancelled")]
        case let .restarting(reason):
            state = .stopped(reason)
            return [.record(kind: "stopped", detail: "restart cancelled")]
        case .stopping, .cleaning, .stopped, .exited, .gaveUp:
            return []
        }
    }

    private mutating func decideAfterExit(_ reason: ExitReason, at now: Instant) -> [Effect] {
        if stopRequested {
            state = .stopped(reason)
            return [.record(kind: "stopped", detail: reason.description)]
        }
        if afterExit == .restart {
            state = .restarting(reason)
            return [.awaitDependencies]
        }
        let ran = startedAt.map { now.since($0) } ?? .zero
        switch tracker.decide(after: reason, ran: ran, at: now, countAsFailure: afterExit == .failure) {
        case let .restart(delay):
            state = .backoff(reason, until: now + delay)
            return [.record(kind: "restart_scheduled", detail: "restart \(tracker.restarts) in \(ComposeDuration.format(delay))"),
                    .scheduleRestart(delay)]
        case .done:
            state = .exited(reason)
            return []
        case let .gaveUp(attempts):
            state = .gaveUp(reason, attempts: attempts)
            return [.record(kind: "gave_up", detail: "\(attempts) restarts; the restart policy allows no more")]
        }
    }
}
