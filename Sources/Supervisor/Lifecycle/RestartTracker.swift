import StackFile

/// Decides whether and when a service that ended is started again: Docker's restart policies
/// and backoff, plus the `delay`, `max_attempts` and `window` of `deploy.restart_policy`,
/// which Compose drops and berth honours.
///
/// Backoff (moby `restartmanager`): 100 ms after the first quick failure, doubling each time,
/// at most 60 s; a run of at least 10 s resets it. With `delay`, the first wait is `delay`
/// instead of 100 ms (and the cap is at least `delay`).
public struct RestartTracker: Sendable {
    public static let initialDelay: Duration = .milliseconds(100)
    public static let maximumDelay: Duration = .seconds(60)
    public static let resetAfter: Duration = .seconds(10)

    public let policy: RestartPolicy
    /// Restarts since the service was last started explicitly (`on-failure:N` counts these).
    public private(set) var restarts = 0
    /// The wait before the previous restart; zero when the backoff is reset.
    public private(set) var lastDelay: Duration = .zero
    /// When each restart happened, for `window`.
    private var restartTimes: [Instant] = []

    public init(policy: RestartPolicy) {
        self.policy = policy
    }

    public enum Decision: Equatable, Sendable {
        /// Start it again after this wait.
        case restart(after: Duration)
        /// The policy does not restart for this ending.
        case done
        /// The policy would restart, but `max_attempts` (or `on-failure:N`) is used up.
        case gaveUp(attempts: Int)
    }

    /// What to do after a run that lasted `ran` and ended for `reason`. `stoppedByUser` is an
    /// explicit stop, which no policy overrides; `countAsFailure` is a service berth stopped
    /// because it was unhealthy, whatever its exit code.
    public mutating func decide(after reason: ExitReason, ran: Duration, at now: Instant,
                                stoppedByUser: Bool = false, countAsFailure: Bool = false) -> Decision {
        if stoppedByUser { return .done }
        if case .failedToStart = reason { return .done }
        let wantsRestart: Bool
        switch policy.mode {
        case .no: wantsRestart = false
        case .always, .unlessStopped: wantsRestart = true
        case .onFailure: wantsRestart = countAsFailure || !reason.isSuccess
        }
        guard wantsRestart else { return .done }
        if let limit = policy.maxAttempts {
            let counted: Int
            if let window = policy.window {
                restartTimes.removeAll { now.since($0) > window }
                counted = restartTimes.count
            } else {
                counted = restarts
            }
            if counted >= limit { return .gaveUp(attempts: counted) }
        }
        let delay = nextDelay(ran: ran)
        restarts += 1
        restartTimes.append(now)
        return .restart(after: delay)
    }

    /// Starting a service explicitly (`berth start`, `berth up`) forgets its restarts.
    public mutating func reset() {
        restarts = 0
        lastDelay = .zero
        restartTimes.removeAll()
    }

    private mutating func nextDelay(ran: Duration) -> Duration {
        let base = policy.delay ?? Self.initialDelay
        let cap = max(Self.maximumDelay, base)
        if ran >= Self.resetAfter { lastDelay = .zero }
        lastDelay = lastDelay == .zero ? base : min(lastDelay * 2, cap)
        return lastDelay
    }
}
