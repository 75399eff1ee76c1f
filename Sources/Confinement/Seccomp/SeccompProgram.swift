import CSeccomp
#if canImport(Glibc)
import Glibc
#endif

/// A compiled seccomp filter: what a service's child installs with
/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &(struct sock_fprog){count, filter})` after
/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`. The child needs nothing else (no libseccomp, no allocation).
public struct SeccompProgram: Sendable, Equatable {
    /// `struct sock_filter[]` in the machine's byte order: 8 bytes per instruction
    /// (`u16 code, u8 jt, u8 jf, u32 k`).
    public let filter: [UInt8]
    /// `SECCOMP_FILTER_FLAG_*` for seccomp(2), from the profile's `flags` (usually none).
    public let flags: SeccompProfile.FilterFlags
    /// How many rules were given to libseccomp (a rule with conditions on one argument twice
    /// counts once per condition).
    public let ruleCount: Int
    /// One line per step, for debugging: the default action and architectures, each rule
    /// added (with its conditions) or skipped (and why), the ENOSYS prefix, the totals.
    public let ruleSummary: [String]

    public init(filter: [UInt8], flags: SeccompProfile.FilterFlags = [], ruleCount: Int = 0, ruleSummary: [String] = []) {
        self.filter = filter
        self.flags = flags
        self.ruleCount = ruleCount
        self.ruleSummary = ruleSummary
    }

    /// The number of BPF instructions (`sock_fprog.len`).
    public var instructionCount: Int { filter.count / Self.instructionSize }

    static let instructionSize = 8
    /// BPF_MAXINSNS: the kernel refuses longer programs.
    static let maximumInstructions = 4096
}

/// runc's ENOSYS stub (`libcontainer/seccomp/patchbpf`): instructions put before libseccomp's
/// program so that, per architecture, a system-call number above the newest one the linked
/// libseccomp knows fails with ENOSYS instead of the default action. A kernel newer than
/// libseccomp (6.18 here, against libseccomp 2.5.4's tables, which end at 456 on x86_64) then
/// looks to a libc like a kernel without those calls, and it falls back (glibc does, for
/// clone3, close_range, fchmodat2, ...), instead of failing on EPERM.
///
/// Only architectures whose numbers are checked here get it: x86_64 (numbers at or above the
/// x32 bit 0x40000000 are x32 calls, left to the program), x86, aarch64, arm (below the ARM
/// private calls at 0x0f0000) and riscv64.
struct ENOSYSPrefix {
    private(set) var instructions: [UInt8] = []
    private(set) var description = ""

    /// Per libseccomp architecture name: its audit token, and the bound under which the check
    /// applies (numbers at or above it belong to another ABI or are private calls).
    private static let checked: [(name: String, upperBound: UInt32?)] = [
        ("x86_64", 0x4000_0000), ("x86", nil), ("aarch64", nil), ("arm", 0x000F_0000), ("riscv64", nil),
    ]

    /// The newest system-call number libseccomp knows, per architecture (computed once).
    private static let newestKnown: [String: UInt32] = {
        var newest: [String: UInt32] = [:]
        for (name, _) in checked {
            let token = seccomp_arch_resolve_name(name)
            guard token != 0 else { continue }
            var highest: Int32 = -1
            for number in Int32(0)..<2048 {
                if let text = seccomp_syscall_resolve_num_arch(token, number) {
                    free(text)
                    highest = number
                }
            }
            if highest > 0 { newest[name] = UInt32(highest) }
        }
        return newest
    }()

    init(architectures: [String]) {
        var parts: [String] = []
        for name in architectures {
            guard let entry = Self.checked.first(where: { $0.name == name }),
                  let newest = Self.newestKnown[name] else { continue }
            let token = seccomp_arch_resolve_name(name)
            // ld [arch]; jeq token ? next : skip; ld [nr]; (jge bound ? skip : next;) jgt newest ? ret : skip; ret ERRNO(ENOSYS)
            let length: UInt8 = entry.upperBound == nil ? 5 : 6
            append(code: 0x20, k: 4)                                        // BPF_LD|BPF_W|BPF_ABS: seccomp_data.arch
            append(code: 0x15, jt: 0, jf: length - 2, k: token)            // BPF_JMP|BPF_JEQ|BPF_K
            append(code: 0x20, k: 0)                                        // seccomp_data.nr
            if let bound = entry.upperBound {
                append(code: 0x35, jt: 2, jf: 0, k: bound)                 // BPF_JMP|BPF_JGE|BPF_K: other ABI
            }
            append(code: 0x25, jt: 0, jf: 1, k: newest)                    // BPF_JMP|BPF_JGT|BPF_K
            append(code: 0x06, k: SeccompProfile.Action.errno(UInt16(ENOSYS)).value)  // BPF_RET|BPF_K
            parts.append("\(name) above \(newest) → SCMP_ACT_ERRNO(\(ENOSYS))")
        }
        description = parts.joined(separator: ", ")
    }

    private mutating func append(code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32) {
        withUnsafeBytes(of: code) { instructions.append(contentsOf: $0) }
        instructions.append(jt)
        instructions.append(jf)
        withUnsafeBytes(of: k) { instructions.append(contentsOf: $0) }
    }
}
