import Testing
import StackFile
@testable import Supervisor

/// The service state machine and Docker's restart rules, on a virtual clock.
@Suite struct RestartTrackerTests {
    let start = Instant(nanoseconds: 1_000_000_000)

    @Test func crashLoopBackoffDoublesFrom100msTo60s() {
        var tracker = RestartTracker(policy: RestartPolicy(mode: .always))
        var delays: [Int64] = []
        for _ in 0..<14 {
            guard case let .restart(delay) = tracker.decide(after: .exited(code: 1), ran: .milliseconds(5), at: start) else {
                Issue.record("always must restart")
                return
            }
            delays.append(delay.milliseconds)
        }
        #expect(delays == [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000, 60000, 60000])
        #expect(tracker.restarts == 14)
    }

    @Test func aRunOfTenSecondsResetsTheBackoff() {
        var tracker = RestartTracker(policy: RestartPolicy(mode: .always))
        _ = tracker.decide(after: .exited(code: 1), ran: .milliseconds(1), at: start)
        _ = tracker.decide(after: .exited(code: 1), ran: .milliseconds(1), at: start)
        #expect(tracker.decide(after: .exited(code: 1), ran: .milliseconds(9_999), at: start) == .restart(after: .milliseconds(400)))
        #expect(tracker.decide(after: .exited(code: 1), ran: .seconds(10), at: start) == .restart(after: .milliseconds(100)))
        #expect(tracker.restarts == 4)
    }

    @Test(arguments: [
        (RestartPolicy.Mode.no, ExitReason.exited(code: 1), false),
        (.no, .exited(code: 0), false),
        (.always, .exited(code: 0), true),
        (.always, .killed(signal: 9), true),
        (.unlessStopped, .exited(code: 0), true),
        (.onFailure, .exited(code: 0), false),
        (.onFailure, .exited(code: 2), true),
        (.onFailure, .killed(signal: 11), true),
        (.onFailure, .oomKilled, true),
    ])
    func policiesRestartTheRightEndings(mode: RestartPolicy.Mode, reason: ExitReason, restarts: Bool) {
        var tracker = RestartTracker(policy: RestartPolicy(mode: mode))
        let decision = tracker.decide(after: reason, ran: .seconds(1), at: start)
        #expect((decision == .done) == !restarts)
    }

    @Test func onFailureCountsItsAttempts() {
        var tracker = RestartTracker(policy: RestartPolicy(mode: .onFailure, maxAttempts: 2))
        #expect(tracker.decide(after: .exited(code: 3), ran: .zero, at: start) == .restart(after: .milliseconds(100)))
        #expect(tracker.decide(after: .exited(code: 3), ran: .zero, at: start) == .restart(after: .milliseconds(200)))
        #expect(tracker.decide(after: .exited(code: 3), ran: .zero, at: start) == .gaveUp(attempts: 2))
        tracker.reset()
        #expect(tracker.decide(after: .exited(code: 3), ran: .zero, at: start) == .restart(after: .milliseconds(100)))
    }

    @Test func restartPolicyDelayAndWindow() {
        var tracker = RestartTracker(policy: RestartPolicy(mode: .always, maxAttempts: 2, delay: .seconds(5), window: .seconds(60)))
        #expect(tracker.decide(after: .exited(code: 1), ran: .zero, at: start) == .restart(after: .seconds(5)))
        #expect(tracker.decide(after: .exited(code: 1), ran: .zero, at: start + .seconds(10)) == .restart(after: .seconds(10)))
        #expect(tracker.decide(after: .exited(code: 1), ran: .zero, at: start + .seconds(20)) == .gaveUp(attempts: 2))
        // Restarts older than the window no longer count.
        #expect(tracker.decide(after: .exited(code: 1), ran: .seconds(30), at: start + .seconds(65)) == .restart(after: .seconds(5)))
    }

    @Test func aProgramThatNeverStartedIsNotRestarted() {
        var tracker = RestartTracker(policy: RestartPolicy(mode: .always))
        #expect(tracker.decide(after: .failedToStart("no such file"), ran: .zero, at: start) == .done)
    }
}

@Suite struct ServiceLifecycleTests {
    let t0 = Instant(nanoseconds: 5_000_000_000)

    func lifecycle(_ mode: RestartPolicy.Mode = .always) -> ServiceLifecycle {
        ServiceLifecycle(policy: RestartPolicy(mode: mode), stopSignal: 15, gracePeriod: .seconds(10))
    }

    @Test func aServiceStartsRunsEndsAndRestarts() {
        var service = lifecycle()
        #expect(service.handle(.start, at: t0) == [.spawn])
        #expect(service.handle(.spawned(pid: 42), at: t0) == [.record(kind: "started", detail: "pid 42")])
        #expect(service.state == .starting(pid: 42))
        #expect(service.handle(.executed, at: t0) == [])
        #expect(service.state == .running(pid: 42))
        #expect(service.handle(.exited(.exited(code: 1)), at: t0 + .seconds(1)) == [
            .cancelTimers, .record(kind: "exited", detail: "exited with 1"), .killLeaf, .awaitEmptyLeaf,
        ])
        #expect(service.state == .cleaning(.exited(code: 1)))
        #expect(service.handle(.leafEmpty, at: t0 + .seconds(1)) == [
            .record(kind: "restart_scheduled", detail: "restart 1 in 100ms"), .scheduleRestart(.milliseconds(100)),
        ])
        #expect(service.state == .backoff(.exited(code: 1), until: t0 + .seconds(1) + .milliseconds(100)))
        #expect(service.state.description == "ended (exited with 1), restarting")
        // After the backoff it waits for its dependencies again, then starts.
        #expect(service.handle(.backoffElapsed, at: t0 + .seconds(2)) == [.awaitDependencies])
        #expect(service.state == .restarting(.exited(code: 1)))
        #expect(service.handle(.dependenciesReady, at: t0 + .seconds(2)) == [.spawn])
    }

    @Test func stoppingSignalsThenKillsAfterTheGracePeriod() {
        var service = lifecycle()
        _ = service.handle(.start, at: t0)
        _ = service.handle(.spawned(pid: 7), at: t0)
        _ = service.handle(.executed, at: t0)
        #expect(service.handle(.stop, at: t0) == [
            .record(kind: "stopping", detail: "SIGTERM to pid 7"), .signal(pid: 7, signal: 15), .scheduleGrace(.seconds(10)),
        ])
        #expect(service.handle(.graceExpired, at: t0 + .seconds(10)) == [
            .record(kind: "killed", detail: "still running after the 10s grace period"), .killLeaf,
        ])
        _ = service.handle(.exited(.killed(signal: 9)), at: t0 + .seconds(10))
        #expect(service.handle(.leafEmpty, at: t0 + .seconds(10)) == [.record(kind: "stopped", detail: "killed by SIGKILL")])
        #expect(service.state == .stopped(.killed(signal: 9)))
        #expect(service.state.isFinal)
    }

    @Test func aStoppedServiceIsNeverRestartedEvenWithAlways() {
        var service = lifecycle(.always)
        _ = service.handle(.start, at: t0)
        _ = service.handle(.spawned(pid: 7), at: t0)
        _ = service.handle(.stop, at: t0)
        _ = service.handle(.exited(.exited(code: 0)), at: t0)
        _ = service.handle(.leafEmpty, at: t0)
        #expect(service.state == .stopped(.exited(code: 0)))
    }

    @Test func stoppingDuringBackoffCancelsTheRestart() {
        var service = lifecycle(.always)
        _ = service.handle(.start, at: t0)
        _ = service.handle(.spawned(pid: 7), at: t0)
        _ = service.handle(.exited(.exited(code: 1)), at: t0)
        _ = service.handle(.leafEmpty, at: t0)
        #expect(service.handle(.stop, at: t0) == [.cancelTimers, .record(kind: "stopped", detail: "restart cancelled")])
        #expect(service.handle(.backoffElapsed, at: t0 + .seconds(1)) == [])
        #expect(service.state == .stopped(.exited(code: 1)))
    }

    @Test func aFailedExecEndsTheServiceAndItsLateExitIsIgnored() {
        var service = lifecycle(.always)
        _ = service.handle(.start, at: t0)
        _ = service.handle(.spawned(pid: 9), at: t0)
        _ = service.handle(.spawnFailed("web: exec \"/x\": No such file or directory"), at: t0)
        #expect(service.state == .exited(.failedToStart("web: exec \"/x\": No such file or directory")))
        #expect(service.handle(.exited(.exited(code: 127)), at: t0) == [])
        #expect(service.state.isFinal)
    }

    @Test func onFailureGivesUp() {
        var service = ServiceLifecycle(policy: RestartPolicy(mode: .onFailure, maxAttempts: 1), stopSignal: 15, gracePeriod: .seconds(1))
        for pid: Int32 in [1, 2] {
            if pid == 1 { _ = service.handle(.start, at: t0) } else { _ = service.handle(.backoffElapsed, at: t0) }
            _ = service.handle(.spawned(pid: pid), at: t0)
            _ = service.handle(.exited(.exited(code: 4)), at: t0)
            _ = service.handle(.leafEmpty, at: t0)
        }
        #expect(service.state == .gaveUp(.exited(code: 4), attempts: 1))
        #expect(service.state.description == "exited with 4, gave up after 1 restarts")
    }

    @Test func aSecondInterruptKillsAtOnce() {
        var service = lifecycle()
        _ = service.handle(.start, at: t0)
        _ = service.handle(.spawned(pid: 3), at: t0)
        _ = service.handle(.stop, at: t0)
        #expect(service.handle(.kill, at: t0) == [.cancelTimers, .killLeaf])
        #expect(service.state == .stopping(pid: 3, escalated: true))
    }

    @Test func anUnhealthyServiceIsStoppedAndRestartedAsAFailure() {
        var service = ServiceLifecycle(policy: RestartPolicy(mode: .onFailure), stopSignal: 15, gracePeriod: .seconds(2))
        _ = service.handle(.start, at: t0)
        _ = service.handle(.spawned(pid: 5), at: t0)
        _ = service.handle(.executed, at: t0)
        #expect(service.handle(.unhealthy("3 failed health checks"), at: t0) == [
            .record(kind: "unhealthy_restart", detail: "3 failed health checks; stopping it to restart it"),
            .signal(pid: 5, signal: 15), .scheduleGrace(.seconds(2)),
        ])
        // It exits 0 on SIGTERM, yet on-failure restarts it: unhealthy counts as a failure.
        _ = service.handle(.exited(.exited(code: 0)), at: t0 + .seconds(1))
        #expect(service.handle(.leafEmpty, at: t0 + .seconds(1)) == [
            .record(kind: "restart_scheduled", detail: "restart 1 in 100ms"), .scheduleRestart(.milliseconds(100)),
        ])
    }

    @Test func anExplicitRestartSkipsThePolicyAndTheBackoff() {
        var service = lifecycle(.no)
        _ = service.handle(.start, at: t0)
        _ = service.handle(.spawned(pid: 5), at: t0)
        _ = service.handle(.executed, at: t0)
        _ = service.handle(.restart, at: t0)
        _ = service.handle(.exited(.killed(signal: 15)), at: t0)
        #expect(service.handle(.leafEmpty, at: t0) == [.awaitDependencies])
        #expect(service.state == .restarting(.killed(signal: 15)))
        #expect(service.handle(.dependenciesReady, at: t0) == [.spawn])
    }

    @Test func exitReasonsReadTheWaitStatus() {
        #expect(ExitReason(status: 3, signal: nil, oomKilled: false) == .exited(code: 3))
        #expect(ExitReason(status: nil, signal: 15, oomKilled: false) == .killed(signal: 15))
        #expect(ExitReason(status: nil, signal: 9, oomKilled: true) == .oomKilled)
        #expect(ExitReason.killed(signal: 9).description == "killed by SIGKILL")
    }
}
