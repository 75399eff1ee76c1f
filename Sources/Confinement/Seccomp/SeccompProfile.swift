/// A seccomp profile in Docker's JSON format: what `security_opt: [seccomp=PATH]` names, and
/// what berth's built-in profile is written in.
///
/// The format is moby's (`github.com/moby/profiles/seccomp`): the OCI `linux.seccomp` object
/// (`defaultAction`, `defaultErrnoRet`, `architectures`, `flags`, `syscalls[]` with `names`,
/// `action`, `errnoRet` and `args[]`) plus Docker's additions: `archMap`, the legacy `name`,
/// and `includes`/`excludes` filters on rules (capabilities, architectures, minimum kernel).
/// A profile is a description; ``compile(capabilities:strict:)`` turns it into the BPF program
/// one service gets.
public struct SeccompProfile: Sendable, Equatable {
    /// The file's name as messages show it (the path the user wrote, or `berth builtin`).
    public var file: String
    /// What happens to a system call no rule matches.
    public var defaultAction: Action
    /// `SCMP_ARCH_*` names added to the filter besides the native one (`architectures`).
    public var architectures: [String]
    /// Docker's per-native-architecture lists (`archMap`); only the native entry is used.
    public var archMap: [ArchitectureMap]
    /// `SECCOMP_FILTER_FLAG_*` flags for seccomp(2) (`flags`).
    public var flags: FilterFlags
    /// The rules, in the file's order.
    public var syscalls: [Rule]

    public init(file: String, defaultAction: Action, architectures: [String] = [], archMap: [ArchitectureMap] = [],
                flags: FilterFlags = [], syscalls: [Rule] = []) {
        self.file = file
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.archMap = archMap
        self.flags = flags
        self.syscalls = syscalls
    }

    /// A seccomp action. `SCMP_ACT_KILL` is `SCMP_ACT_KILL_THREAD` (libseccomp defines it so).
    /// `SCMP_ACT_NOTIFY` is refused: it needs a listener process, and berth has none.
    public enum Action: Sendable, Hashable, CustomStringConvertible {
        /// The system call runs.
        case allow
        /// The system call is not run and fails with this errno (`errnoRet`, default EPERM).
        /// The format carries 16 bits; libseccomp compiles only 0 to 4094.
        case errno(UInt16)
        /// The calling thread is killed by SIGSYS (the whole process, when it has one thread).
        case killThread
        /// The whole process is killed by SIGSYS (Linux 4.14).
        case killProcess
        /// The thread gets a catchable SIGSYS (`si_code` SYS_SECCOMP, `si_syscall` the number).
        case trap
        /// A ptrace tracer is notified with this value; without a tracer the call fails ENOSYS.
        case trace(UInt16)
        /// The system call runs and is logged by the audit subsystem (Linux 4.14).
        case log

        /// The action names the JSON format accepts (NOTIFY is reported separately).
        public static let names = ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                   "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG"]

        /// The `SECCOMP_RET_*` value the kernel (and libseccomp) use.
        public var value: UInt32 {
            switch self {
            case .allow: return 0x7FFF_0000
            case let .errno(code): return 0x0005_0000 | UInt32(code)
            case .killThread: return 0x0000_0000
            case .killProcess: return 0x8000_0000
            case .trap: return 0x0003_0000
            case let .trace(code): return 0x7FF0_0000 | UInt32(code)
            case .log: return 0x7FFC_0000
            }
        }

        /// `SCMP_ACT_ERRNO(38)`, `SCMP_ACT_ALLOW`.
        public var description: String {
            switch self {
            case .allow: return "SCMP_ACT_ALLOW"
            case let .errno(code): return "SCMP_ACT_ERRNO(\(code))"
            case .killThread: return "SCMP_ACT_KILL_THREAD"
            case .killProcess: return "SCMP_ACT_KILL_PROCESS"
            case .trap: return "SCMP_ACT_TRAP"
            case let .trace(code): return "SCMP_ACT_TRACE(\(code))"
            case .log: return "SCMP_ACT_LOG"
            }
        }
    }

    /// A comparison of one system-call argument (libseccomp's `enum scmp_compare`).
    public enum Comparison: String, Sendable, CaseIterable {
        case notEqual = "SCMP_CMP_NE"
        case lessThan = "SCMP_CMP_LT"
        case lessOrEqual = "SCMP_CMP_LE"
        case equal = "SCMP_CMP_EQ"
        case greaterOrEqual = "SCMP_CMP_GE"
        case greaterThan = "SCMP_CMP_GT"
        /// `(arg & value) == valueTwo`.
        case maskedEqual = "SCMP_CMP_MASKED_EQ"

        /// libseccomp's `enum scmp_compare` value (SCMP_CMP_NE = 1 ... SCMP_CMP_MASKED_EQ = 7).
        var libseccompValue: UInt32 {
            switch self {
            case .notEqual: return 1
            case .lessThan: return 2
            case .lessOrEqual: return 3
            case .equal: return 4
            case .greaterOrEqual: return 5
            case .greaterThan: return 6
            case .maskedEqual: return 7
            }
        }

        var symbol: String {
            switch self {
            case .notEqual: return "!="
            case .lessThan: return "<"
            case .lessOrEqual: return "<="
            case .equal: return "=="
            case .greaterOrEqual: return ">="
            case .greaterThan: return ">"
            case .maskedEqual: return "&"
            }
        }
    }

    /// One condition on an argument: `args[] {index, value, valueTwo, op}`.
    public struct Argument: Sendable, Equatable, CustomStringConvertible {
        /// 0 to 5.
        public var index: Int
        public var value: UInt64
        /// Only used by `SCMP_CMP_MASKED_EQ` (the value the masked argument must equal).
        public var valueTwo: UInt64
        public var op: Comparison

        public init(index: Int, value: UInt64, valueTwo: UInt64 = 0, op: Comparison) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }

        /// `arg0 < 38`, `arg0 & 0x7e020000 == 0`.
        public var description: String {
            if op == .maskedEqual {
                return "arg\(index) & 0x\(String(value, radix: 16)) == \(valueTwo)"
            }
            return "arg\(index) \(op.symbol) \(value)"
        }
    }

    /// `includes` / `excludes` of a rule. An include is met when every listed capability is in
    /// the set, the native architecture is listed, and the kernel is at least `minKernel`; an
    /// exclude applies when any listed capability is in the set, the native architecture is
    /// listed, or the kernel is at least `minKernel` (moby's semantics).
    public struct Filter: Sendable, Equatable {
        /// Capability names as written (`CAP_SYS_ADMIN`).
        public var caps: [String]
        /// Architecture names in Go's spelling (`amd64`, `arm64`, `x32`, ...).
        public var arches: [String]
        public var minKernel: KernelVersion?

        public init(caps: [String] = [], arches: [String] = [], minKernel: KernelVersion? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }

        public var isEmpty: Bool { caps.isEmpty && arches.isEmpty && minKernel == nil }
    }

    /// One entry of `syscalls[]`.
    public struct Rule: Sendable, Equatable {
        /// The system-call names (`names`, or the legacy `name`).
        public var names: [String]
        public var action: Action
        /// Conditions, all of which must hold (unless several name the same argument: then each
        /// is a rule of its own, so any of them suffices; crun and runc do the same).
        public var args: [Argument]
        public var includes: Filter
        public var excludes: Filter
        /// The rule's position in `syscalls[]`, for messages (`syscalls[3]`).
        public var position: Int

        public init(names: [String], action: Action, args: [Argument] = [], includes: Filter = Filter(),
                    excludes: Filter = Filter(), position: Int = 0) {
            self.names = names
            self.action = action
            self.args = args
            self.includes = includes
            self.excludes = excludes
            self.position = position
        }
    }

    /// One `archMap` entry: the native architecture and the ones added with it.
    public struct ArchitectureMap: Sendable, Equatable {
        public var architecture: String
        public var subArchitectures: [String]

        public init(architecture: String, subArchitectures: [String]) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// `SECCOMP_FILTER_FLAG_*` (seccomp(2)); berth's child passes them to seccomp(2).
    public struct FilterFlags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let tsync = FilterFlags(rawValue: 1 << 0)
        public static let log = FilterFlags(rawValue: 1 << 1)
        public static let specAllow = FilterFlags(rawValue: 1 << 2)
        public static let waitKillableRecv = FilterFlags(rawValue: 1 << 5)

        static let names: [(String, FilterFlags)] = [
            ("SECCOMP_FILTER_FLAG_TSYNC", .tsync),
            ("SECCOMP_FILTER_FLAG_LOG", .log),
            ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", .specAllow),
            ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", .waitKillableRecv),
        ]
    }

    /// Every `SCMP_ARCH_*` name of libseccomp 2.6 (what `architectures` and `archMap` may name).
    /// Whether the linked libseccomp knows one is checked when it is added to a filter.
    public static let architectureNames = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
        "SCMP_ARCH_RISCV64", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
    ]
}

extension SeccompProfile {
    /// A kernel version as `minKernel` writes it (`"4.8"`): major and minor.
    public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var major: Int
        public var minor: Int

        public init(major: Int, minor: Int) {
            self.major = major
            self.minor = minor
        }

        /// `"4.8"`; nil for anything else (moby accepts only major.minor too).
        public init?(minKernel text: String) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                  let major = Int(parts[0]), let minor = Int(parts[1]), major > 0 || minor > 0 else { return nil }
            self.init(major: major, minor: minor)
        }

        /// The leading `major.minor` of a kernel release (`uname -r`: `6.18.44-fc-v769`).
        public init?(release: String) {
            let version = release.prefix(while: { $0 == "." || ($0.isASCII && $0.isNumber) })
            let numbers = version.split(separator: ".", omittingEmptySubsequences: false).prefix(2).map { Int($0) }
            guard numbers.count == 2, let major = numbers[0], let minor = numbers[1] else { return nil }
            self.init(major: major, minor: minor)
        }

        public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
            (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
        }

        public var description: String { "\(major).\(minor)" }
    }
}
