/// Linux capabilities by name, with their numbers from `<linux/capability.h>`.
///
/// Names are kept without the `CAP_` prefix, the way compose files usually write them;
/// `normalize` accepts either form in any case, as Docker does.
public enum Capability {
    /// Every capability the kernel headers define, in number order (index = capability number).
    public static let all: [String] = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]

    /// Docker's default set (moby `caps/defaults.go`): what a service keeps unless it drops more.
    public static let dockerDefaults: [String] = [
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
        "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ]

    /// `cap_net_admin`, `CAP_NET_ADMIN`, `net_admin` → `NET_ADMIN`; `all` → `ALL`; `nil` when
    /// the name is not a capability.
    public static func normalize(_ text: String) -> String? {
        var name = text.uppercased()
        if name == "ALL" { return name }
        if name.hasPrefix("CAP_") { name.removeFirst(4) }
        return all.contains(name) ? name : nil
    }

    /// The capability's number, for libcap; `nil` for `ALL` and unknown names.
    public static func number(of name: String) -> Int? {
        all.firstIndex(of: name)
    }
}
