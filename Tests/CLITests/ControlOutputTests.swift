@testable import berth
import Budget
import Control
import Foundation
import StackFile
import Supervisor
import Testing

/// What `berth ps`, `events`, `logs` and the live `budget` print, from fixed inputs.
@Suite struct ControlOutputTests {
    /// A running stack as the API reports it: a one-shot that completed, a service stopped by
    /// the user, a healthy one with live counters, one whose limits this host does not enforce.
    static let status: StackStatus = {
        let json = """
            {"project": "shop", "pid": 4242, "state_dir": "/var/lib/berth/shop", "log_dir": "/var/lib/berth/shop/logs",
             "cgroup_root": "/sys/fs/cgroup/berth-shop", "started_at": 1000,
             "services": [
              {"name": "migrate", "state": "exited", "detail": "exited (exited with 0)", "restarts": 0,
               "last_exit": "exited with 0", "stopped_by_user": false,
               "limits": {"memory_bytes": 67108864, "cpus": null, "pids": null, "memory_reservation_bytes": null, "unenforced": []}},
              {"name": "db", "state": "running", "detail": "running (pid 101)", "health": "healthy", "pid": 101,
               "started_at": 1010, "restarts": 2, "last_exit": "OOM-killed", "stopped_by_user": false,
               "limits": {"memory_bytes": 268435456, "memory_reservation_bytes": 134217728, "cpus": 1, "pids": 100, "unenforced": []},
               "usage": {"memory_bytes": 150994944, "memory_peak_bytes": 201326592, "oom_kills": 1, "cpu_usec": 9000000,
                         "cpu_percent": 12.5, "throttled_percent": 3.2, "nr_periods": 1000, "nr_throttled": 32,
                         "throttled_usec": 640000, "pids": 12,
                         "psi_cpu_some_avg10": 0.5, "psi_memory_some_avg10": 0, "psi_io_some_avg10": 1.25}},
              {"name": "web", "state": "stopped", "detail": "stopped (exited with 0)", "restarts": 0,
               "last_exit": "exited with 0", "stopped_by_user": true,
               "limits": {"memory_bytes": 33554432, "cpus": 0.5, "pids": null, "memory_reservation_bytes": null, "unenforced": []}},
              {"name": "worker", "state": "running", "detail": "running (pid 202)", "health": "starting", "pid": 202,
               "started_at": 3590, "restarts": 0, "stopped_by_user": false, "notify_status": "warming up",
               "limits": {"memory_bytes": 16777216, "cpus": 0.25, "pids": 20, "memory_reservation_bytes": null,
                          "unenforced": ["memory limit 16m", "CPU limit 0.25"]},
               "usage": {"cpu_usec": 1000, "cpu_percent": 0.1}}
             ]}
            """
        return try! JSONDecoder().decode(StackStatus.self, from: Data(json.utf8))
    }()

    @Test func psTable() throws {
        try expectGolden(StatusTable.render(Self.status, now: 3600), "ps.txt")
    }

    @Test func psJSONKeepsTheAPIsKeys() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let text = String(decoding: try encoder.encode(Self.status), as: UTF8.self) + "\n"
        try expectGolden(text, "ps.json")
    }

    @Test func eventsTable() throws {
        let json = """
            [{"time": 1795000000.25, "kind": "up", "detail": "starting stack shop: 3 services"},
             {"time": 1795000000.5, "service": "db", "kind": "started", "detail": "pid 101"},
             {"time": 1795000003, "service": "db", "kind": "health", "detail": "healthy"},
             {"time": 1795000010, "kind": "refused", "detail": "refused uid 65534 (pid 77): GET /v1/status"},
             {"time": 1795000011.125, "service": "migrate", "kind": "exited"}]
            """
        let events = try JSONDecoder().decode([EventPayload].self, from: Data(json.utf8))
        try expectGolden(EventTable.render(events, timeZone: TimeZone(identifier: "UTC")!), "events.txt")
    }

    @Test func logsLinesArePrefixedAndAligned() {
        let lines = [
            LogLine(service: "db", timestamp: "2026-11-22T10:00:00.000Z", stream: "out", text: "ready"),
            LogLine(service: "worker", timestamp: "2026-11-22T10:00:01.500Z", stream: "err", text: "warming up"),
            LogLine(service: "db", timestamp: "", stream: "out", text: "a line in another shape"),
        ]
        #expect(LinePrinter(width: 6, timestamps: false, prefix: true).render(lines) == """
            db     | ready
            worker | warming up
            db     | a line in another shape

            """)
        #expect(LinePrinter(width: 6, timestamps: true, prefix: false).render(lines) == """
            2026-11-22T10:00:00.000Z ready
            2026-11-22T10:00:01.500Z warming up
            a line in another shape

            """)
    }

    /// The budget of the same stack with the live part attached, in the three formats.
    static func liveReport() throws -> BudgetReport {
        let loaded = try StackLoader.load(LoadOptions(
            files: [projectRoot + "/Tests/CLITests/Golden/live-stack.yml"], workingDirectory: projectRoot,
            projectName: nil, profiles: [], services: [], environment: [:], envFiles: nil, ignoreUnsupported: false))
        let host = Machine(profile: try HostProfile.load(path: projectRoot + "/cgroups/vps-1g.yml", displayName: "cgroups/vps-1g.yml"),
                          source: "cgroups/vps-1g.yml")
        var report = BudgetReport(stack: loaded.stack, host: host)
        var db = UsageSample(time: 100, service: "db")
        db.memoryBytes = 100 << 20
        db.cpuMicroseconds = 0
        db.periods = 0
        db.throttledPeriods = 0
        db.oomKills = 0
        var later = db
        later.time = 110
        later.memoryBytes = 140 << 20
        later.memoryPeakBytes = 180 << 20
        later.cpuMicroseconds = 2_500_000
        later.periods = 100
        later.throttledPeriods = 10
        later.oomKills = 1
        let windows = UsageWindow.summarize([db, later])
        report.attach(LiveBudget(status: status, time: 3600, windowSeconds: 3600, windows: windows))
        return report
    }

    @Test(arguments: [("table", "txt"), ("json", "json"), ("prometheus", "prom")])
    func liveBudget(format: String, suffix: String) throws {
        let report = try Self.liveReport()
        let text = switch format {
        case "table": report.table
        case "json": report.json
        default: report.prometheus
        }
        try expectGolden(text, "budget-live.\(suffix)")
    }

    /// The live JSON only adds to the static contract: every key and value of the static
    /// report is there unchanged, `live` aside.
    @Test func liveJSONIsBackwardCompatible() throws {
        var live = try Self.liveReport()
        let staticReport = { () -> BudgetReport in
            var copy = live
            copy.live = nil
            return copy
        }()
        live.warnings = staticReport.warnings
        func object(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }
        func strip(_ value: Any) -> Any {
            if let map = value as? [String: Any] { return map.filter { $0.key != "live" }.mapValues(strip) }
            if let list = value as? [Any] { return list.map(strip) }
            return value
        }
        let before = strip(try object(staticReport.json)) as! NSDictionary
        let after = strip(try object(live.json)) as! NSDictionary
        #expect(before == after)
        let services = try #require((try object(live.json) as? [String: Any])?["services"] as? [[String: Any]])
        #expect(services.allSatisfy { $0["live"] != nil })
    }
}
