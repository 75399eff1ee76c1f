import CSeccompTestSupport
import Confinement
import Foundation

/// `/work/shared/fixtures/seccomp` (`../shared/fixtures/seccomp` from the package root).
let seccompFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/fixtures/seccomp").path

typealias KernelVersion = SeccompProfile.KernelVersion

/// What happened to a system call made under a filter (see CSeccompTestSupport).
enum ProbeOutcome: Equatable, CustomStringConvertible {
    case succeeded
    case failed(errno: Int32)
    case killed(signal: Int32)
    /// A SIGSYS handler ran for this system-call number (SCMP_ACT_TRAP).
    case trapped(syscall: Int32)
    /// no_new_privs or seccomp(2) itself failed.
    case setupFailed(errno: Int32)

    var description: String {
        switch self {
        case .succeeded: return "succeeded"
        case let .failed(code): return "failed with \(code) (\(String(cString: strerror(code))))"
        case let .killed(signal): return "killed by signal \(signal)"
        case let .trapped(number): return "trapped system call \(number)"
        case let .setupFailed(code): return "filter not installed: \(String(cString: strerror(code)))"
        }
    }
}

/// One system call a probe child makes.
enum ProbeCall {
    case mkdir
    case unshareUTS
    case mountTmpfs
    case clone3
    case socketVsock
    case socketAlg
    case getpid
    case keyctl
    case ptraceTraceme
    /// syscall(number, args...), missing arguments 0.
    case raw(Int, [UInt])
    /// An i386 system call (x86_64 only), as a 32-bit program makes it.
    case rawI386(Int, [UInt])

    static func raw(_ number: Int, _ arguments: UInt...) -> ProbeCall { .raw(number, arguments) }
    static func i386(_ number: Int, _ arguments: UInt...) -> ProbeCall { .rawI386(number, arguments) }
}

/// This machine's system-call numbers the raw probes use.
enum SyscallNumber {
    static let unshare = cseccomp_nr_unshare
    static let socket = cseccomp_nr_socket
    static let getpid = cseccomp_nr_getpid
    static let mkdirat = cseccomp_nr_mkdirat
    static let clone3 = cseccomp_nr_clone3
    static let mseal = cseccomp_nr_mseal
    static let i386Getpid = cseccomp_nr_i386_getpid
    static let i386Unshare = cseccomp_nr_i386_unshare
}

/// Forks a child that installs `program` (nil: no filter) with no_new_privs and seccomp(2),
/// makes `call`, and reports what happened.
func probe(_ call: ProbeCall, under program: SeccompProgram?, catchSIGSYS: Bool = false) -> ProbeOutcome {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seccomp-probe-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var request = cseccomp_probe()
    request.catch_sigsys = catchSIGSYS ? 1 : 0
    switch call {
    case .mkdir: request.call = Int32(CSECCOMP_PROBE_MKDIR.rawValue)
    case .unshareUTS: request.call = Int32(CSECCOMP_PROBE_UNSHARE_UTS.rawValue)
    case .mountTmpfs:
        request.call = Int32(CSECCOMP_PROBE_MOUNT_TMPFS.rawValue)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    case .clone3: request.call = Int32(CSECCOMP_PROBE_CLONE3.rawValue)
    case .socketVsock: request.call = Int32(CSECCOMP_PROBE_SOCKET_VSOCK.rawValue)
    case .socketAlg: request.call = Int32(CSECCOMP_PROBE_SOCKET_ALG.rawValue)
    case .getpid: request.call = Int32(CSECCOMP_PROBE_GETPID.rawValue)
    case .keyctl: request.call = Int32(CSECCOMP_PROBE_KEYCTL.rawValue)
    case .ptraceTraceme: request.call = Int32(CSECCOMP_PROBE_PTRACE_TRACEME.rawValue)
    case let .raw(number, arguments), let .rawI386(number, arguments):
        if case .raw = call {
            request.call = Int32(CSECCOMP_PROBE_RAW.rawValue)
        } else {
            request.call = Int32(CSECCOMP_PROBE_RAW_I386.rawValue)
        }
        request.number = number
        withUnsafeMutableBytes(of: &request.args) { buffer in
            let slots = buffer.bindMemory(to: UInt.self)
            for (index, value) in arguments.prefix(6).enumerated() { slots[index] = value }
        }
    }
    var result = cseccomp_probe_result()
    let status: Int32 = directory.withCString { path in
        request.path = path
        if let program {
            return program.filter.withUnsafeBytes { bytes in
                request.filter = bytes.baseAddress
                request.instruction_count = program.instructionCount
                request.flags = program.flags.rawValue
                return cseccomp_run_probe(&request, &result)
            }
        }
        return cseccomp_run_probe(&request, &result)
    }
    precondition(status == 0, "cannot run a probe child: \(String(cString: strerror(-status)))")
    switch UInt32(bitPattern: result.outcome) {
    case CSECCOMP_OUTCOME_RETURNED.rawValue: return result.value == 0 ? .succeeded : .failed(errno: result.value)
    case CSECCOMP_OUTCOME_KILLED.rawValue: return .killed(signal: result.value)
    case CSECCOMP_OUTCOME_TRAPPED.rawValue: return .trapped(syscall: result.value)
    case CSECCOMP_OUTCOME_SETUP_FAILED.rawValue: return .setupFailed(errno: result.value)
    default: preconditionFailure("probe child gave no report (outcome \(result.outcome), status \(result.value))")
    }
}

/// Compiles a profile, failing the test on errors.
func compiled(_ profile: SeccompProfile, capabilities: Set<String> = SeccompProfile.dockerDefaultCapabilities,
              strict: Bool = false) throws -> SeccompProgram {
    try profile.compile(capabilities: capabilities, strict: strict).program
}

/// A profile from inline JSON (named `profile.json` in messages).
func profile(_ json: String) throws -> SeccompProfile {
    try SeccompProfile.parse(json: json, file: "profile.json")
}

/// The message a profile's parsing fails with, or nil.
func parseError(_ json: String) -> String? {
    do {
        _ = try SeccompProfile.parse(json: json, file: "profile.json")
        return nil
    } catch {
        return error.description
    }
}

let dockerDefault: SeccompProfile = {
    do {
        return try SeccompProfile.load(path: seccompFixtures + "/docker-default.json", displayName: "docker-default.json")
    } catch {
        fatalError("\(error)")
    }
}()

/// Whether this process is root (some kernel answers differ).
var runningAsRoot: Bool { geteuid() == 0 }
