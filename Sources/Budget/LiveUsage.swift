/// What a service is using right now, read by the supervisor from its cgroup leaf. Each
/// counter is nil when the host does not provide it (a controller that is not enabled, a kernel
/// without `memory.peak`); a report shows that as `-`, never as 0.
public struct LiveUsage: Codable, Sendable, Equatable {
    public var memoryBytes: Int64?
    public var memoryPeakBytes: Int64?
    /// Processes the OOM killer ended in this leaf (`memory.events` `oom_kill`).
    public var oomKills: Int64?
    /// CPU time used, microseconds (`cpu.stat` `usage_usec`).
    public var cpuMicroseconds: Int64?
    /// CPU used over the last interval, percent of one CPU (0…100 × CPUs, as `docker stats`).
    public var cpuPercent: Double?
    /// Periods throttled over the last interval, percent of periods (`cpu.stat`).
    public var throttledPercent: Double?
    /// `cpu.stat` counters since the leaf was made: enforcement periods, those throttled, and
    /// the time spent throttled (microseconds).
    public var periods: Int64?
    public var throttledPeriods: Int64?
    public var throttledMicroseconds: Int64?
    public var pids: Int64?
    /// PSI `some avg10` for cpu, memory and io, percent.
    public var pressureCPU: Double?
    public var pressureMemory: Double?
    public var pressureIO: Double?

    public init(memoryBytes: Int64? = nil, memoryPeakBytes: Int64? = nil, oomKills: Int64? = nil,
                cpuMicroseconds: Int64? = nil, cpuPercent: Double? = nil, throttledPercent: Double? = nil,
                pids: Int64? = nil, pressureCPU: Double? = nil, pressureMemory: Double? = nil, pressureIO: Double? = nil) {
        self.memoryBytes = memoryBytes
        self.memoryPeakBytes = memoryPeakBytes
        self.oomKills = oomKills
        self.cpuMicroseconds = cpuMicroseconds
        self.cpuPercent = cpuPercent
        self.throttledPercent = throttledPercent
        self.pids = pids
        self.pressureCPU = pressureCPU
        self.pressureMemory = pressureMemory
        self.pressureIO = pressureIO
    }

    enum CodingKeys: String, CodingKey {
        case memoryBytes = "memory_bytes"
        case memoryPeakBytes = "memory_peak_bytes"
        case oomKills = "oom_kills"
        case cpuMicroseconds = "cpu_usec"
        case cpuPercent = "cpu_percent"
        case throttledPercent = "throttled_percent"
        case periods = "nr_periods"
        case throttledPeriods = "nr_throttled"
        case throttledMicroseconds = "throttled_usec"
        case pids
        case pressureCPU = "psi_cpu_some_avg10"
        case pressureMemory = "psi_memory_some_avg10"
        case pressureIO = "psi_io_some_avg10"
    }
}

/// One periodic reading of a service's leaf, as kept in the history: raw counters, so that
/// rates can be computed over any window later.
public struct UsageSample: Codable, Sendable, Equatable {
    /// Unix time.
    public var time: Double
    public var service: String
    public var memoryBytes: Int64?
    public var memoryPeakBytes: Int64?
    public var oomKills: Int64?
    public var cpuMicroseconds: Int64?
    public var periods: Int64?
    public var throttledPeriods: Int64?
    public var throttledMicroseconds: Int64?
    public var pids: Int64?
    public var pressureCPU: Double?
    public var pressureMemory: Double?
    public var pressureIO: Double?

    public init(time: Double, service: String) {
        self.time = time
        self.service = service
    }

    enum CodingKeys: String, CodingKey {
        case time, service, pids
        case memoryBytes = "memory_bytes"
        case memoryPeakBytes = "memory_peak_bytes"
        case oomKills = "oom_kills"
        case cpuMicroseconds = "cpu_usec"
        case periods = "nr_periods"
        case throttledPeriods = "nr_throttled"
        case throttledMicroseconds = "throttled_usec"
        case pressureCPU = "psi_cpu_some_avg10"
        case pressureMemory = "psi_memory_some_avg10"
        case pressureIO = "psi_io_some_avg10"
    }
}

/// A service's usage over a window of samples (`berth budget --since 1h`): peaks and averages.
public struct UsageWindow: Codable, Sendable, Equatable {
    public var from: Double
    public var to: Double
    public var samples: Int
    public var memoryPeakBytes: Int64?
    public var memoryAverageBytes: Int64?
    /// Average CPU over the window, percent of one CPU.
    public var cpuAveragePercent: Double?
    /// The busiest interval between two samples, percent of one CPU.
    public var cpuPeakPercent: Double?
    /// Throttled periods over all periods in the window, percent.
    public var throttledPercent: Double?
    /// OOM kills during the window.
    public var oomKills: Int64?
    public var pidsPeak: Int64?

    enum CodingKeys: String, CodingKey {
        case from, to, samples
        case memoryPeakBytes = "memory_peak_bytes"
        case memoryAverageBytes = "memory_avg_bytes"
        case cpuAveragePercent = "cpu_avg_percent"
        case cpuPeakPercent = "cpu_peak_percent"
        case throttledPercent = "throttled_percent"
        case oomKills = "oom_kills"
        case pidsPeak = "pids_peak"
    }

    /// Summarizes each service's samples (in any order). Counters that went down between two
    /// samples were reset (the leaf was made anew after a kill): that interval counts from zero.
    public static func summarize(_ samples: [UsageSample]) -> [String: UsageWindow] {
        var windows: [String: UsageWindow] = [:]
        for (service, list) in Dictionary(grouping: samples, by: \.service) {
            let sorted = list.sorted { $0.time < $1.time }
            guard let first = sorted.first, let last = sorted.last else { continue }
            var window = UsageWindow(from: first.time, to: last.time, samples: sorted.count)
            let memory = sorted.compactMap(\.memoryBytes)
            let peaks = memory + sorted.compactMap(\.memoryPeakBytes)
            window.memoryPeakBytes = peaks.max()
            window.memoryAverageBytes = memory.isEmpty ? nil : memory.reduce(0, +) / Int64(memory.count)
            window.pidsPeak = sorted.compactMap(\.pids).max()

            var cpuUsed: Int64 = 0, cpuTime = 0.0, cpuPeak: Double?
            var periods: Int64 = 0, throttled: Int64 = 0, kills: Int64 = 0
            var sawCPU = false, sawPeriods = false, sawKills = false
            for (before, after) in zip(sorted, sorted.dropFirst()) {
                let seconds = after.time - before.time
                if let used = delta(before.cpuMicroseconds, after.cpuMicroseconds), seconds > 0 {
                    sawCPU = true
                    cpuUsed += used
                    cpuTime += seconds
                    let percent = Double(used) / (seconds * 1_000_000) * 100
                    cpuPeak = max(cpuPeak ?? 0, percent)
                }
                if let all = delta(before.periods, after.periods), let some = delta(before.throttledPeriods, after.throttledPeriods) {
                    sawPeriods = true
                    periods += all
                    throttled += some
                }
                if let killed = delta(before.oomKills, after.oomKills) {
                    sawKills = true
                    kills += killed
                }
            }
            if sawCPU, cpuTime > 0 {
                window.cpuAveragePercent = rounded(Double(cpuUsed) / (cpuTime * 1_000_000) * 100)
                window.cpuPeakPercent = cpuPeak.map(rounded)
            }
            if sawPeriods { window.throttledPercent = periods > 0 ? rounded(Double(throttled) / Double(periods) * 100) : 0 }
            if sawKills { window.oomKills = kills }
            windows[service] = window
        }
        return windows
    }

    init(from: Double, to: Double, samples: Int) {
        self.from = from
        self.to = to
        self.samples = samples
    }

    /// How much a counter grew; after a reset (it went down) the new value is the growth.
    private static func delta(_ before: Int64?, _ after: Int64?) -> Int64? {
        guard let after else { return nil }
        guard let before else { return nil }
        return after >= before ? after - before : after
    }

    private static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}

/// A service as the running supervisor sees it, for the budget's live columns.
public struct ServiceLive: Codable, Sendable, Equatable {
    public var state: String
    public var health: String?
    public var restarts: Int
    public var usage: LiveUsage?
    /// Peaks and averages over `--since`, from the sampled history.
    public var window: UsageWindow?

    public init(state: String, health: String?, restarts: Int, usage: LiveUsage?, window: UsageWindow? = nil) {
        self.state = state
        self.health = health
        self.restarts = restarts
        self.usage = usage
        self.window = window
    }
}

/// The running supervisor's side of a budget report.
public struct LiveBudget: Sendable, Equatable {
    /// The supervisor's pid.
    public var supervisorPID: Int32
    /// Unix time of the reading.
    public var time: Double
    /// The window's length in seconds, when `--since` asked for one.
    public var windowSeconds: Double?
    public var services: [String: ServiceLive]

    public init(supervisorPID: Int32, time: Double, windowSeconds: Double? = nil, services: [String: ServiceLive]) {
        self.supervisorPID = supervisorPID
        self.time = time
        self.windowSeconds = windowSeconds
        self.services = services
    }
}
