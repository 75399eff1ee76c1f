import Glibc

/// Where a running stack's control socket lives: `<run-dir>/berth.sock`, the run directory
/// being `/run/berth/<project>` for root and `$XDG_RUNTIME_DIR/berth/<project>` (or
/// `/tmp/berth-<uid>/<project>`) for others, unless `--run-dir` names one.
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public static func `default`(project: String, environment: [String: String]) -> RunDirectory {
        if getuid() == 0 { return RunDirectory(path: "/run/berth/\(project)") }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return RunDirectory(path: "\(runtime)/berth/\(project)")
        }
        return RunDirectory(path: "/tmp/berth-\(getuid())/\(project)")
    }

    public var socket: String { path + "/berth.sock" }

    /// Where a client finds a running stack: its own default first, then root's
    /// (`/run/berth/<project>`, which members of the group `berth` may use).
    public static func locate(project: String, environment: [String: String]) -> RunDirectory {
        let own = RunDirectory.default(project: project, environment: environment)
        let system = RunDirectory(path: "/run/berth/\(project)")
        for candidate in [own, system] where access(candidate.socket, F_OK) == 0 {
            return candidate
        }
        return own
    }
}
