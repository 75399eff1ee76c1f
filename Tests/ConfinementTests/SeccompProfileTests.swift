import Testing
@testable import Confinement

/// Reading profiles: Docker's fixtures unchanged, every field of the format.
@Suite struct SeccompProfileTests {
    @Test func dockerDefaultLoadsUnchanged() throws {
        let profile = dockerDefault
        #expect(profile.file == "docker-default.json")
        #expect(profile.defaultAction == .errno(1))
        #expect(profile.architectures.isEmpty)
        #expect(profile.archMap.count == 9)
        #expect(profile.archMap[0] == .init(architecture: "SCMP_ARCH_X86_64",
                                            subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]))
        // "subArchitectures": null is no sub-architecture.
        #expect(profile.archMap[7] == .init(architecture: "SCMP_ARCH_RISCV64", subArchitectures: []))
        #expect(profile.syscalls.count == 33)
        #expect(profile.syscalls[0].names.count == 361)
        #expect(profile.syscalls[0].action == .allow)
        #expect(profile.syscalls[1].includes == .init(minKernel: KernelVersion(major: 4, minor: 8)))
        #expect(profile.syscalls[2].args == [.init(index: 0, value: 38, op: .lessThan)])
        #expect(profile.syscalls[9].args == [.init(index: 0, value: 4_294_967_295, op: .equal)])
        #expect(profile.syscalls[18].args == [.init(index: 0, value: 2_114_060_288, op: .maskedEqual)])
        #expect(profile.syscalls[18].excludes == .init(caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"]))
        #expect(profile.syscalls[19].includes == .init(arches: ["s390", "s390x"]))
        #expect(profile.syscalls[20] == .init(names: ["clone3"], action: .errno(38),
                                              excludes: .init(caps: ["CAP_SYS_ADMIN"]), position: 20))
        #expect(profile.syscalls.enumerated().allSatisfy { $0.element.position == $0.offset })
    }

    @Test func dockerExampleLoadsUnchanged() throws {
        let profile = try SeccompProfile.load(path: seccompFixtures + "/docker-example.json")
        #expect(profile.file == seccompFixtures + "/docker-example.json")
        #expect(profile.defaultAction == .errno(1))
        #expect(profile.syscalls.map(\.names) == [["clone"], ["open"], ["close"], ["syslog"]])
        #expect(profile.syscalls[0].args == [.init(index: 0, value: 2_114_060_288, valueTwo: 0, op: .maskedEqual)])
        #expect(profile.syscalls[1].args.isEmpty)
        // 12345 passes through libseccomp's 16 bits; the kernel caps it at 4095.
        #expect(profile.syscalls[3].action == .errno(12345))
    }

    @Test func readsEveryField() throws {
        let profile = try profile("""
            {
              "comment": "all of it",
              "defaultAction": "SCMP_ACT_KILL_PROCESS",
              "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
              "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG"],
              "listenerPath": null,
              "syscalls": [
                {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"},
                {"name": "getpid", "action": "SCMP_ACT_TRACE", "errnoRet": 7},
                {"names": ["kill"], "action": "SCMP_ACT_KILL"},
                {"names": ["tkill"], "action": "SCMP_ACT_KILL_THREAD"},
                {"names": ["uname"], "action": "SCMP_ACT_LOG"},
                {"names": ["sync"], "action": "SCMP_ACT_TRAP"},
                {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
                {"names": ["rmdir"], "action": "SCMP_ACT_TRACE"},
                {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                 "args": [{"index": 5, "value": 18446744073709551615, "valueTwo": 3, "op": "SCMP_CMP_GE"},
                          {"index": 1, "value": 0, "op": "SCMP_CMP_NE"}],
                 "includes": {"caps": ["CAP_NET_ADMIN"], "arches": ["amd64"], "minKernel": "5.10"},
                 "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["x32"], "minKernel": "6.0"}}
              ]
            }
            """)
        #expect(profile.defaultAction == .killProcess)
        #expect(profile.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        #expect(profile.flags == [.specAllow, .log])
        #expect(profile.syscalls.map(\.action) == [.allow, .trace(7), .killThread, .killThread, .log, .trap, .errno(1), .trace(1), .allow])
        #expect(profile.syscalls[1].names == ["getpid"])
        #expect(profile.syscalls[8].args == [
            .init(index: 5, value: UInt64.max, valueTwo: 3, op: .greaterOrEqual),
            .init(index: 1, value: 0, op: .notEqual),
        ])
        #expect(profile.syscalls[8].includes == .init(caps: ["CAP_NET_ADMIN"], arches: ["amd64"],
                                                      minKernel: KernelVersion(major: 5, minor: 10)))
        #expect(profile.syscalls[8].excludes == .init(caps: ["CAP_SYS_ADMIN"], arches: ["x32"],
                                                      minKernel: KernelVersion(major: 6, minor: 0)))
    }

    @Test func defaultErrnoRetAppliesToTheDefaultAction() throws {
        #expect(try profile(#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 6}"#).defaultAction == .errno(6))
        #expect(try profile(#"{"defaultAction": "SCMP_ACT_ERRNO"}"#).defaultAction == .errno(1))
        #expect(try profile(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": null}"#).syscalls.isEmpty)
    }

    @Test func actionValuesAreTheKernels() {
        #expect(SeccompProfile.Action.allow.value == 0x7FFF_0000)
        #expect(SeccompProfile.Action.errno(38).value == 0x0005_0026)
        #expect(SeccompProfile.Action.killProcess.value == 0x8000_0000)
        #expect(SeccompProfile.Action.killThread.value == 0)
        #expect(SeccompProfile.Action.trap.value == 0x0003_0000)
        #expect(SeccompProfile.Action.trace(1).value == 0x7FF0_0001)
        #expect(SeccompProfile.Action.log.value == 0x7FFC_0000)
    }

    @Test func kernelVersions() {
        #expect(KernelVersion(release: "6.18.44-fc-v769") == KernelVersion(major: 6, minor: 18))
        #expect(KernelVersion(release: "5.10") == KernelVersion(major: 5, minor: 10))
        #expect(KernelVersion(release: "6") == nil)
        #expect(KernelVersion(minKernel: "4.8") == KernelVersion(major: 4, minor: 8))
        #expect(KernelVersion(minKernel: "4.8.1") == nil)
        #expect(KernelVersion(minKernel: "4") == nil)
        #expect(KernelVersion(minKernel: "0.0") == nil)
        #expect(KernelVersion(major: 4, minor: 10) > KernelVersion(major: 4, minor: 8))
        #expect(SeccompPlatform.current.kernel > KernelVersion(major: 3, minor: 0))
    }

    @Test func jsonReaderKeepsWhatTheDecoderNeeds() throws {
        let value = try SeccompJSONReader.parse(Array(#"{"b": [1, -2.5e3, true, null], "a": "\u00e9\ud83d\ude00\n"}"#.utf8))
        #expect(value == .object([
            SeccompJSONMember(key: "b", value: .array([.number("1"), .number("-2.5e3"), .bool(true), .null])),
            SeccompJSONMember(key: "a", value: .string("é😀\n")),
        ]))
    }
}
