import Foundation
import Glibc
import StateStore
import Testing

/// Health checks: exec probes (`healthcheck`) in the service's leaf, native probes
/// (`x-berth.probe`) on berth's loop, and what an unhealthy service turns into.
@Suite("berth up: health checks")
struct HealthTests {
    // MARK: - Exec probes

    /// `CMD`, `CMD-SHELL` and a plain string test against hello-http all turn healthy.
    @Test func execChecksTurnHealthy() throws {
        let ports = (freePort(), freePort(), freePort())
        let http = example("hello-http")
        let run = try StackRun("""
            services:
              cmd:
                command: \(argv(http, "--port", String(ports.0)))
                healthcheck:
                  test: \(argv("CMD", "/usr/bin/curl", "-fsS", "http://127.0.0.1:\(ports.0)/healthz"))
                  interval: 200ms
                  timeout: 5s
              shell-list:
                command: \(argv(http, "--port", String(ports.1)))
                healthcheck:
                  test: \(argv("CMD-SHELL", "curl -fsS http://127.0.0.1:\(ports.1)/healthz && echo fine"))
                  interval: 200ms
                  timeout: 5s
              shell-string:
                command: \(argv(http, "--port", String(ports.2)))
                healthcheck:
                  test: "curl -fsS http://127.0.0.1:\(ports.2)/healthz | grep -q ok"
                  interval: 200ms
                  timeout: 5s
            """, name: "exechealthy")
        let services = ["cmd", "shell-list", "shell-string"]
        try run.waitUntil("a health event of every service", timeout: .seconds(20)) {
            try services.allSatisfy {
                try !run.events(service: $0, kind: "health").isEmpty && run.log($0).contains("GET /healthz 200")
            }
        }
        for service in services {
            let health = try run.events(service: service, kind: "health")
            #expect(health.first?.detail == "healthy", "\(service):\n\(describe(health))")
            #expect(lines(of: run.log(service), containing: "GET /healthz 200") >= 1, "\(service) log:\n\(run.log(service))")
        }
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// `start_period` with `start_interval`: hello-http answers 503 for its first 1.5 s; the
    /// check probes every 200 ms meanwhile, counts none of those failures (one counted failure
    /// would be enough to turn it unhealthy, `retries: 1`) and turns healthy once it answers.
    @Test func startPeriodIgnoresFailuresAndProbesAtStartInterval() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              warm:
                command: \(argv(example("hello-http"), "--port", String(port), "--ready-after", "1500"))
                healthcheck:
                  test: \(argv("CMD", "/usr/bin/curl", "-fsS", "http://127.0.0.1:\(port)/healthz"))
                  start_period: 5s
                  start_interval: 200ms
                  interval: 1s
                  timeout: 5s
                  retries: 1
                x-berth:
                  restart_on_unhealthy: false
            """, name: "startperiod")
        // hello-http logs a request after answering it: wait for the line too, not only the event.
        try run.waitUntil("warm to turn healthy", timeout: .seconds(20)) {
            try !run.events(service: "warm", kind: "health").isEmpty && run.log("warm").contains("GET /healthz 200")
        }
        let health = try run.events(service: "warm", kind: "health")
        #expect(health.map(\.detail) == ["healthy"], "no failure may count in the start period:\n\(describe(health))")

        // It was probed (and failed) several times before the first success: every
        // start_interval, not every interval (with a 1 s interval there would be one 503 at most).
        let log = run.log("warm").split(separator: "\n").filter { $0.contains("GET /healthz") }
        let firstOK = try #require(log.firstIndex { $0.contains("GET /healthz 200") }, "\(log)")
        let failuresBefore = log[..<firstOK].filter { $0.contains("GET /healthz 503") }.count
        #expect(failuresBefore >= 2, "503s before the first 200: \(failuresBefore)\n\(log.joined(separator: "\n"))")
        #expect(log[..<firstOK].allSatisfy { $0.contains(" 503 ") }, "\(log.joined(separator: "\n"))")

        // Healthy no sooner than hello-http answers 200 (1.5 s after it started).
        let started = try #require(try run.events(service: "warm", kind: "started").first)
        let healthy = try #require(health.first)
        #expect(healthy.time - started.time >= 1.5, "healthy \(healthy.time - started.time) s after the start")

        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// `retries: 2` against an endpoint that always fails: unhealthy after two failures in a row.
    @Test func unhealthyAfterRetriesConsecutiveFailures() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              sick:
                command: \(argv(example("hello-http"), "--port", String(port), "--fail-health"))
                healthcheck:
                  test: \(argv("CMD", "/usr/bin/curl", "-fsS", "http://127.0.0.1:\(port)/healthz"))
                  interval: 200ms
                  timeout: 5s
                  retries: 2
                x-berth:
                  restart_on_unhealthy: false
            """, name: "retries")
        try run.waitUntil("sick to turn unhealthy", timeout: .seconds(20)) {
            try !run.events(service: "sick", kind: "health").isEmpty
        }
        let health = try run.events(service: "sick", kind: "health")
        let first = try #require(health.first)
        #expect(first.detail?.hasPrefix("unhealthy after 2 failed checks") == true, "\(describe(health))")
        #expect(first.detail?.contains("500") == true, "the last output (curl's error) is quoted:\n\(describe(health))")
        #expect(lines(of: run.log("sick"), containing: "GET /healthz 500") >= 2, "\(run.log("sick"))")
        // restart_on_unhealthy: false — still its first run.
        #expect(try run.runs("sick").count == 1)
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// A test that runs past its `timeout` fails, says so, and is killed with what it started:
    /// the shell and its `sleep` (a process group) — no `sleep` is left in the leaf.
    @Test func probePastItsTimeoutFailsAndIsKilled() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              slowcheck:
                command: \(argv(example("hello-http"), "--port", String(port)))
                healthcheck:
                  test: \(argv("CMD-SHELL", "sleep 30; true"))
                  interval: 1s
                  timeout: 300ms
                  retries: 1
                x-berth:
                  restart_on_unhealthy: false
            """, name: "timeout")
        let children = ChildSampler(parent: run.pid)
        defer { children.stop() }
        // Every `sleep` seen in the leaf, sampled until the verdict.
        var sleeps: Set<Int32> = []
        try run.waitUntil("slowcheck to turn unhealthy", timeout: .seconds(20)) {
            for pid in run.processes(inLeaf: "slowcheck") where processName(pid) == "sleep" { sleeps.insert(pid) }
            return try !run.events(service: "slowcheck", kind: "health").isEmpty
        }
        let health = try run.events(service: "slowcheck", kind: "health")
        let last = try #require(health.last)
        #expect(last.detail?.hasPrefix("unhealthy") == true, "\(describe(health))")
        #expect(last.detail?.contains("exceeded timeout (300ms)") == true, "\(describe(health))")
        // The probe ran in the leaf (its sleep was seen there) and as a child of berth.
        #expect(!sleeps.isEmpty, "no sleep of the probe was ever seen in the leaf")
        let main = try #require(try run.runs("slowcheck").first?.pid)
        #expect(children.snapshot.children.keys.contains { $0 != main }, "berth never had a child but the service")

        // Each sleep seen so far was started by a probe that has timed out (or will, 300 ms
        // after it started): none may outlive its probe (sleep 30 would stay 30 s).
        try run.waitUntil("the timed-out probes' sleep processes to be gone", timeout: .seconds(5)) {
            sleeps.allSatisfy { !Proc.isAlive($0) }
        }
        let leaf = run.processes(inLeaf: "slowcheck")
        #expect(Set(leaf).isDisjoint(with: sleeps), "timed-out probes left in \(run.leaf("slowcheck")): \(leaf)")
        #expect(leaf.contains(main), "the service itself must still run")
        #expect(try run.runs("slowcheck").count == 1)

        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
        #expect(sleeps.allSatisfy { !Proc.isAlive($0) })
    }

    /// An exec probe runs in the service's own leaf, with the service's environment.
    @Test func execProbeRunsInTheServiceLeaf() throws {
        let run = try StackRun("", name: "probeleaf", start: false)
        let file = run.directory + "/probe-cgroup"
        try """
            services:
              inleaf:
                command: \(argv("/bin/sleep", "1000"))
                environment:
                  PROBE_MARK: marked-by-the-service
                healthcheck:
                  test: \(argv("CMD-SHELL", "{ cat /proc/self/cgroup; echo mark=$$PROBE_MARK; } > \(file).tmp && mv \(file).tmp \(file)"))
                  interval: 200ms
                  timeout: 5s
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        try run.launch()
        try run.waitUntil("the probe to write \(file)", timeout: .seconds(20)) {
            FileManager.default.fileExists(atPath: file)
        }
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let unified = text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
        #expect(unified?.hasSuffix("/berth-\(run.project)/inleaf") == true, "the probe ran in:\n\(text)")
        #expect(text.contains("mark=marked-by-the-service"), "the probe's environment:\n\(text)")
        try run.waitUntil("inleaf to turn healthy") {
            try run.events(service: "inleaf", kind: "health").first?.detail == "healthy"
        }
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    // MARK: - Native probes

    /// HTTP probes: 2xx and 3xx are healthy, 500 is not; TCP probes: healthy when the port
    /// listens, unhealthy when nothing does. None of them starts a process: berth's only
    /// children, sampled all along, are the services' main processes.
    @Test func nativeProbesJudgeAndStartNoProcess() throws {
        let ports = (up: freePort(), error: freePort(), redirect: freePort(), open: freePort(), closed: freePort())
        let http = example("hello-http")
        func probe(_ target: String) -> String {
            """
                x-berth:
                  restart_on_unhealthy: false
                  probe:
                    \(target)
                    interval: 200ms
                    timeout: 2s
                    retries: 2
            """
        }
        let run = try StackRun("""
            services:
              up:
                command: \(argv(http, "--port", String(ports.up)))
            \(probe("http: http://127.0.0.1:\(ports.up)/up"))
              error:
                command: \(argv(http, "--port", String(ports.error)))
            \(probe("http: http://127.0.0.1:\(ports.error)/status/500"))
              redirect:
                command: \(argv(http, "--port", String(ports.redirect)))
            \(probe("http: http://127.0.0.1:\(ports.redirect)/status/302"))
              tcp-open:
                command: \(argv(http, "--port", String(ports.open)))
            \(probe("tcp: 127.0.0.1:\(ports.open)"))
              tcp-closed:
                command: \(argv("/bin/sleep", "1000"))
            \(probe("tcp: 127.0.0.1:\(ports.closed)"))
            """, name: "native")
        let children = ChildSampler(parent: run.pid)
        defer { children.stop() }
        let expected = ["up": "healthy", "redirect": "healthy", "tcp-open": "healthy", "error": "unhealthy", "tcp-closed": "unhealthy"]
        try run.waitUntil("every probe's verdict", timeout: .seconds(20)) {
            try expected.keys.allSatisfy { try !run.events(service: $0, kind: "health").isEmpty }
        }
        for (service, verdict) in expected {
            let health = try run.events(service: service, kind: "health")
            #expect(health.count == 1 && health.first?.detail?.hasPrefix(verdict) == true, "\(service):\n\(describe(health))")
        }
        let error = try run.events(service: "error", kind: "health").first?.detail ?? ""
        #expect(error.hasPrefix("unhealthy after 2 failed checks") && error.contains("500"), "\(error)")
        let closed = try run.events(service: "tcp-closed", kind: "health").first?.detail ?? ""
        #expect(closed.contains("refused"), "\(closed)")

        // Several more probe periods, watched: only the main processes are ever berth's children.
        let baseline = (lines(of: run.log("up"), containing: "GET /up 200"),
                        lines(of: run.log("error"), containing: "GET /status/500 500"))
        try run.waitUntil("5 more probes of up and of error", timeout: .seconds(20)) {
            lines(of: run.log("up"), containing: "GET /up 200") >= baseline.0 + 5
                && lines(of: run.log("error"), containing: "GET /status/500 500") >= baseline.1 + 5
        }
        let (seen, samples) = children.stop()
        var mains: [Int32: String] = [:]
        for service in expected.keys {
            let runs = try run.runs(service)
            #expect(runs.count == 1, "\(service):\n\(describe(runs))")
            for record in runs { if let pid = record.pid { mains[pid] = service } }
        }
        let strangers = seen.filter { mains[$0.key] == nil }
        #expect(strangers.isEmpty, "berth started processes other than the services (\(samples) samples): \(strangers)")
        #expect(samples > 100, "too few samples of berth's children: \(samples)")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    // MARK: - Unhealthy services

    /// `restart_on_unhealthy` (default true) restarts an unhealthy service through its restart
    /// policy: `always` starts it again (new pid); with `restart_on_unhealthy: false` it keeps
    /// running while unhealthy; with `restart: "no"` it is stopped and stays stopped.
    @Test func unhealthyServicesAndTheirRestartPolicies() throws {
        let ports = (always: freePort(), keep: freePort(), once: freePort())
        let http = example("hello-http")
        func probe(_ port: Int) -> String {
            "{http: \"http://127.0.0.1:\(port)/up\", interval: 200ms, timeout: 2s, retries: 2}"
        }
        let run = try StackRun("""
            services:
              always:
                command: \(argv(http, "--port", String(ports.always), "--fail-health"))
                restart: always
                x-berth:
                  probe: \(probe(ports.always))
              keep:
                command: \(argv(http, "--port", String(ports.keep), "--fail-health"))
                restart: always
                x-berth:
                  restart_on_unhealthy: false
                  probe: \(probe(ports.keep))
              once:
                command: \(argv(http, "--port", String(ports.once), "--fail-health"))
                restart: "no"
                x-berth:
                  probe: \(probe(ports.once))
            """, name: "unhealthy")

        // always: unhealthy, restarted as a failure, runs again with a new pid.
        try run.waitUntil("always to run a second time", timeout: .seconds(20)) {
            try run.runs("always").count >= 2 && !run.events(service: "always", kind: "unhealthy_restart").isEmpty
        }
        let alwaysRuns = try run.runs("always")
        #expect(alwaysRuns[0].pid != alwaysRuns[1].pid, "\(describe(alwaysRuns))")
        #expect(alwaysRuns[0].endedAt != nil, "\(describe(alwaysRuns))")
        let events = try run.events().inRecordedOrder
        let verdict = events.index(of: "always", "health") { $0.hasPrefix("unhealthy") }
        let restart = events.index(of: "always", "unhealthy_restart")
        let secondStart = events.index(of: "always", "started").flatMap { events.index(of: "always", "started", from: $0 + 1) }
        #expect(verdict != nil && restart != nil && secondStart != nil && verdict! < restart! && restart! < secondStart!,
                "unhealthy, then unhealthy_restart, then started again:\n\(describe(events))")

        // once: stopped, and not started again.
        try run.waitUntil("once to be unhealthy and its run to end", timeout: .seconds(20)) {
            try !run.events(service: "once", kind: "unhealthy_restart").isEmpty && run.endedRuns("once").count == 1
        }
        // keep: unhealthy, and still running.
        try run.waitUntil("keep to be unhealthy", timeout: .seconds(20)) {
            try run.events(service: "keep", kind: "health").contains { $0.detail?.hasPrefix("unhealthy") == true }
        }
        // Five more probes of keep (a second or so) before judging that nothing else happens.
        let probed = lines(of: run.log("keep"), containing: "GET /up 500")
        try run.waitUntil("5 more probes of keep", timeout: .seconds(20)) {
            lines(of: run.log("keep"), containing: "GET /up 500") >= probed + 5
        }
        let keepRuns = try run.runs("keep")
        #expect(keepRuns.count == 1 && keepRuns.first?.endedAt == nil, "\(describe(keepRuns))")
        if let pid = keepRuns.first?.pid { #expect(Proc.isAlive(pid), "keep (pid \(pid)) is gone") }
        #expect(try run.events(service: "keep", kind: "unhealthy_restart").isEmpty)

        let onceRuns = try run.runs("once")
        #expect(onceRuns.count == 1, "restart: \"no\" must not start it again:\n\(describe(onceRuns))")
        let onceEvents = try run.events(service: "once")
        #expect(!onceEvents.contains { $0.kind == "restart_scheduled" }, "\(describe(onceEvents))")
        if let pid = onceRuns.first?.pid { #expect(!Proc.isAlive(pid), "once (pid \(pid)) still runs") }

        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }
}
