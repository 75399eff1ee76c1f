import Foundation
import Glibc
import StateStore
import Testing

/// Start and stop order, and when `up` ends by itself.
@Suite("berth up: order and exit")
struct OrderAndExitTests {
    /// 1. Dependencies start before their dependents; dependents are stopped before what they
    /// depend on (web, then app, then db).
    @Test func dependenciesStartFirstAndStopLast() throws {
        let sleep = argv("/bin/sleep", "1000")
        let run = try StackRun("""
            services:
              db:
                command: \(sleep)
                stop_grace_period: 2s
              app:
                command: \(sleep)
                depends_on: [db]
                stop_grace_period: 2s
              web:
                command: \(sleep)
                depends_on: [app]
                stop_grace_period: 2s
              worker:
                command: \(sleep)
                stop_grace_period: 2s
            """, name: "order")
        let services: Set<String> = ["db", "app", "web", "worker"]
        try run.waitUntil("a started event of every service") {
            Set(try run.events(kind: "started").compactMap(\.service)) == services
        }
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)

        let events = try run.events().inRecordedOrder
        func position(_ service: String, _ kind: String) throws -> Int {
            try #require(events.firstIndex { $0.service == service && $0.kind == kind },
                         "no \(kind) event of \(service) in:\n\(describe(events))")
        }
        for (dependent, dependency) in [("app", "db"), ("web", "app")] {
            #expect(try position(dependency, "started") < position(dependent, "started"),
                    "\(dependency) must start before \(dependent):\n\(describe(events))")
            #expect(try position(dependent, "stopping") < position(dependency, "stopping"),
                    "\(dependent) must be stopped before \(dependency):\n\(describe(events))")
            // Reverse order means the dependency is only asked to stop once its dependent is down.
            #expect(try position(dependent, "stopped") < position(dependency, "stopping"),
                    "\(dependency) was asked to stop before \(dependent) had stopped:\n\(describe(events))")
        }
        for service in services {
            #expect(try position(service, "stopped") >= 0)
        }
    }

    /// 11. When every service has ended and none restarts, `up` exits by itself: 0 when all
    /// exited 0, 1 when one exited non-zero.
    @Test(arguments: zip([[Int32(0), 0], [0, 4]], [Int32(0), 1]))
    func exitsWhenEveryServiceHasEnded(codes: [Int32], expected: Int32) throws {
        let run = try StackRun("""
            services:
              first:
                command: \(argv(example("crasher"), "--after", "100", "--code", String(codes[0])))
                restart: "no"
              second:
                command: \(argv(example("crasher"), "--after", "200", "--code", String(codes[1])))
                restart: "no"
            """, name: "selfexit")
        #expect(try run.waitForExit() == expected, "\(run.berth.tail())")

        for (service, code) in zip(["first", "second"], codes) {
            let runs = try run.runs(service)
            #expect(runs.count == 1, "\(service):\n\(describe(runs))")
            #expect(runs.first?.endKind == "exited", "\(service):\n\(describe(runs))")
            #expect(runs.first?.exitCode == code, "\(service):\n\(describe(runs))")
        }
        let session = try #require(try run.history.sessions(project: run.project).first)
        #expect(session.endReason == "finished")
        let down = try run.events(kind: "down")
        #expect(down.count == 1)
        if expected != 0 {
            #expect(down.first?.detail?.contains("services failed: second") == true, "\(describe(down))")
        }
        #expect(!FileManager.default.fileExists(atPath: run.cgroupRoot), "\(run.cgroupRoot) is left behind")
    }
}
