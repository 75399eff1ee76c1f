#if canImport(Glibc)
import Glibc
#endif

/// What a profile's `includes`/`excludes` and `archMap` are matched against: the machine's
/// architecture and kernel (the capabilities come from the service).
public struct SeccompPlatform: Sendable, Equatable {
    /// Go's name of the native architecture (`amd64`, `arm64`): what `includes.arches` lists,
    /// since moby compares those with `runtime.GOARCH`.
    public var architecture: String
    /// libseccomp's name of it (`SCMP_ARCH_X86_64`): what `archMap` entries are keyed by.
    public var seccompArchitecture: String
    /// The running kernel's major.minor, for `minKernel`.
    public var kernel: SeccompProfile.KernelVersion

    public init(architecture: String, seccompArchitecture: String, kernel: SeccompProfile.KernelVersion) {
        self.architecture = architecture
        self.seccompArchitecture = seccompArchitecture
        self.kernel = kernel
    }

    /// This machine: the architecture berth was built for, and the kernel from uname(2).
    public static var current: SeccompPlatform {
        SeccompPlatform(architecture: nativeArchitecture.go, seccompArchitecture: nativeArchitecture.seccomp,
                        kernel: runningKernel())
    }

    static var nativeArchitecture: (go: String, seccomp: String) {
        #if arch(x86_64)
        return ("amd64", "SCMP_ARCH_X86_64")
        #elseif arch(arm64)
        return ("arm64", "SCMP_ARCH_AARCH64")
        #elseif arch(arm)
        return ("arm", "SCMP_ARCH_ARM")
        #elseif arch(i386)
        return ("386", "SCMP_ARCH_X86")
        #elseif arch(powerpc64le)
        return ("ppc64le", "SCMP_ARCH_PPC64LE")
        #elseif arch(s390x)
        return ("s390x", "SCMP_ARCH_S390X")
        #elseif arch(riscv64)
        return ("riscv64", "SCMP_ARCH_RISCV64")
        #else
        #error("berth's seccomp support does not know this architecture")
        #endif
    }

    /// The kernel's release (`6.18.44-fc-v769`) as major.minor; 0.0 if it cannot be read, so
    /// that `minKernel` rules are left out rather than wrongly applied.
    static func runningKernel() -> SeccompProfile.KernelVersion {
        var name = utsname()
        guard uname(&name) == 0 else { return SeccompProfile.KernelVersion(major: 0, minor: 0) }
        let release = withUnsafeBytes(of: &name.release) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return SeccompProfile.KernelVersion(release: release) ?? SeccompProfile.KernelVersion(major: 0, minor: 0)
    }
}

/// Capability names, normalized: `cap_sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` are all
/// `SYS_ADMIN` (the form berth's stack model keeps). `ALL` stands for every capability.
struct SeccompCapabilities {
    private let names: Set<String>
    private let all: Bool

    init(_ capabilities: Set<String>) {
        let normalized = Set(capabilities.map(SeccompCapabilities.normalize))
        names = normalized
        all = normalized.contains("ALL")
    }

    static func normalize(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? String(upper.dropFirst(4)) : upper
    }

    func contains(_ name: String) -> Bool {
        all || names.contains(SeccompCapabilities.normalize(name))
    }
}

extension SeccompProfile {
    /// Docker's default capability set (moby `daemon/pkg/oci/caps/defaults.go`): what a
    /// container gets without `cap_add`/`cap_drop`.
    public static let dockerDefaultCapabilities: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// The rules that apply to a process with these capabilities on this platform, in order:
    /// a rule applies when its `includes` are met and its `excludes` are not (moby's
    /// semantics; see ``Filter``). Rules whose action is the default are still listed here;
    /// compiling skips them.
    public func applicableRules(capabilities: Set<String>, platform: SeccompPlatform = .current) -> [Rule] {
        let capabilities = SeccompCapabilities(capabilities)
        return syscalls.filter { whyNotApplied($0, capabilities: capabilities, platform: platform) == nil }
    }

    /// nil when the rule applies; otherwise why not (`includes caps CAP_SYS_ADMIN`).
    func whyNotApplied(_ rule: Rule, capabilities: SeccompCapabilities, platform: SeccompPlatform) -> String? {
        let excludes = rule.excludes
        if excludes.arches.contains(platform.architecture) {
            return "excludes arches \(platform.architecture)"
        }
        if let cap = excludes.caps.first(where: capabilities.contains) {
            return "excludes caps \(cap)"
        }
        if let version = excludes.minKernel, platform.kernel >= version {
            return "excludes minKernel \(version) (kernel \(platform.kernel))"
        }
        let includes = rule.includes
        if !includes.arches.isEmpty && !includes.arches.contains(platform.architecture) {
            return "includes arches \(includes.arches.joined(separator: ", ")) (this is \(platform.architecture))"
        }
        let missing = includes.caps.filter { !capabilities.contains($0) }
        if !missing.isEmpty {
            return "includes caps \(missing.joined(separator: ", "))"
        }
        if let version = includes.minKernel, platform.kernel < version {
            return "includes minKernel \(version) (kernel \(platform.kernel))"
        }
        return nil
    }

    /// The `SCMP_ARCH_*` names added to the filter besides the native one, with their JSON
    /// paths: the native entry of `archMap` (its sub-architectures), or all of `architectures`.
    func extraArchitectures(platform: SeccompPlatform) -> [(name: String, path: String)] {
        if !archMap.isEmpty {
            var names: [(String, String)] = []
            for (index, entry) in archMap.enumerated() where entry.architecture == platform.seccompArchitecture {
                names.append((entry.architecture, "archMap[\(index)].architecture"))
                for (subIndex, sub) in entry.subArchitectures.enumerated() {
                    names.append((sub, "archMap[\(index)].subArchitectures[\(subIndex)]"))
                }
            }
            return names
        }
        return architectures.enumerated().map { ($0.element, "architectures[\($0.offset)]") }
    }
}
