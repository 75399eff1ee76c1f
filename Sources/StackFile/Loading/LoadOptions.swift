/// What the user asked for on the command line, and the environment berth runs in.
public struct LoadOptions: Sendable {
    /// `-f` files in order; empty to look for the default names in `workingDirectory`.
    public var files: [String]
    /// The directory relative paths on the command line are resolved against.
    public var workingDirectory: String
    /// `-p`: overrides `name:` and the directory name.
    public var projectName: String?
    /// `--profile`, plus `COMPOSE_PROFILES` from the environment.
    public var profiles: [String]
    /// Services named on the command line: only they (and what they depend on) are loaded,
    /// and naming one enables it whatever its profiles.
    public var services: [String]
    /// The process environment: wins over `.env` for interpolation and bare `environment` keys.
    public var environment: [String: String]
    /// `--env-file`; `nil` reads `.env` in the project directory if it exists.
    public var envFiles: [String]?
    /// `--ignore-unsupported`: Compose keys berth cannot honour become warnings.
    public var ignoreUnsupported: Bool
    /// Checks against this machine (users, seccomp profiles) for the services that will run;
    /// nil: none, the stack is only read.
    public var machineChecks: (any MachineChecks)?

    public init(
        files: [String] = [], workingDirectory: String, projectName: String? = nil, profiles: [String] = [],
        services: [String] = [], environment: [String: String] = [:], envFiles: [String]? = nil,
        ignoreUnsupported: Bool = false, machineChecks: (any MachineChecks)? = nil
    ) {
        self.files = files
        self.workingDirectory = workingDirectory
        self.projectName = projectName
        self.profiles = profiles
        self.services = services
        self.environment = environment
        self.envFiles = envFiles
        self.ignoreUnsupported = ignoreUnsupported
        self.machineChecks = machineChecks
    }
}

/// A stack and what was noticed while loading it.
public struct LoadedStack: Sendable {
    public var stack: Stack
    /// The stack files that were read, in merge order, as shown in messages.
    public var files: [String]
    public var warnings: [Diagnostic]
}

/// The file names looked for when no `-f` is given, in order of preference, and the override
/// file read with each (as Compose reads `compose.override.yaml` after `compose.yaml`).
enum DefaultFiles {
    static let candidates = ["berth.yml", "berth.yaml", "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]

    static func overrides(of file: String) -> [String] {
        let base = file.hasSuffix(".yaml") ? String(file.dropLast(5)) : String(file.dropLast(4))
        return ["\(base).override.yml", "\(base).override.yaml"]
    }
}
