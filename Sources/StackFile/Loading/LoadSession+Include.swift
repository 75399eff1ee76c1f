extension LoadSession {
    /// Adds the services of the projects named by `include`. Each is loaded as a project of its
    /// own (its own directory and `.env`, with the including project's environment winning),
    /// and its services are copied in; a name that is already taken keeps the including
    /// project's service, with a warning (Compose's rule).
    func resolveIncludes(in root: Node, environment: [String: String], chain: [String]) -> Node {
        guard let includeNode = root["include"] else { return root }
        var result = root
        result.value = .mapping((root.entries ?? []).filter { $0.key != "include" })
        guard !includeNode.isNull else { return result }
        let context = DecodeContext(log: log, ignoreUnsupported: false, environment: [:])
        guard let items = includeNode.items else {
            log.error(.wrongType(expected: "a list", found: includeNode.kindDescription), at: includeNode.location, path: "include")
            return result
        }
        var services = result["services"]?.entries ?? []
        for (index, item) in items.enumerated() {
            let path = "include[\(index)]"
            guard let request = includeRequest(item, path: path, context: context) else { continue }
            if let repeated = request.files.first(where: chain.contains) {
                log.error(.includeCycle((chain + [repeated]).map(display)), at: item.location, path: path)
                continue
            }
            let subEnvironment = projectEnvironment(projectDirectory: request.projectDirectory,
                                                    envFiles: request.envFiles, inherited: environment)
            guard let included = assemble(files: request.files, projectDirectory: request.projectDirectory,
                                          environment: subEnvironment, chain: chain) else { continue }
            for entry in included["services"]?.entries ?? [] {
                if services.contains(where: { $0.key == entry.key }) {
                    log.warning(.includedServiceConflict(entry.key, file: entry.keyLocation.file),
                                at: item.location, path: path)
                } else {
                    services.append(entry)
                }
            }
        }
        result.value = .mapping((result.entries ?? []).filter { $0.key != "services" } + [
            Entry(key: "services", keyLocation: includeNode.location,
                  value: Node(.mapping(services), at: result["services"]?.location ?? includeNode.location)),
        ])
        return result
    }

    private struct IncludeRequest {
        var files: [String]
        var projectDirectory: String
        var envFiles: [String]?
    }

    /// `- PATH` or `- {path: PATH | [PATHS], project_directory: DIR, env_file: FILE | [FILES]}`;
    /// relative paths are relative to the including file's directory.
    private func includeRequest(_ item: Node, path: String, context: DecodeContext) -> IncludeRequest? {
        let directory = FilePath.directory(of: absolutePaths[item.location.file] ?? options.workingDirectory + "/")
        if item.scalar != nil {
            guard let file = context.reader.string(item, path) else { return nil }
            let absolute = FilePath.join(directory, file)
            return IncludeRequest(files: [absolute], projectDirectory: FilePath.directory(of: absolute), envFiles: nil)
        }
        guard let fields = context.fields(item, path, keys: .include) else { return nil }
        guard let pathNode = fields["path"] else {
            log.error(.missingKey("path"), at: item.location, path: path)
            return nil
        }
        guard let files = context.reader.stringOrList(pathNode, fields.path("path"))?.map({ FilePath.join(directory, $0.text) }),
              let first = files.first else { return nil }
        var request = IncludeRequest(files: files, projectDirectory: FilePath.directory(of: first), envFiles: nil)
        if let node = fields["project_directory"], let text = context.reader.string(node, fields.path("project_directory")) {
            request.projectDirectory = FilePath.join(directory, text)
        }
        if let node = fields["env_file"], let envFiles = context.reader.stringOrList(node, fields.path("env_file")) {
            request.envFiles = envFiles.map { FilePath.join(directory, $0.text) }
        }
        return request
    }
}
