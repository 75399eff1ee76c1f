/// Reads typed values out of nodes the way Compose's schema types them, reporting each
/// problem to the log and returning `nil` instead of throwing, so that decoding goes on and
/// the user sees every problem at once.
struct ValueReader {
    let log: DiagnosticLog

    // MARK: Scalars

    /// A field Compose types as `string`: quoted or plain text, but not a number or a boolean
    /// (those would make the file invalid for Compose).
    func string(_ node: Node, _ path: String) -> String? {
        guard let scalar = node.scalar, scalar.kind == .string else {
            var found = node.kindDescription
            if let text = node.scalar?.text, node.scalar?.kind != .null { found += " (quote it: \"\(text)\")" }
            log.error(.wrongType(expected: "a string", found: found), at: node.location, path: path)
            return nil
        }
        return scalar.text
    }

    /// A field Compose types as `["number", "string"]` (or integer and string): the text of a
    /// number or a string scalar, parsed by the caller.
    func numberOrString(_ node: Node, _ path: String) -> String? {
        guard let scalar = node.scalar else {
            log.error(.wrongType(expected: "a number or a string", found: node.kindDescription),
                      at: node.location, path: path)
            return nil
        }
        switch scalar.kind {
        case .string, .int, .float: return scalar.text
        case .null, .bool:
            log.error(.wrongType(expected: "a number or a string", found: node.kindDescription),
                      at: node.location, path: path)
            return nil
        }
    }

    /// `true`/`false`, as a YAML boolean or as a string (Compose's `["boolean", "string"]`).
    func bool(_ node: Node, _ path: String) -> Bool? {
        guard let scalar = node.scalar else {
            log.error(.wrongType(expected: "a boolean", found: node.kindDescription), at: node.location, path: path)
            return nil
        }
        if case let .bool(value) = scalar.kind { return value }
        switch scalar.text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            log.error(.invalidValue(scalar.text, expected: .boolean), at: node.location, path: path)
            return nil
        }
    }

    /// An integer, written as a number or as a numeric string, within `range`.
    func integer(_ node: Node, _ path: String, in range: ClosedRange<Int>? = nil) -> Int? {
        guard let text = numberOrString(node, path) else { return nil }
        guard let value = Int(text.trimmingSpaces) else {
            log.error(.invalidValue(text, expected: .integer), at: node.location, path: path)
            return nil
        }
        if let range, !range.contains(value) {
            log.error(.outOfRange(text, range: "\(range.lowerBound) to \(range.upperBound)"),
                      at: node.location, path: path)
            return nil
        }
        return value
    }

    /// A decimal number, written as a number or a numeric string.
    func number(_ node: Node, _ path: String) -> Double? {
        guard let text = numberOrString(node, path) else { return nil }
        guard let value = Double(text.trimmingSpaces), value.isFinite else {
            log.error(.invalidValue(text, expected: .number), at: node.location, path: path)
            return nil
        }
        return value
    }

    /// A byte value (`512m`, `1.5g`, `1024`). `numbersAllowed` is false where Compose's schema
    /// only takes strings (`deploy.resources.*.memory`).
    func bytes(_ node: Node, _ path: String, numbersAllowed: Bool = true) -> Int64? {
        let text = numbersAllowed ? numberOrString(node, path) : string(node, path)
        guard let text else { return nil }
        guard let bytes = ByteCount.parse(text) else {
            log.error(.invalidValue(text, expected: .byteValue), at: node.location, path: path)
            return nil
        }
        return bytes
    }

    /// A duration (`1m30s`, `250ms`); Compose only takes strings here.
    func duration(_ node: Node, _ path: String) -> Duration? {
        guard let text = string(node, path) else { return nil }
        guard let duration = ComposeDuration.parse(text) else {
            log.error(.invalidValue(text, expected: .duration), at: node.location, path: path)
            return nil
        }
        return duration
    }

    // MARK: Collections

    /// A list of strings; with `unique`, a repeated item is an error (Compose's `uniqueItems`).
    func stringList(_ node: Node, _ path: String, unique: Bool = true) -> [(text: String, node: Node)]? {
        guard let items = node.items else {
            log.error(.wrongType(expected: "a list of strings", found: node.kindDescription),
                      at: node.location, path: path)
            return nil
        }
        var result: [(text: String, node: Node)] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            guard let text = string(item, "\(path)[\(index)]") else { continue }
            if unique, !seen.insert(text).inserted {
                log.error(.duplicateItem(text), at: item.location, path: "\(path)[\(index)]")
                continue
            }
            result.append((text, item))
        }
        return result
    }

    /// A string or a list of strings (`string_or_list`).
    func stringOrList(_ node: Node, _ path: String) -> [(text: String, node: Node)]? {
        if node.items != nil { return stringList(node, path) }
        guard let text = string(node, path) else { return nil }
        return [(text, node)]
    }

    /// Compose's `list_or_dict`: `{KEY: value}` or `["KEY=value", "KEY"]`. A missing value
    /// (`KEY:` or bare `KEY`) comes back as `nil`, for the caller to resolve.
    func listOrDict(_ node: Node, _ path: String) -> [(key: String, value: String?, node: Node)]? {
        switch node.value {
        case let .mapping(entries):
            var result: [(key: String, value: String?, node: Node)] = []
            for entry in entries {
                guard let scalar = entry.value.scalar else {
                    log.error(.wrongType(expected: "a string, a number, a boolean or null",
                                         found: entry.value.kindDescription),
                              at: entry.value.location, path: "\(path).\(entry.key)")
                    continue
                }
                switch scalar.kind {
                case .null: result.append((entry.key, nil, entry.value))
                case let .bool(value): result.append((entry.key, value ? "true" : "false", entry.value))
                default: result.append((entry.key, scalar.text, entry.value))
                }
            }
            return result
        case .sequence:
            guard let items = stringList(node, path) else { return nil }
            return items.map { item in
                guard let equals = item.text.firstIndex(of: "=") else { return (item.text, nil, item.node) }
                return (String(item.text[..<equals]), String(item.text[item.text.index(after: equals)...]), item.node)
            }
        case .scalar:
            log.error(.wrongType(expected: "a mapping or a list of KEY=VALUE strings", found: node.kindDescription),
                      at: node.location, path: path)
            return nil
        }
    }

    /// A mapping, or nothing (`key:` with no value counts as an empty mapping).
    func mapping(_ node: Node, _ path: String) -> [Entry]? {
        if node.isNull { return [] }
        guard let entries = node.entries else {
            log.error(.wrongType(expected: "a mapping", found: node.kindDescription), at: node.location, path: path)
            return nil
        }
        return entries
    }

    /// Anything, kept as written (for `x-` keys).
    func plainValue(_ node: Node) -> PlainValue {
        switch node.value {
        case let .scalar(scalar):
            switch scalar.kind {
            case .null: return .null
            case let .bool(value): return .bool(value)
            case let .int(value): return .int(value)
            case let .float(value): return .float(value)
            case .string: return .string(scalar.text)
            }
        case let .sequence(items):
            return .list(items.map(plainValue))
        case let .mapping(entries):
            return .map(Dictionary(entries.map { ($0.key, plainValue($0.value)) }, uniquingKeysWith: { $1 }))
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(self).trimmingCharacters(in: [" ", "\t"])
    }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
