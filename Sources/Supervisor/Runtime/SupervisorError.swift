/// Why `berth up` could not start the stack. Nothing has been started when one is thrown.
public enum SupervisorError: Error, CustomStringConvertible, Sendable {
    case cannotPrepare(String)
    case alreadyRunning(pid: String, stateDirectory: String)
    /// Every problem found while preparing (programs not found, limits that cannot be enforced).
    case problems([String])

    public var description: String {
        switch self {
        case let .cannotPrepare(message): return message
        case let .alreadyRunning(pid, directory):
            return "another berth (pid \(pid)) is supervising this stack (state in \(directory))"
        case let .problems(lines): return lines.joined(separator: "\n")
        }
    }
}
