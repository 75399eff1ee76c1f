import StackFile

/// Docker's health state machine (moby `daemon/health.go`), for exec health checks and
/// berth's native probes alike. Pure: it is told when probes start and end, and says when the
/// next one is due.
///
/// - Every (re)start begins `starting`, with no failures counted.
/// - One success makes it `healthy`, even inside the start period; `retries` failures in a row
///   make it `unhealthy`; one success makes it healthy again.
/// - A failure of a probe that started within `start_period`, while still `starting`, is ignored.
/// - Probes run every `start_interval` during the start period while `starting`, then every
///   `interval`; the wait is measured from the end of one probe to the start of the next. The
///   first probe waits one such period too.
public struct HealthMonitor: Sendable {
    public enum Status: String, Sendable, CustomStringConvertible {
        case starting
        case healthy
        case unhealthy

        public var description: String { rawValue }
    }

    /// One probe, as `berth ps` and the history show it.
    public struct Result: Equatable, Sendable {
        /// Wall-clock start and end, Unix seconds.
        public var start: Double
        public var end: Double
        /// The probe's exit code; -1 when it timed out (Docker's convention).
        public var exitCode: Int32
        /// At most 4096 bytes of what it printed.
        public var output: String
    }

    public static let keptResults = 5
    public static let maximumOutput = 4096

    public let timing: ProbeTiming
    public private(set) var status: Status = .starting
    public private(set) var failingStreak = 0
    /// The last five results, oldest first.
    public private(set) var results: [Result] = []
    private let startedAt: Instant

    public init(timing: ProbeTiming, startedAt: Instant) {
        self.timing = timing
        self.startedAt = startedAt
    }

    /// When the next probe is due, given when the previous one ended (or, for the first
    /// probe, when the service started).
    public func nextProbe(after previousEnd: Instant) -> Instant {
        let inStartPeriod = status == .starting && previousEnd.since(startedAt) < timing.startPeriod
        return previousEnd + (inStartPeriod ? timing.startInterval : timing.interval)
    }

    /// Records a probe's outcome. Returns the new status when it changed.
    public mutating func record(exitCode: Int32, output: String, probeStarted: Instant, wallStart: Double,
                                wallEnd: Double) -> Status? {
        var kept = output
        if kept.utf8.count > Self.maximumOutput {
            kept = String(decoding: kept.utf8.prefix(Self.maximumOutput), as: UTF8.self)
        }
        results.append(Result(start: wallStart, end: wallEnd, exitCode: exitCode, output: kept))
        if results.count > Self.keptResults { results.removeFirst(results.count - Self.keptResults) }

        let before = status
        if exitCode == 0 {
            failingStreak = 0
            status = .healthy
        } else if status == .starting, probeStarted.since(startedAt) < timing.startPeriod {
            // Still warming up: failures do not count yet.
        } else {
            failingStreak += 1
            if failingStreak >= timing.retries { status = .unhealthy }
        }
        return status == before ? nil : status
    }
}
