#if canImport(Glibc)
import Glibc
#endif

/// A problem with a seccomp profile: where it is (the file as the user wrote it, and the JSON
/// path in it) and what is wrong, printed as
/// `profile.json: syscalls[3].action: "SCMP_ACT_MAYBE" is not a seccomp action (...)`.
public struct SeccompProfileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The file could not be read (errno).
        case unreadable(errno: Int32)
        /// Not JSON; the 1-based line of the first syntax error.
        case syntax(line: Int)
        /// JSON, but not a valid profile (wrong type, unknown key or value, missing key).
        case invalid
        /// A system call libseccomp does not know, in strict mode (otherwise a warning).
        case unknownSyscall
        /// libseccomp refused something while compiling (an architecture, a rule, the export).
        case compile
    }

    public var kind: Kind
    /// The profile's name in messages (`profile.json`, `berth builtin`).
    public var file: String
    /// The JSON path (`syscalls[3].action`); empty when the problem is the whole document.
    public var path: String
    public var message: String

    public init(kind: Kind, file: String, path: String, message: String) {
        self.kind = kind
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String {
        switch kind {
        case let .syntax(line):
            return "\(file): invalid JSON at line \(line): \(message)"
        default:
            return path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
        }
    }

    static func invalid(_ file: String, _ path: String, _ message: String) -> SeccompProfileError {
        SeccompProfileError(kind: .invalid, file: file, path: path, message: message)
    }
}

/// strerror(3) as a String.
func seccompErrorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
