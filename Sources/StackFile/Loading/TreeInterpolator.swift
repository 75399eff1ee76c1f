/// Substitutes `${VAR}` references in every value of a file's tree, never in keys, as Compose
/// does before merging files.
struct TreeInterpolator {
    let environment: [String: String]
    let log: DiagnosticLog
    /// Variables already warned about: one warning per variable is enough.
    private(set) var warned: Set<String>

    init(environment: [String: String], log: DiagnosticLog, warned: Set<String> = []) {
        self.environment = environment
        self.log = log
        self.warned = warned
    }

    mutating func interpolate(_ node: Node, path: [String] = []) -> Node {
        var result = node
        switch node.value {
        case let .scalar(scalar):
            guard scalar.text.utf8.contains(UInt8(ascii: "$")) else { return node }
            result.value = .scalar(substitute(scalar, at: node.location, path: path))
        case let .sequence(items):
            result.value = .sequence(items.enumerated().map { index, item in
                interpolate(item, path: path + ["[\(index)]"])
            })
        case let .mapping(entries):
            result.value = .mapping(entries.map { entry in
                var copy = entry
                copy.value = interpolate(entry.value, path: path + [entry.key])
                return copy
            })
        }
        return result
    }

    private mutating func substitute(_ scalar: Scalar, at location: SourceLocation, path: [String]) -> Scalar {
        let keyPath = path.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        let environment = self.environment
        do {
            let (value, unset) = try Interpolation.substitute(scalar.text, lookup: { environment[$0] })
            for name in unset where warned.insert(name).inserted {
                log.warning(.unsetVariable(name), at: location, path: keyPath)
            }
            // An interpolated value is a string, as in Compose: `user: ${UID}` with UID=1000
            // is the string "1000"; fields that take numbers accept numeric strings.
            return Scalar(value, isPlain: false)
        } catch {
            switch error {
            case let .invalidTemplate(template):
                log.error(.invalidTemplate(template), at: location, path: keyPath)
            case let .requiredVariable(name, message):
                log.error(.requiredVariable(name: name, message: message), at: location, path: keyPath)
            }
        }
        return scalar
    }
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
