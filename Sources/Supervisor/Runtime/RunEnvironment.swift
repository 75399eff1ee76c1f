import Foundation
import StateStore

/// What the services of one `berth up` share: the loop, the log writer, the history, the
/// cgroup event watcher, and the supervisor that coordinates them.
final class RunEnvironment {
    let loop: EventLoop
    let logs: LogWriter
    let history: HistoryStore?
    let sessionID: String
    let cgroupEvents: CgroupEventWatcher?
    weak var delegate: RunnerDelegate?

    init(loop: EventLoop, logs: LogWriter, history: HistoryStore?, sessionID: String, cgroupEvents: CgroupEventWatcher?) {
        self.loop = loop
        self.logs = logs
        self.history = history
        self.sessionID = sessionID
        self.cgroupEvents = cgroupEvents
    }

    func newRunID() -> String { UUID().uuidString.lowercased() }

    /// An event for the history, and a line for the terminal.
    func record(service: String?, kind: String, detail: String) {
        let now = WallClock.now
        history?.record(EventRecord(id: nil, time: now, sessionID: sessionID, service: service, kind: kind, detail: detail))
        logs.announce(Self.sentence(service: service, kind: kind, detail: detail), time: now)
    }

    /// An event for the history only (`berth events`), too detailed for the terminal.
    func remember(service: String?, kind: String, detail: String) {
        history?.record(EventRecord(id: nil, time: WallClock.now, sessionID: sessionID, service: service, kind: kind,
                                    detail: detail))
    }

    func announce(_ line: String) {
        logs.announce(line, time: WallClock.now)
    }

    /// `web started (pid 123)`, `web exited with 1`...
    static func sentence(service: String?, kind: String, detail: String) -> String {
        guard let subject = service else { return detail }
        switch kind {
        case "started": return "\(subject) started (\(detail))"
        case "exited": return "\(subject) \(detail)"
        case "stopped": return "\(subject) stopped (\(detail))"
        case "health": return "\(subject) is \(detail)"
        case "waiting": return "\(subject) is \(detail)"
        case "ready": return "\(subject) is ready (\(detail))"
        default: return "\(subject): \(kind.replacingOccurrences(of: "_", with: " ")): \(detail)"
        }
    }
}

/// The supervisor, as its services see it.
protocol RunnerDelegate: AnyObject {
    func register(pid: Int32, for runner: ServiceRunner)
    func serviceChanged(_ runner: ServiceRunner)
    /// A service berth started again after it had run: dependents with `restart: true` follow.
    func dependencyRestarted(_ runner: ServiceRunner)
}
