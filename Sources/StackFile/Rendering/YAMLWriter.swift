/// Writes a `PlainValue` as block-style YAML, keys sorted.
///
/// Written by hand rather than through Yams' emitter, which resolves a tag for every scalar it
/// writes with regular expressions — two thirds of `berth config`'s time on a large stack.
struct YAMLWriter {
    let escapingDollars: Bool
    private var output = ""

    init(escapingDollars: Bool) { self.escapingDollars = escapingDollars }

    static func write(_ value: PlainValue, escapingDollars: Bool) -> String {
        var writer = YAMLWriter(escapingDollars: escapingDollars)
        writer.writeDocument(value)
        return writer.output
    }

    private mutating func writeDocument(_ value: PlainValue) {
        switch value {
        case .map(let fields) where !fields.isEmpty: writeMap(fields, indent: "")
        case .list(let items) where !items.isEmpty: writeList(items, indent: "")
        default: output += scalar(value) + "\n"
        }
    }

    private mutating func writeMap(_ fields: [String: PlainValue], indent: String) {
        for key in fields.keys.sorted() {
            output += indent + Self.quotedIfNeeded(key) + ":"
            writeChild(fields[key]!, indent: indent, inList: false)
        }
    }

    private mutating func writeList(_ items: [PlainValue], indent: String) {
        for item in items {
            output += indent + "-"
            switch item {
            case .map(let fields) where !fields.isEmpty:
                // The first key on the dash's line, the rest aligned under it.
                var first = true
                for key in fields.keys.sorted() {
                    output += (first ? " " : indent + "  ") + Self.quotedIfNeeded(key) + ":"
                    writeChild(fields[key]!, indent: indent + "  ", inList: false)
                    first = false
                }
            default:
                writeChild(item, indent: indent, inList: true)
            }
        }
    }

    /// What follows `key:` or `-`: a scalar on the same line, or a block on the next lines.
    private mutating func writeChild(_ value: PlainValue, indent: String, inList: Bool) {
        switch value {
        case .map(let fields) where !fields.isEmpty:
            output += "\n"
            writeMap(fields, indent: indent + "  ")
        case .list(let items) where !items.isEmpty:
            output += "\n"
            writeList(items, indent: inList ? indent + "  " : indent)
        default:
            output += " " + scalar(value) + "\n"
        }
    }

    private func scalar(_ value: PlainValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .float(let number):
            if number.isNaN { return ".nan" }
            if number.isInfinite { return number > 0 ? ".inf" : "-.inf" }
            return ComposeNumber.formatKeepingFraction(number)
        case .string(let text): return Self.quotedIfNeeded(escapingDollars ? text.doublingDollars : text)
        case .list: return "[]"
        case .map: return "{}"
        }
    }

    /// The text as a plain scalar when YAML reads that back as the same string, else quoted.
    static func quotedIfNeeded(_ text: String) -> String {
        isSafePlain(text) ? text : doubleQuoted(text)
    }

    static func isSafePlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        if first == " " || last == " " || last == ":" { return false }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) {
            // `-x` and `:x` are plain; `- x`, `? x`, `: x` and the other indicators are not.
            guard first == "-" || first == ":" || first == "?" else { return false }
            let second = text.unicodeScalars.dropFirst().first
            guard let second, second != " " else { return false }
        }
        // No control characters, and no ": " or " #", which would end the scalar early.
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F { return false }
            if (previous == UInt8(ascii: ":") && byte == UInt8(ascii: " "))
                || (previous == UInt8(ascii: " ") && byte == UInt8(ascii: "#")) { return false }
            previous = byte
        }
        // YAML also breaks lines at U+0085, U+2028 and U+2029, and a BOM would vanish.
        if text.unicodeScalars.contains(where: Self.needsEscape) { return false }
        return !Emitter.readsAsOtherThanString(text)
    }

    /// Characters a YAML reader would not give back as written: controls, YAML's Unicode line
    /// breaks, the byte-order mark.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028
            || scalar.value == 0x2029 || scalar.value == 0xFEFF
    }

    static func doubleQuoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case _ where needsEscape(scalar):
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension String {
    /// `$` written as `$$`, so that interpolation gives the text back.
    var doublingDollars: String {
        guard utf8.contains(UInt8(ascii: "$")) else { return self }
        var result = ""
        for character in self {
            result.append(character)
            if character == "$" { result.append("$") }
        }
        return result
    }
}
