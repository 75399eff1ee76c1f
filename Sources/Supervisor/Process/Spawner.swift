import CSpawn
import Confinement
import Glibc

/// One `setrlimit` applied in the child before exec.
public struct ResourceLimit: Equatable, Sendable {
    /// `RLIMIT_NOFILE`, ... (for example `Int32(RLIMIT_NOFILE.rawValue)`).
    public var resource: Int32
    public var soft: UInt64
    public var hard: UInt64

    /// `RLIM_INFINITY`.
    public static let unlimited: UInt64 = UInt64.max

    public init(resource: Int32, soft: UInt64, hard: UInt64) {
        self.resource = resource
        self.soft = soft
        self.hard = hard
    }
}

/// Everything the child needs, decided in the parent.
public struct SpawnRequest: Sendable {
    /// Absolute path (use `ExecutableResolver` first).
    public var executable: String
    /// argv, argv[0] included.
    public var arguments: [String]
    /// The complete environment of the child; nothing is inherited from the supervisor.
    public var environment: [String: String]
    public var workingDirectory: String
    /// O_PATH dirfd of the cgroup v2 leaf; nil: the child stays in the supervisor's cgroup.
    public var cgroupDirectory: Int32?
    /// nil: /dev/null. Descriptors 0...2 are accepted (they are duplicated above 2 first).
    public var standardInput: Int32?
    /// nil: /dev/null.
    public var standardOutput: Int32?
    /// nil: /dev/null.
    public var standardError: Int32?
    /// One more descriptor kept open, under the same number, across exec (must be > 2).
    public var keepDescriptor: Int32?
    public var resourceLimits: [ResourceLimit]
    /// -1000...1000, written to /proc/self/oom_score_adj in the child; nil: inherited.
    public var oomScoreAdjust: Int?
    /// User, capabilities, no_new_privs and seccomp filter, applied last before exec; nil:
    /// the child keeps berth's.
    public var confinement: ConfinementPlan?

    public init(
        executable: String,
        arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String = "/",
        cgroupDirectory: Int32? = nil,
        standardInput: Int32? = nil,
        standardOutput: Int32? = nil,
        standardError: Int32? = nil,
        keepDescriptor: Int32? = nil,
        resourceLimits: [ResourceLimit] = [],
        oomScoreAdjust: Int? = nil,
        confinement: ConfinementPlan? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.cgroupDirectory = cgroupDirectory
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.keepDescriptor = keepDescriptor
        self.resourceLimits = resourceLimits
        self.oomScoreAdjust = oomScoreAdjust
        self.confinement = confinement
    }
}

/// A child that was created. The caller owns `reportDescriptor` (pass it to
/// `Spawner.outcome(of:)` until the outcome is known) and must reap `pid`.
public struct SpawnedProcess: Sendable {
    public var pid: pid_t
    /// Read end of the exec-report pipe, O_CLOEXEC|O_NONBLOCK; readable (poll) once the outcome is known.
    public var reportDescriptor: Int32
    /// true: CLONE_INTO_CGROUP placed the child; false: fork + cgroup.procs (or no cgroup).
    public var placedByClone3: Bool
}

/// What happened between the child's creation and its exec.
public enum ExecOutcome: Equatable, Sendable {
    /// Nothing yet: poll the descriptor again.
    case pending
    /// The program is running.
    case executed
    /// The child failed at `stage` and exits with status 127.
    case failed(stage: SpawnStage, errno: Int32)
    /// The child failed at one step of its confinement (stage `confinement`) and exits with 127.
    case failedConfinement(step: ConfinementStep, errno: Int32)
}

/// The steps of the confinement stage; the `cspawn_confinement_step` values.
public enum ConfinementStep: Int32, Sendable, CustomStringConvertible {
    case groups = 1
    case gid = 2
    case keepCapabilities = 3
    case uid = 4
    case boundingSet = 5
    case capabilities = 6
    case ambient = 7
    case noNewPrivileges = 8
    case seccomp = 9

    public var description: String {
        switch self {
        case .groups: "setgroups"
        case .gid: "setresgid"
        case .keepCapabilities: "prctl(PR_SET_KEEPCAPS)"
        case .uid: "setresuid"
        case .boundingSet: "drop the capability bounding set"
        case .capabilities: "capset"
        case .ambient: "raise ambient capabilities"
        case .noNewPrivileges: "prctl(PR_SET_NO_NEW_PRIVS)"
        case .seccomp: "install the seccomp filter"
        }
    }
}

/// Where a child failed before (or at) execve; the `cspawn_stage` values.
public enum SpawnStage: Int32, Sendable, CustomStringConvertible {
    case placement = 1
    case session = 2
    case signals = 3
    case descriptors = 4
    case directory = 5
    case resourceLimits = 6
    case oomScore = 7
    case confinement = 8
    case exec = 9

    /// The step as a short verb, the way error messages name it.
    public var description: String {
        switch self {
        case .placement: "join cgroup"
        case .session: "setsid"
        case .signals: "reset signals"
        case .descriptors: "set up descriptors"
        case .directory: "chdir"
        case .resourceLimits: "setrlimit"
        case .oomScore: "set oom_score_adj"
        case .confinement: "confinement"
        case .exec: "exec"
        }
    }
}

/// A failure on the supervisor's side: no child is running.
public enum SpawnError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request cannot be expressed to the child (the text says why); nothing was attempted.
    case invalidRequest(String)
    /// Opening /dev/null or duplicating a standard descriptor above 2.
    case descriptors(errno: Int32)
    /// Creating the exec-report pipe (or the placement pipe of the fork fallback).
    case pipe(errno: Int32)
    /// clone3 and fork both failed (EAGAIN: pids limit or RLIMIT_NPROC; ENOMEM).
    case processCreation(errno: Int32)
    /// Fork fallback: writing the child's pid to the leaf's cgroup.procs failed; the child was reaped.
    case placement(errno: Int32)

    public var description: String {
        switch self {
        case .invalidRequest(let reason): reason
        case .descriptors(let code): "standard descriptors: \(errorText(code))"
        case .pipe(let code): "pipe: \(errorText(code))"
        case .processCreation(let code): "fork: \(errorText(code))"
        case .placement(let code): "join cgroup: \(errorText(code))"
        }
    }
}

/// Starts children through CSpawn. All allocation happens here, in the parent.
public enum Spawner {
    /// Builds the C arrays in the parent, duplicates any standard descriptor that is <= 2 above 2
    /// (the child's dup2 onto 0/1/2 would otherwise overwrite it), calls `cspawn_start`.
    /// Returns as soon as the child exists; watch `reportDescriptor` for the exec outcome.
    public static func spawn(_ request: SpawnRequest) throws(SpawnError) -> SpawnedProcess {
        try validate(request)
        var temporary = TemporaryDescriptors()
        defer { temporary.closeAll() }
        let stdin = try temporary.childSide(of: request.standardInput)
        let stdout = try temporary.childSide(of: request.standardOutput)
        let stderr = try temporary.childSide(of: request.standardError)

        let argv = CStringArray(request.arguments)
        defer { argv.deallocate() }
        let envp = CStringArray(request.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        defer { envp.deallocate() }
        let limits = request.resourceLimits.map {
            cspawn_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard)
        }
        let plan = request.confinement
        let groups = plan?.identity?.groups ?? []
        let filter = plan?.seccomp?.filter ?? []

        var result = cspawn_result()
        var step: Int32 = 0
        let status = request.executable.withCString { path in
            request.workingDirectory.withCString { directory in
                limits.withUnsafeBufferPointer { limits in
                groups.withUnsafeBufferPointer { groups in
                filter.withUnsafeBytes { filter in
                    var confinement = plan.map { Self.confinement($0, groups: groups, filter: filter) } ?? cspawn_confinement()
                    var c = cspawn_request()
                    c.path = path
                    c.argv = UnsafePointer(argv.pointers)
                    c.envp = UnsafePointer(envp.pointers)
                    c.working_directory = directory
                    c.cgroup_fd = request.cgroupDirectory ?? -1
                    c.stdin_fd = stdin
                    c.stdout_fd = stdout
                    c.stderr_fd = stderr
                    c.keep_fd = request.keepDescriptor ?? -1
                    c.rlimits = limits.baseAddress
                    c.rlimit_count = Int32(limits.count)
                    c.set_oom_score_adj = request.oomScoreAdjust == nil ? 0 : 1
                    c.oom_score_adj = Int32(request.oomScoreAdjust ?? 0)
                    return withUnsafePointer(to: &confinement) { pointer in
                        c.confinement = plan == nil ? nil : pointer
                        return cspawn_start_detailed(&c, &result, &step)
                    }
                }
                }
                }
            }
        }
        guard status == 0 else {
            let code = -status
            switch step {
            case Int32(CSPAWN_PARENT_PIPE.rawValue): throw .pipe(errno: code)
            case Int32(CSPAWN_PARENT_PLACEMENT.rawValue): throw .placement(errno: code)
            default: throw .processCreation(errno: code)
            }
        }
        return SpawnedProcess(
            pid: result.pid, reportDescriptor: result.report_fd, placedByClone3: result.placed_by_clone3 != 0)
    }

    /// The C form of a plan; `groups` and `filter` must outlive the spawn.
    private static func confinement(_ plan: ConfinementPlan, groups: UnsafeBufferPointer<UInt32>,
                                    filter: UnsafeRawBufferPointer) -> cspawn_confinement {
        var c = cspawn_confinement()
        if let identity = plan.identity {
            c.set_identity = 1
            c.uid = identity.uid
            c.gid = identity.gid
            c.groups = groups.baseAddress
            c.group_count = Int32(groups.count)
        }
        let sets = plan.capabilities
        c.drop_bounding = plan.dropsBoundingSet ? 1 : 0
        c.last_capability = Int32(plan.lastCapability)
        c.bounding = sets.bounding.mask
        c.permitted = sets.permitted.mask
        c.effective = sets.effective.mask
        c.inheritable = sets.inheritable.mask
        c.ambient = sets.ambient.mask
        c.no_new_privileges = plan.noNewPrivileges ? 1 : 0
        if let program = plan.seccomp, !filter.isEmpty {
            c.filter = filter.baseAddress
            c.filter_length = UInt16(program.instructionCount)
            c.filter_flags = program.flags.rawValue
        }
        return c
    }

    /// Non-blocking read of the report pipe: `.pending` when nothing arrived yet (EAGAIN),
    /// `.executed` at end of file without a report, `.failed` when a report arrived. Closes the
    /// descriptor once the outcome is known (any result but `.pending`).
    public static func outcome(of reportDescriptor: Int32) -> ExecOutcome {
        var report = cspawn_report()
        let size = MemoryLayout<cspawn_report>.size
        while true {
            let count = withUnsafeMutableBytes(of: &report) { read(reportDescriptor, $0.baseAddress, size) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { return .pending }
                // Not a pipe we can read (EBADF: closed already; a caller bug). Say so, once.
                if code != EBADF { close(reportDescriptor) }
                return .failed(stage: .exec, errno: code)
            }
            close(reportDescriptor)
            if count == 0 { return .executed }
            // Reports are written with one write of less than PIPE_BUF bytes: never partial.
            guard count == size else { return .failed(stage: .exec, errno: EIO) }
            let stage = SpawnStage(rawValue: report.stage) ?? .exec
            // A confinement report carries its step above the errno (cspawn.h).
            if stage == .confinement, let step = ConfinementStep(rawValue: report.error >> 16) {
                return .failedConfinement(step: step, errno: report.error & 0xffff)
            }
            return .failed(stage: stage, errno: report.error)
        }
    }

    private static func validate(_ request: SpawnRequest) throws(SpawnError) {
        guard request.executable.hasPrefix("/") else {
            throw .invalidRequest("executable \(quoted(request.executable)) is not an absolute path")
        }
        guard !request.arguments.isEmpty else {
            throw .invalidRequest("no arguments: argv[0] is required")
        }
        for text in [request.executable, request.workingDirectory] + request.arguments
        where text.utf8.contains(0) {
            throw .invalidRequest("\(quoted(text)) contains a NUL byte")
        }
        for (key, value) in request.environment {
            if key.isEmpty || key.utf8.contains(UInt8(ascii: "=")) || key.utf8.contains(0) {
                throw .invalidRequest("environment variable name \(quoted(key)) is empty or contains \"=\" or NUL")
            }
            if value.utf8.contains(0) {
                throw .invalidRequest("environment variable \(key) contains a NUL byte")
            }
        }
        if let keep = request.keepDescriptor, keep <= 2 {
            throw .invalidRequest("kept descriptor \(keep) would be replaced by a standard descriptor")
        }
        if let score = request.oomScoreAdjust, !(-1000...1000).contains(score) {
            throw .invalidRequest("oom_score_adj \(score) is outside -1000...1000")
        }
        guard request.resourceLimits.count <= Int(Int32.max) else {
            throw .invalidRequest("too many resource limits")
        }
        if let plan = request.confinement {
            if let groups = plan.identity?.groups, groups.count > 65536 {
                throw .invalidRequest("\(groups.count) supplementary groups: the kernel takes at most 65536")
            }
            if let program = plan.seccomp, program.instructionCount > 4096 || program.filter.count % 8 != 0 {
                throw .invalidRequest("the seccomp filter has \(program.instructionCount) instructions: the kernel takes at most 4096")
            }
        }
    }
}

/// Spawn failures worded the way users read them: service, step, program, reason.
public enum SpawnFailure {
    /// A child's report, for example `web: exec "/usr/bin/gunicorn": No such file or directory`
    /// or `web: working directory "/srv/x": No such file or directory`.
    public static func message(
        service: String, executable: String, workingDirectory: String? = nil, stage: SpawnStage, errno code: Int32
    ) -> String {
        switch stage {
        case .exec:
            return "\(service): exec \(quoted(executable)): \(errorText(code))"
        case .directory:
            let directory = workingDirectory.map { " " + quoted($0) } ?? ""
            return "\(service): working directory\(directory): \(errorText(code))"
        default:
            return "\(service): start \(quoted(executable)): \(stage): \(errorText(code))"
        }
    }

    /// A failed confinement step, for example
    /// `web: start "/usr/sbin/nginx": confinement: setresuid: Operation not permitted`.
    public static func message(service: String, executable: String, step: ConfinementStep, errno code: Int32) -> String {
        "\(service): start \(quoted(executable)): confinement: \(step): \(errorText(code))"
    }

    /// A parent-side failure, for example `web: start "/usr/bin/gunicorn": fork: Resource temporarily unavailable`.
    public static func message(service: String, executable: String, error: SpawnError) -> String {
        "\(service): start \(quoted(executable)): \(error)"
    }

    /// A lookup failure, for example `web: exec "gunicorn": executable file not found in $PATH`.
    public static func message(service: String, error: ResolveError) -> String {
        "\(service): exec \(error)"
    }
}

/// NUL-terminated copies of strings as a NULL-terminated `char *[]`, owned until `deallocate`.
private struct CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: count + 1)
        for (index, string) in strings.enumerated() {
            let bytes = Array(string.utf8CString)
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            copy.initialize(from: bytes, count: bytes.count)
            (pointers + index).initialize(to: copy)
        }
        (pointers + count).initialize(to: nil)
    }

    func deallocate() {
        for index in 0..<count { pointers[index]?.deallocate() }
        pointers.deallocate()
    }
}

/// Descriptors opened only for the duration of one spawn (/dev/null, duplicates above 2).
private struct TemporaryDescriptors {
    private var opened: [Int32] = []
    private var devNull: Int32?

    /// The descriptor the child's dup2 reads from: > 2, /dev/null for nil.
    mutating func childSide(of descriptor: Int32?) throws(SpawnError) -> Int32 {
        guard let descriptor else { return try null() }
        return try aboveStandard(descriptor)
    }

    private mutating func null() throws(SpawnError) -> Int32 {
        if let devNull { return devNull }
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw .descriptors(errno: errno) }
        opened.append(fd)
        let usable = try aboveStandard(fd)
        devNull = usable
        return usable
    }

    private mutating func aboveStandard(_ descriptor: Int32) throws(SpawnError) -> Int32 {
        guard descriptor <= 2 else { return descriptor }
        let duplicate = fcntl(descriptor, F_DUPFD_CLOEXEC, Int32(3))
        guard duplicate >= 0 else { throw .descriptors(errno: errno) }
        opened.append(duplicate)
        return duplicate
    }

    mutating func closeAll() {
        for fd in opened { close(fd) }
        opened.removeAll()
        devNull = nil
    }
}

func errorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// Double-quoted, with backslash, quote and control characters escaped.
func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            result += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
