import Foundation

/// Loads a stack the way Compose loads a project: find the files, read `.env`, interpolate
/// each file, resolve `extends` in it, merge the files in order, add what `include` names,
/// then decode, select services by profile, and check the dependency graph.
public enum StackLoader {
    /// Loads the stack described by `options`. Throws every error found (with the warnings);
    /// returns the stack with its warnings otherwise.
    public static func load(_ options: LoadOptions) throws(StackError) -> LoadedStack {
        try LoadSession(options: options).run()
    }
}

/// One load: the state shared by its steps.
final class LoadSession {
    let options: LoadOptions
    let log = DiagnosticLog()
    lazy var merger = Merger(log: log)
    /// Base directory for relative paths, by the file name used in locations.
    var baseDirectories: [String: String] = [:]
    /// Absolute path, by the file name used in locations.
    var absolutePaths: [String: String] = [:]
    /// Interpolated trees, by absolute path and project directory: `extends` may name one
    /// file from hundreds of services.
    var trees: [String: Node?] = [:]
    /// Services whose `extends` failed (reported): they are not decoded, so that their
    /// missing base does not show up as further errors.
    var unresolvedServices: Set<String> = []
    /// Extends cycles already reported, as sets of their members: each is reported once.
    var reportedExtendsCycles: Set<Set<String>> = []
    /// Unset variables already warned about: one warning per variable and load.
    var warnedVariables: Set<String> = []

    init(options: LoadOptions) {
        self.options = options
    }

    func run() throws(StackError) -> LoadedStack {
        guard let files = stackFiles() else { throw StackError(log.sortedEntries) }
        let projectDirectory = FilePath.directory(of: files[0])
        let environment = projectEnvironment(projectDirectory: projectDirectory, envFiles: options.envFiles,
                                             inherited: options.environment)
        // Problems found so far do not stop the load: decoding reports the rest as well.
        guard let root = assemble(files: files, projectDirectory: projectDirectory, environment: environment, chain: [])
        else { throw StackError(log.sortedEntries) }

        let context = DecodeContext(log: log, ignoreUnsupported: options.ignoreUnsupported, environment: environment)
        let paths = PathResolver(projectDirectory: projectDirectory, baseDirectories: baseDirectories,
                                 home: options.environment["HOME"], workingDirectory: options.workingDirectory)
        let decoded = StackDecoder(context: context, paths: paths, skipped: unresolvedServices).decode(root)
        var selection = ServiceSelection(options: options, environment: environment, log: log)
        selection.unresolved = unresolvedServices
        let services = selection.select(decoded.services)
        if let checks = options.machineChecks {
            let sources = Dictionary(decoded.services.map { ($0.service.name, $0.sources) }, uniquingKeysWith: { $1 })
            for service in services {
                guard let written = sources[service.name] else { continue }
                check(service, at: written, with: checks)
            }
        }

        let name = projectName(declared: decoded.name, projectDirectory: projectDirectory)
        guard !log.hasErrors, let name else { throw StackError(log.sortedEntries) }
        let stack = Stack(name: name, projectDirectory: projectDirectory, services: services,
                          hostProfile: decoded.hostProfile, extensions: decoded.extensions)
        return LoadedStack(stack: stack, files: files.map(display), warnings: log.sortedEntries.filter { $0.severity == .warning })
    }

    // MARK: - Machine checks

    /// The checks against this machine, for one service that will run, reported at the keys
    /// they concern.
    private func check(_ service: Service, at sources: ServiceDecoder.Sources, with checks: any MachineChecks) {
        if let user = service.user, let problem = checks.problem(withUser: user, of: service) {
            log.error(.unusableUser(problem), at: sources.user?.location ?? sources.service, path: sources.user?.path)
        }
        if case let .profile(path) = service.security.seccomp {
            let findings = checks.findings(inSeccompProfile: path, displayName: display(path), of: service)
            let location = sources.seccompProfile?.location ?? sources.service
            for error in findings.errors {
                log.error(.unusableSeccompProfile(error), at: location, path: sources.seccompProfile?.path)
            }
            for warning in findings.warnings {
                log.warning(.seccompProfileNote(warning), at: location, path: sources.seccompProfile?.path)
            }
        }
    }

    // MARK: - Files

    /// The `-f` files, or the first default file and its override sibling; absolute paths.
    private func stackFiles() -> [String]? {
        if !options.files.isEmpty {
            return options.files.map { FilePath.join(options.workingDirectory, $0) }
        }
        let directory = FilePath.normalize(options.workingDirectory)
        for candidate in DefaultFiles.candidates {
            let path = FilePath.join(directory, candidate)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let override = DefaultFiles.overrides(of: candidate).map { FilePath.join(directory, $0) }
                .first { FileManager.default.fileExists(atPath: $0) }
            return [path] + (override.map { [$0] } ?? [])
        }
        log.error(.noStackFile(directory: directory, candidates: DefaultFiles.candidates), at: nil)
        return nil
    }

    /// How a file is named in messages: relative to the working directory when inside it.
    func display(_ absolute: String) -> String {
        FilePath.display(absolute, relativeTo: options.workingDirectory)
    }

    /// Reads, parses and interpolates one file. `nil` (reported) when it cannot be used.
    func tree(_ absolute: String, projectDirectory: String, environment: [String: String],
              at reference: SourceLocation? = nil, path: String? = nil) -> Node? {
        let key = absolute + "\u{0}" + projectDirectory
        if let cached = trees[key] { return cached }
        let name = display(absolute)
        absolutePaths[name] = absolute
        var result: Node?
        defer { trees[key] = result }
        guard FileManager.default.fileExists(atPath: absolute) else {
            log.error(.fileNotFound(name), at: reference, path: path)
            return nil
        }
        let text: String
        do {
            text = try TextFile.read(absolute)
        } catch {
            log.error(.unreadableFile(name, reason: error.reason), at: reference, path: path)
            return nil
        }
        guard let parsed = YAMLReader.parse(text, file: name, log: log) else { return nil }
        if parsed.isNull {
            log.error(.emptyFile, at: parsed.location)
            return nil
        }
        guard parsed.entries != nil else {
            log.error(.wrongType(expected: "a mapping of top-level keys", found: parsed.kindDescription), at: parsed.location)
            return nil
        }
        var interpolator = TreeInterpolator(environment: environment, log: log, warned: warnedVariables)
        result = interpolator.interpolate(parsed)
        warnedVariables = interpolator.warned
        return result
    }

    // MARK: - Assembling a project

    /// The merged tree of one project (the main one, or one that `include` names): each file
    /// interpolated with the project's environment and its `extends` resolved, the files merged
    /// in order, then the included projects' services added.
    func assemble(files: [String], projectDirectory: String, environment: [String: String], chain: [String]) -> Node? {
        var merged: Node?
        for file in files {
            guard var tree = tree(file, projectDirectory: projectDirectory, environment: environment) else { continue }
            baseDirectories[display(file)] = projectDirectory
            tree = resolveExtends(in: tree, file: file, projectDirectory: projectDirectory, environment: environment)
            merged = merged.map { merger.merge($0, tree) ?? tree } ?? tree
        }
        guard let merged else { return nil }
        return resolveIncludes(in: merged, environment: environment, chain: chain + files)
    }

    // MARK: - Environment

    /// Variables for interpolation: the env files (`.env` by default), then `inherited` over them.
    func projectEnvironment(projectDirectory: String, envFiles: [String]?, inherited: [String: String]) -> [String: String] {
        var environment: [String: String] = [:]
        let explicit = envFiles != nil
        let files = envFiles.map { $0.map { FilePath.join(options.workingDirectory, $0) } }
            ?? [FilePath.join(projectDirectory, ".env")]
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else {
                if explicit { log.error(.fileNotFound(display(file)), at: nil, path: "--env-file") }
                continue
            }
            do {
                let text = try TextFile.read(file)
                let known = environment
                for (key, value) in try DotEnv.parse(text, lookup: { inherited[$0] ?? known[$0] }) {
                    environment[key] = value
                }
            } catch let error as DotEnv.ParseError {
                log.error(.invalidEnvFile(display(file), line: error.line, reason: error.reason), at: nil)
            } catch let error as TextFile.Unreadable {
                log.error(.unreadableFile(display(file), reason: error.reason), at: nil)
            } catch {
                log.error(.unreadableFile(display(file), reason: "\(error)"), at: nil)
            }
        }
        return environment.merging(inherited) { _, process in process }
    }

    // MARK: - Name

    private func projectName(declared: String?, projectDirectory: String) -> String? {
        if let name = options.projectName {
            guard ProjectName.isValid(name) else {
                log.error(.invalidName(name, rule: ProjectName.rule), at: nil, path: "--project-name")
                return nil
            }
            return name
        }
        if let declared { return declared }
        let normalized = ProjectName.normalize(FilePath.lastComponent(of: projectDirectory))
        guard !normalized.isEmpty else {
            log.error(.invalidName(FilePath.lastComponent(of: projectDirectory), rule: ProjectName.rule),
                      at: nil, path: "project directory name (set one with -p or name:)")
            return nil
        }
        return normalized
    }
}
