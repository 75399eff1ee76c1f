/// Turns one service's merged node into a `Service`, checking every key against Compose's
/// schema and berth's own rules. Problems go to the log; decoding always goes on, so that a
/// single run reports all of them.
struct ServiceDecoder {
    let context: DecodeContext
    let paths: PathResolver

    var log: DiagnosticLog { context.log }
    var read: ValueReader { context.reader }

    /// Where some parts of a service were written, for checks made once all services are known.
    struct Sources {
        var service: SourceLocation
        var dependencies: [String: SourceLocation] = [:]
        /// `user`, for the machine checks.
        var user: (location: SourceLocation, path: String)?
        /// The `security_opt` item naming a seccomp profile file, for the machine checks.
        var seccompProfile: (location: SourceLocation, path: String)?
        /// `x-berth.deploy.proxy`.
        var deployProxy: SourceLocation?
    }

    func decode(name: String, node: Node, path: String) -> (Service, Sources)? {
        guard let fields = context.fields(node, path, keys: .service) else { return nil }
        var service = Service(name: name)
        var sources = Sources(service: node.location)
        service.workingDirectory = paths.projectDirectory

        decodeProgram(fields, into: &service, sources: &sources)
        decodeEnvironment(fields, into: &service)
        decodeRestart(fields, into: &service)
        decodeResources(fields, into: &service)
        decodeHealth(fields, into: &service)
        decodeDependencies(fields, into: &service, sources: &sources)
        decodeSecurity(fields, into: &service, sources: &sources)
        decodeProcess(fields, into: &service)
        decodeBerthOptions(fields, into: &service, sources: &sources)
        service.extensions = fields.extensions(except: ["x-berth"], reader: read)

        if service.argv.isEmpty, fields["command"] == nil, fields["entrypoint"] == nil {
            log.error(.missingCommand, at: node.location, path: path)
        }
        if service.healthcheck != nil, service.berth.probe != nil, let probe = fields["x-berth"]?["probe"] {
            log.error(.twoHealthChecks, at: probe.location, path: fields.path("x-berth.probe"))
        }
        return (service, sources)
    }

    // MARK: - Program

    private func decodeProgram(_ fields: Fields, into service: inout Service, sources: inout Sources) {
        if let node = fields["entrypoint"] { service.entrypoint = commandLine(node, fields.path("entrypoint")) }
        if let node = fields["command"] { service.command = commandLine(node, fields.path("command")) }
        if let node = fields["working_dir"], let text = read.string(node, fields.path("working_dir")) {
            service.workingDirectory = paths.absolute(text, writtenAt: node)
        }
        if let node = fields["user"], let user = read.string(node, fields.path("user")) {
            service.user = user
            sources.user = (node.location, fields.path("user"))
        }
    }

    /// `command:`/`entrypoint:` as a list, or a string split like a shell would split it
    /// (but never run through one, as in Compose).
    func commandLine(_ node: Node, _ path: String) -> [String]? {
        if node.items != nil {
            return read.stringList(node, path, unique: false)?.map(\.text)
        }
        guard let text = read.string(node, path) else { return nil }
        do {
            return try ShellWords.split(text)
        } catch {
            log.error(.invalidValue(text, expected: .shellWords(error.explanation)), at: node.location, path: path)
            return nil
        }
    }

    // MARK: - Process settings

    private func decodeProcess(_ fields: Fields, into service: inout Service) {
        if let node = fields["stop_signal"], let text = read.numberOrString(node, fields.path("stop_signal")) {
            if let number = SignalName.parse(text) {
                service.stopSignal = number
            } else {
                log.error(.invalidValue(text, expected: .signal), at: node.location, path: fields.path("stop_signal"))
            }
        }
        if let node = fields["stop_grace_period"],
           let grace = read.duration(node, fields.path("stop_grace_period")) {
            service.stopGracePeriod = grace
        }
        if let node = fields["oom_score_adj"] {
            service.oomScoreAdjust = read.integer(node, fields.path("oom_score_adj"), in: -1000...1000)
        }
        if let node = fields["init"], let value = read.bool(node, fields.path("init")) {
            service.runsInit = value
        }
        if let node = fields["profiles"], let items = read.stringList(node, fields.path("profiles")) {
            for (index, item) in items.enumerated() where !Self.isProfileName(item.text) {
                log.error(.invalidName(item.text, rule: "letters, digits, and . _ - after the first character"),
                          at: item.node.location, path: "\(fields.path("profiles"))[\(index)]")
            }
            service.profiles = items.map(\.text).filter(Self.isProfileName)
        }
        if let node = fields["labels"], let labels = read.listOrDict(node, fields.path("labels")) {
            for label in labels { service.labels[label.key] = label.value ?? "" }
        }
        if let node = fields["ulimits"] { service.ulimits = ulimits(node, fields.path("ulimits")) }
    }

    /// Compose's profile names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
    static func isProfileName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count >= 2,
              ("0"..."9").contains(first) || ("a"..."z").contains(first) || ("A"..."Z").contains(first)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
        }
    }

    /// The names go-units accepts (`as` is disabled there too).
    static let ulimitNames: Set<String> = [
        "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc",
        "rss", "rtprio", "rttime", "sigpending", "stack",
    ]

    private func ulimits(_ node: Node, _ path: String) -> [Ulimit] {
        guard let entries = read.mapping(node, path) else { return [] }
        var result: [Ulimit] = []
        for entry in entries {
            let entryPath = "\(path).\(entry.key)"
            guard Self.ulimitNames.contains(entry.key) else {
                log.error(.invalidValue(entry.key, expected: .ulimitName), at: entry.keyLocation, path: entryPath)
                continue
            }
            let soft: Int?
            let hard: Int?
            if entry.value.entries != nil, let limits = context.fields(entry.value, entryPath, keys: .ulimit) {
                guard let softNode = limits["soft"] else {
                    log.error(.missingKey("soft"), at: entry.value.location, path: entryPath); continue
                }
                guard let hardNode = limits["hard"] else {
                    log.error(.missingKey("hard"), at: entry.value.location, path: entryPath); continue
                }
                soft = read.integer(softNode, limits.path("soft"), in: -1...Int.max)
                hard = read.integer(hardNode, limits.path("hard"), in: -1...Int.max)
            } else if entry.value.scalar != nil {
                soft = read.integer(entry.value, entryPath, in: -1...Int.max)
                hard = soft
            } else {
                log.error(.wrongType(expected: "an integer or a mapping with soft and hard", found: entry.value.kindDescription),
                          at: entry.value.location, path: entryPath)
                continue
            }
            guard let soft, let hard else { continue }
            if hard != -1, soft == -1 || soft > hard {
                log.error(.softAboveHard(soft: String(soft), hard: String(hard)), at: entry.value.location, path: entryPath)
                continue
            }
            result.append(Ulimit(name: entry.key, soft: Int64(soft), hard: Int64(hard)))
        }
        return result.sorted { $0.name < $1.name }
    }
}

extension ShellWords.Failure {
    /// The reason shown to users, with the fix.
    var explanation: String {
        switch self {
        case .unterminatedQuote:
            return "a quote is not closed"
        case .trailingBackslash:
            return "it ends with a lone backslash"
        case let .shellOperator(op):
            return "\"\(op)\" is shell syntax, and berth does not run commands through a shell; "
                + "quote it, or write [\"/bin/sh\", \"-c\", \"...\"]"
        }
    }
}
