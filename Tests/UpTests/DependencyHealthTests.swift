import Foundation
import Glibc
import StateStore
import Testing

/// `depends_on` conditions on health and completion, on the first start and on every restart.
@Suite("berth up: dependencies and health")
struct DependencyHealthTests {
    /// A database stand-in: hello-http that answers /up after `readyAfter` ms, with a native probe
    /// (failures in its first minute do not count: it turns healthy, never unhealthy, on its own).
    private func db(port: Int, readyAfter: Int, restart: String = "\"no\"") -> String {
        """
            command: \(argv(example("hello-http"), "--port", String(port), "--ready-after", String(readyAfter)))
            restart: \(restart)
            x-berth:
              probe: {http: "http://127.0.0.1:\(port)/up", interval: 200ms, timeout: 2s, start_period: 60s, start_interval: 200ms}
        """
    }

    /// `service_healthy`: web starts only after db's probe said healthy, and says it waits.
    @Test func serviceHealthyWaitsForTheFirstHealthyVerdict() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              db:
            \(db(port: port, readyAfter: 1000))
              web:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  db: {condition: service_healthy}
            """, name: "svchealthy")
        try run.waitUntil("web to start", timeout: .seconds(20)) { try !run.runs("web").isEmpty }
        let events = try run.events().inRecordedOrder
        let healthy = events.index(of: "db", "health") { $0 == "healthy" }
        let started = events.index(of: "web", "started")
        let waiting = events.index(of: "web", "waiting") { $0 == "waiting for db to be healthy" }
        #expect(healthy != nil && started != nil && healthy! < started!, "db healthy, then web started:\n\(describe(events))")
        #expect(waiting != nil && started != nil && waiting! < started!, "web says what it waits for:\n\(describe(events))")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// The condition holds on restarts too: db exits (and is restarted, not healthy yet), web is
    /// killed meanwhile; web's restart waits until db is healthy again.
    @Test func restartWaitsForTheDependencyToBeHealthyAgain() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              db:
            \(db(port: port, readyAfter: 2500, restart: "always"))
              web:
                command: \(argv("/bin/sleep", "1000"))
                restart: always
                depends_on:
                  db: {condition: service_healthy}
            """, name: "restartwait")
        try run.waitUntil("web to start", timeout: .seconds(20)) { try !run.runs("web").isEmpty }
        let before = try run.events().count

        #expect(curl("http://127.0.0.1:\(port)/exit?code=1") == 0, "db's /exit did not answer")
        try run.waitUntil("db to start again", timeout: .seconds(20)) { try run.runs("db").count >= 2 }
        let web = try #require(try run.runs("web").first?.pid)
        kill(web, SIGKILL)

        try run.waitUntil("web to start again", timeout: .seconds(20)) { try run.runs("web").count >= 2 }
        let events = try run.events().inRecordedOrder
        let dbExited = events.index(of: "db", "exited", from: before)
        let dbHealthyAgain = dbExited.flatMap { events.index(of: "db", "health", from: $0) { $0 == "healthy" } }
        let webExited = events.index(of: "web", "exited", from: before)
        let webWaited = webExited.flatMap { events.index(of: "web", "waiting", from: $0) { $0 == "waiting for db to be healthy" } }
        // From web's exit on: `before` may be counted before web's first `started` was written.
        let webStartedAgain = webExited.flatMap { events.index(of: "web", "started", from: $0) }
        #expect(dbExited != nil && webExited != nil, "\(describe(events))")
        #expect(dbHealthyAgain != nil && webStartedAgain != nil && dbHealthyAgain! < webStartedAgain!,
                "web's restart must come after db is healthy again:\n\(describe(events))")
        #expect(webWaited != nil && webStartedAgain != nil && webWaited! < webStartedAgain!,
                "web's restart says it waits for db:\n\(describe(events))")
        let dbRuns = try run.runs("db")
        #expect(dbRuns.count == 2, "\(describe(dbRuns))")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// `depends_on.<db>.restart: true`: when berth starts db again, web is restarted too (new
    /// pid), once db is healthy again; db itself runs once per restart.
    @Test func dependentRestartsWithItsDependency() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              db:
            \(db(port: port, readyAfter: 500, restart: "always"))
              web:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  db: {condition: service_healthy, restart: true}
            """, name: "deprestart")
        try run.waitUntil("web to start", timeout: .seconds(20)) { try !run.runs("web").isEmpty }
        let before = try run.events().count

        #expect(curl("http://127.0.0.1:\(port)/exit?code=1") == 0, "db's /exit did not answer")
        try run.waitUntil("web to start again after db", timeout: .seconds(20)) {
            try run.runs("web").count >= 2
        }
        try run.waitUntil("db to be healthy again", timeout: .seconds(20)) {
            try run.events(service: "db", kind: "health").filter { $0.detail == "healthy" }.count >= 2
        }
        let webRuns = try run.runs("web")
        #expect(webRuns.count == 2 && webRuns[0].pid != webRuns[1].pid, "\(describe(webRuns))")
        let events = try run.events().inRecordedOrder
        let restarted = events.index(of: "web", "dependency_restarted", from: before)
        let restarting = events.index(of: "web", "restarting", from: before)
        let startedAgain = events.index(of: "web", "started", from: before)
        let dbHealthyAgain = events.index(of: "db", "health", from: before) { $0 == "healthy" }
        #expect(restarted != nil && restarting != nil, "\(describe(events))")
        #expect(startedAgain != nil && dbHealthyAgain != nil && dbHealthyAgain! < startedAgain!,
                "web starts again once db is healthy again:\n\(describe(events))")
        #expect(try run.events(service: "web", kind: "dependency_restarted").count == 1, "\(describe(events))")
        // db was restarted once: one new run, one process.
        let dbRuns = try run.runs("db")
        #expect(dbRuns.count == 2, "db must run exactly twice (one restart):\n\(describe(dbRuns))\n\(describe(events))")
        #expect(!run.log("db").contains("Address already in use"), "a second db was started:\n\(run.log("db"))")
        let dbPids = run.processes(inLeaf: "db").filter { Proc.stat($0)?.parent == run.pid }
        #expect(dbPids.count == 1, "db's leaf holds \(dbPids.count) main processes: \(dbPids)")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// `service_completed_successfully` on a dependency that exits 3: the dependent never
    /// starts, and says why.
    @Test func completedSuccessfullyFailsTheDependent() throws {
        let run = try StackRun("""
            services:
              migrate:
                command: \(argv(example("crasher"), "--code", "3"))
                restart: "no"
              web:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  migrate: {condition: service_completed_successfully}
            """, name: "completedfail")
        #expect(try run.waitForExit(timeout: .seconds(20)) == 1, "\(run.berth.tail())")
        let webRuns = try run.runs("web")
        #expect(webRuns.isEmpty, "\(describe(webRuns))")
        let web = try run.events(service: "web")
        let failure = web.first { $0.kind == "not_started" || $0.kind == "exited" }?.detail ?? ""
        #expect(failure.contains("migrate") && failure.contains("exited with 3"), "\(describe(web))")
        #expect(run.stdout.contains("migrate") && run.stdout.contains("exited with 3"), "\(run.berth.tail())")
    }

    /// `required: false`: the dependent starts anyway, with a warning.
    @Test func optionalDependencyThatFailedIsAWarning() throws {
        let run = try StackRun("""
            services:
              migrate:
                command: \(argv(example("crasher"), "--code", "3"))
                restart: "no"
              web:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  migrate: {condition: service_completed_successfully, required: false}
            """, name: "optionaldep")
        try run.waitUntil("web to start", timeout: .seconds(20)) { try !run.runs("web").isEmpty }
        let warnings = try run.events(service: "web", kind: "warning")
        #expect(warnings.count == 1, "\(describe(warnings))")
        let detail = warnings.first?.detail ?? ""
        #expect(detail.contains("migrate") && detail.contains("exited with 3"), "\(describe(warnings))")
        let events = try run.events().inRecordedOrder
        let exited = events.index(of: "migrate", "exited")
        let started = events.index(of: "web", "started")
        #expect(exited != nil && started != nil && exited! < started!, "\(describe(events))")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// The warning about an optional dependency is said once, even while the dependent still
    /// waits for another dependency (here one that turns healthy after a second).
    @Test func optionalDependencyWarningIsSaidOnceWhileWaiting() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              a-migrate:
                command: \(argv(example("crasher"), "--code", "3"))
                restart: "no"
              db:
            \(db(port: port, readyAfter: 1000))
              web:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  a-migrate: {condition: service_completed_successfully, required: false}
                  db: {condition: service_healthy}
            """, name: "warnonce")
        try run.waitUntil("web to start", timeout: .seconds(20)) { try !run.runs("web").isEmpty }
        let warnings = try run.events(service: "web", kind: "warning")
        #expect(warnings.count == 1, "one warning, not one per change while web waits:\n\(describe(warnings))")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// A service berth stopped because it was unhealthy has not completed successfully, even
    /// though its program exits 0 on SIGTERM: a `service_completed_successfully` dependent
    /// must not start.
    @Test func serviceStoppedAsUnhealthyIsNotASuccessfulCompletion() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              migrate:
                command: \(argv(example("hello-http"), "--port", String(port), "--fail-health"))
                restart: "no"
                x-berth:
                  probe: {http: "http://127.0.0.1:\(port)/up", interval: 200ms, timeout: 2s, retries: 2}
              web:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  migrate: {condition: service_completed_successfully}
            """, name: "unhealthydone")
        try run.waitUntil("migrate to be stopped as unhealthy", timeout: .seconds(20)) {
            try !run.events(service: "migrate", kind: "unhealthy_restart").isEmpty && run.endedRuns("migrate").count == 1
        }
        try run.waitUntil("web to be started or refused", timeout: .seconds(10)) {
            try !run.runs("web").isEmpty || !run.events(service: "web", kind: "not_started").isEmpty
        }
        let events = try run.events()
        let webRuns = try run.runs("web")
        #expect(webRuns.isEmpty, "web started after its dependency was stopped as unhealthy:\n\(describe(events))")
        let refusal = try run.events(service: "web", kind: "not_started").first?.detail ?? ""
        #expect(refusal.contains("migrate"), "\(describe(events))")
        run.signal(SIGTERM)
        try run.waitForExit()
    }
}
