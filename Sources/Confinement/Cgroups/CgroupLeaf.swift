import CLinux
import Glibc

/// A cgroup v2 leaf: the directory one service instance's processes live in.
public struct CgroupLeaf: Sendable, CustomStringConvertible {
    public let name: String
    public let path: String

    public var description: String { path }

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// Creates the directory if needed.
    public func create() throws(CgroupFiles.Failure) {
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw CgroupFiles.Failure(path: path, errno: errno) }
    }

    /// An `O_PATH` descriptor of the directory, for `clone3(CLONE_INTO_CGROUP)`. The caller closes it.
    public func openDirectory() throws(CgroupFiles.Failure) -> Int32 {
        let fd = open(path, clinux_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw CgroupFiles.Failure(path: path, errno: errno) }
        return fd
    }

    public func write(_ setting: LimitSetting) throws(CgroupFiles.Failure) {
        try CgroupFiles.write(setting.value, to: path + "/" + setting.file)
    }

    /// Whether any process is still in the leaf (`cgroup.events`: `populated`).
    public var isPopulated: Bool {
        guard let text = CgroupFiles.read(path + "/cgroup.events") else { return !processes.isEmpty }
        return CgroupFiles.flatKeyed(text)["populated"] == 1
    }

    public var processes: [pid_t] {
        (CgroupFiles.read(path + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// `memory.events` counters (`oom`, `oom_kill`...); empty without the memory controller.
    public var memoryEvents: [String: Int64] {
        CgroupFiles.read(path + "/memory.events").map(CgroupFiles.flatKeyed) ?? [:]
    }

    /// SIGKILLs everything in the leaf at once, races with fork included (`cgroup.kill`).
    /// Without the file (kernels before 5.14), signals each process listed, until none is left.
    public func killAll() {
        if (try? CgroupFiles.write("1", to: path + "/cgroup.kill")) != nil { return }
        for _ in 0..<100 {
            let pids = processes
            if pids.isEmpty { return }
            for pid in pids { kill(pid, SIGKILL) }
        }
    }

    /// Removes the directory; fails with EBUSY while processes remain.
    public func remove() throws(CgroupFiles.Failure) {
        if rmdir(path) != 0, errno != ENOENT { throw CgroupFiles.Failure(path: path, errno: errno) }
    }

    /// The file to watch (inotify `IN_MODIFY`) to learn that the leaf emptied.
    public var eventsFile: String { path + "/cgroup.events" }
}
