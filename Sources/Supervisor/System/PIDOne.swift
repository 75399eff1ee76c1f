import CLinux
import Confinement
import Glibc

/// What berth does when it is the first process of a machine (a VM or a small VPS booted
/// straight into it): mount the filesystems a system needs, and power off at the end —
/// PID 1 must never simply exit, or the kernel panics.
public enum PIDOne {
    public static var isPID1: Bool { getpid() == 1 }

    /// Mounts /proc, /sys, /dev, /run and cgroup2 where they are missing. Returns what it
    /// mounted, for the log.
    @discardableResult
    public static func mountSystemFilesystems() -> [String] {
        let nosuid = clinux_MS_NOSUID, nodev = clinux_MS_NODEV, noexec = clinux_MS_NOEXEC
        let table: [(source: String, target: String, type: String, flags: UInt, data: String?)] = [
            ("proc", "/proc", "proc", nosuid | nodev | noexec, nil),
            ("sysfs", "/sys", "sysfs", nosuid | nodev | noexec, nil),
            ("devtmpfs", "/dev", "devtmpfs", nosuid, "mode=0755"),
            ("tmpfs", "/run", "tmpfs", nosuid | nodev, "mode=0755"),
            ("cgroup2", "/sys/fs/cgroup", "cgroup2", nosuid | nodev | noexec, nil),
        ]
        var mounted: [String] = []
        for entry in table where !isMountPoint(entry.target, type: entry.type) {
            mkdir(entry.target, 0o755)
            if clinux_mount(entry.source, entry.target, entry.type, entry.flags, entry.data) == 0 {
                mounted.append(entry.target)
            }
        }
        return mounted
    }

    /// Flushes the filesystems and powers the machine off.
    public static func powerOff() -> Never {
        sync()
        _ = clinux_power_off()
        // reboot(2) only returns on failure; PID 1 must not exit, so wait for the end.
        while true { pause() }
    }

    /// Not PID 1: orphans of services still come back to berth to be reaped.
    public static func becomeSubreaper() {
        _ = clinux_become_subreaper()
    }

    private static func isMountPoint(_ path: String, type: String) -> Bool {
        guard let mounts = CgroupFiles.read("/proc/self/mounts") else { return false }
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[1] == path && (fields[2] == type || type == "devtmpfs")
        }
    }
}

extension PIDOne {
    /// The command-line arguments without the program name, read from what glibc passed to
    /// the process rather than from /proc, which PID 1 does not have yet.
    public static var arguments: [String] {
        let count = Int(clinux_argument_count())
        return (1..<max(1, count)).compactMap { clinux_argument(Int32($0)).map { String(cString: $0) } }
    }
}
