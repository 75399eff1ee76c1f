import Foundation

extension ServiceDecoder {
    /// `env_file` entries first, in order, each overriding the one before; then `environment`
    /// over them, as in Compose. A bare `KEY` takes its value from the project environment
    /// (the process environment over `.env`), or is left out when that has none.
    func decodeEnvironment(_ fields: Fields, into service: inout Service) {
        if let node = fields["env_file"] {
            for file in envFiles(node, fields.path("env_file")) {
                for (key, value) in readEnvFile(file) { service.environment[key] = value }
            }
        }
        if let node = fields["environment"], let variables = read.listOrDict(node, fields.path("environment")) {
            for variable in variables {
                if let value = variable.value ?? context.environment[variable.key] {
                    service.environment[variable.key] = value
                } else {
                    service.environment[variable.key] = nil
                }
            }
        }
    }

    struct EnvFile {
        var path: String
        var required: Bool
        var raw: Bool
        var node: Node
        var keyPath: String
    }

    /// The `env_file` forms: a path, a list of paths, or a list of `{path, required, format}`.
    private func envFiles(_ node: Node, _ path: String) -> [EnvFile] {
        if let text = node.scalar.flatMap({ _ in read.string(node, path) }) {
            return [EnvFile(path: paths.absolute(text, writtenAt: node), required: true, raw: false, node: node, keyPath: path)]
        }
        guard let items = node.items else {
            if node.scalar == nil {
                log.error(.wrongType(expected: "a path or a list of paths", found: node.kindDescription),
                          at: node.location, path: path)
            }
            return []
        }
        var files: [EnvFile] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if item.scalar != nil {
                guard let text = read.string(item, itemPath) else { continue }
                files.append(EnvFile(path: paths.absolute(text, writtenAt: item), required: true, raw: false,
                                     node: item, keyPath: itemPath))
                continue
            }
            guard let entry = context.fields(item, itemPath, keys: .envFile) else { continue }
            guard let pathNode = entry["path"] else {
                log.error(.missingKey("path"), at: item.location, path: itemPath)
                continue
            }
            guard let text = read.string(pathNode, entry.path("path")) else { continue }
            var file = EnvFile(path: paths.absolute(text, writtenAt: pathNode), required: true, raw: false,
                               node: pathNode, keyPath: entry.path("path"))
            if let required = entry["required"], let value = read.bool(required, entry.path("required")) {
                file.required = value
            }
            if let format = entry["format"], let text = read.string(format, entry.path("format")) {
                if text == "raw" {
                    file.raw = true
                } else {
                    log.error(.invalidValue(text, expected: .envFileFormat), at: format.location, path: entry.path("format"))
                }
            }
            files.append(file)
        }
        return files
    }

    /// The variables of one env file; a missing optional file gives none.
    private func readEnvFile(_ file: EnvFile) -> [(key: String, value: String)] {
        guard FileManager.default.fileExists(atPath: file.path) else {
            if file.required {
                log.error(.fileNotFound(paths.display(file.path)), at: file.node.location, path: file.keyPath)
            }
            return []
        }
        let text: String
        do {
            text = try TextFile.read(file.path)
        } catch {
            log.error(.unreadableFile(paths.display(file.path), reason: error.reason), at: file.node.location, path: file.keyPath)
            return []
        }
        do {
            if file.raw { return try DotEnv.parseRaw(text) }
            let environment = context.environment
            return try DotEnv.parse(text, lookup: { environment[$0] })
        } catch {
            log.error(.invalidEnvFile(paths.display(file.path), line: error.line, reason: error.reason),
                      at: file.node.location, path: file.keyPath)
            return []
        }
    }
}
