import Foundation
import Testing
@testable import Budget
import StackFile

private let mebibyte: Int64 = 1024 * 1024

private func service(_ name: String, memory: Int64? = nil, memoryReserved: Int64? = nil, cpus: Double? = nil,
                     cpusReserved: Double? = nil, pids: Int? = nil, dependsOn: [String] = []) -> Service {
    var service = Service(name: name)
    service.command = ["/bin/true"]
    service.resources.memoryLimit = memory.map { $0 * mebibyte }
    service.resources.memoryReservation = memoryReserved.map { $0 * mebibyte }
    service.resources.cpuLimit = cpus
    service.resources.cpuReservation = cpusReserved
    service.resources.pidsLimit = pids
    service.dependencies = dependsOn.map { Dependency(service: $0) }
    return service
}

/// 512 MiB and 2 CPUs, 96 MiB and 0.1 CPU reserved: 416 MiB and 1.9 CPUs allocatable.
private let vps = Machine(name: "vps-512m", source: "test",
                          capacity: Amount(memoryBytes: 512 * mebibyte, cpus: 2),
                          reserved: Amount(memoryBytes: 96 * mebibyte, cpus: 0.1))

@Suite struct BudgetReportTests {
    @Test func allocatableIsCapacityLessReserve() {
        #expect(vps.allocatable == Amount(memoryBytes: 416 * mebibyte, cpus: 1.9))
        let tiny = Machine(name: "t", source: "t", capacity: Amount(memoryBytes: 10, cpus: 1),
                           reserved: Amount(memoryBytes: 20, cpus: 2))
        #expect(tiny.allocatable == .zero)
    }

    @Test func sumsLimitsAndReservationsAndSaysWhetherTheyFit() {
        let stack = Stack(name: "s", projectDirectory: "/p", services: [
            service("db", memory: 160, memoryReserved: 128, cpus: 1, cpusReserved: 0.4, pids: 100),
            service("web", memory: 256, memoryReserved: 200, cpus: 1, cpusReserved: 0.5, dependsOn: ["db"]),
        ])
        let report = BudgetReport(stack: stack, host: vps)
        #expect(report.services.map(\.name) == ["db", "web"])
        #expect(report.totals.memoryLimitBytes == 416 * mebibyte)
        #expect(report.totals.memoryReservationBytes == 328 * mebibyte)
        #expect(report.totals.cpuLimit == 2)
        #expect(report.fits)
        #expect(report.oversubscription.memory == 1.0)
        #expect(report.headroom.memoryBytes == 88 * mebibyte)
        #expect(report.warnings.isEmpty)
    }

    @Test func reservationsAboveAllocatableDoNotFit() {
        let stack = Stack(name: "s", projectDirectory: "/p", services: [
            service("db", memory: 300, memoryReserved: 300, cpus: 1),
            service("web", memory: 200, memoryReserved: 150, cpus: 1),
        ])
        let report = BudgetReport(stack: stack, host: vps)
        #expect(!report.fits)
        #expect(report.headroom.memoryBytes == -34 * mebibyte)
        #expect(report.warnings.first == "memory reservations (450M) exceed allocatable memory (416M) by 34M")
    }

    @Test func cpuReservationsAreComparedInHundredths() {
        let host = Machine(name: "h", source: "t", capacity: Amount(memoryBytes: 1024 * mebibyte, cpus: 0.3),
                           reserved: .zero)
        let stack = Stack(name: "s", projectDirectory: "/p", services: [
            service("a", memory: 10, cpus: 0.1, cpusReserved: 0.1),
            service("b", memory: 10, cpus: 0.2, cpusReserved: 0.2),
        ])
        #expect(BudgetReport(stack: stack, host: host).fits)
        let tooMuch = Stack(name: "s", projectDirectory: "/p", services: [
            service("a", memory: 10, cpus: 0.2, cpusReserved: 0.2),
            service("b", memory: 10, cpus: 0.2, cpusReserved: 0.11),
        ])
        let report = BudgetReport(stack: tooMuch, host: host)
        #expect(!report.fits)
        #expect(report.warnings.contains("CPU reservations (0.31) exceed allocatable CPUs (0.30)"))
    }

    @Test func classifiesQualityOfService() {
        #expect(ServiceBudget(service("a", memory: 64, memoryReserved: 64, cpus: 0.5, cpusReserved: 0.5)).qos == .guaranteed)
        #expect(ServiceBudget(service("b", memory: 64, memoryReserved: 32, cpus: 0.5, cpusReserved: 0.5)).qos == .burstable)
        #expect(ServiceBudget(service("c", memory: 64)).qos == .burstable)
        #expect(ServiceBudget(service("d", cpus: 1)).qos == .burstable)
        #expect(ServiceBudget(service("e", memoryReserved: 64)).qos == .unbounded)
        #expect(ServiceBudget(service("f")).qos == .unbounded)
    }

    @Test func flagsWhatCanTakeTheMachine() {
        let stack = Stack(name: "s", projectDirectory: "/p", services: [
            service("free"),
            service("cpu-only", cpus: 4),
            service("huge", memory: 1024, cpus: 1),
        ])
        let warnings = BudgetReport(stack: stack, host: vps).warnings
        #expect(warnings.contains("free: no memory or CPU limit; it can take the whole machine"))
        #expect(warnings.contains("cpu-only: no memory limit; it can take all of the host's memory"))
        #expect(warnings.contains("cpu-only: CPU limit 4.00 is above allocatable CPUs (1.90)"))
        #expect(warnings.contains("huge: memory limit 1G is above allocatable memory (416M); the host runs out before the limit is reached"))
        #expect(warnings.contains("memory limits add up to 246% of allocatable memory: services cannot all reach their limits at once"))
    }

    @Test func defaultReserveGrowsWithTheMachine() {
        let small = SystemReserve.default(for: Amount(memoryBytes: 512 * mebibyte, cpus: 2))
        #expect(small.memoryBytes == 64 * mebibyte + 512 * mebibyte / 20)
        #expect(small.cpus == 0.1)
        let big = SystemReserve.default(for: Amount(memoryBytes: 64 * 1024 * mebibyte, cpus: 16))
        #expect(big.memoryBytes == 1024 * mebibyte)
        #expect(big.cpus == 0.8)
    }

    @Test func unitsReadLikeFree() {
        #expect(Units.bytes(536_870_912) == "512M")
        #expect(Units.bytes(1_610_612_736) == "1.5G")
        #expect(Units.bytes(-34 * mebibyte) == "-34M")
        #expect(Units.bytes(100) == "100B")
        #expect(Units.cores(0.5) == "0.50")
        #expect(Units.cores(0.3 - 0.2 - 0.1 + 0.05) == "0.05")
        #expect(Units.ratio(1.4612) == "146%")
    }
}

@Suite struct BudgetRenderingTests {
    let report = BudgetReport(stack: Stack(name: "shop", projectDirectory: "/p", services: [
        service("db", memory: 160, memoryReserved: 128, cpus: 1, cpusReserved: 0.4, pids: 100),
        service("cache"),
    ]), host: vps)

    @Test func jsonFollowsTheSchemaWithNullsForUnsetValues() throws {
        let object = try #require(JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(object["schema"] as? Int == 1)
        #expect(object["fits"] as? Bool == true)
        let host = try #require(object["host"] as? [String: Any])
        let allocatable = try #require(host["allocatable"] as? [String: Any])
        #expect(allocatable["memory_bytes"] as? Int == 436_207_616)
        #expect(allocatable["cpus"] as? Double == 1.9)
        let services = try #require(object["services"] as? [[String: Any]])
        #expect(services.map { $0["name"] as? String } == ["cache", "db"])
        let cache = services[0]
        #expect((cache["memory"] as? [String: Any])?["limit_bytes"] is NSNull)
        #expect((cache["cpu"] as? [String: Any])?["reservation"] is NSNull)
        #expect(cache["pids_limit"] is NSNull)
        #expect(cache["qos"] as? String == "unbounded")
        let db = services[1]
        #expect((db["memory"] as? [String: Any])?["reservation_bytes"] as? Int == 134_217_728)
        #expect((db["cpu"] as? [String: Any])?["limit"] as? Double == 1)
        let totals = try #require(object["totals"] as? [String: Any])
        #expect((totals["memory"] as? [String: Any])?["limit_bytes"] as? Int == 167_772_160)
        let ratios = try #require(object["oversubscription"] as? [String: Any])
        #expect(ratios["memory"] as? Double == 0.3846)
        #expect((object["warnings"] as? [String])?.count == 1)
    }

    @Test func prometheusTextParsesAndLeavesUnsetValuesOut() throws {
        let samples = try PrometheusParser.parse(report.prometheus)
        #expect(samples["berth_service_memory_limit_bytes{service=db,stack=shop}"] == 167_772_160)
        #expect(samples["berth_service_memory_limit_bytes{service=cache,stack=shop}"] == nil)
        #expect(samples["berth_service_qos{class=unbounded,service=cache,stack=shop}"] == 1)
        #expect(samples["berth_host_cpus{kind=allocatable,stack=shop}"] == 1.9)
        #expect(samples["berth_budget_fits{stack=shop}"] == 1)
        #expect(samples["berth_budget_oversubscription_ratio{resource=memory,stack=shop}"] != nil)
    }

    @Test func tableEndsWithTheVerdict() {
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines.first == "Budget of stack \"shop\" on vps-512m (test)")
        #expect(lines.contains("cache            -             -          -             -     -  unbounded (!)"))
        #expect(lines.contains { $0.hasPrefix("reservations  128M of 416M (31%)") && $0.hasSuffix("fit") })
    }
}

/// Parses Prometheus text with the reference parser (Debian's python3-prometheus-client),
/// so that a malformed exposition fails the test rather than a scrape in production.
enum PrometheusParser {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Samples by `name{label=value,...}` with labels sorted.
    static func parse(_ text: String) throws -> [String: Double] {
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                    print(f"{s.name}{{{labels}}}\\t{s.value!r}" if labels else f"{s.name}{{}}\\t{s.value!r}")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "prometheus_client rejected the text: " + String(decoding: err, as: UTF8.self))
        }
        var samples: [String: Double] = [:]
        for line in String(decoding: out, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "\t")
            let key = parts[0].replacingOccurrences(of: "{}", with: "")
            samples[String(key)] = Double(parts[1])
        }
        return samples
    }
}
