import StackFile

/// Runs one service's health check or native probe on the loop, feeding the results to a
/// `HealthMonitor`, from the start of each run of the service until it stops.
final class HealthChecker {
    enum Runner {
        case exec(ExecProbe)
        case network(NetworkProbe)
    }

    private let timing: ProbeTiming
    private let probe: Runner
    private let loop: EventLoop
    private var timer: EventLoop.TimerID?
    private(set) var monitor: HealthMonitor?
    /// Called on the loop when the status changes, with a sentence saying why.
    var onChange: ((HealthMonitor.Status, String) -> Void)?

    init(timing: ProbeTiming, probe: Runner, loop: EventLoop) {
        self.timing = timing
        self.probe = probe
        self.loop = loop
    }

    var status: HealthMonitor.Status? { monitor?.status }

    /// The service started: `starting`, and the first probe one period from now.
    func start() {
        stop()
        let now = Instant.now
        let monitor = HealthMonitor(timing: timing, startedAt: now)
        self.monitor = monitor
        schedule(at: monitor.nextProbe(after: now))
    }

    /// The service stopped: no more probes, none in flight.
    func stop() {
        if let timer { loop.cancel(timer) }
        timer = nil
        switch probe {
        case let .exec(probe): probe.cancel()
        case let .network(probe): probe.cancel()
        }
        monitor = nil
    }

    private func schedule(at deadline: Instant) {
        timer = loop.schedule(at: deadline) { [weak self] in self?.runProbe() }
    }

    private func runProbe() {
        timer = nil
        let started = Instant.now
        let wallStart = WallClock.now
        let done: (Int32, String) -> Void = { [weak self] code, output in
            self?.probeEnded(code: code, output: output, started: started, wallStart: wallStart)
        }
        switch probe {
        case let .exec(probe): probe.run(timeout: timing.timeout, completion: done)
        case let .network(probe): probe.run(timeout: timing.timeout, completion: done)
        }
    }

    private func probeEnded(code: Int32, output: String, started: Instant, wallStart: Double) {
        guard var monitor else { return }
        let changed = monitor.record(exitCode: code, output: output, probeStarted: started,
                                     wallStart: wallStart, wallEnd: WallClock.now)
        self.monitor = monitor
        schedule(at: monitor.nextProbe(after: .now))
        guard let changed else { return }
        let last = output.split(separator: "\n").first.map(String.init) ?? ""
        let why: String
        switch changed {
        case .healthy: why = "healthy"
        case .unhealthy:
            why = "unhealthy after \(monitor.failingStreak) failed checks" + (last.isEmpty ? "" : " (last: \(last))")
        case .starting: why = "starting"
        }
        onChange?(changed, why)
    }
}
