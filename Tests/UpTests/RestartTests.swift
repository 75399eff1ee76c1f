import Foundation
import Glibc
import StateStore
import Testing

/// Restart policies, exit codes and backoff, read back from the history.
@Suite("berth up: restarts")
struct RestartTests {
    /// 2. Docker's restart policies: which endings restart, how many times, and how each run
    /// is recorded (end_kind, exit_code, signal, restart_count).
    @Test func restartPoliciesAndExitCodes() throws {
        let crasher = example("crasher")
        let run = try StackRun("""
            services:
              no-restart:
                command: \(argv(crasher, "--code", "3"))
                restart: "no"
              onfail-ok:
                command: \(argv(crasher, "--code", "0"))
                restart: on-failure
              onfail-bad:
                command: \(argv(crasher, "--code", "3"))
                restart: on-failure
              onfail-max:
                command: \(argv(crasher, "--code", "3"))
                restart: on-failure:2
              always-ok:
                command: \(argv(crasher, "--code", "0"))
                restart: always
              unless:
                command: \(argv(crasher, "--code", "0"))
                restart: unless-stopped
              signalled:
                command: \(argv(crasher, "--signal", "TERM"))
                restart: on-failure:1
            """, name: "policies")

        try run.waitUntil("on-failure:2 to give up, the others to restart twice", timeout: .seconds(15)) {
            try !run.events(service: "onfail-max", kind: "gave_up").isEmpty
                && !run.events(service: "signalled", kind: "gave_up").isEmpty
                && run.endedRuns("onfail-bad").count >= 3
                && run.endedRuns("always-ok").count >= 3
                && run.endedRuns("unless").count >= 3
                && run.endedRuns("no-restart").count == 1
                && run.endedRuns("onfail-ok").count == 1
        }
        // Read everything before stopping: a stop ends the running ones differently.
        var runs: [String: [RunRecord]] = [:]
        for service in ["no-restart", "onfail-ok", "onfail-bad", "onfail-max", "always-ok", "unless", "signalled"] {
            runs[service] = try run.endedRuns(service)
        }
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)

        // No restart: "no" whatever the code, on-failure after a success.
        for (service, code) in [("no-restart", Int32(3)), ("onfail-ok", 0)] {
            let all = try run.runs(service)
            #expect(all.count == 1, "\(service) must run once:\n\(describe(all))")
            #expect(all.first?.endKind == "exited" && all.first?.exitCode == code && all.first?.signal == nil,
                    "\(service):\n\(describe(all))")
            #expect(all.first?.restartCount == 0)
        }
        // Restarts: on-failure after a failure, always and unless-stopped after a success.
        for (service, code) in [("onfail-bad", Int32(3)), ("always-ok", 0), ("unless", 0)] {
            let ended = Array(runs[service, default: []].prefix(3))
            #expect(ended.count == 3, "\(service):\n\(describe(ended))")
            #expect(ended.map(\.restartCount) == [0, 1, 2], "\(service):\n\(describe(ended))")
            for (index, record) in ended.enumerated() {
                #expect(record.endKind == "exited" && record.exitCode == code && record.signal == nil,
                        "\(service) run #\(index) should have exited with \(code):\n\(describe(ended))")
            }
        }
        // on-failure:2: the first run and two restarts, then it gives up.
        let limited = try run.runs("onfail-max")
        #expect(limited.count == 3, "on-failure:2 must run exactly 3 times:\n\(describe(limited))")
        #expect(limited.map(\.restartCount) == [0, 1, 2], "\(describe(limited))")
        for (index, record) in limited.enumerated() {
            #expect(record.endKind == "exited" && record.exitCode == 3 && record.signal == nil,
                    "onfail-max run #\(index) should have exited with 3:\n\(describe(limited))")
        }
        let gaveUp = try run.events(service: "onfail-max", kind: "gave_up")
        #expect(gaveUp.count == 1)
        #expect(gaveUp.first?.detail?.hasPrefix("2 restarts") == true, "\(describe(gaveUp))")

        // A signal is a failure for on-failure: on-failure:1 runs twice.
        let signalled = try run.runs("signalled")
        #expect(signalled.count == 2, "\(describe(signalled))")
        for (index, record) in signalled.enumerated() {
            #expect(record.endKind == "killed" && record.signal == SIGTERM && record.exitCode == nil,
                    "signalled run #\(index) should have been killed by SIGTERM:\n\(describe(signalled))")
        }
        #expect(try run.events(service: "signalled", kind: "gave_up").count == 1)
    }

    /// 3. Docker's backoff: 100 ms after the first quick failure, doubling each time.
    @Test func backoffDoublesFromOneHundredMilliseconds() throws {
        let run = try StackRun("""
            services:
              looper:
                command: \(argv(example("crasher"), "--code", "1"))
                restart: always
            """, name: "backoff")
        try run.waitUntil("6 runs of looper", timeout: .seconds(20)) { try run.runs("looper").count >= 6 }
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)

        let runs = Array(try run.runs("looper").prefix(6))
        try #require(runs.count == 6)
        #expect(runs[0].backoffMilliseconds == nil, "\(describe(runs))")
        #expect(runs[1...].map(\.backoffMilliseconds) == [100, 200, 400, 800, 1600], "\(describe(runs))")
        #expect(runs.map(\.restartCount) == [0, 1, 2, 3, 4, 5], "\(describe(runs))")
        let scheduled = try run.events(service: "looper", kind: "restart_scheduled").inRecordedOrder.prefix(5)
        #expect(scheduled.map { $0.detail ?? "" } == [
            "restart 1 in 100ms", "restart 2 in 200ms", "restart 3 in 400ms", "restart 4 in 800ms", "restart 5 in 1s600ms",
        ], "\(describe(Array(scheduled)))")
    }

    /// 4. `deploy.restart_policy`: `delay` is the first wait, doubled after; `max_attempts`
    /// restarts, then berth gives up (and, the only service being done, exits 1).
    @Test func deployRestartPolicyDelayAndMaxAttempts() throws {
        let run = try StackRun("""
            services:
              limited:
                command: \(argv(example("crasher"), "--code", "1"))
                deploy:
                  restart_policy:
                    delay: 300ms
                    max_attempts: 2
            """, name: "deploypolicy")
        #expect(try run.waitForExit() == 1, "\(run.berth.tail())")

        let runs = try run.runs("limited")
        #expect(runs.count == 3, "\(describe(runs))")
        #expect(runs.map(\.backoffMilliseconds) == [nil, 300, 600], "\(describe(runs))")
        #expect(runs.map(\.restartCount) == [0, 1, 2], "\(describe(runs))")
        let gaveUp = try run.events(service: "limited", kind: "gave_up")
        let all = try run.events()
        #expect(gaveUp.count == 1, "\(describe(all))")
        #expect(gaveUp.first?.detail?.hasPrefix("2 restarts") == true)
    }

    /// 5. A crash loop: ten quick crashes with growing waits; SIGTERM during a wait stops the
    /// stack at once, cancelling the restart.
    @Test func crashLoopStaysResponsive() throws {
        let run = try StackRun("""
            services:
              crashy:
                command: \(argv(example("crasher"), "--code", "1"))
                deploy:
                  restart_policy:
                    condition: any
                    delay: 4ms
            """, name: "crashloop")
        // After the 10th crash, the 10th restart waits 4 ms × 2⁹ ≈ 2 s: SIGTERM lands in it.
        try run.waitUntil("10 crashes and the 10th restart scheduled", timeout: .seconds(20)) {
            try run.endedRuns("crashy").count >= 10 && run.events(service: "crashy", kind: "restart_scheduled").count >= 10
        }
        run.signal(SIGTERM)
        // A deadline below the pending 2 s wait: berth must not sit out the backoff.
        #expect(try run.waitForExit(timeout: .milliseconds(1500)) == 0)

        let runs = try run.runs("crashy")
        #expect(runs.count == 10, "no run may start after SIGTERM:\n\(describe(runs))")
        #expect(runs.allSatisfy { $0.endedAt != nil && (($0.exitCode ?? 0) != 0 || $0.signal != nil) }, "\(describe(runs))")
        #expect(runs.map(\.backoffMilliseconds) == [nil, 4, 8, 16, 32, 64, 128, 256, 512, 1024], "\(describe(runs))")
        let stopped = try run.events(service: "crashy", kind: "stopped")
        let all = try run.events()
        #expect(stopped.contains { $0.detail == "restart cancelled" }, "\(describe(all))")
        #expect(try run.history.sessions(project: run.project).first?.endReason == "stopped")
    }
}
