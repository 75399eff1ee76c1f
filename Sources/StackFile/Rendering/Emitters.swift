import Yams

/// Prints a `PlainValue` as YAML or JSON, keys sorted so that output is the same on every run
/// and diffs stay small.
public enum Emitter {
    /// YAML text. With `escapingDollars`, every `$` in a value is written `$$`, so that the
    /// text can be loaded again without being interpolated a second time.
    public static func yaml(_ value: PlainValue, escapingDollars: Bool = false) -> String {
        let node = yamlNode(value, escapingDollars: escapingDollars)
        // Serializing a tree we built ourselves cannot fail; fall back to JSON (valid YAML) if it does.
        return (try? Yams.serialize(node: node, indent: 2, width: -1, allowUnicode: true))
            ?? json(value)
    }

    private static func yamlNode(_ value: PlainValue, escapingDollars: Bool) -> Yams.Node {
        switch value {
        case .null: return Yams.Node("null", .implicit, .plain)
        case let .bool(flag): return Yams.Node(flag ? "true" : "false", .implicit, .plain)
        case let .int(number): return Yams.Node(String(number), .implicit, .plain)
        case let .float(number): return Yams.Node(ComposeNumber.format(number), .implicit, .plain)
        case let .string(text):
            let escaped = escapingDollars ? text.replacingDollars() : text
            return Yams.Node(escaped, .implicit, needsQuotes(escaped) ? .doubleQuoted : .any)
        case let .list(items):
            return Yams.Node(items.map { yamlNode($0, escapingDollars: escapingDollars) })
        case let .map(fields):
            return Yams.Node(fields.keys.sorted().map { key in
                (Yams.Node(key, .implicit, needsQuotes(key) ? .doubleQuoted : .any),
                 yamlNode(fields[key]!, escapingDollars: escapingDollars))
            })
        }
    }

    /// Strings that a YAML reader would take for something else (a number, a boolean, null, a
    /// date), under YAML 1.2 as Compose reads it or under the older 1.1 rules of other tools.
    static func needsQuotes(_ text: String) -> Bool {
        if Scalar(text, isPlain: true).kind != .string { return true }
        if ["y", "n", "yes", "no", "on", "off"].contains(text.lowercased()) { return true }
        if text.contains(where: { $0 == "\n" || $0 == "\t" }) { return true }
        guard let first = text.unicodeScalars.first, ("0"..."9").contains(first) || first == "." || first == "+" || first == "-" else {
            return false
        }
        // YAML 1.1 also reads 1_000, 1:30 and 2024-01-31 as numbers and dates.
        return Yams.Node(text).tag.rawValue != Tag.Name.str.rawValue
    }

    /// JSON text, indented by two spaces. `escapingDollars` as for YAML.
    public static func json(_ value: PlainValue, escapingDollars: Bool = false) -> String {
        var output = ""
        writeJSON(escapingDollars ? value.escapingDollars() : value, indent: "", into: &output)
        return output + "\n"
    }

    private static func writeJSON(_ value: PlainValue, indent: String, into output: inout String) {
        switch value {
        case .null: output += "null"
        case let .bool(flag): output += flag ? "true" : "false"
        case let .int(number): output += String(number)
        case let .float(number): output += number.isFinite ? ComposeNumber.format(number) : "null"
        case let .string(text): output += jsonString(text)
        case let .list(items):
            guard !items.isEmpty else { output += "[]"; return }
            output += "[\n"
            for (index, item) in items.enumerated() {
                output += indent + "  "
                writeJSON(item, indent: indent + "  ", into: &output)
                output += index == items.count - 1 ? "\n" : ",\n"
            }
            output += indent + "]"
        case let .map(fields):
            guard !fields.isEmpty else { output += "{}"; return }
            output += "{\n"
            let keys = fields.keys.sorted()
            for (index, key) in keys.enumerated() {
                output += indent + "  " + jsonString(key) + ": "
                writeJSON(fields[key]!, indent: indent + "  ", into: &output)
                output += index == keys.count - 1 ? "\n" : ",\n"
            }
            output += indent + "}"
        }
    }

    static func jsonString(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}

private extension PlainValue {
    func escapingDollars() -> PlainValue {
        switch self {
        case let .string(text): return .string(text.replacingDollars())
        case let .list(items): return .list(items.map { $0.escapingDollars() })
        case let .map(fields): return .map(fields.mapValues { $0.escapingDollars() })
        default: return self
        }
    }
}

private extension String {
    func replacingDollars() -> String {
        guard contains("$") else { return self }
        var result = ""
        for character in self {
            result.append(character)
            if character == "$" { result.append("$") }
        }
        return result
    }
}
