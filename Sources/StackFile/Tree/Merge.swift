/// Compose's rules for laying one stack file over another (`-f a.yml -f b.yml`, override
/// files) and a service over the one it `extends`.
///
/// Mappings merge key by key; sequences append; scalars are replaced. The exceptions are
/// Compose's (compose-go `override/merge.go`): `command`, `entrypoint` and `healthcheck.test`
/// are replaced whole; `environment`, `labels` and `depends_on` merge by key whatever form
/// each side uses; `env_file` appends whether written as a path or a list; each `ulimits` entry is replaced whole. An override value tagged `!reset`
/// removes the earlier value, one tagged `!override` replaces it without merging.
public struct Merger {
    public let log: DiagnosticLog

    public init(log: DiagnosticLog) { self.log = log }

    /// Lays `override` over `base`. `path` is where the two nodes sit in the stack
    /// (`["services", "web"]`), which decides the special rules.
    public func merge(_ base: Node, _ override: Node, at path: [String] = []) -> Node? {
        switch override.mergeTag {
        case .reset: return nil
        case .override: return untagged(override)
        case nil: break
        }
        switch Rule(for: path) {
        case .replace:
            return override
        case .replaceUnlessNull:
            return override.isNull ? base : override
        case .appendAsList:
            return Node(.sequence(appendingNew(listed(override), to: listed(base))), at: base.location)
        case .byKey(let implicitValue):
            let merged = mergeMappings(keyed(base, implicitValue: implicitValue),
                                       keyed(override, implicitValue: implicitValue), at: path)
            return merged
        case .standard:
            break
        }
        if override.isNull { return base }
        switch (base.value, override.value) {
        case (.mapping, .mapping):
            return mergeMappings(base, override, at: path)
        case let (.sequence(first), .sequence(second)):
            return Node(.sequence(appendingNew(second, to: first)), at: base.location)
        case (.scalar, .scalar):
            return override
        default:
            if base.isNull { return override }
            log.error(.wrongType(expected: "\(base.kindDescription) to merge with the earlier value",
                                 found: override.kindDescription),
                      at: override.location, path: path.joined(separator: "."))
            return override
        }
    }

    private func mergeMappings(_ base: Node, _ override: Node, at path: [String]) -> Node {
        var entries = base.entries ?? []
        for entry in override.entries ?? [] {
            let childPath = path + [entry.key]
            guard let index = entries.firstIndex(where: { $0.key == entry.key }) else {
                if entry.value.mergeTag != .reset {
                    entries.append(Entry(key: entry.key, keyLocation: entry.keyLocation, value: untagged(entry.value)))
                }
                continue
            }
            if let merged = merge(entries[index].value, entry.value, at: childPath) {
                entries[index].value = merged
            } else {
                entries.remove(at: index)
            }
        }
        return Node(.mapping(entries), at: base.location)
    }

    /// Appends the items of `second` to `first`, leaving out scalars already present: a
    /// capability added by two files is added once.
    private func appendingNew(_ second: [Node], to first: [Node]) -> [Node] {
        var result = first
        for item in second {
            if let scalar = item.scalar, result.contains(where: { $0.scalar?.text == scalar.text }) { continue }
            result.append(untagged(item))
        }
        return result
    }

    /// A single value as a one-item list (`env_file: a.env` is `env_file: [a.env]`).
    private func listed(_ node: Node) -> [Node] {
        if let items = node.items { return items }
        return node.isNull ? [] : [node]
    }

    private func untagged(_ node: Node) -> Node {
        var copy = node
        copy.mergeTag = nil
        return copy
    }

    /// A mapping view of a value that Compose lets users write either as a mapping or as a list:
    /// `KEY=VALUE` items for `environment` and `labels`, bare service names for `depends_on`.
    private func keyed(_ node: Node, implicitValue: ImplicitValue) -> Node {
        guard case let .sequence(items) = node.value else { return node }
        var entries: [Entry] = []
        for item in items {
            guard let text = item.scalar?.text else { return node }  // not a list of strings: leave it to validation
            let key: String
            let value: Node
            switch implicitValue {
            case .splitAtEquals:
                if let equals = text.firstIndex(of: "=") {
                    key = String(text[..<equals])
                    value = .string(String(text[text.index(after: equals)...]), at: item.location)
                } else {
                    key = text
                    value = Node(.scalar(Scalar("", isPlain: true)), at: item.location)
                }
            case .startedDependency:
                key = text
                value = Node(.mapping([
                    Entry(key: "condition", keyLocation: item.location,
                          value: .string("service_started", at: item.location)),
                    Entry(key: "required", keyLocation: item.location,
                          value: Node(.scalar(Scalar("true", isPlain: true)), at: item.location)),
                ]), at: item.location)
            }
            entries.removeAll { $0.key == key }
            entries.append(Entry(key: key, keyLocation: item.location, value: value))
        }
        return Node(.mapping(entries), at: node.location)
    }
}

extension Merger {
    /// What an item of a list becomes in the mapping form.
    enum ImplicitValue {
        /// `KEY=VALUE` splits at the first `=`; a bare `KEY` maps to null.
        case splitAtEquals
        /// A bare service name depends on it being started, and requires it.
        case startedDependency
    }

    enum Rule {
        case standard
        case replace
        case replaceUnlessNull
        case appendAsList
        case byKey(ImplicitValue)

        init(for path: [String]) {
            // Rules concern service attributes only: services.<name>.<attribute>[...]
            guard path.count >= 3, path[0] == "services" else { self = .standard; return }
            let attribute = Array(path.dropFirst(2))
            switch attribute {
            case ["command"], ["entrypoint"], ["healthcheck", "test"]:
                self = .replace
            case ["environment"], ["labels"], ["deploy", "labels"]:
                self = .byKey(.splitAtEquals)
            case ["depends_on"]:
                self = .byKey(.startedDependency)
            case ["env_file"]:
                self = .appendAsList
            case _ where attribute.count == 2 && ["environment", "labels"].contains(attribute[0]):
                // A later `KEY` (null: take it from the host) replaces an earlier `KEY=VALUE`.
                self = .replace
            case _ where attribute.count == 2 && attribute[0] == "ulimits":
                self = .replaceUnlessNull
            default:
                self = .standard
            }
        }
    }
}
