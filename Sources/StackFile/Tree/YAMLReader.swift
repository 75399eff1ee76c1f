import Yams

/// Turns YAML text into a located `Node` tree.
///
/// Yams (libyaml) does the parsing and resolves aliases; this adds what Compose expects on
/// top: `<<` merge keys, the `!reset` and `!override` tags, and string keys only.
public enum YAMLReader {
    /// Parses one YAML document. Returns `nil`, with the reason in `log`, when the text is not
    /// YAML; returns a null node for an empty document.
    public static func parse(_ text: String, file: String, log: DiagnosticLog) -> Node? {
        let root: Yams.Node?
        do {
            // The basic resolver leaves every scalar a string: berth types scalars itself, the
            // way Compose (YAML 1.2) does, and skips Yams' regular-expression tag resolution.
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            let (problem, mark) = describe(error)
            log.error(.invalidYAML(problem),
                      at: mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) })
            return nil
        } catch {
            log.error(.invalidYAML("\(error)"), at: SourceLocation(file: file, line: 1, column: 1))
            return nil
        }
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let root else { return Node(.scalar(Scalar("", isPlain: true)), at: start) }
        return Converter(file: file, log: log).convert(root)
    }

    private static func describe(_ error: YamlError) -> (String, Mark?) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            guard let context else { return (problem, mark) }
            let start = context.mark.line == mark.line ? "column \(context.mark.column)"
                : "line \(context.mark.line), column \(context.mark.column)"
            return ("\(problem) (\(context.text) that started at \(start))", mark)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return ("key \(keys) is defined more than once in the same mapping", context.mark)
        case let .reader(problem, _, _, _):
            return (problem, nil)
        default:
            return ("\(error)", nil)
        }
    }
}

/// Walks a Yams tree once, building ours.
private struct Converter {
    let file: String
    let log: DiagnosticLog

    func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func convert(_ node: Yams.Node) -> Node {
        let here = location(node.mark)
        // The unresolved tag: `!reset` and `!override` are written explicitly. (Node.tag would
        // run the type resolver on every scalar.)
        switch node {
        case let .scalar(scalar):
            return Node(.scalar(Scalar(scalar.string, isPlain: scalar.style == .plain)), at: here,
                        mergeTag: Node.MergeTag(rawValue: scalar.tag.rawValue))
        case let .sequence(sequence):
            return Node(.sequence(sequence.map(convert)), at: here, mergeTag: Node.MergeTag(rawValue: sequence.tag.rawValue))
        case let .mapping(mapping):
            return Node(.mapping(entries(of: mapping)), at: here, mergeTag: Node.MergeTag(rawValue: mapping.tag.rawValue))
        case .alias:
            // Yams resolves aliases while composing; an unresolved one cannot reach us.
            return Node(.scalar(Scalar("", isPlain: true)), at: here)
        }
    }

    /// The entries of a mapping, with `<<` merge keys expanded. Keys written in the mapping
    /// itself win over merged ones; among merged mappings, the first listed wins (YAML 1.1).
    func entries(of mapping: Yams.Node.Mapping) -> [Entry] {
        var own: [Entry] = []
        var merged: [Entry] = []
        for (key, value) in mapping {
            guard case let .scalar(keyScalar) = key else {
                log.error(.wrongType(expected: "a string key", found: key.isMapping ? "a mapping" : "a list"),
                          at: location(key.mark))
                continue
            }
            if keyScalar.string == "<<", keyScalar.style == .plain {
                merged.append(contentsOf: mergeSources(value))
                continue
            }
            own.append(Entry(key: keyScalar.string, keyLocation: location(keyScalar.mark), value: convert(value)))
        }
        var seen = Set(own.map(\.key))
        for entry in merged where !seen.contains(entry.key) {
            seen.insert(entry.key)
            own.append(entry)
        }
        return own
    }

    private func mergeSources(_ value: Yams.Node) -> [Entry] {
        switch value {
        case let .mapping(mapping):
            return entries(of: mapping)
        case let .sequence(sequence):
            return sequence.flatMap { item -> [Entry] in
                if case let .mapping(mapping) = item { return entries(of: mapping) }
                log.error(.wrongType(expected: "a mapping to merge", found: "a \(item.isScalar ? "scalar" : "list")"),
                          at: location(item.mark), path: "<<")
                return []
            }
        default:
            log.error(.wrongType(expected: "a mapping or a list of mappings to merge", found: "a scalar"),
                      at: location(value.mark), path: "<<")
            return []
        }
    }
}

private extension Yams.Node {
    var isMapping: Bool { if case .mapping = self { return true } else { return false } }
    var isScalar: Bool { if case .scalar = self { return true } else { return false } }
}
