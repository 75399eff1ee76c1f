import StackFile

/// The live part of the budget report: what the running supervisor reads from each leaf.
extension BudgetReport {
    /// Attaches what a running supervisor reports; services it does not know stay without.
    public mutating func attach(_ live: LiveBudget) {
        self.live = live
    }

    // MARK: - JSON

    static func liveValue(_ live: ServiceLive?) -> PlainValue {
        guard let live else { return .null }
        func int(_ value: Int64?) -> PlainValue { value.map(PlainValue.int) ?? .null }
        func float(_ value: Double?) -> PlainValue { value.map(PlainValue.float) ?? .null }
        let usage = live.usage
        var fields: [String: PlainValue] = [
            "state": .string(live.state),
            "health": live.health.map(PlainValue.string) ?? .null,
            "restarts": .int(Int64(live.restarts)),
            "memory_bytes": int(usage?.memoryBytes),
            "memory_peak_bytes": int(usage?.memoryPeakBytes),
            "oom_kills": int(usage?.oomKills),
            "cpu_usec": int(usage?.cpuMicroseconds),
            "cpu_percent": float(usage?.cpuPercent),
            "throttled_percent": float(usage?.throttledPercent),
            "nr_periods": int(usage?.periods),
            "nr_throttled": int(usage?.throttledPeriods),
            "throttled_usec": int(usage?.throttledMicroseconds),
            "pids": int(usage?.pids),
            "psi_cpu_some_avg10": float(usage?.pressureCPU),
            "psi_memory_some_avg10": float(usage?.pressureMemory),
            "psi_io_some_avg10": float(usage?.pressureIO),
            "window": .null,
        ]
        if let window = live.window {
            fields["window"] = .map([
                "from": .float(window.from),
                "to": .float(window.to),
                "samples": .int(Int64(window.samples)),
                "memory_peak_bytes": int(window.memoryPeakBytes),
                "memory_avg_bytes": int(window.memoryAverageBytes),
                "cpu_avg_percent": float(window.cpuAveragePercent),
                "cpu_peak_percent": float(window.cpuPeakPercent),
                "throttled_percent": float(window.throttledPercent),
                "oom_kills": int(window.oomKills),
                "pids_peak": int(window.pidsPeak),
            ])
        }
        return .map(fields)
    }

    // MARK: - Table

    /// The live columns, under the static report; nothing without a running supervisor.
    var liveLines: [String] {
        guard let live else { return [] }
        var lines = ["", "Live, from berth (pid \(live.supervisorPID))"]
        var table = TextTable(columns: [.left, .left, .left, .right, .right, .right, .right, .right, .right, .right])
        table.add(["SERVICE", "STATE", "HEALTH", "MEM NOW", "MEM PEAK", "OOM KILLS", "CPU", "THROTTLED", "PIDS", "PSI CPU/MEM/IO"])
        for service in services {
            guard let entry = live.services[service.name] else { continue }
            let usage = entry.usage
            table.add([
                service.name, entry.state, entry.health ?? "-",
                usage?.memoryBytes.map(Units.bytes) ?? "-",
                usage?.memoryPeakBytes.map(Units.bytes) ?? "-",
                usage?.oomKills.map(String.init) ?? "-",
                usage?.cpuPercent.map(Self.percent) ?? "-",
                usage?.throttledPercent.map(Self.percent) ?? "-",
                usage?.pids.map(String.init) ?? "-",
                Self.pressure(usage),
            ])
        }
        lines.append(contentsOf: table.lines)
        guard let seconds = live.windowSeconds else { return lines }
        lines.append("")
        lines.append("Over the last \(ComposeDuration.format(.seconds(Int64(seconds)))), from the sampled history")
        var window = TextTable(columns: [.left, .right, .right, .right, .right, .right, .right, .right, .right])
        window.add(["SERVICE", "SAMPLES", "MEM AVG", "MEM PEAK", "CPU AVG", "CPU PEAK", "THROTTLED", "OOM KILLS", "PIDS PEAK"])
        for service in services {
            guard let entry = live.services[service.name] else { continue }
            guard let summary = entry.window else {
                window.add([service.name, "0", "-", "-", "-", "-", "-", "-", "-"])
                continue
            }
            window.add([
                service.name, String(summary.samples),
                summary.memoryAverageBytes.map(Units.bytes) ?? "-",
                summary.memoryPeakBytes.map(Units.bytes) ?? "-",
                summary.cpuAveragePercent.map(Self.percent) ?? "-",
                summary.cpuPeakPercent.map(Self.percent) ?? "-",
                summary.throttledPercent.map(Self.percent) ?? "-",
                summary.oomKills.map(String.init) ?? "-",
                summary.pidsPeak.map(String.init) ?? "-",
            ])
        }
        lines.append(contentsOf: window.lines)
        return lines
    }

    static func percent(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))%"
    }

    static func pressure(_ usage: LiveUsage?) -> String {
        let values = [usage?.pressureCPU, usage?.pressureMemory, usage?.pressureIO]
        guard values.contains(where: { $0 != nil }) else { return "-" }
        return values.map { $0.map { ComposeNumber.format(($0 * 100).rounded() / 100) } ?? "-" }.joined(separator: "/")
    }

    // MARK: - Prometheus

    func appendLive(to text: inout PrometheusText) {
        guard let live else { return }
        let stack = ("stack", stackName)
        let entries = services.compactMap { service in live.services[service.name].map { (service.name, $0) } }
        func family(_ name: String, _ help: String, _ type: PrometheusText.MetricType = .gauge, _ value: (ServiceLive) -> Double?) {
            text.family(name, help: help, type: type)
            for (name, entry) in entries { text.sample([stack, ("service", name)], value(entry)) }
        }
        family("berth_service_up", "1 when the service's process runs, else 0.") { $0.state == "running" ? 1 : 0 }
        family("berth_service_healthy", "1 when the service is healthy (or ready), 0 when starting or unhealthy; absent without a health check.") {
            switch $0.health {
            case "healthy"?, "ready"?: 1
            case nil: nil
            default: 0
            }
        }
        family("berth_service_restarts_total", "Restarts berth made since it started.", .counter) { Double($0.restarts) }
        family("berth_service_memory_bytes", "Memory in use (memory.current).") { $0.usage?.memoryBytes.map(Double.init) }
        family("berth_service_memory_peak_bytes", "Highest memory use (memory.peak).") { $0.usage?.memoryPeakBytes.map(Double.init) }
        family("berth_service_oom_kills_total", "Processes ended by the OOM killer (memory.events oom_kill).", .counter) {
            $0.usage?.oomKills.map(Double.init)
        }
        family("berth_service_cpu_usage_seconds_total", "CPU time used (cpu.stat usage_usec).", .counter) {
            $0.usage?.cpuMicroseconds.map { Double($0) / 1_000_000 }
        }
        family("berth_service_cpu_periods_total", "CPU enforcement periods (cpu.stat nr_periods).", .counter) {
            $0.usage?.periods.map(Double.init)
        }
        family("berth_service_cpu_throttled_periods_total", "Periods in which the service was throttled (cpu.stat nr_throttled).", .counter) {
            $0.usage?.throttledPeriods.map(Double.init)
        }
        family("berth_service_cpu_throttled_seconds_total", "Time the service was throttled (cpu.stat throttled_usec).", .counter) {
            $0.usage?.throttledMicroseconds.map { Double($0) / 1_000_000 }
        }
        family("berth_service_pids", "Tasks in the service's cgroup (pids.current).") { $0.usage?.pids.map(Double.init) }
        text.family("berth_service_pressure_some_avg10_percent", help: "PSI: share of the last 10 s some task waited for the resource.")
        for (name, entry) in entries {
            text.sample([stack, ("service", name), ("resource", "cpu")], entry.usage?.pressureCPU)
            text.sample([stack, ("service", name), ("resource", "memory")], entry.usage?.pressureMemory)
            text.sample([stack, ("service", name), ("resource", "io")], entry.usage?.pressureIO)
        }
        text.family("berth_budget_memory_in_use_bytes", help: "Memory the services use together, against the budget.")
        let memory = entries.compactMap(\.1.usage?.memoryBytes)
        text.sample([stack], memory.isEmpty ? nil : Double(memory.reduce(0, +)))
    }
}
