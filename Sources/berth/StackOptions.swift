import ArgumentParser
import Foundation
import StackFile

/// The options every command that reads a stack takes, named as in `docker compose`.
struct StackOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("A stack file; repeat to merge several, later files override earlier ones.", valueName: "file"))
    var file: [String] = []

    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name (default: name: in the file, else the directory's name).")
    var projectName: String?

    @Option(name: .customLong("profile"), help: ArgumentHelp("Enable services with this profile; repeatable.", valueName: "profile"))
    var profiles: [String] = []

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Variables for interpolation, instead of .env in the project directory.", valueName: "file"))
    var envFiles: [String] = []

    @Flag(name: .customLong("ignore-unsupported"), help: "Warn about, instead of rejecting, Compose keys berth cannot honour (image, ports, volumes...).")
    var ignoreUnsupported = false

    /// Loads the stack, printing warnings; prints every error and exits 2 when it is invalid.
    /// `checks`: what to check against this machine as well (users, seccomp profiles).
    func load(services: [String] = [], checks: (any MachineChecks)? = nil) throws -> LoadedStack {
        let options = LoadOptions(
            files: file,
            workingDirectory: FileManager.default.currentDirectoryPath,
            projectName: projectName,
            profiles: profiles,
            services: services,
            environment: ProcessInfo.processInfo.environment,
            envFiles: envFiles.isEmpty ? nil : envFiles,
            ignoreUnsupported: ignoreUnsupported,
            machineChecks: checks
        )
        do {
            let loaded = try StackLoader.load(options)
            Terminal.report(loaded.warnings)
            return loaded
        } catch {
            Terminal.report(error.diagnostics)
            throw ExitCode.invalidStack
        }
    }
}

extension ExitCode {
    /// The stack (or a file it names) is invalid.
    static let invalidStack = ExitCode(2)
    /// `budget`: the reservations do not fit the host.
    static let doesNotFit = ExitCode(3)
}
