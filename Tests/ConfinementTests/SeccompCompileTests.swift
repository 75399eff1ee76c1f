import Testing
@testable import Confinement

/// Choosing the rules for a service and compiling them with libseccomp.
@Suite struct SeccompCompileTests {
    private let amd64 = SeccompPlatform(architecture: "amd64", seccompArchitecture: "SCMP_ARCH_X86_64",
                                        kernel: KernelVersion(major: 6, minor: 18))
    private let defaults = SeccompProfile.dockerDefaultCapabilities

    private func positions(_ capabilities: Set<String>, platform: SeccompPlatform? = nil) -> [Int] {
        dockerDefault.applicableRules(capabilities: capabilities, platform: platform ?? amd64).map(\.position)
    }

    @Test func dockerDefaultRulesForTheDefaultCapabilities() {
        // 0 baseline, 1 ptrace (4.8), 2-4 socket, 5-9 personality, 12 arch_prctl, 13 modify_ldt,
        // 18 clone without namespaces, 20 clone3 → ENOSYS, 22 chroot (CAP_SYS_CHROOT is a default).
        #expect(positions(defaults) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 18, 20, 22])
    }

    @Test func capabilitiesSelectRules() {
        // CAP_SYS_ADMIN: its group (17) instead of the namespace-free clone (18) and clone3 ENOSYS (20).
        let admin = positions(defaults.union(["CAP_SYS_ADMIN"]))
        #expect(admin.contains(17) && !admin.contains(18) && !admin.contains(20))
        // Both spellings, any case.
        #expect(positions(defaults.union(["SYS_ADMIN"])) == admin)
        #expect(positions(defaults.union(["cap_sys_admin"])) == admin)
        // Without CAP_SYS_CHROOT no chroot.
        #expect(!positions(defaults.subtracting(["CAP_SYS_CHROOT"])).contains(22))
        // ALL: every capability rule for amd64.
        #expect(positions(["ALL"]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32])
        #expect(positions([]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 18, 20])
    }

    @Test func architectureAndKernelSelectRules() {
        let arm64 = SeccompPlatform(architecture: "arm64", seccompArchitecture: "SCMP_ARCH_AARCH64",
                                    kernel: KernelVersion(major: 6, minor: 1))
        let onArm = positions(defaults, platform: arm64)
        #expect(onArm.contains(11) && !onArm.contains(12) && !onArm.contains(13))
        let s390x = SeccompPlatform(architecture: "s390x", seccompArchitecture: "SCMP_ARCH_S390X",
                                    kernel: KernelVersion(major: 6, minor: 1))
        let onS390 = positions(defaults, platform: s390x)
        #expect(onS390.contains(14) && onS390.contains(19) && !onS390.contains(18))
        var old = amd64
        old.kernel = KernelVersion(major: 4, minor: 4)
        #expect(!positions(defaults, platform: old).contains(1))
    }

    @Test func excludesMinKernelLeavesOutRulesOnNewerKernels() throws {
        let profile = try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
              {"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "excludes": {"minKernel": "5.0"}},
              {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "excludes": {"arches": ["amd64"]}},
              {"names": ["gettid"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_NET_ADMIN", "CAP_NET_RAW"]}}
            ]}
            """)
        var platform = amd64
        #expect(profile.applicableRules(capabilities: ["NET_ADMIN"], platform: platform).isEmpty)
        #expect(profile.applicableRules(capabilities: ["NET_ADMIN", "NET_RAW"], platform: platform).map(\.position) == [2])
        platform.kernel = KernelVersion(major: 4, minor: 19)
        #expect(profile.applicableRules(capabilities: [], platform: platform).map(\.position) == [0])
    }

    @Test func minKernelIsComparedWithTheKernelCompiledFor() throws {
        let old = try dockerDefault.compile(capabilities: defaults, strict: false, kernel: KernelVersion(major: 4, minor: 4))
        #expect(old.program.ruleSummary.contains("syscalls[1]: skipped, includes minKernel 4.8 (kernel 4.4)"))
        let new = try dockerDefault.compile(capabilities: defaults, strict: false, kernel: KernelVersion(major: 4, minor: 8))
        #expect(new.program.ruleSummary.contains("syscalls[1]: SCMP_ACT_ALLOW process_vm_readv process_vm_writev ptrace"))
        #expect(new.program.ruleCount == old.program.ruleCount + 3)
    }

    @Test func dockerDefaultCompiles() throws {
        let (program, warnings) = try dockerDefault.compile(capabilities: defaults)
        #expect(program.instructionCount > 100 && program.instructionCount < 4096)
        #expect(program.filter.count == program.instructionCount * 8)
        #expect(program.flags == [])
        #if arch(x86_64)
        #expect(program.ruleSummary.first == "default SCMP_ACT_ERRNO(1); architectures x86_64, x86, x32; libseccomp \(SeccompProfile.libseccompVersion)")
        #endif
        #expect(program.ruleSummary.contains("syscalls[2]: SCMP_ACT_ALLOW socket if arg0 < 38"))
        #expect(program.ruleSummary.contains("syscalls[18]: SCMP_ACT_ALLOW clone if arg0 & 0x7e020000 == 0"))
        #expect(program.ruleSummary.contains("syscalls[17]: skipped, includes caps CAP_SYS_ADMIN"))
        #expect(program.ruleSummary.contains("syscalls[10]: skipped, includes arches ppc64le (this is amd64)"))
        // The same input gives the same program.
        #expect(try dockerDefault.compile(capabilities: defaults).program == program)
        if SeccompProfile.libseccompVersion == "2.5.4" && SeccompPlatform.current.architecture == "amd64" {
            // Debian 12's libseccomp knows system calls up to 456 (futex_requeue) on x86_64.
            #expect(warnings == ["""
                docker-default.json: syscalls[0]: unknown system calls ignored: getxattrat, listmount, listxattrat, \
                mseal, removexattrat, riscv_hwprobe, setxattrat, statmount, uretprobe (libseccomp 2.5.4 does not know them)
                """])
            #expect(program.ruleCount == 368)
            #expect(program.instructionCount == 1257)  // a binary tree (SCMP_FLTATR_CTL_OPTIMIZE 2)
            #expect(program.ruleSummary.contains("newer than libseccomp 2.5.4: x86_64 above 456 → SCMP_ACT_ERRNO(38), x86 above 456 → SCMP_ACT_ERRNO(38)"))
        }
    }

    @Test func strictModeRefusesUnknownSystemCalls() throws {
        let profile = try profile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
              {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["read", "no_such_call", "also_not"], "action": "SCMP_ACT_LOG"}
            ]}
            """)
        let (_, warnings) = try profile.compile(capabilities: [])
        #expect(warnings == ["""
            profile.json: syscalls[1]: unknown system calls ignored: no_such_call, also_not \
            (libseccomp \(SeccompProfile.libseccompVersion) does not know them)
            """])
        #expect(throws: SeccompProfileError(kind: .unknownSyscall, file: "profile.json", path: "syscalls[1].names[1]",
                                            message: "\"no_such_call\" is not a system call libseccomp \(SeccompProfile.libseccompVersion) knows")) {
            try profile.compile(capabilities: [], strict: true)
        }
        #expect(throws: SeccompProfileError.self) { try dockerDefault.compile(capabilities: defaults, strict: true) }
    }

    @Test func conditionsOnOneArgumentAreAlternatives() throws {
        // Two conditions on arg0: two rules (either matches), as crun and runc do.
        let or = try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
              "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]}]}
            """)
        let orProgram = try compiled(or)
        #expect(orProgram.ruleCount == 2)
        #expect(orProgram.ruleSummary.contains("syscalls[0]: SCMP_ACT_ERRNO(13) socket if arg0 == 38 or arg0 == 40"))
        // Conditions on different arguments: one rule, all must hold.
        let and = try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
              "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}]}
            """)
        let andProgram = try compiled(and)
        #expect(andProgram.ruleCount == 1)
        #expect(andProgram.ruleSummary.contains("syscalls[0]: SCMP_ACT_ERRNO(13) socket if arg0 == 1 and arg1 == 2"))
    }

    @Test func rulesWithTheDefaultActionAreSkipped() throws {
        let profile = try profile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
              {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
              {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2},
              {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}
            ]}
            """)
        let program = try compiled(profile)
        #expect(program.ruleCount == 2)
        #expect(program.ruleSummary.contains("syscalls[0]: skipped, SCMP_ACT_ERRNO(1) is the default action"))
        #expect(program.ruleSummary.contains("syscalls[1]: SCMP_ACT_ERRNO(2) mkdir"))
    }

    @Test func everyCapabilitySetCompiles() throws {
        for capabilities: Set<String> in [[], defaults, defaults.union(["SYS_ADMIN"]), ["ALL"]] {
            for profile in [dockerDefault, SeccompProfile.builtin] {
                let program = try compiled(profile, capabilities: capabilities)
                #expect(program.instructionCount < 4096)
            }
        }
    }

    @Test func errnosLibseccompRefuses() throws {
        // Docker's example profile loads, but its errnoRet 12345 is more than libseccomp takes.
        var example = try SeccompProfile.load(path: seccompFixtures + "/docker-example.json", displayName: "docker-example.json")
        #expect(throws: SeccompProfileError(kind: .compile, file: "docker-example.json", path: "syscalls[3].errnoRet",
                                            message: "12345 is not an errno libseccomp accepts (0 to 4094)")) {
            try example.compile(capabilities: [])
        }
        example.syscalls[3].action = .errno(4094)
        let (program, warnings) = try example.compile(capabilities: [])
        #expect(warnings.isEmpty)
        #if arch(x86_64)
        #expect(program.ruleSummary.first?.hasPrefix("default SCMP_ACT_ERRNO(1); architectures x86_64;") == true)
        #endif
        #expect(program.ruleSummary.contains("syscalls[0]: SCMP_ACT_ALLOW clone if arg0 & 0x7e020000 == 0"))
        #expect(program.ruleSummary.contains("syscalls[3]: SCMP_ACT_ERRNO(4094) syslog"))
        #expect(throws: SeccompProfileError(kind: .compile, file: "profile.json", path: "defaultErrnoRet",
                                            message: "5000 is not an errno libseccomp accepts (0 to 4094)")) {
            try profile(#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000}"#).compile(capabilities: [])
        }
    }

    #if arch(x86_64)
    @Test func architecturesFromTheProfile() throws {
        // Names that exist only on x86 (socketcall) are fine in a filter that covers x86 ...
        let listed = try profile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [{"names": ["read", "socketcall", "_llseek"], "action": "SCMP_ACT_ALLOW"}]}
            """)
        let (program, warnings) = try listed.compile(capabilities: [])
        #expect(warnings.isEmpty)
        #expect(program.ruleSummary.first?.hasPrefix("default SCMP_ACT_ERRNO(1); architectures x86_64, x86;") == true)
        // ... and ignored in one that does not.
        let native = try profile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "socketcall"], "action": "SCMP_ACT_ALLOW"}]}
            """)
        #expect(try native.compile(capabilities: []).warnings.isEmpty)
        // An architecture this libseccomp does not know is an error when it is used.
        if SeccompProfile.libseccompVersion.hasPrefix("2.5.") {
            let loong = try profile(#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_LOONGARCH64"]}"#)
            #expect(throws: SeccompProfileError(kind: .compile, file: "profile.json", path: "architectures[0]",
                                                message: "libseccomp \(SeccompProfile.libseccompVersion) does not know SCMP_ARCH_LOONGARCH64")) {
                try loong.compile(capabilities: [])
            }
        }
    }

    #endif

    @Test func enosysPrefixOnlyWhenTheDefaultDenies() throws {
        let deny = try compiled(try profile(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#))
        #expect(deny.ruleSummary.contains { $0.hasPrefix("newer than libseccomp") })
        for action in ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG"] {
            let allow = try compiled(try profile(#"{"defaultAction": "\#(action)", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO"}]}"#))
            #expect(!allow.ruleSummary.contains { $0.hasPrefix("newer than libseccomp") })
        }
        // The prefix comes first: ld [arch]; jeq AUDIT_ARCH_X86_64 (else skip its 4 instructions).
        #if arch(x86_64)
        #expect(Array(deny.filter.prefix(16)) == [0x20, 0, 0, 0, 4, 0, 0, 0, 0x15, 0, 0, 4, 0x3E, 0, 0, 0xC0])
        #endif
    }

    @Test func flagsReachTheProgram() throws {
        let program = try compiled(try profile(#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}"#))
        #expect(program.flags == .specAllow)
        #expect(program.flags.rawValue == 4)
    }
}
