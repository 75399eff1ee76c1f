import Testing
import StackFile
@testable import Supervisor

/// Docker's health rules (moby `daemon/health.go`) on a virtual clock.
@Suite struct HealthMonitorTests {
    let t0 = Instant(nanoseconds: 100_000_000_000)

    func timing(interval: Duration = .seconds(30), timeout: Duration = .seconds(30), startPeriod: Duration = .zero,
                startInterval: Duration = .seconds(5), retries: Int = 3) -> ProbeTiming {
        var timing = ProbeTiming()
        timing.interval = interval
        timing.timeout = timeout
        timing.startPeriod = startPeriod
        timing.startInterval = startInterval
        timing.retries = retries
        return timing
    }

    /// Records a probe that started at `start` (seconds after t0).
    @discardableResult
    func probe(_ monitor: inout HealthMonitor, at start: Double, exit code: Int32, output: String = "") -> HealthMonitor.Status? {
        monitor.record(exitCode: code, output: output, probeStarted: t0 + .milliseconds(Int64(start * 1000)),
                       wallStart: start, wallEnd: start + 0.01)
    }

    @Test func startsStartingAndOneSuccessMakesItHealthy() {
        var monitor = HealthMonitor(timing: timing(), startedAt: t0)
        #expect(monitor.status == .starting)
        #expect(probe(&monitor, at: 30, exit: 0) == .healthy)
        #expect(monitor.status == .healthy)
        #expect(probe(&monitor, at: 60, exit: 0) == nil)
    }

    @Test func retriesConsecutiveFailuresMakeItUnhealthyAndOneSuccessHealthyAgain() {
        var monitor = HealthMonitor(timing: timing(retries: 3), startedAt: t0)
        probe(&monitor, at: 30, exit: 0)
        #expect(probe(&monitor, at: 60, exit: 1) == nil)
        #expect(probe(&monitor, at: 90, exit: 1) == nil)
        #expect(monitor.failingStreak == 2)
        #expect(probe(&monitor, at: 120, exit: 1) == .unhealthy)
        #expect(probe(&monitor, at: 150, exit: 1) == nil)
        #expect(probe(&monitor, at: 180, exit: 0) == .healthy)
        #expect(monitor.failingStreak == 0)
    }

    @Test func aSuccessBetweenFailuresResetsTheStreak() {
        var monitor = HealthMonitor(timing: timing(retries: 2), startedAt: t0)
        probe(&monitor, at: 30, exit: 1)
        probe(&monitor, at: 60, exit: 0)
        probe(&monitor, at: 90, exit: 1)
        #expect(monitor.status == .healthy)
        #expect(probe(&monitor, at: 120, exit: 1) == .unhealthy)
    }

    @Test func failuresInsideTheStartPeriodAreIgnoredWhileStarting() {
        var monitor = HealthMonitor(timing: timing(startPeriod: .seconds(10), retries: 1), startedAt: t0)
        #expect(probe(&monitor, at: 5, exit: 1) == nil)
        #expect(probe(&monitor, at: 9.999, exit: 1) == nil)
        #expect(monitor.failingStreak == 0)
        #expect(monitor.status == .starting)
        // A probe that starts at the end of the start period counts.
        #expect(probe(&monitor, at: 10, exit: 1) == .unhealthy)
    }

    @Test func failuresInsideTheStartPeriodCountOnceHealthy() {
        var monitor = HealthMonitor(timing: timing(startPeriod: .seconds(60), retries: 1), startedAt: t0)
        #expect(probe(&monitor, at: 5, exit: 0) == .healthy)
        #expect(probe(&monitor, at: 10, exit: 1) == .unhealthy)
    }

    @Test func probesRunEveryStartIntervalDuringTheStartPeriodThenEveryInterval() {
        var monitor = HealthMonitor(timing: timing(interval: .seconds(30), startPeriod: .seconds(20), startInterval: .seconds(2)),
                                    startedAt: t0)
        // The first probe waits one start interval.
        #expect(monitor.nextProbe(after: t0) == t0 + .seconds(2))
        #expect(monitor.nextProbe(after: t0 + .seconds(19)) == t0 + .seconds(21))
        // Past the start period: the interval.
        #expect(monitor.nextProbe(after: t0 + .seconds(20)) == t0 + .seconds(50))
        // Healthy inside the start period: the interval too.
        probe(&monitor, at: 3, exit: 0)
        #expect(monitor.nextProbe(after: t0 + .seconds(3)) == t0 + .seconds(33))
    }

    @Test func withoutAStartPeriodTheFirstProbeWaitsOneInterval() {
        let monitor = HealthMonitor(timing: timing(interval: .seconds(7)), startedAt: t0)
        #expect(monitor.nextProbe(after: t0) == t0 + .seconds(7))
    }

    @Test func aTimedOutProbeIsAFailureWithExitMinusOne() {
        var monitor = HealthMonitor(timing: timing(timeout: .seconds(1), retries: 1), startedAt: t0)
        #expect(probe(&monitor, at: 30, exit: -1, output: "Health check exceeded timeout (1s)") == .unhealthy)
        #expect(monitor.results.last?.exitCode == -1)
        #expect(monitor.results.last?.output == "Health check exceeded timeout (1s)")
    }

    @Test func keepsTheLastFiveResultsWithAtMost4096BytesEach() {
        var monitor = HealthMonitor(timing: timing(), startedAt: t0)
        for index in 0..<7 {
            probe(&monitor, at: Double(30 * (index + 1)), exit: Int32(index), output: String(repeating: "x", count: 5000))
        }
        #expect(monitor.results.map(\.exitCode) == [2, 3, 4, 5, 6])
        #expect(monitor.results.allSatisfy { $0.output.utf8.count == 4096 })
    }
}
