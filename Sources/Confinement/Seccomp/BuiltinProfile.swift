/// berth's built-in seccomp profile: what a service gets without `security_opt: [seccomp=...]`
/// (`seccomp=unconfined` turns filtering off; `seccomp=PATH` replaces it).
///
/// It is Docker's default profile (moby/profiles `seccomp/default.json`, 2026-06) made
/// stricter, written in the same JSON format and read by the same parser as a user's profile,
/// so it is tested the same way. For Docker's 14 default capabilities it allows nothing
/// Docker's default does not (a test checks this). Group by group (see docs/seccomp.md):
///
/// - **Default: `SCMP_ACT_ERRNO` with EPERM.** A system call no rule allows fails with
///   "Operation not permitted", as under Docker. System calls newer than the linked libseccomp
///   fail with ENOSYS instead (the compiler's prefix), so a libc falls back to older ones.
/// - **Baseline** (`syscalls[0]`): Docker's unconditional allowlist (files, memory, signals,
///   sockets, timers, IPC, identity changes, `execve`, `prctl`, `seccomp`, ...), minus
///   `adjtimex`, `clock_adjtime(64)` (now with CAP_SYS_TIME) and `name_to_handle_at` (now with
///   CAP_DAC_READ_SEARCH). A read-only `adjtimex` query (ntp_gettime) therefore fails EPERM
///   without CAP_SYS_TIME.
/// - **Sockets**: every address family but AF_ALG (38, the kernel crypto API) and AF_VSOCK
///   (40, VM sockets), which fail with EAFNOSUPPORT, as on a kernel built without them
///   (Docker answers EPERM), so programs that probe for them take their fallback path.
///   Limits: on x86, 32-bit programs can still reach them through `socketcall`, which takes
///   its arguments by pointer (Docker has the same hole).
/// - **personality**: only the values Docker allows (PER_LINUX, PER_LINUX32, UNAME26, their
///   combination, and the 0xffffffff query).
/// - **Architecture-specific calls** as Docker: `arch_prctl` and `modify_ldt` on x86,
///   `cacheflush`/`set_tls`/... on arm, `s390_*` on s390, `riscv_flush_icache` and
///   `riscv_hwprobe` on riscv64 (Docker lists `riscv_hwprobe` for every architecture).
/// - **Namespaces**: `clone` without any CLONE_NEW* flag (`(flags & 0x7e020000) == 0`; on
///   s390 the flags are the second argument); `clone3` fails with ENOSYS (its flags are behind
///   a pointer, so the filter cannot inspect them) and glibc falls back to `clone`; `unshare`,
///   `setns`, `mount`, `umount2`, `pivot_root` and the new mount API (`fsopen`, `fsconfig`,
///   `fsmount`, `fspick`, `move_mount`, `open_tree`, `mount_setattr`) are denied.
/// - **Denied whatever the capabilities**: `keyctl`, `add_key`, `request_key` (the keyrings
///   are not namespaced), `userfaultfd`, `io_uring_*`, `kexec_load`, `kexec_file_load`,
///   `swapon`, `swapoff`, `pivot_root`, `nfsservctl`, `vm86`, `vm86old`, and every system call
///   the profile does not name.
/// - **Capability-gated**, as Docker's: CAP_SYS_ADMIN (namespaces and mounts: `clone` with
///   namespace flags, `clone3`, `unshare`, `setns`, `mount`, `umount(2)`, the new mount API;
///   `bpf`, `perf_event_open`, `fanotify_init`, `lookup_dcookie`, `quotactl(_fd)`,
///   `sethostname`, `setdomainname`, `syslog`, `lsm_*`), CAP_SYS_PTRACE (`ptrace`,
///   `process_vm_readv/writev`, `kcmp`, `pidfd_getfd`, `process_madvise`; Docker allows
///   `ptrace` to everyone on kernels from 4.8, berth does not), CAP_SYS_TIME (`settimeofday`,
///   `stime`, `clock_settime(64)`, `adjtimex`, `clock_adjtime(64)`), CAP_SYS_MODULE
///   (`init_module`, `finit_module`, `delete_module`), CAP_SYS_BOOT (`reboot`),
///   CAP_SYS_CHROOT (`chroot`), CAP_SYS_PACCT (`acct`), CAP_SYS_RAWIO (`iopl`, `ioperm`),
///   CAP_SYS_TTY_CONFIG (`vhangup`), CAP_SYS_NICE (`mbind`, `get_mempolicy`,
///   `set_mempolicy(_home_node)`), CAP_SYSLOG (`syslog`), CAP_BPF (`bpf`), CAP_PERFMON
///   (`perf_event_open`), CAP_DAC_READ_SEARCH (`open_by_handle_at`, `name_to_handle_at`).
///   The filter only stops asking; the kernel still checks the capability itself.
/// - **Architectures**: Docker's `archMap`, so on x86_64 the filter also covers x86 and x32
///   programs (each with the same rules); on aarch64 it covers arm.
extension SeccompProfile {
    /// berth's default profile (see above), parsed once.
    public static let builtin: SeccompProfile = {
        do {
            return try SeccompProfile.parse(json: builtinJSON, file: builtinName)
        } catch {
            fatalError("berth's built-in seccomp profile does not parse: \(error)")
        }
    }()

    /// How messages name the built-in profile.
    public static let builtinName = "berth builtin"

    /// The built-in profile's JSON, as `berth` could write it out for `seccomp=PATH` editing.
    public static let builtinJSON = """
    {
        "comment": "berth's built-in seccomp profile: Docker's default, made stricter (docs/seccomp.md)",
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
            {"architecture": "SCMP_ARCH_MIPS64", "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"]},
            {"architecture": "SCMP_ARCH_MIPS64N32", "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"]},
            {"architecture": "SCMP_ARCH_MIPSEL64", "subArchitectures": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"]},
            {"architecture": "SCMP_ARCH_MIPSEL64N32", "subArchitectures": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"]},
            {"architecture": "SCMP_ARCH_S390X", "subArchitectures": ["SCMP_ARCH_S390"]},
            {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": []},
            {"architecture": "SCMP_ARCH_LOONGARCH64", "subArchitectures": []}
        ],
        "syscalls": [
            {
                "comment": "baseline: Docker's allowlist but adjtimex, clock_adjtime(64), name_to_handle_at, riscv_hwprobe",
                "action": "SCMP_ACT_ALLOW",
                "names": [
                    "_llseek", "_newselect", "accept", "accept4", "access", "alarm", "bind", "brk",
                    "cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_getres",
                    "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
                    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range",
                    "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
                    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
                    "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
                    "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir",
                    "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl",
                    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
                    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
                    "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
                    "futex_waitv", "futex_wake", "futimesat", "get_robust_list", "get_thread_area",
                    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
                    "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
                    "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
                    "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "getrusage",
                    "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getuid32",
                    "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
                    "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
                    "io_pgetevents_time64", "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set",
                    "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
                    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
                    "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "lremovexattr",
                    "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
                    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
                    "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
                    "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
                    "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv",
                    "msgsnd", "msync", "munlock", "munlockall", "munmap", "nanosleep", "newfstatat",
                    "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
                    "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64",
                    "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
                    "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
                    "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
                    "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
                    "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
                    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
                    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
                    "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity",
                    "sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
                    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
                    "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
                    "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
                    "sendmsg", "sendto", "set_robust_list", "set_thread_area", "set_tid_address",
                    "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
                    "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
                    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
                    "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "setxattrat",
                    "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
                    "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
                    "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync",
                    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
                    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
                    "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
                    "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
                    "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
                    "uretprobe", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice",
                    "wait4", "waitid", "waitpid", "write", "writev"
                ]
            },
            {
                "comment": "sockets of every family but AF_ALG (38) and AF_VSOCK (40)",
                "names": ["socket"], "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_LT"}]
            },
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 39, "op": "SCMP_CMP_EQ"}]},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}]},
            {
                "comment": "AF_ALG and AF_VSOCK look absent from the kernel: EAFNOSUPPORT (97)",
                "names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
                "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]
            },
            {
                "names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
                "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]
            },
            {
                "comment": "personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query",
                "names": ["personality"], "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]
            },
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 131072, "op": "SCMP_CMP_EQ"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 131080, "op": "SCMP_CMP_EQ"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
            {
                "comment": "architecture-specific system calls, as Docker",
                "names": ["sync_file_range2", "swapcontext"], "action": "SCMP_ACT_ALLOW",
                "includes": {"arches": ["ppc64le"]}
            },
            {
                "names": ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
                "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}
            },
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
            {"names": ["modify_ldt"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32", "x86"]}},
            {
                "names": ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"],
                "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390", "s390x"]}
            },
            {"names": ["riscv_flush_icache", "riscv_hwprobe"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["riscv64"]}},
            {
                "comment": "clone without CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET, unless CAP_SYS_ADMIN",
                "names": ["clone"], "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
                "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}
            },
            {
                "comment": "s390 passes the clone flags second",
                "names": ["clone"], "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 1, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
                "includes": {"arches": ["s390", "s390x"]}, "excludes": {"caps": ["CAP_SYS_ADMIN"]}
            },
            {
                "comment": "clone3 keeps its flags behind a pointer: ENOSYS (38), so libc falls back to clone",
                "names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                "excludes": {"caps": ["CAP_SYS_ADMIN"]}
            },
            {
                "comment": "CAP_SYS_ADMIN: namespaces, mounts and the administration calls Docker gives it",
                "names": [
                    "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
                    "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
                    "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
                    "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare"
                ],
                "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}
            },
            {
                "names": ["clone"], "action": "SCMP_ACT_ALLOW",
                "includes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}
            },
            {
                "names": ["open_by_handle_at", "name_to_handle_at"], "action": "SCMP_ACT_ALLOW",
                "includes": {"caps": ["CAP_DAC_READ_SEARCH"]}
            },
            {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}},
            {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
            {
                "names": ["delete_module", "init_module", "finit_module"], "action": "SCMP_ACT_ALLOW",
                "includes": {"caps": ["CAP_SYS_MODULE"]}
            },
            {"names": ["acct"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PACCT"]}},
            {
                "comment": "Docker allows ptrace and process_vm_* to everyone from kernel 4.8; berth only with CAP_SYS_PTRACE",
                "names": ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
                "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}
            },
            {"names": ["iopl", "ioperm"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_RAWIO"]}},
            {
                "comment": "Docker allows adjtimex and clock_adjtime to everyone; berth only with CAP_SYS_TIME",
                "names": [
                    "settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime",
                    "clock_adjtime64"
                ],
                "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_TIME"]}
            },
            {"names": ["vhangup"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_TTY_CONFIG"]}},
            {
                "names": ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"],
                "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_NICE"]}
            },
            {"names": ["syslog"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYSLOG"]}},
            {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_BPF"]}},
            {"names": ["perf_event_open"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_PERFMON"]}}
        ]
    }
    """
}
