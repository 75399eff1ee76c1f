/// Decodes the top level of a merged stack: its name, `x-berth`, and every service.
struct StackDecoder {
    let context: DecodeContext
    let paths: PathResolver
    /// Services not to decode: their problems are already reported.
    var skipped: Set<String> = []

    struct Result {
        var name: String?
        var services: [(service: Service, sources: ServiceDecoder.Sources)] = []
        var hostProfile: String?
        var extensions: [String: PlainValue] = [:]
    }

    func decode(_ root: Node) -> Result {
        var result = Result()
        guard let top = context.fields(root, "", keys: .topLevel) else { return result }
        let log = context.log
        let read = context.reader

        if let version = top.entries.first(where: { $0.key == "version" }) {
            log.warning(.obsoleteVersion, at: version.keyLocation, path: "version")
        }
        if let node = top["name"], let name = read.string(node, "name") {
            if ProjectName.isValid(name) {
                result.name = name
            } else {
                log.error(.invalidName(name, rule: ProjectName.rule), at: node.location, path: "name")
            }
        }
        if let node = top["x-berth"], let berth = context.fields(node, "x-berth", keys: .berthTopLevel),
           let host = berth["host"], let path = read.string(host, "x-berth.host") {
            result.hostProfile = paths.absolute(path, writtenAt: host)
        }
        result.extensions = top.extensions(except: ["x-berth"], reader: read)

        guard let servicesNode = top["services"], let services = read.mapping(servicesNode, "services") else {
            return result
        }
        let decoder = ServiceDecoder(context: context, paths: paths)
        for entry in services where !skipped.contains(entry.key) {
            let path = "services.\(entry.key)"
            if let problem = ServiceName.problem(with: entry.key) {
                log.error(problem, at: entry.keyLocation, path: path)
                continue
            }
            if let decoded = decoder.decode(name: entry.key, node: entry.value, path: path) {
                result.services.append(decoded)
            }
        }
        return result
    }
}

/// Compose's rule for project names, which berth also uses in cgroup and file names.
enum ProjectName {
    static let rule = "lowercase letters, digits, dashes and underscores, starting with a letter or digit"

    static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLowerAlphanumeric(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLowerAlphanumeric($0) || $0 == "-" || $0 == "_" }
    }

    /// A directory name made into a project name, as Compose does: lowercased, with the
    /// characters a project name cannot hold removed.
    static func normalize(_ directoryName: String) -> String {
        let lowered = directoryName.lowercased().unicodeScalars.filter {
            isLowerAlphanumeric($0) || $0 == "-" || $0 == "_"
        }
        return String(String.UnicodeScalarView(lowered.drop { !isLowerAlphanumeric($0) }))
    }

    private static func isLowerAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// Service names: Compose's `[a-zA-Z0-9._-]+`, minus the names berth needs for itself.
enum ServiceName {
    static func problem(with name: String) -> Problem? {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)
        }
        if name.isEmpty || !allowed {
            return .invalidName(name, rule: "letters, digits, dots, dashes and underscores")
        }
        if name == "." || name == ".." {
            return .reservedServiceName(name, reason: "it names a directory, and service names become file names")
        }
        if name == "supervisor" {
            return .reservedServiceName(name, reason: "berth's own cgroup leaf has that name")
        }
        return nil
    }
}
