/// Live counters of a cgroup leaf, read from its v2 files. Each is nil when its file is absent
/// (a controller that is not enabled, or a kernel too old for `memory.peak`).
public struct CgroupUsage: Sendable, Equatable {
    public var memoryCurrent: Int64?
    public var memoryPeak: Int64?
    /// Processes killed by the OOM killer (`memory.events` `oom_kill`).
    public var oomKills: Int64?
    public var cpuUsageMicroseconds: Int64?
    public var periods: Int64?
    public var throttledPeriods: Int64?
    public var throttledMicroseconds: Int64?
    public var pids: Int64?
    /// PSI `some avg10`, percent.
    public var pressureCPU: Double?
    public var pressureMemory: Double?
    public var pressureIO: Double?

    public init() {}
}

extension CgroupLeaf {
    public var usage: CgroupUsage {
        var usage = CgroupUsage()
        func number(_ file: String) -> Int64? {
            CgroupFiles.read(path + "/" + file).flatMap { Int64($0.split(separator: "\n").first ?? "") }
        }
        usage.memoryCurrent = number("memory.current")
        usage.memoryPeak = number("memory.peak")
        usage.pids = number("pids.current")
        if let events = CgroupFiles.read(path + "/memory.events").map(CgroupFiles.flatKeyed) {
            usage.oomKills = events["oom_kill"]
        }
        if let stat = CgroupFiles.read(path + "/cpu.stat").map(CgroupFiles.flatKeyed) {
            usage.cpuUsageMicroseconds = stat["usage_usec"]
            usage.periods = stat["nr_periods"]
            usage.throttledPeriods = stat["nr_throttled"]
            usage.throttledMicroseconds = stat["throttled_usec"]
        }
        usage.pressureCPU = Self.someAverage10(CgroupFiles.read(path + "/cpu.pressure"))
        usage.pressureMemory = Self.someAverage10(CgroupFiles.read(path + "/memory.pressure"))
        usage.pressureIO = Self.someAverage10(CgroupFiles.read(path + "/io.pressure"))
        return usage
    }

    /// `some avg10=1.23 avg60=... total=...` → 1.23.
    static func someAverage10(_ text: String?) -> Double? {
        guard let line = text?.split(separator: "\n").first(where: { $0.hasPrefix("some ") }) else { return nil }
        for field in line.split(separator: " ") where field.hasPrefix("avg10=") {
            return Double(field.dropFirst("avg10=".count))
        }
        return nil
    }
}
