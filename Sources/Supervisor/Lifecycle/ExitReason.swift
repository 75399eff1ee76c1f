import StackFile

/// Why a service's main process ended, in the terms the history and `berth ps` use.
public indirect enum ExitReason: Equatable, Sendable, CustomStringConvertible {
    /// It called exit(N).
    case exited(code: Int32)
    /// A signal ended it.
    case killed(signal: Int32)
    /// The kernel's OOM killer ended it (`oom_kill` in `memory.events` went up).
    case oomKilled
    /// It never ran: the program could not be started (the message says why).
    case failedToStart(String)
    /// berth stopped it because its health check failed; how it then ended is kept, but
    /// whatever its exit code, that is not a success.
    case stoppedUnhealthy(ExitReason)

    /// Success for restart policies and `service_completed_successfully`: exit code 0.
    public var isSuccess: Bool { self == .exited(code: 0) }

    /// The name stored in the history's `end_kind`.
    public var kind: String {
        switch self {
        case .exited: return "exited"
        case .killed: return "killed"
        case .oomKilled: return "oom_killed"
        case .failedToStart: return "exec_failed"
        case .stoppedUnhealthy: return "unhealthy"
        }
    }

    public var description: String {
        switch self {
        case let .exited(code): return "exited with \(code)"
        case let .killed(signal): return "killed by \(SignalName.name(of: signal) ?? "signal \(signal)")"
        case .oomKilled: return "OOM-killed"
        case let .failedToStart(message): return "failed to start: \(message)"
        case let .stoppedUnhealthy(ending): return "stopped as unhealthy (\(ending))"
        }
    }

    /// The reason from a `waitpid` status, and whether the OOM killer struck meanwhile.
    public init(status exitCode: Int32?, signal: Int32?, oomKilled: Bool) {
        if oomKilled, signal == 9 || signal == nil {
            self = .oomKilled
        } else if let signal {
            self = .killed(signal: signal)
        } else {
            self = .exited(code: exitCode ?? 0)
        }
    }
}
