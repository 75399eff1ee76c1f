import Confinement
import StateStore

/// Reads every service's cgroup counters at a fixed interval and keeps them in the history
/// (`samples`), dropping what is older than the retention; `berth budget --since` summarizes
/// them. Reading cgroup files never waits on a disk, and the history write is queued, so a
/// tick costs the loop a few microseconds per service.
final class UsageSampler {
    private let policy: SamplingPolicy
    private let loop: EventLoop
    private let environment: RunEnvironment
    /// Reads the leaves of the services that run now.
    private let read: () -> [(service: String, usage: CgroupUsage)]
    private var timer: EventLoop.TimerID?
    /// Pruning is a DELETE over an index; once a minute is plenty.
    private var lastPrune = Instant(nanoseconds: 0)

    init(policy: SamplingPolicy, loop: EventLoop, environment: RunEnvironment,
         read: @escaping () -> [(service: String, usage: CgroupUsage)]) {
        self.policy = policy
        self.loop = loop
        self.environment = environment
        self.read = read
    }

    /// The first tick comes after a second, so that rates (`berth ps` CPU %) have a base early.
    func start() {
        guard environment.history != nil else { return }
        timer = loop.schedule(after: min(policy.interval, .seconds(1))) { [weak self] in self?.tick() }
    }

    func stop() {
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    private func tick() {
        let time = WallClock.now
        let samples = read().map { entry -> SampleRecord in
            let usage = entry.usage
            var sample = SampleRecord(time: time, sessionID: environment.sessionID, service: entry.service)
            sample.memoryBytes = usage.memoryCurrent
            sample.memoryPeakBytes = usage.memoryPeak
            sample.oomKills = usage.oomKills
            sample.cpuMicroseconds = usage.cpuUsageMicroseconds
            sample.periods = usage.periods
            sample.throttledPeriods = usage.throttledPeriods
            sample.throttledMicroseconds = usage.throttledMicroseconds
            sample.pids = usage.pids
            sample.pressureCPU = usage.pressureCPU
            sample.pressureMemory = usage.pressureMemory
            sample.pressureIO = usage.pressureIO
            return sample
        }
        var pruneBefore: Double?
        if Instant.now.since(lastPrune) >= .seconds(60) {
            lastPrune = .now
            pruneBefore = time - Double(policy.retention.components.seconds)
        }
        environment.history?.record(samples: samples, pruneBefore: pruneBefore)
        timer = loop.schedule(after: policy.interval) { [weak self] in self?.tick() }
    }
}

/// How often `berth up` samples the services' counters, and for how long it keeps them.
public struct SamplingPolicy: Sendable, Equatable {
    public var interval: Duration
    public var retention: Duration

    public init(interval: Duration = .seconds(10), retention: Duration = .seconds(24 * 3600)) {
        self.interval = interval
        self.retention = retention
    }
}
