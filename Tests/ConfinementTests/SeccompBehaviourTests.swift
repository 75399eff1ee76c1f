import Foundation
import Testing
import Confinement

/// Real filters: a forked child installs the compiled program (no_new_privs + seccomp(2), as
/// berth's spawn child will) and makes one system call.
@Suite struct SeccompBehaviourTests {
    private static let defaults = SeccompProfile.dockerDefaultCapabilities

    enum Default: String, CaseIterable, CustomTestStringConvertible {
        case builtin, docker
        var profile: SeccompProfile { self == .builtin ? SeccompProfile.builtin : dockerDefault }
        var testDescription: String { rawValue }
    }

    @Test(arguments: Default.allCases)
    func defaultProfilesDenyNamespacesAndMounts(_ which: Default) throws {
        let program = try compiled(which.profile, capabilities: Self.defaults)
        #expect(probe(.unshareUTS, under: program) == .failed(errno: EPERM))
        #expect(probe(.mountTmpfs, under: program) == .failed(errno: EPERM))
        #expect(probe(.clone3, under: program) == .failed(errno: ENOSYS))
        #expect(probe(.keyctl, under: program) == .failed(errno: EPERM))
        #expect(probe(.mkdir, under: program) == .succeeded)
        #expect(probe(.getpid, under: program) == .succeeded)
        // A system call newer than libseccomp's tables: ENOSYS from the prefix, not EPERM.
        if SeccompProfile.libseccompVersion == "2.5.4" {
            #expect(probe(.raw(SyscallNumber.mseal), under: program) == .failed(errno: ENOSYS))
        }
    }

    @Test func withoutAFilterTheProbesRun() {
        // The baseline the filters are compared with (as root: everything succeeds).
        #expect(probe(.getpid, under: nil) == .succeeded)
        #expect(probe(.mkdir, under: nil) == .succeeded)
        #expect(probe(.raw(SyscallNumber.unshare, 1), under: nil) == .failed(errno: EINVAL))
        #expect(probe(.raw(SyscallNumber.clone3, 0, 0), under: nil) == .failed(errno: EINVAL))
        if runningAsRoot {
            #expect(probe(.unshareUTS, under: nil) == .succeeded)
            #expect(probe(.mountTmpfs, under: nil) == .succeeded)
            #expect(probe(.clone3, under: nil) == .succeeded)
        }
    }

    @Test func builtinIsStricterWhereItSaysSo() throws {
        let builtin = try compiled(SeccompProfile.builtin, capabilities: Self.defaults)
        let docker = try compiled(dockerDefault, capabilities: Self.defaults)
        // ptrace: Docker allows it from kernel 4.8; berth only with CAP_SYS_PTRACE.
        #expect(probe(.ptraceTraceme, under: builtin) == .failed(errno: EPERM))
        #expect(probe(.ptraceTraceme, under: docker) == .succeeded)
        #expect(probe(.ptraceTraceme, under: try compiled(SeccompProfile.builtin, capabilities: Self.defaults.union(["SYS_PTRACE"])))
            == .succeeded)
        // AF_VSOCK and AF_ALG: berth answers as a kernel without them, Docker with EPERM.
        #expect(probe(.socketVsock, under: builtin) == .failed(errno: EAFNOSUPPORT))
        #expect(probe(.socketAlg, under: builtin) == .failed(errno: EAFNOSUPPORT))
        #expect(probe(.socketVsock, under: docker) == .failed(errno: EPERM))
        // The filter answers, not the kernel: with an invalid type the kernel says EINVAL.
        #expect(probe(.raw(SyscallNumber.socket, 40, 15, 0), under: nil) == .failed(errno: EINVAL))
        #expect(probe(.raw(SyscallNumber.socket, 40, 15, 0), under: builtin) == .failed(errno: EAFNOSUPPORT))
        // Other families are untouched: AF_UNIX with an invalid type reaches the kernel.
        #expect(probe(.raw(SyscallNumber.socket, 1, 15, 0), under: builtin) == .failed(errno: EINVAL))
    }

    /// With CAP_SYS_ADMIN the default profiles let namespace calls through. Whether the kernel
    /// then grants them depends on the test's own privileges, so each call is made with an
    /// argument the kernel rejects with EINVAL before any permission check (an unknown unshare
    /// flag, a clone3 argument size of 0): EINVAL proves the filter let the call through, the
    /// filter's own answers being EPERM and ENOSYS.
    @Test(arguments: Default.allCases)
    func capSysAdminLetsNamespaceCallsThrough(_ which: Default) throws {
        let confined = try compiled(which.profile, capabilities: Self.defaults)
        let admin = try compiled(which.profile, capabilities: Self.defaults.union(["CAP_SYS_ADMIN"]))
        #expect(probe(.raw(SyscallNumber.unshare, 1), under: confined) == .failed(errno: EPERM))
        #expect(probe(.raw(SyscallNumber.unshare, 1), under: admin) == .failed(errno: EINVAL))
        #expect(probe(.raw(SyscallNumber.clone3, 0, 0), under: confined) == .failed(errno: ENOSYS))
        #expect(probe(.raw(SyscallNumber.clone3, 0, 0), under: admin) == .failed(errno: EINVAL))
        // The real calls: the kernel decides (root: granted; otherwise EPERM from the kernel).
        let unshare = probe(.unshareUTS, under: admin)
        #expect(unshare == (runningAsRoot ? .succeeded : .failed(errno: EPERM)))
    }

    /// On x86_64 the default profiles also filter i386 system calls (archMap adds x86 and x32):
    /// a 32-bit program gets the same answers. A filter without x86 kills such a call
    /// (libseccomp's bad-architecture action, SCMP_ACT_KILL_THREAD).
    @Test(.enabled(if: i386SystemCallsWork), arguments: Default.allCases)
    func i386SystemCallsAreFilteredToo(_ which: Default) throws {
        let program = try compiled(which.profile, capabilities: Self.defaults)
        #expect(probe(.i386(SyscallNumber.i386Getpid), under: program) == .succeeded)
        #expect(probe(.i386(SyscallNumber.i386Unshare, 0x0400_0000), under: program) == .failed(errno: EPERM))
        #expect(probe(.i386(SyscallNumber.mseal), under: program) == .failed(errno: ENOSYS))
        let nativeOnly = try compiled(try profile(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}"#))
        #expect(probe(.i386(SyscallNumber.i386Getpid), under: nativeOnly) == .killed(signal: SIGSYS))
    }

    @Test func denyingMkdirGivesEPERM() throws {
        let program = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
            """))
        #expect(probe(.mkdir, under: program) == .failed(errno: EPERM))
        #expect(probe(.getpid, under: program) == .succeeded)
    }

    @Test func errnoRetIsReturned() throws {
        let program = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 100}]}
            """))
        #expect(probe(.mkdir, under: program) == .failed(errno: ENETDOWN))
    }

    @Test func defaultErrnoRetIsReturned() throws {
        // Only what the probe child needs after the filter: write its report and exit.
        let program = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 6,
             "syscalls": [{"names": ["write", "exit", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}
            """))
        #expect(probe(.mkdir, under: program) == .failed(errno: ENXIO))
        #expect(probe(.getpid, under: program) == .failed(errno: ENXIO))
    }

    @Test(arguments: ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"])
    func killActionsKillWithSIGSYS(_ action: String) throws {
        let program = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "\(action)"}]}
            """))
        #expect(probe(.getpid, under: program) == .killed(signal: SIGSYS))
        // Not catchable: a SIGSYS handler does not run.
        #expect(probe(.getpid, under: program, catchSIGSYS: true) == .killed(signal: SIGSYS))
        #expect(probe(.mkdir, under: program) == .succeeded)
    }

    @Test func trapSendsACatchableSIGSYS() throws {
        let program = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_TRAP"}]}
            """))
        // SIGSYS's default disposition terminates the process ...
        #expect(probe(.getpid, under: program) == .killed(signal: SIGSYS))
        // ... and a handler gets it with the system call's number.
        #expect(probe(.getpid, under: program, catchSIGSYS: true) == .trapped(syscall: Int32(SyscallNumber.getpid)))
    }

    @Test func logLetsTheCallRun() throws {
        let program = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid", "mkdir", "mkdirat"], "action": "SCMP_ACT_LOG"}]}
            """))
        #expect(probe(.getpid, under: program) == .succeeded)
        #expect(probe(.mkdir, under: program) == .succeeded)
        // A LOG default with a denial works the same way round.
        let logDefault = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
            """))
        #expect(probe(.getpid, under: logDefault) == .succeeded)
        #expect(probe(.mkdir, under: logDefault) == .failed(errno: EPERM))
    }

    @Test func traceWithoutATracerFailsENOSYS() throws {
        let program = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_TRACE", "errnoRet": 5}]}
            """))
        #expect(probe(.getpid, under: program) == .failed(errno: ENOSYS))
    }

    @Test func argumentConditions() throws {
        // Two conditions on arg0: either one denies.
        let either = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
              "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]}]}
            """))
        #expect(probe(.raw(SyscallNumber.socket, 38, 15, 0), under: either) == .failed(errno: EACCES))
        #expect(probe(.raw(SyscallNumber.socket, 40, 15, 0), under: either) == .failed(errno: EACCES))
        #expect(probe(.raw(SyscallNumber.socket, 1, 15, 0), under: either) == .failed(errno: EINVAL))
        // Conditions on two arguments: both must hold.
        let both = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
              "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]}]}
            """))
        #expect(probe(.raw(SyscallNumber.socket, 1, 15, 0), under: both) == .failed(errno: EACCES))
        #expect(probe(.raw(SyscallNumber.socket, 1, 14, 0), under: both) == .failed(errno: EINVAL))
        // MASKED_EQ: (flags & mask) == valueTwo — Docker's clone rule, here on unshare.
        let masked = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
              "args": [{"index": 0, "value": 2114060288, "valueTwo": 67108864, "op": "SCMP_CMP_MASKED_EQ"}]}]}
            """))
        #expect(probe(.raw(SyscallNumber.unshare, 0x0400_0000 | 1), under: masked) == .failed(errno: EACCES))
        #expect(probe(.raw(SyscallNumber.unshare, 1), under: masked) == .failed(errno: EINVAL))
    }

    @Test func filterFlagsAreAccepted() throws {
        let program = try compiled(try profile("""
            {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG"],
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
            """))
        #expect(probe(.mkdir, under: program) == .failed(errno: EPERM))
    }
}

/// Whether this machine runs i386 system calls from a 64-bit process (x86_64 with IA32
/// emulation; `ia32_emulation=0` turns it off).
let i386SystemCallsWork: Bool = {
    #if arch(x86_64)
    return probe(.i386(SyscallNumber.i386Getpid), under: nil) == .succeeded
    #else
    return false
    #endif
}()
