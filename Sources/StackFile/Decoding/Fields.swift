/// The entries of one mapping being decoded, with its key path for messages.
struct Fields {
    let entries: [Entry]
    let path: String

    init(_ entries: [Entry], path: String) {
        self.entries = entries
        self.path = path
    }

    /// The value of `key`, or `nil` when it is missing or null (Compose treats both as unset).
    subscript(key: String) -> Node? {
        guard let node = entries.last(where: { $0.key == key })?.value, !node.isNull else { return nil }
        return node
    }

    /// The key path of `key` in this mapping: `services.web` + `mem_limit`.
    func path(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The `x-*` entries, kept as written.
    func extensions(except skipped: Set<String> = [], reader: ValueReader) -> [String: PlainValue] {
        var result: [String: PlainValue] = [:]
        for entry in entries where entry.key.hasPrefix("x-") && !skipped.contains(entry.key) {
            result[entry.key] = reader.plainValue(entry.value)
        }
        return result
    }

    /// Reports every key that is neither honoured nor an `x-` extension: Compose keys berth
    /// cannot honour as errors (warnings with `--ignore-unsupported`), anything else as an
    /// unknown key with a suggestion.
    func checkKeys(_ keys: KeySet, _ context: DecodeContext) {
        for entry in entries where !entry.key.hasPrefix("x-") && !keys.honoured.contains(entry.key) {
            let keyPath = path(entry.key)
            if let reason = keys.unsupported[entry.key] {
                if context.ignoreUnsupported {
                    context.log.warning(.ignoredUnsupportedKey(reason: reason), at: entry.keyLocation, path: keyPath)
                } else {
                    context.log.error(.unsupportedKey(reason: reason), at: entry.keyLocation, path: keyPath)
                }
            } else {
                context.log.error(.unknownKey(suggestion: keys.suggestion(for: entry.key)),
                                  at: entry.keyLocation, path: keyPath)
            }
        }
    }
}

/// What every decoder needs: where to report, how to read values, and the user's choices.
struct DecodeContext {
    let log: DiagnosticLog
    let reader: ValueReader
    let ignoreUnsupported: Bool
    /// The project environment (process environment over `.env`), for bare `environment` keys
    /// and for interpolation inside env files.
    let environment: [String: String]

    init(log: DiagnosticLog, ignoreUnsupported: Bool, environment: [String: String]) {
        self.log = log
        self.reader = ValueReader(log: log)
        self.ignoreUnsupported = ignoreUnsupported
        self.environment = environment
    }

    /// The entries of a mapping node, or `nil` (reported) when it is not one.
    func fields(_ node: Node, _ path: String, keys: KeySet? = nil) -> Fields? {
        guard let entries = reader.mapping(node, path) else { return nil }
        let fields = Fields(entries, path: path)
        if let keys { fields.checkKeys(keys, self) }
        return fields
    }
}
