/// Prints a `PlainValue` as YAML or JSON, keys sorted so that output is the same on every run
/// and diffs stay small.
public enum Emitter {
    /// YAML text. With `escapingDollars`, every `$` in a value is written `$$`, so that the
    /// text can be loaded again without being interpolated a second time.
    public static func yaml(_ value: PlainValue, escapingDollars: Bool = false) -> String {
        YAMLWriter.write(value, escapingDollars: escapingDollars)
    }

    /// Whether a YAML reader would take `text`, written plain, for something other than a
    /// string: a number, a boolean, null (YAML 1.2, as Compose reads it), or under the older
    /// 1.1 rules some tools still use, `yes`/`no`/`on`/`off`, `1_000`, `1:30`, a date.
    static func readsAsOtherThanString(_ text: String) -> Bool {
        if Scalar(text, isPlain: true).kind != .string { return true }
        if text.utf8.count <= 3, ["y", "n", "yes", "no", "on", "off", "=", "<<"].contains(text.lowercased()) { return true }
        var scalars = text.unicodeScalars[...]
        if let first = scalars.first, "+-.".unicodeScalars.contains(first) { scalars = scalars.dropFirst() }
        guard let first = scalars.first, ("0"..."9").contains(first) else { return false }
        // Starts like a number: quote it unless a letter shows it is not one (256m, 1.5g, 10s).
        return text.unicodeScalars.allSatisfy { "0123456789_:.-+ eExXoObBaAcCdDfFtTzZ".unicodeScalars.contains($0) }
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
        case let .float(number): output += number.isFinite ? ComposeNumber.formatKeepingFraction(number) : "null"
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
            case _ where YAMLWriter.needsEscape(scalar):
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
        case let .string(text): return .string(text.doublingDollars)
        case let .list(items): return .list(items.map { $0.escapingDollars() })
        case let .map(fields): return .map(fields.mapValues { $0.escapingDollars() })
        default: return self
        }
    }
}
