import Foundation
import Testing
@testable import Confinement

/// berth's built-in profile: its policy, and that it is at least as strict as Docker's.
@Suite struct SeccompBuiltinTests {
    private let amd64 = SeccompPlatform(architecture: "amd64", seccompArchitecture: "SCMP_ARCH_X86_64",
                                        kernel: KernelVersion(major: 6, minor: 18))
    private let defaults = SeccompProfile.dockerDefaultCapabilities

    /// What a profile allows for these capabilities: names allowed unconditionally, and
    /// conditional allowances as "name: conditions".
    private func allowed(_ profile: SeccompProfile, _ capabilities: Set<String>) -> (always: Set<String>, conditional: Set<String>) {
        var always: Set<String> = []
        var conditional: Set<String> = []
        for rule in profile.applicableRules(capabilities: capabilities, platform: amd64)
        where rule.action == .allow || rule.action == .log {
            for name in rule.names {
                if rule.args.isEmpty {
                    always.insert(name)
                } else {
                    conditional.insert("\(name): " + rule.args.map(\.description).joined(separator: ", "))
                }
            }
        }
        return (always, conditional.filter { !always.contains(String($0.prefix(while: { $0 != ":" }))) })
    }

    @Test func parsesWithTheSameParser() throws {
        let builtin = SeccompProfile.builtin
        #expect(builtin.file == "berth builtin")
        #expect(try SeccompProfile.parse(json: SeccompProfile.builtinJSON, file: "berth builtin") == builtin)
        #expect(builtin.defaultAction == .errno(1))
        #expect(builtin.archMap.first == .init(architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]))
    }

    @Test(arguments: [
        Set<String>(), SeccompProfile.dockerDefaultCapabilities, SeccompProfile.dockerDefaultCapabilities.union(["SYS_ADMIN"]),
        SeccompProfile.dockerDefaultCapabilities.union(["SYS_PTRACE", "SYS_TIME", "NET_ADMIN"]), ["ALL"],
    ])
    func allowsNothingDockersDefaultDenies(capabilities: Set<String>) {
        let berth = allowed(SeccompProfile.builtin, capabilities)
        let docker = allowed(dockerDefault, capabilities)
        #expect(berth.always.subtracting(docker.always).isEmpty)
        #expect(berth.conditional.filter { entry in
            !docker.conditional.contains(entry) && !docker.always.contains(String(entry.prefix(while: { $0 != ":" })))
        }.isEmpty)
    }

    @Test func stricterThanDockerForTheDefaultCapabilities() {
        let berth = allowed(SeccompProfile.builtin, defaults)
        let docker = allowed(dockerDefault, defaults)
        #expect(docker.always.subtracting(berth.always) == [
            "adjtimex", "clock_adjtime", "clock_adjtime64", "name_to_handle_at", "riscv_hwprobe",
            "ptrace", "process_vm_readv", "process_vm_writev",
        ])
        #expect(berth.conditional == docker.conditional)
    }

    static let deniedForDefaultCapabilities = [
        "mount", "umount2", "umount", "unshare", "setns", "keyctl", "add_key", "request_key", "bpf", "userfaultfd",
        "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
        "swapon", "swapoff", "pivot_root", "open_by_handle_at", "name_to_handle_at", "ptrace", "process_vm_readv",
        "process_vm_writev", "acct", "settimeofday", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime",
        "clock_adjtime64", "iopl", "ioperm", "lookup_dcookie", "quotactl", "quotactl_fd", "nfsservctl", "vm86",
        "vm86old", "fanotify_init", "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree",
        "mount_setattr", "io_uring_setup", "io_uring_enter", "io_uring_register", "clone3", "syslog", "mbind",
        "set_mempolicy", "sethostname", "kcmp", "pidfd_getfd",
    ]

    @Test func deniesTheDangerousCallsForTheDefaultCapabilities() {
        let berth = allowed(SeccompProfile.builtin, defaults)
        for name in Self.deniedForDefaultCapabilities {
            #expect(!berth.always.contains(name), "\(name) is allowed")
            #expect(!berth.conditional.contains { $0.hasPrefix(name + ":") }, "\(name) is allowed with conditions")
        }
        // clone only without namespace flags; socket for every family but AF_ALG and AF_VSOCK.
        #expect(berth.conditional.contains("clone: arg0 & 0x7e020000 == 0"))
        #expect(berth.conditional.isSuperset(of: ["socket: arg0 < 38", "socket: arg0 == 39", "socket: arg0 > 40"]))
    }

    @Test func neverAllowedWhateverTheCapabilities() {
        let berth = allowed(SeccompProfile.builtin, ["ALL"])
        for name in ["keyctl", "add_key", "request_key", "userfaultfd", "io_uring_setup", "io_uring_enter",
                     "io_uring_register", "kexec_load", "kexec_file_load", "swapon", "swapoff", "pivot_root",
                     "nfsservctl", "vm86", "vm86old"] {
            #expect(!berth.always.contains(name), "\(name) is allowed with ALL")
        }
    }

    @Test(arguments: [
        ("CAP_SYS_ADMIN", ["mount", "umount2", "unshare", "setns", "clone", "clone3", "fsopen", "fsmount", "move_mount",
                           "open_tree", "bpf", "perf_event_open", "sethostname", "quotactl", "lookup_dcookie"]),
        ("CAP_SYS_PTRACE", ["ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"]),
        ("CAP_SYS_TIME", ["settimeofday", "clock_settime", "adjtimex", "clock_adjtime"]),
        ("CAP_SYS_MODULE", ["init_module", "finit_module", "delete_module"]),
        ("CAP_SYS_BOOT", ["reboot"]),
        ("CAP_SYS_CHROOT", ["chroot"]),
        ("CAP_SYS_PACCT", ["acct"]),
        ("CAP_SYS_RAWIO", ["iopl", "ioperm"]),
        ("CAP_SYS_NICE", ["mbind", "get_mempolicy", "set_mempolicy"]),
        ("CAP_SYSLOG", ["syslog"]),
        ("CAP_BPF", ["bpf"]),
        ("CAP_PERFMON", ["perf_event_open"]),
        ("CAP_DAC_READ_SEARCH", ["open_by_handle_at", "name_to_handle_at"]),
        ("CAP_SYS_TTY_CONFIG", ["vhangup"]),
    ])
    func capabilityGatedAllowances(capability: String, names: [String]) {
        let without = allowed(SeccompProfile.builtin, [])
        let with = allowed(SeccompProfile.builtin, [capability])
        let short = allowed(SeccompProfile.builtin, [String(capability.dropFirst(4))])
        for name in names {
            #expect(with.always.contains(name), "\(capability) does not allow \(name)")
            #expect(short.always.contains(name))
            #expect(!without.always.contains(name), "\(name) is allowed without \(capability)")
        }
    }

    #if arch(x86_64)
    @Test func compilesForTheDefaultCapabilities() throws {
        let (program, warnings) = try SeccompProfile.builtin.compile(capabilities: defaults)
        #expect(program.ruleSummary.first == "default SCMP_ACT_ERRNO(1); architectures x86_64, x86, x32; libseccomp \(SeccompProfile.libseccompVersion)")
        #expect(program.ruleSummary.contains("syscalls[4]: SCMP_ACT_ERRNO(97) socket if arg0 == 38"))
        #expect(program.ruleSummary.contains("syscalls[19]: SCMP_ACT_ERRNO(38) clone3"))
        if SeccompProfile.libseccompVersion == "2.5.4" {
            #expect(warnings == ["""
                berth builtin: syscalls[0]: unknown system calls ignored: getxattrat, listmount, listxattrat, mseal, \
                removexattrat, setxattrat, statmount, uretprobe (libseccomp 2.5.4 does not know them)
                """])
            #expect(program.ruleCount == 363)
            #expect(program.instructionCount == 1238)  // a binary tree (SCMP_FLTATR_CTL_OPTIMIZE 2)
        }
    }

    #endif

    @Test func onlySystemCallsNewerThanLibseccompAreUnknown() throws {
        // Catches typos: every name is known to libseccomp, or one of the calls newer than 2.5.4.
        let newer: Set<String> = ["getxattrat", "listmount", "listxattrat", "mseal", "removexattrat", "setxattrat",
                                  "statmount", "uretprobe", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr",
                                  "riscv_hwprobe"]
        let warnings = try SeccompProfile.builtin.compile(capabilities: ["ALL"]).warnings
        for warning in warnings {
            let list = warning.split(separator: ":").last.map { $0.split(separator: "(")[0] } ?? ""
            for name in list.split(separator: ",") {
                #expect(newer.contains(name.trimmingCharacters(in: .whitespaces)), "\(warning)")
            }
        }
    }
}
