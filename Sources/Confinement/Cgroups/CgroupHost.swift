import CLinux
import Glibc

/// How this host mounts cgroups, read the way runc, crun and systemd read it: with statfs.
public enum CgroupMode: String, Sendable, CustomStringConvertible {
    /// `/sys/fs/cgroup` is cgroup2: every controller berth needs can be there.
    case unified
    /// `/sys/fs/cgroup` is a tmpfs of v1 hierarchies with cgroup2 at `/sys/fs/cgroup/unified`,
    /// usually without the memory, cpu and pids controllers (they stay in v1).
    case hybrid
    /// v1 only: no cgroup2 at all.
    case legacy

    public var description: String { rawValue }

    static let cgroup2Magic: Int = 0x6367_7270
    static let tmpfsMagic: Int = 0x0102_1994

    /// The mode of the host whose cgroup filesystems are mounted under `root`.
    public static func detect(root: String = "/sys/fs/cgroup") -> CgroupMode {
        switch filesystemType(root) {
        case cgroup2Magic: return .unified
        case tmpfsMagic: return filesystemType(root + "/unified") == cgroup2Magic ? .hybrid : .legacy
        default: return .legacy
        }
    }

    /// Where the cgroup2 hierarchy is mounted in this mode, if anywhere.
    public func unifiedMount(root: String = "/sys/fs/cgroup") -> String? {
        switch self {
        case .unified: return root
        case .hybrid: return root + "/unified"
        case .legacy: return nil
        }
    }

    private static func filesystemType(_ path: String) -> Int? {
        let type = clinux_filesystem_type(path)
        return type < 0 ? nil : type
    }
}
