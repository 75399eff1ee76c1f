/// One service of a stack, normalized: the form the supervisor starts, whatever form the user
/// wrote (short or long syntax, `mem_limit` or `deploy.resources`, map or list environment).
public struct Service: Equatable, Sendable {
    public var name: String
    /// `entrypoint`, split like a shell would (but not run through one). `nil` when not set.
    public var entrypoint: [String]?
    /// `command`, split the same way. `nil` when not set.
    public var command: [String]?
    /// The environment the program gets: `env_file` entries, then `environment` over them.
    public var environment: [String: String]
    /// `working_dir` as an absolute path; the project directory when not set.
    public var workingDirectory: String
    /// `user` as written (`name`, `uid`, `uid:gid`, `name:group`); `nil` runs as berth's own user.
    public var user: String?
    public var restart: RestartPolicy
    /// `nil` when the service has no health check (or `disable: true`, or `test: [NONE]`).
    public var healthcheck: HealthCheck?
    /// Sorted by the name of the service depended on.
    public var dependencies: [Dependency]
    public var resources: Resources
    public var security: Security
    /// The signal that asks the service to stop, as a number (`SIGTERM` = 15 by default).
    public var stopSignal: Int32
    public var stopGracePeriod: Duration
    /// Sorted by name.
    public var ulimits: [Ulimit]
    public var oomScoreAdjust: Int?
    public var profiles: [String]
    /// `init: true`: the service's main process is wrapped by a reaper. berth reaps orphans
    /// itself, so this only changes which process receives the stop signal.
    public var runsInit: Bool
    public var labels: [String: String]
    /// The `x-berth` options.
    public var berth: BerthOptions
    /// Service-level `x-*` keys other than `x-berth`, kept as written.
    public var extensions: [String: PlainValue]

    public init(name: String) {
        self.name = name
        entrypoint = nil
        command = nil
        environment = [:]
        workingDirectory = "/"
        user = nil
        restart = RestartPolicy()
        healthcheck = nil
        dependencies = []
        resources = Resources()
        security = Security()
        stopSignal = 15
        stopGracePeriod = .seconds(10)
        ulimits = []
        oomScoreAdjust = nil
        profiles = []
        runsInit = false
        labels = [:]
        berth = BerthOptions()
        extensions = [:]
    }

    /// The program and its arguments: `entrypoint` followed by `command`.
    public var argv: [String] { (entrypoint ?? []) + (command ?? []) }
}

/// When a service that ended is started again.
public struct RestartPolicy: Equatable, Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case no
        case always
        case onFailure = "on-failure"
        case unlessStopped = "unless-stopped"
    }

    public var mode: Mode
    /// Give up after this many restarts (`on-failure:N`, `deploy.restart_policy.max_attempts`).
    public var maxAttempts: Int?
    /// `deploy.restart_policy.delay`: the first wait before a restart (Docker's 100 ms otherwise).
    public var delay: Duration?
    /// `deploy.restart_policy.window`: how long a restart must stay up to count as a success.
    public var window: Duration?

    public init(mode: Mode = .no, maxAttempts: Int? = nil, delay: Duration? = nil, window: Duration? = nil) {
        self.mode = mode
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.window = window
    }

    /// The `restart:` string that says the same: `"no"`, `always`, `on-failure:3`...
    public var composeText: String {
        if mode == .onFailure, let maxAttempts { return "on-failure:\(maxAttempts)" }
        return mode.rawValue
    }
}

/// How often and how patiently a health check or probe runs. Defaults are Docker's.
public struct ProbeTiming: Equatable, Sendable {
    public var interval: Duration = .seconds(30)
    public var timeout: Duration = .seconds(30)
    public var startPeriod: Duration = .zero
    public var startInterval: Duration = .seconds(5)
    /// Consecutive failures that make the service unhealthy.
    public var retries: Int = 3

    public init() {}
}

public struct HealthCheck: Equatable, Sendable {
    public enum Test: Equatable, Sendable {
        /// `CMD`: run the program directly.
        case exec([String])
        /// `CMD-SHELL` or a plain string: run it with `/bin/sh -c`.
        case shell(String)
    }

    public var test: Test
    public var timing: ProbeTiming

    public init(test: Test, timing: ProbeTiming = ProbeTiming()) {
        self.test = test
        self.timing = timing
    }
}

/// One `depends_on` entry, in its long form.
public struct Dependency: Equatable, Sendable {
    public enum Condition: String, Sendable, CaseIterable {
        case started = "service_started"
        case healthy = "service_healthy"
        case completedSuccessfully = "service_completed_successfully"
    }

    public var service: String
    public var condition: Condition
    /// `false`: a dependency that fails is a warning, not a reason not to start.
    public var required: Bool
    /// `true`: restart this service after berth restarts the dependency.
    public var restart: Bool

    public init(service: String, condition: Condition = .started, required: Bool = true, restart: Bool = false) {
        self.service = service
        self.condition = condition
        self.required = required
        self.restart = restart
    }
}

/// Limits and reservations, from whichever of Compose's twin keys the user wrote.
public struct Resources: Equatable, Sendable {
    /// `memory.max`, in bytes.
    public var memoryLimit: Int64?
    /// `memory.low`, in bytes: memory this service is promised.
    public var memoryReservation: Int64?
    /// `memswap_limit`: memory plus swap.
    public var memorySwapLimit: SwapLimit?
    /// `cpu.max`, in cores (0.5 = half a CPU).
    public var cpuLimit: Double?
    /// Cores this service is promised; counted by the budget.
    public var cpuReservation: Double?
    /// Relative CPU weight on Docker's scale (2–262144, 1024 by default).
    public var cpuShares: Int?
    /// `pids.max`.
    public var pidsLimit: Int?

    public init() {}

    public enum SwapLimit: Equatable, Sendable {
        /// Memory plus swap may reach this many bytes.
        case bytes(Int64)
        /// `-1`: swap is not limited.
        case unlimited
    }
}

/// Privileges and the system-call filter.
public struct Security: Equatable, Sendable {
    public enum Seccomp: Equatable, Sendable {
        /// berth's own default filter.
        case builtin
        /// `seccomp=unconfined`: no filter.
        case unconfined
        /// `seccomp=PATH`: a Docker-format JSON profile (absolute path).
        case profile(String)
    }

    public var seccomp: Seccomp = .builtin
    public var noNewPrivileges: Bool = true
    /// Capability names without the `CAP_` prefix (`NET_BIND_SERVICE`), or `ALL`.
    public var capAdd: [String] = []
    public var capDrop: [String] = []

    public init() {}
}

public struct Ulimit: Equatable, Sendable {
    public var name: String
    /// `-1` is unlimited.
    public var soft: Int64
    public var hard: Int64

    public init(name: String, soft: Int64, hard: Int64) {
        self.name = name
        self.soft = soft
        self.hard = hard
    }
}
