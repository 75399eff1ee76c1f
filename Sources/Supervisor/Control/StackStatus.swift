import Budget

/// How a running stack stands, as `berth ps` and the API report it.
public struct StackStatus: Sendable, Codable, Equatable {
    public var project: String
    public var pid: Int32
    public var stateDirectory: String
    public var logDirectory: String
    public var cgroupRoot: String?
    /// Unix time the supervisor started.
    public var startedAt: Double
    public var services: [ServiceStatus]

    enum CodingKeys: String, CodingKey {
        case project, pid, services
        case stateDirectory = "state_dir"
        case logDirectory = "log_dir"
        case cgroupRoot = "cgroup_root"
        case startedAt = "started_at"
    }
}

public struct ServiceStatus: Sendable, Codable, Equatable {
    public var name: String
    /// `running`, `starting`, `stopping`, `restarting`, `waiting`, `stopped`, `exited`, `gave up`...
    public var state: String
    /// The lifecycle's full sentence, e.g. `ended (exited with 1), restarting`.
    public var detail: String
    /// `starting`, `healthy`, `unhealthy`, `ready`, or nil without a health signal.
    public var health: String?
    public var pid: Int32?
    /// Unix time the current process started.
    public var startedAt: Double?
    public var restarts: Int
    /// How the last process ended.
    public var lastExit: String?
    /// Stopped with `berth stop`: it stays stopped until `berth start`.
    public var stoppedByUser: Bool
    /// The last `STATUS=` sent over sd_notify.
    public var notifyStatus: String?
    public var limits: Limits
    public var usage: Usage?
    /// A blue-green service's serving colour (`blue`, `green`); nil for other services.
    public var color: String? = nil
    /// During a deploy: the new instance's colour and state, e.g. `green starting`.
    public var deploying: String? = nil
    /// A second instance of a blue-green service (the one being deployed, or the one retiring),
    /// shown as its own row: the service it belongs to.
    public var instanceOf: String? = nil

    public struct Limits: Sendable, Codable, Equatable {
        public var memoryBytes: Int64?
        public var memoryReservationBytes: Int64?
        public var cpus: Double?
        public var pids: Int?
        /// Limits the host does not enforce (`--allow-unenforced`), in the stack's words.
        public var unenforced: [String]

        enum CodingKeys: String, CodingKey {
            case memoryBytes = "memory_bytes"
            case memoryReservationBytes = "memory_reservation_bytes"
            case cpus, pids, unenforced
        }
    }

    /// Live counters from the service's cgroup leaf.
    public typealias Usage = LiveUsage

    enum CodingKeys: String, CodingKey {
        case name, state, detail, health, pid, restarts, limits, usage, color, deploying
        case instanceOf = "instance_of"
        case startedAt = "started_at"
        case lastExit = "last_exit"
        case stoppedByUser = "stopped_by_user"
        case notifyStatus = "notify_status"
    }
}

/// What the API may ask a running supervisor to do.
public enum ControlCommand: Sendable, Equatable {
    /// Stop these services, and first what depends on them; they stay stopped until started.
    case stop([String])
    /// Start these services, and first what they depend on.
    case start([String])
    /// Restart these services (and dependents that ask for it with `depends_on.restart`).
    case restart([String])
    /// Stop everything in order and end the supervisor.
    case down
}

public enum ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownServices([String])
    case supervisorStopping

    public var description: String {
        switch self {
        case let .unknownServices(names): return "no such service: " + names.map { "\"\($0)\"" }.joined(separator: ", ")
        case .supervisorStopping: return "the stack is being stopped"
        }
    }
}
