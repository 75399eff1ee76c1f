import Glibc

/// Where one stack keeps its history and logs, and the lock that keeps two supervisors from
/// running the same stack at once.
public struct StateDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `--state-dir`, else `/var/lib/berth/<project>` for root and
    /// `$XDG_STATE_HOME/berth/<project>` (or `~/.local/state/berth/<project>`) for others.
    public static func `default`(project: String, environment: [String: String]) -> StateDirectory {
        if getuid() == 0 { return StateDirectory(path: "/var/lib/berth/\(project)") }
        let base = environment["XDG_STATE_HOME"] ?? ((environment["HOME"] ?? "/tmp") + "/.local/state")
        return StateDirectory(path: "\(base)/berth/\(project)")
    }

    public var database: String { path + "/berth.db" }
    public var logs: String { path + "/logs" }

    /// Creates the directory and its `logs/`.
    public func create() throws(SupervisorError) {
        for directory in [path, logs] {
            var current = ""
            for part in directory.split(separator: "/") {
                current += "/" + part
                if mkdir(current, 0o755) != 0, errno != EEXIST {
                    throw .cannotPrepare("cannot create \(current): \(String(cString: strerror(errno)))")
                }
            }
        }
    }

    /// Takes the stack's lock for the life of the process; fails when another berth has it.
    public func lock() throws(SupervisorError) -> Int32 {
        let fd = open(path + "/berth.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotPrepare("cannot open \(path)/berth.lock: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(fd, &buffer, buffer.count)
            close(fd)
            let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: [" ", "\n"]) : "?"
            throw .alreadyRunning(pid: holder, stateDirectory: path)
        }
        _ = ftruncate(fd, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pwrite(fd, pid, pid.count, 0)
        return fd
    }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
