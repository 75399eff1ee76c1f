import Glibc
import Synchronization

/// The part of the cgroup v2 hierarchy berth manages: a root directory holding berth's own
/// `supervisor` leaf and one sibling leaf per service instance. No process ever sits in an
/// inner node, so controllers can be enabled for the leaves (the kernel's no-internal-process
/// rule).
///
/// Where the root is:
/// - as PID 1, the cgroup2 mount itself;
/// - when berth's cgroup holds berth alone (systemd with `Delegate=yes`, or any manager that
///   gave berth a cgroup of its own), that cgroup;
/// - otherwise (a login session, a shared cgroup), a `berth-<project>` child of it, which gives
///   placement and `cgroup.kill` but controllers only where the parent can pass them down.
public final class CgroupTree: Sendable {
    public enum Placement: String, Sendable {
        case pid1 = "PID 1"
        case delegated = "delegated cgroup"
        case nested = "shared cgroup"
    }

    public let mode: CgroupMode
    public let placement: Placement
    /// Directory of the managed subtree.
    public let root: String
    /// The cgroup berth was in when it started (to return to before removing a nested root).
    public let original: String
    /// Controllers the leaves get (enabled in the root's `cgroup.subtree_control`).
    public let enabledControllers: Set<String>
    /// Why each wanted controller is missing, for error messages.
    public let missingReasons: [String: String]
    /// An flock(2) on the root directory, held while berth runs: a second berth for the same
    /// project (another state directory, another user) must not take the leaves over.
    private let lockDescriptor: Mutex<Int32>

    /// The controllers berth enforces limits with.
    public static let wanted = ["memory", "cpu", "pids"]

    init(mode: CgroupMode, placement: Placement, root: String, original: String,
         enabledControllers: Set<String>, missingReasons: [String: String], lockDescriptor: Int32 = -1) {
        self.lockDescriptor = Mutex(lockDescriptor)
        self.mode = mode
        self.placement = placement
        self.root = root
        self.original = original
        self.enabledControllers = enabledControllers
        self.missingReasons = missingReasons
    }

    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
        /// Another berth holds the project's subtree; running without cgroups is no way out.
        public var isConflict = false
    }

    /// Finds or makes the managed subtree, moves berth into its `supervisor` leaf and enables
    /// the controllers it can. `mountRoot` is `/sys/fs/cgroup` except in tests.
    public static func prepare(project: String, isPID1: Bool, mountRoot: String = "/sys/fs/cgroup",
                               selfCgroupFile: String = "/proc/self/cgroup") throws(SetupError) -> CgroupTree {
        let mode = CgroupMode.detect(root: mountRoot)
        guard let mount = mode.unifiedMount(root: mountRoot) else {
            throw SetupError(description: "this host has no cgroup v2 hierarchy (legacy cgroup v1 only)")
        }
        let ownPath = ownCgroup(selfCgroupFile) ?? "/"
        let own = ownPath == "/" ? mount : mount + ownPath
        let placement: Placement
        let root: String
        if isPID1 {
            placement = .pid1
            root = mount
        } else if ownPath != "/", holdsOnlyThisProcess(own) {
            placement = .delegated
            root = own
        } else {
            placement = .nested
            root = own + "/berth-" + project
        }

        let supervisor = CgroupLeaf(name: "supervisor", path: root + "/supervisor")
        var lock: Int32 = -1
        do {
            if placement == .nested { try CgroupLeaf(name: "root", path: root).create() }
            lock = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if lock >= 0, flock(lock, LOCK_EX | LOCK_NB) != 0, errno == EWOULDBLOCK {
                close(lock)
                let holder = supervisor.processes.first.map { " (pid \($0))" } ?? ""
                throw SetupError(description: "another berth\(holder) runs project \"\(project)\" in \(root); "
                    + "stop it first (berth down -p \(project)), or give this stack another project name with -p",
                                 isConflict: true)
            }
            try supervisor.create()
            try CgroupFiles.write(String(getpid()), to: supervisor.path + "/cgroup.procs")
        } catch let error as SetupError {
            throw error
        } catch {
            if lock >= 0 { close(lock) }
            throw SetupError(description: "cannot place berth in \(supervisor.path): \(error)")
        }

        var reasons: [String: String] = [:]
        if placement == .nested, own != mount {
            // The parent must pass controllers down; it can only if no process sits in it.
            enable(wanted, in: own)
        } else if placement == .nested {
            enable(wanted, in: mount)
        }
        let available = Set(words(CgroupFiles.read(root + "/cgroup.controllers")))
        enable(wanted.filter(available.contains), in: root)
        let enabled = Set(words(CgroupFiles.read(root + "/cgroup.subtree_control")))
        for controller in wanted where !enabled.contains(controller) {
            reasons[controller] = missingReason(controller, mode: mode, mount: mount, placement: placement,
                                                own: own, available: available)
        }
        return CgroupTree(mode: mode, placement: placement, root: root, original: own,
                          enabledControllers: enabled, missingReasons: reasons, lockDescriptor: lock)
    }

    public func leaf(named name: String) -> CgroupLeaf {
        CgroupLeaf(name: name, path: root + "/" + name)
    }

    /// Leaves other than berth's own: what a previous run may have left behind.
    public func existingLeaves() -> [CgroupLeaf] {
        guard let directory = opendir(root) else { return [] }
        defer { closedir(directory) }
        var leaves: [CgroupLeaf] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard entry.pointee.d_type == UInt8(DT_DIR), name != ".", name != "..", name != "supervisor" else { continue }
            leaves.append(leaf(named: name))
        }
        return leaves.sorted { $0.name < $1.name }
    }

    /// Splits the limits of a service into those this tree can enforce and those it cannot.
    public func plan(_ settings: [LimitSetting]) -> (enforced: [LimitSetting], unenforced: [LimitSetting]) {
        let enforced = settings.filter { enabledControllers.contains($0.controller) }
        let unenforced = settings.filter { !enabledControllers.contains($0.controller) }
        return (enforced, unenforced)
    }

    /// Moves berth back where it came from and removes the managed subtree, when berth made it.
    public func dismantle() {
        lockDescriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
        guard placement == .nested else { return }
        try? CgroupFiles.write(String(getpid()), to: original + "/cgroup.procs")
        rmdir(root + "/supervisor")
        rmdir(root)
    }

    // MARK: - Helpers

    static func ownCgroup(_ file: String) -> String? {
        for line in (CgroupFiles.read(file) ?? "").split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return nil
    }

    private static func holdsOnlyThisProcess(_ directory: String) -> Bool {
        let pids = (CgroupFiles.read(directory + "/cgroup.procs") ?? "").split(separator: "\n")
        return pids == [Substring(String(getpid()))]
    }

    private static func enable(_ controllers: [String], in directory: String) {
        guard !controllers.isEmpty else { return }
        let file = directory + "/cgroup.subtree_control"
        if (try? CgroupFiles.write(controllers.map { "+" + $0 }.joined(separator: " "), to: file)) != nil { return }
        // All-or-nothing failed: get what can be had, one at a time (runc does the same).
        for controller in controllers { try? CgroupFiles.write("+" + controller, to: file) }
    }

    private static func words(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    private static func missingReason(_ controller: String, mode: CgroupMode, mount: String, placement: Placement,
                                      own: String, available: Set<String>) -> String {
        let offered = Set(words(CgroupFiles.read(mount + "/cgroup.controllers")))
        if !offered.contains(controller) {
            let list = offered.isEmpty ? "none" : offered.sorted().joined(separator: " ")
            return mode == .hybrid
                ? "this is a hybrid host: cgroup v2 at \(mount) offers only \(list); \(controller) stays in cgroup v1"
                : "the kernel does not offer it (cgroup v2 controllers: \(list))"
        }
        if placement == .nested {
            return "berth's cgroup \(own) is shared with other processes, so it cannot pass controllers down; "
                + "run berth under systemd with Delegate=yes (contrib/berth.service), as PID 1, "
                + "or with `systemd-run --scope -p Delegate=yes berth up`"
        }
        return available.contains(controller)
            ? "enabling it in \(own)/cgroup.subtree_control failed"
            : "the cgroup above \(own) does not delegate it"
    }
}
