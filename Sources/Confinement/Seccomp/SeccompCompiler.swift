import CSeccomp
#if canImport(Glibc)
import Glibc
#endif

extension SeccompProfile {
    /// Compiles the profile for one service into the BPF program its child installs.
    ///
    /// Runs in the parent, once per service spec (libseccomp allocates; the child must not):
    /// `seccomp_init(defaultAction)`, the native architecture plus the profile's
    /// (`architectures`, or the native entry of `archMap`), then every rule that applies to
    /// `capabilities` on this machine (``applicableRules(capabilities:platform:)``), except
    /// rules whose action is the default (crun skips them too; libseccomp refuses them).
    /// Conditions on the same argument become separate rules, so any of them matches (crun,
    /// runc). Unknown system-call names are skipped with a warning (crun, runc, youki), or
    /// are an error when `strict`. The exported program gets runc's ENOSYS prefix: system-call
    /// numbers above the newest one libseccomp knows fail with ENOSYS, so a libc can fall
    /// back, unless the default action lets everything through anyway.
    ///
    /// - Parameter capabilities: the service's capabilities, `CAP_SYS_ADMIN` or `SYS_ADMIN`
    ///   (or `ALL`); `includes.caps`/`excludes.caps` are matched against them.
    /// - Returns: the program, and the warnings (each `file: path: text`).
    public func compile(capabilities: Set<String>,
                        strict: Bool = false) throws(SeccompProfileError) -> (program: SeccompProgram, warnings: [String]) {
        try compile(capabilities: capabilities, strict: strict, kernel: SeccompPlatform.current.kernel)
    }

    /// ``compile(capabilities:strict:)`` as if the kernel were `kernel` (for `minKernel`). The
    /// filter is always for this machine's architecture.
    public func compile(capabilities: Set<String>, strict: Bool,
                        kernel: SeccompProfile.KernelVersion) throws(SeccompProfileError) -> (program: SeccompProgram, warnings: [String]) {
        var platform = SeccompPlatform.current
        platform.kernel = kernel
        var compiler = try SeccompCompiler(profile: self, platform: platform)
        return try compiler.run(capabilities: SeccompCapabilities(capabilities), strict: strict)
    }
}

/// One compilation: owns the libseccomp context.
private struct SeccompCompiler: ~Copyable {
    let profile: SeccompProfile
    let platform: SeccompPlatform
    let context: scmp_filter_ctx
    var summary: [String] = []
    var warnings: [String] = []
    var ruleCount = 0
    /// libseccomp's names of the filter's architectures (`x86_64`), native first.
    var architectures: [String] = []

    init(profile: SeccompProfile, platform: SeccompPlatform) throws(SeccompProfileError) {
        self.profile = profile
        self.platform = platform
        try checkErrno(profile.defaultAction, file: profile.file, path: "defaultErrnoRet")
        guard let context = seccomp_init(profile.defaultAction.value) else {
            throw SeccompProfileError(kind: .compile, file: profile.file, path: "defaultAction",
                                      message: "libseccomp \(libseccompVersion) refused \(profile.defaultAction)")
        }
        self.context = context
        // A binary tree of system-call numbers instead of libseccomp's default linear chain:
        // with Docker-sized allowlists every system call the service makes is checked in a few
        // comparisons, not hundreds. Unknown to libseccomp before 2.5; the default chain then.
        _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2)
    }

    deinit { seccomp_release(context) }

    mutating func run(capabilities: SeccompCapabilities,
                      strict: Bool) throws(SeccompProfileError) -> (program: SeccompProgram, warnings: [String]) {
        try addArchitectures()
        summary.append("default \(profile.defaultAction); architectures \(architectures.joined(separator: ", "))"
            + "; libseccomp \(libseccompVersion)")
        for rule in profile.syscalls {
            let label = "syscalls[\(rule.position)]"
            if let reason = profile.whyNotApplied(rule, capabilities: capabilities, platform: platform) {
                summary.append("\(label): skipped, \(reason)")
            } else if rule.action == profile.defaultAction {
                summary.append("\(label): skipped, \(rule.action) is the default action")
            } else {
                try add(rule, strict: strict)
            }
        }
        var filter = try export()
        if profile.defaultAction != .allow && profile.defaultAction != .log {
            let prefix = ENOSYSPrefix(architectures: architectures)
            if !prefix.instructions.isEmpty {
                filter = prefix.instructions + filter
                summary.append("newer than libseccomp \(libseccompVersion): " + prefix.description)
            }
        }
        let instructions = filter.count / SeccompProgram.instructionSize
        guard instructions <= SeccompProgram.maximumInstructions else {
            throw SeccompProfileError(kind: .compile, file: profile.file, path: "",
                                      message: "the filter has \(instructions) BPF instructions; "
                                          + "the kernel takes at most \(SeccompProgram.maximumInstructions)")
        }
        summary.append("\(ruleCount) libseccomp rules, \(instructions) BPF instructions")
        let program = SeccompProgram(filter: filter, flags: profile.flags, ruleCount: ruleCount, ruleSummary: summary)
        return (program, warnings)
    }

    private mutating func addArchitectures() throws(SeccompProfileError) {
        architectures = [libseccompName(platform.seccompArchitecture)]
        for (name, path) in profile.extraArchitectures(platform: platform) {
            let libName = libseccompName(name)
            let token = seccomp_arch_resolve_name(libName)
            guard token != 0 else {
                throw SeccompProfileError(kind: .compile, file: profile.file, path: path,
                                          message: "libseccomp \(libseccompVersion) does not know \(name)")
            }
            let result = seccomp_arch_add(context, token)
            guard result == 0 || result == -EEXIST else {
                throw SeccompProfileError(kind: .compile, file: profile.file, path: path,
                                          message: "libseccomp refused \(name): \(seccompErrorText(-result))")
            }
            if !architectures.contains(libName) { architectures.append(libName) }
        }
    }

    private mutating func add(_ rule: SeccompProfile.Rule, strict: Bool) throws(SeccompProfileError) {
        let label = "syscalls[\(rule.position)]"
        try checkErrno(rule.action, file: profile.file, path: label + ".errnoRet")
        // Conditions on one argument twice cannot be one libseccomp rule (it would AND them):
        // each becomes a rule of its own, as crun and runc do.
        let indexes = rule.args.map(\.index)
        let conditionSets: [[scmp_arg_cmp]]
        let conditions = rule.args.map { argument in
            scmp_arg_cmp(arg: UInt32(argument.index), op: scmp_compare(argument.op.libseccompValue),
                         datum_a: argument.value, datum_b: argument.valueTwo)
        }
        if Set(indexes).count == indexes.count {
            conditionSets = [conditions]
        } else {
            conditionSets = conditions.map { [$0] }
        }

        var added: [String] = []
        var unknown: [String] = []
        for (index, name) in rule.names.enumerated() {
            let number = seccomp_syscall_resolve_name(name)
            if number == __NR_SCMP_ERROR {
                if strict {
                    throw SeccompProfileError(kind: .unknownSyscall, file: profile.file, path: label + ".names[\(index)]",
                                              message: "\"\(name)\" is not a system call libseccomp \(libseccompVersion) knows")
                }
                unknown.append(name)
                continue
            }
            for set in conditionSets {
                let result = set.withUnsafeBufferPointer { buffer in
                    seccomp_rule_add_array(context, rule.action.value, number, UInt32(buffer.count), buffer.baseAddress)
                }
                guard result == 0 else {
                    throw SeccompProfileError(kind: .compile, file: profile.file, path: label,
                                              message: "libseccomp refused the rule for \"\(name)\": \(seccompErrorText(-result))")
                }
                ruleCount += 1
            }
            added.append(name)
        }

        var line = "\(label): \(rule.action)"
        line += added.count > 8 ? " \(added.count) system calls: " : " "
        line += added.joined(separator: " ")
        if !rule.args.isEmpty {
            let joiner = conditionSets.count > 1 ? " or " : " and "
            line += " if " + rule.args.map(\.description).joined(separator: joiner)
        }
        if !unknown.isEmpty {
            line += "; unknown, ignored: " + unknown.joined(separator: " ")
            let list = unknown.joined(separator: ", ")
            let what = unknown.count == 1 ? "system call" : "system calls"
            let them = unknown.count == 1 ? "it" : "them"
            warnings.append("\(profile.file): \(label): unknown \(what) ignored: \(list) "
                + "(libseccomp \(libseccompVersion) does not know \(them))")
        }
        summary.append(line)
    }

    /// seccomp_export_bpf into a memfd (a temporary file if memfd_create is refused), read back.
    private func export() throws(SeccompProfileError) -> [UInt8] {
        var file: UnsafeMutablePointer<FILE>?
        var fd = cseccomp_memfd()
        if fd < 0 {
            file = tmpfile()
            fd = file.map { fileno($0) } ?? -1
        }
        defer {
            if let file { fclose(file) } else if fd >= 0 { close(fd) }
        }
        guard fd >= 0 else {
            throw SeccompProfileError(kind: .compile, file: profile.file, path: "",
                                      message: "cannot export the filter: no memfd or temporary file: \(seccompErrorText(errno))")
        }
        let result = seccomp_export_bpf(context, fd)
        guard result == 0 else {
            throw SeccompProfileError(kind: .compile, file: profile.file, path: "",
                                      message: "seccomp_export_bpf failed: \(seccompErrorText(-result))")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var offset: off_t = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw SeccompProfileError(kind: .compile, file: profile.file, path: "",
                                          message: "cannot read the exported filter: \(seccompErrorText(errno))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            offset += off_t(count)
        }
        guard !bytes.isEmpty, bytes.count % SeccompProgram.instructionSize == 0 else {
            throw SeccompProfileError(kind: .compile, file: profile.file, path: "",
                                      message: "seccomp_export_bpf wrote \(bytes.count) bytes, not a BPF program")
        }
        return bytes
    }
}

/// libseccomp (2.5) refuses SCMP_ACT_ERRNO data from MAX_ERRNO (4095) up, although the
/// format can carry it (Docker's example profile has `errnoRet: 12345`): say so at the key.
private func checkErrno(_ action: SeccompProfile.Action, file: String, path: String) throws(SeccompProfileError) {
    if case let .errno(code) = action, code >= 4095 {
        throw SeccompProfileError(kind: .compile, file: file, path: path,
                                  message: "\(code) is not an errno libseccomp accepts (0 to 4094)")
    }
}

/// `x86_64` for `SCMP_ARCH_X86_64` (what seccomp_arch_resolve_name takes; crun does the same).
func libseccompName(_ name: String) -> String {
    (name.hasPrefix("SCMP_ARCH_") ? String(name.dropFirst("SCMP_ARCH_".count)) : name).lowercased()
}

extension SeccompProfile {
    /// The linked libseccomp's version, `2.5.4`.
    public static let libseccompVersion: String = {
        guard let version = seccomp_version() else { return "?" }
        return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
    }()
}

var libseccompVersion: String { SeccompProfile.libseccompVersion }
