import StackFile

extension BudgetReport {
    // MARK: - JSON

    /// The JSON contract, `schema: 1`. Keys are only ever added; unset values are `null`.
    public var json: String {
        Emitter.json(jsonValue)
    }

    public var jsonValue: PlainValue {
        func amount(_ amount: Amount) -> PlainValue {
            .map(["memory_bytes": .int(amount.memoryBytes), "cpus": cores(amount.cpus)])
        }
        let services = self.services.map { service -> PlainValue in
            .map([
                "name": .string(service.name),
                "memory": .map([
                    "limit_bytes": service.memoryLimitBytes.map(PlainValue.int) ?? .null,
                    "reservation_bytes": service.memoryReservationBytes.map(PlainValue.int) ?? .null,
                ]),
                "cpu": .map([
                    "limit": service.cpuLimit.map(cores) ?? .null,
                    "reservation": service.cpuReservation.map(cores) ?? .null,
                ]),
                "pids_limit": service.pidsLimit.map { .int(Int64($0)) } ?? .null,
                "qos": .string(service.qos.rawValue),
                "live": live.map { Self.liveValue($0.services[service.name]) } ?? .null,
            ])
        }
        return .map([
            "schema": .int(1),
            "stack": .string(stackName),
            "host": .map([
                "name": .string(host.name),
                "source": .string(host.source),
                "capacity": amount(host.capacity),
                "reserved": amount(host.reserved),
                "allocatable": amount(host.allocatable),
            ]),
            "services": .list(services),
            "totals": .map([
                "memory": .map([
                    "limit_bytes": .int(totals.memoryLimitBytes),
                    "reservation_bytes": .int(totals.memoryReservationBytes),
                ]),
                "cpu": .map(["limit": cores(totals.cpuLimit), "reservation": cores(totals.cpuReservation)]),
            ]),
            "oversubscription": .map([
                "memory": oversubscription.memory.map(ratio) ?? .null,
                "cpu": oversubscription.cpu.map(ratio) ?? .null,
            ]),
            "headroom": .map(["memory_bytes": .int(headroom.memoryBytes), "cpus": cores(headroom.cpus)]),
            "fits": .bool(fits),
            "warnings": .list(warnings.map(PlainValue.string)),
            "live": live.map { live in
                .map([
                    "supervisor_pid": .int(Int64(live.supervisorPID)),
                    "time": .float(live.time),
                    "window_seconds": live.windowSeconds.map(PlainValue.float) ?? .null,
                ])
            } ?? .null,
        ])
    }

    /// CPUs rounded to a millionth, so that 0.1 + 0.2 prints as 0.3.
    private func cores(_ value: Double) -> PlainValue {
        .float((value * 1_000_000).rounded() / 1_000_000)
    }

    private func ratio(_ value: Double) -> PlainValue {
        .float((value * 10_000).rounded() / 10_000)
    }

    // MARK: - Prometheus

    public var prometheus: String {
        var text = PrometheusText()
        let stack = ("stack", stackName)
        text.family("berth_host_memory_bytes", help: "Host memory: capacity, system reserve, and allocatable (capacity minus reserve).")
        text.sample([stack, ("kind", "capacity")], Double(host.capacity.memoryBytes))
        text.sample([stack, ("kind", "reserved")], Double(host.reserved.memoryBytes))
        text.sample([stack, ("kind", "allocatable")], Double(host.allocatable.memoryBytes))
        text.family("berth_host_cpus", help: "Host CPUs: capacity, system reserve, and allocatable.")
        text.sample([stack, ("kind", "capacity")], host.capacity.cpus)
        text.sample([stack, ("kind", "reserved")], host.reserved.cpus)
        text.sample([stack, ("kind", "allocatable")], host.allocatable.cpus)

        text.family("berth_service_memory_limit_bytes", help: "Memory limit of the service (memory.max); absent when unlimited.")
        for service in services { text.sample([stack, ("service", service.name)], service.memoryLimitBytes.map(Double.init)) }
        text.family("berth_service_memory_reservation_bytes", help: "Memory reserved for the service (memory.low).")
        for service in services { text.sample([stack, ("service", service.name)], service.memoryReservationBytes.map(Double.init)) }
        text.family("berth_service_cpu_limit_cores", help: "CPU limit of the service in cores (cpu.max); absent when unlimited.")
        for service in services { text.sample([stack, ("service", service.name)], service.cpuLimit) }
        text.family("berth_service_cpu_reservation_cores", help: "CPU cores reserved for the service.")
        for service in services { text.sample([stack, ("service", service.name)], service.cpuReservation) }
        text.family("berth_service_pids_limit", help: "Task limit of the service (pids.max); absent when unlimited.")
        for service in services { text.sample([stack, ("service", service.name)], service.pidsLimit.map(Double.init)) }
        text.family("berth_service_qos", help: "Quality-of-service class of the service (1 for its class).")
        for service in services { text.sample([stack, ("service", service.name), ("class", service.qos.rawValue)], 1) }

        text.family("berth_budget_memory_bytes", help: "Sum of the services' memory limits and reservations.")
        text.sample([stack, ("kind", "limits")], Double(totals.memoryLimitBytes))
        text.sample([stack, ("kind", "reservations")], Double(totals.memoryReservationBytes))
        text.family("berth_budget_cpus", help: "Sum of the services' CPU limits and reservations, in cores.")
        text.sample([stack, ("kind", "limits")], totals.cpuLimit)
        text.sample([stack, ("kind", "reservations")], totals.cpuReservation)
        text.family("berth_budget_oversubscription_ratio", help: "Sum of limits divided by allocatable, per resource.")
        text.sample([stack, ("resource", "memory")], oversubscription.memory)
        text.sample([stack, ("resource", "cpu")], oversubscription.cpu)
        text.family("berth_budget_fits", help: "1 when the reservations fit in what the host can allocate, else 0.")
        text.sample([stack], fits ? 1 : 0)
        appendLive(to: &text)
        return text.text
    }

    // MARK: - Table

    /// The report for people: host, one line per service, totals and the verdict.
    public var table: String {
        var lines: [String] = []
        lines.append("Budget of stack \"\(stackName)\" on \(host.name) (\(host.source))")
        lines.append("")
        var hostTable = TextTable(columns: [.left, .right, .right])
        hostTable.add(["", "MEMORY", "CPUS"])
        hostTable.add(["capacity", Units.bytes(host.capacity.memoryBytes), Units.cores(host.capacity.cpus)])
        hostTable.add(["reserved", Units.bytes(host.reserved.memoryBytes), Units.cores(host.reserved.cpus)])
        hostTable.add(["allocatable", Units.bytes(host.allocatable.memoryBytes), Units.cores(host.allocatable.cpus)])
        lines.append(contentsOf: hostTable.lines)
        lines.append("")

        var serviceTable = TextTable(columns: [.left, .right, .right, .right, .right, .right, .left])
        serviceTable.add(["SERVICE", "MEM LIMIT", "MEM RESERVED", "CPU LIMIT", "CPU RESERVED", "PIDS", "QOS"])
        for service in services {
            serviceTable.add([
                service.name,
                service.memoryLimitBytes.map(Units.bytes) ?? "-",
                service.memoryReservationBytes.map(Units.bytes) ?? "-",
                service.cpuLimit.map(Units.cores) ?? "-",
                service.cpuReservation.map(Units.cores) ?? "-",
                service.pidsLimit.map(String.init) ?? "-",
                service.qos == .unbounded ? "unbounded (!)" : service.qos.rawValue,
            ])
        }
        serviceTable.add(["TOTAL", Units.bytes(totals.memoryLimitBytes), Units.bytes(totals.memoryReservationBytes),
                          Units.cores(totals.cpuLimit), Units.cores(totals.cpuReservation), "", ""])
        lines.append(contentsOf: serviceTable.lines)
        lines.append("")

        let allocatable = host.allocatable
        func share(_ part: Double, of whole: Double) -> String {
            whole > 0 ? "(\(Units.ratio(part / whole)))" : ""
        }
        var verdict = TextTable(columns: [.left, .left, .left, .left])
        verdict.add([
            "reservations",
            "\(Units.bytes(totals.memoryReservationBytes)) of \(Units.bytes(allocatable.memoryBytes)) "
                + share(Double(totals.memoryReservationBytes), of: Double(allocatable.memoryBytes)),
            "\(Units.cores(totals.cpuReservation)) of \(Units.cores(allocatable.cpus)) CPUs "
                + share(totals.cpuReservation, of: allocatable.cpus),
            fits ? "fit" : "DO NOT FIT",
        ])
        let oversubscribed = (oversubscription.memory ?? 0) > 1 || (oversubscription.cpu ?? 0) > 1
        verdict.add([
            "limits",
            "\(Units.bytes(totals.memoryLimitBytes)) of \(Units.bytes(allocatable.memoryBytes)) "
                + share(Double(totals.memoryLimitBytes), of: Double(allocatable.memoryBytes)),
            "\(Units.cores(totals.cpuLimit)) of \(Units.cores(allocatable.cpus)) CPUs "
                + share(totals.cpuLimit, of: allocatable.cpus),
            oversubscribed ? "oversubscribed" : "within allocatable",
        ])
        verdict.add(["headroom", Units.bytes(headroom.memoryBytes), "\(Units.cores(headroom.cpus)) CPUs", ""])
        lines.append(contentsOf: verdict.lines)

        lines.append(contentsOf: liveLines)
        if !warnings.isEmpty {
            lines.append("")
            lines.append("Warnings:")
            lines.append(contentsOf: warnings.map { "  - \($0)" })
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Columns padded to their widest cell, two spaces apart.
struct TextTable {
    enum Alignment { case left, right }

    let columns: [Alignment]
    private var rows: [[String]] = []

    init(columns: [Alignment]) { self.columns = columns }

    mutating func add(_ row: [String]) { rows.append(row) }

    var lines: [String] {
        let widths = columns.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            let cells = columns.indices.map { column -> String in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return columns[column] == .left ? row[column] + padding : padding + row[column]
            }
            var line = cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}
