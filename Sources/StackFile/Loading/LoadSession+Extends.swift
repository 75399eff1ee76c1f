extension LoadSession {
    /// Resolves `extends` for every service of one file, as Compose does file by file before
    /// merging: the base service (from the same file, or from `file:`) is merged under the
    /// extending one by the usual merge rules.
    func resolveExtends(in tree: Node, file: String, projectDirectory: String, environment: [String: String]) -> Node {
        guard let services = tree["services"]?.entries else { return tree }
        var resolver = ExtendsResolver(session: self, projectDirectory: projectDirectory, environment: environment)
        let resolved = services.map { entry -> Entry in
            var copy = entry
            if let node = resolver.resolve(entry.key, in: services, file: file, chain: []) {
                copy.value = node
            } else {
                unresolvedServices.insert(entry.key)
            }
            return copy
        }
        var result = tree
        result.value = .mapping((tree.entries ?? []).map { entry in
            guard entry.key == "services" else { return entry }
            var copy = entry
            copy.value.value = .mapping(resolved)
            return copy
        })
        return result
    }
}

/// Follows `extends` chains within one file's resolution, remembering what it has resolved.
struct ExtendsResolver {
    let session: LoadSession
    let projectDirectory: String
    let environment: [String: String]
    private var resolved: [String: Node] = [:]

    init(session: LoadSession, projectDirectory: String, environment: [String: String]) {
        self.session = session
        self.projectDirectory = projectDirectory
        self.environment = environment
    }

    /// The service `name` of `file` with its `extends` chain applied; `nil` when it cannot be
    /// (reported).
    mutating func resolve(_ name: String, in services: [Entry], file: String, chain: [String]) -> Node? {
        let key = "\(session.display(file)):\(name)"
        if let done = resolved[key] { return done }
        guard let node = services.last(where: { $0.key == name })?.value else { return nil }
        guard let extendsNode = node["extends"], !extendsNode.isNull else { return node }
        let path = "services.\(name).extends"
        let log = session.log

        guard chain.count < 64, !chain.contains(key) else {
            let cycle = Array(chain.drop { $0 != key }) + [key]
            if session.reportedExtendsCycles.insert(Set(cycle)).inserted {
                let files = Set(cycle.map { $0.split(separator: ":").dropLast().joined(separator: ":") })
                let names = files.count == 1 ? cycle.map { String($0.split(separator: ":").last ?? "") } : cycle
                log.error(.extendsCycle(names), at: extendsNode.location, path: path)
            }
            return nil
        }
        guard let reference = target(of: extendsNode, path: path) else { return nil }

        var baseFile = file
        var baseServices = services
        if let relative = reference.file {
            let directory = FilePath.directory(of: session.absolutePaths[extendsNode.location.file] ?? file)
            baseFile = FilePath.join(directory, relative)
            guard let tree = session.tree(baseFile, projectDirectory: projectDirectory, environment: environment,
                                          at: reference.fileLocation, path: "\(path).file") else { return nil }
            // Relative paths in the base service are relative to its own file, as in Compose.
            session.baseDirectories[session.display(baseFile)] = FilePath.directory(of: baseFile)
            baseServices = tree["services"]?.entries ?? []
        }
        guard baseServices.contains(where: { $0.key == reference.service }) else {
            log.error(.undefinedExtendedService(reference.service, file: session.display(baseFile)),
                      at: reference.serviceLocation, path: path)
            return nil
        }
        guard let base = resolve(reference.service, in: baseServices, file: baseFile, chain: chain + [key]) else {
            return nil
        }
        var own = node
        own.value = .mapping((node.entries ?? []).filter { $0.key != "extends" })
        let merged = session.merger.merge(base, own, at: ["services", name]) ?? own
        resolved[key] = merged
        return merged
    }

    private struct Reference {
        var service: String
        var serviceLocation: SourceLocation
        var file: String?
        var fileLocation: SourceLocation?
    }

    /// `extends: NAME` or `extends: {service: NAME, file: PATH}`.
    private func target(of node: Node, path: String) -> Reference? {
        let context = DecodeContext(log: session.log, ignoreUnsupported: false, environment: [:])
        if node.scalar != nil {
            guard let service = context.reader.string(node, path) else { return nil }
            return Reference(service: service, serviceLocation: node.location)
        }
        guard let fields = context.fields(node, path, keys: .extends) else { return nil }
        guard let serviceNode = fields["service"] else {
            session.log.error(.missingKey("service"), at: node.location, path: path)
            return nil
        }
        guard let service = context.reader.string(serviceNode, fields.path("service")) else { return nil }
        var reference = Reference(service: service, serviceLocation: serviceNode.location)
        if let fileNode = fields["file"] {
            guard let file = context.reader.string(fileNode, fields.path("file")) else { return nil }
            reference.file = file
            reference.fileLocation = fileNode.location
        }
        return reference
    }
}
