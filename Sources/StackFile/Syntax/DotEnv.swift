// Compose `env_file` syntax.
//
// `parse` follows compose-spec/compose-go's `dotenv` package (parser.go and godotenv.go), which
// is what `docker compose` uses for env files and for the project `.env`. `parseRaw` follows
// docker/cli's `kvfile`, which `docker compose` registers for `env_file: {format: raw}`.

/// Compose's env-file syntax: `KEY=value` lines with quoting, comments and interpolation.
public enum DotEnv {
    /// Why an env file could not be parsed.
    public struct ParseError: Error, Equatable, Sendable {
        /// The 1-based line where the bad statement starts.
        public var line: Int
        /// What is wrong, e.g. "unterminated quoted value" or `key cannot contain a space`.
        public var reason: String
    }

    /// Parses Compose's env-file syntax. `lookup` answers variables for interpolation and for
    /// bare `KEY` lines (inherited from the environment; dropped when lookup returns nil).
    /// Returns entries in file order; a key defined twice keeps its first position and its last value.
    ///
    /// Interpolation sees `lookup` first and then the keys defined earlier in the file, as in
    /// compose-go, so the environment can override what the file builds on.
    public static func parse(
        _ text: String,
        lookup: (String) -> String?
    ) throws(ParseError) -> [(key: String, value: String)] {
        var scanner = EnvFileScanner(text)
        var entries = EnvEntries()

        while scanner.moveToNextStatement() {
            let line = scanner.statementLine
            let key = try scanner.readKey()
            guard key.hasValue else {
                if let inherited = lookup(key.name) { entries.set(inherited, for: key.name) }
                continue
            }

            let value: String
            switch try scanner.readValue() {
            case .singleQuoted(let literal):
                value = literal
            case .doubleQuoted(let escaped):
                value = try interpolate(DoubleQuoteEscapes.expand(escaped), line: line, lookup: lookup, entries: entries)
            case .unquoted(let template):
                value = try interpolate(template, line: line, lookup: lookup, entries: entries)
            }
            entries.set(value, for: key.name)
        }
        return entries.list
    }

    /// `format: raw`: each non-empty, non-comment line is KEY=VALUE taken verbatim (no quotes, no interpolation, no inline comments).
    ///
    /// As in docker/cli's `kvfile`, leading whitespace is dropped, trailing whitespace is part of
    /// the value, and a line without `=` is left out (there is no environment to inherit from).
    public static func parseRaw(_ text: String) throws(ParseError) -> [(key: String, value: String)] {
        var entries = EnvEntries()
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)

        for (offset, rawLine) in lines.enumerated() {
            let lineNumber = offset + 1
            var line = rawLine
            if lineNumber == 1, line.first == byteOrderMark { line = line.dropFirst() }
            if line.last == "\r" { line = line.dropLast() }
            line = line.drop(while: { $0.properties.isWhitespace })
            if line.isEmpty || line.first == "#" { continue }

            let separator = line.firstIndex(of: "=")
            let key = String(scalars: line[..<(separator ?? line.endIndex)])
            if key.isEmpty {
                throw ParseError(line: lineNumber, reason: "no variable name on line '\(String(scalars: line))'")
            }
            if key.unicodeScalars.contains(where: { $0 == " " || $0 == "\t" }) {
                throw ParseError(line: lineNumber, reason: "variable '\(key)' contains whitespaces")
            }
            guard let separator else { continue }
            let value = String(scalars: line[line.index(after: separator)...])
            entries.set(value, for: key)
        }
        return entries.list
    }

    /// Interpolates one value, looking names up in the environment first and then in the
    /// entries defined so far, as compose-go's `expandVariables` does.
    private static func interpolate(
        _ template: String,
        line: Int,
        lookup: (String) -> String?,
        entries: EnvEntries
    ) throws(ParseError) -> String {
        do throws(Interpolation.Failure) {
            return try Interpolation.substitute(template) { name in lookup(name) ?? entries[name] }.value
        } catch {
            throw ParseError(line: line, reason: error.message)
        }
    }
}

/// U+FEFF, which some editors put at the start of a file and which is not part of the first key.
private let byteOrderMark: Unicode.Scalar = "\u{FEFF}"

/// Key/value pairs in file order, where setting a key again keeps its place and replaces its value.
private struct EnvEntries {
    /// The entries, in the order their keys first appeared.
    private(set) var list: [(key: String, value: String)] = []
    private var positions: [String: Int] = [:]

    /// The value set for `key`, if any.
    subscript(key: String) -> String? {
        positions[key].map { list[$0].value }
    }

    /// Sets `value` for `key`.
    mutating func set(_ value: String, for key: String) {
        if let position = positions[key] {
            list[position].value = value
        } else {
            positions[key] = list.count
            list.append((key, value))
        }
    }
}

// MARK: - Statements

/// A key as written in an env file.
private struct EnvKey {
    /// The key, without surrounding whitespace.
    let name: String
    /// Whether a separator (`=` or `:`) follows; a bare key inherits its value instead.
    let hasValue: Bool
}

/// A value as written in an env file, before escapes and interpolation.
private enum EnvValue {
    /// `'…'`: taken literally.
    case singleQuoted(String)
    /// `"…"`: escape sequences, then interpolation.
    case doubleQuoted(String)
    /// The rest of the line without its inline comment: interpolation only.
    case unquoted(String)
}

/// Reads the statements of an env file the way compose-go's `dotenv` parser does, keeping
/// count of lines so errors can name the line a statement starts on.
private struct EnvFileScanner {
    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var line = 1

    /// The line on which the current statement starts.
    private(set) var statementLine = 1

    init(_ text: String) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == byteOrderMark { scalars.removeFirst() }
        self.scalars = scalars
    }

    private var current: Unicode.Scalar? {
        position < scalars.count ? scalars[position] : nil
    }

    private mutating func advance() {
        if scalars[position] == "\n" { line += 1 }
        position += 1
    }

    /// Skips whitespace, blank lines and `#` comment lines; false at the end of the file.
    mutating func moveToNextStatement() -> Bool {
        while let scalar = current {
            if scalar.properties.isWhitespace {
                advance()
            } else if scalar == "#" {
                while let next = current, next != "\n" { advance() }
            } else {
                statementLine = line
                return true
            }
        }
        return false
    }

    /// Reads an optional `export ` prefix, the key, and the separator after it.
    mutating func readKey() throws(DotEnv.ParseError) -> EnvKey {
        skipExportKeyword()
        guard current != nil else { throw error("zero length string") }

        let start = position
        var end = position
        // A key without a separator is bare. compose-go only ends a bare key at a newline (at
        // the end of the file it makes the key the value of a key named ""); here the end of
        // the file ends it too.
        var hasValue = false
        while let scalar = current {
            if scalar.isInlineSpace || scalar.isKeyCharacter {
                advance()
                end = position
                continue
            }
            guard scalar == "=" || scalar == ":" || scalar == "\n" else {
                let statement = scalars[start...].prefix { $0 != "\n" }
                throw error("unexpected character \"\(scalar)\" in variable name \"\(String(scalars: statement))\"")
            }
            hasValue = scalar != "\n"
            advance()
            break
        }

        var name = scalars[start..<end]
        while let last = name.last, last.properties.isWhitespace { name.removeLast() }
        let key = String(scalars: name)
        if key.contains(" ") { throw error("key cannot contain a space") }

        if hasValue { skipInlineSpaces() }
        return EnvKey(name: key, hasValue: hasValue)
    }

    /// Reads the value after a separator.
    mutating func readValue() throws(DotEnv.ParseError) -> EnvValue {
        switch current {
        case "'":
            return .singleQuoted(try readQuoted(by: "'"))
        case "\"":
            return .doubleQuoted(try readQuoted(by: "\""))
        default:
            return .unquoted(readUnquoted())
        }
    }

    /// The rest of the line, without an inline comment (which starts at " #") and without
    /// trailing whitespace. Consumes the newline.
    private mutating func readUnquoted() -> String {
        let start = position
        while let scalar = current, scalar != "\n" { advance() }
        var value = scalars[start..<position]
        if current != nil { advance() }

        if let comment = value.indices.first(where: { value[$0] == " " && $0 + 1 < value.endIndex && value[$0 + 1] == "#" }) {
            value = value[..<comment]
        }
        while let last = value.last, last.properties.isWhitespace { value.removeLast() }
        return String(scalars: value)
    }

    /// The text between `quote` and the next unescaped `quote`, which may span lines. A
    /// backslash before the quote character is dropped; other backslashes are kept for the
    /// escape expansion of double-quoted values. Whatever follows the closing quote on its line
    /// is read as the next statement, as compose-go does.
    private mutating func readQuoted(by quote: Unicode.Scalar) throws(DotEnv.ParseError) -> String {
        advance()
        var value = String.UnicodeScalarView()
        var escaping = false
        while let scalar = current {
            advance()
            if escaping {
                escaping = false
                if scalar != quote { value.append("\\") }
                value.append(scalar)
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == quote {
                return String(value)
            } else {
                value.append(scalar)
            }
        }
        throw error("unterminated quoted value")
    }

    /// Skips `export` when a space, tab or line break follows it (compose-go's `^export\s+`).
    private mutating func skipExportKeyword() {
        let keyword = "export".unicodeScalars
        guard scalars[position...].starts(with: keyword) else { return }
        let next = position + keyword.count
        guard next < scalars.count, ["\t", "\n", "\u{0C}", "\r", " "].contains(scalars[next]) else { return }
        position = next
        skipInlineSpaces()
    }

    private mutating func skipInlineSpaces() {
        while let scalar = current, scalar.isInlineSpace { advance() }
    }

    private func error(_ reason: String) -> DotEnv.ParseError {
        DotEnv.ParseError(line: statementLine, reason: reason)
    }
}

private extension String {
    /// A string made of `scalars`.
    init<Scalars: Sequence<Unicode.Scalar>>(scalars: Scalars) {
        self.init(String.UnicodeScalarView(scalars))
    }
}

private extension Unicode.Scalar {
    /// Whitespace that does not end a line (compose-go's `isSpace`).
    var isInlineSpace: Bool {
        switch value {
        case 0x09, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0: return true
        default: return false
        }
    }

    /// Whether the scalar may appear in a key: a letter, a number, or one of `_.-[]`.
    var isKeyCharacter: Bool {
        switch self {
        case "_", ".", "-", "[", "]":
            return true
        default:
            switch properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber:
                return true
            default:
                return false
            }
        }
    }
}

// MARK: - Escapes

/// The escape sequences of double-quoted values, as compose-go's `expandEscapes` reads them:
/// `\a \b \f \n \r \t \v \\ \"`, XSI-style octal `\0ddd`, and `\$` for a literal dollar sign.
/// Any other backslash is kept.
private enum DoubleQuoteEscapes {
    /// `text` with its escape sequences replaced.
    static func expand(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "\\", index + 1 < scalars.count else {
                output.append(scalar)
                index += 1
                continue
            }
            let escaped = scalars[index + 1]
            if let replacement = simpleEscape(escaped) {
                output.append(contentsOf: replacement.unicodeScalars)
                index += 2
            } else if escaped == "0" {
                let digits = scalars[(index + 2)...].prefix(3).prefix { ("0"..."9").contains($0) }
                output.append(contentsOf: octal(digits))
                index += 2 + digits.count
            } else {
                // Not an escape: keep the backslash and read what follows as ordinary text.
                output.append(scalar)
                index += 1
            }
        }
        return String(output)
    }

    /// The text for a one-letter escape, if `scalar` names one.
    private static func simpleEscape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar {
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "v": return "\u{0B}"
        case "\\": return "\\"
        case "\"": return "\""
        // `$$` survives escape expansion and becomes one literal `$` in interpolation.
        case "$": return "$$"
        // compose-go matches `\c` but cannot decode it, so it stays as written.
        case "c": return "\\c"
        default: return nil
        }
    }

    /// `\0` followed by `digits`: exactly three octal digits up to 377 make one character
    /// (U+0000 to U+00FF). compose-go rewrites `\0ddd` to `\ddd` before decoding, so anything
    /// else comes out as a backslash and the digits, without the `0`.
    private static func octal(_ digits: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        let values = digits.map { Int($0.value) - Int(("0" as Unicode.Scalar).value) }
        if values.count == 3, values.allSatisfy({ $0 < 8 }) {
            let code = values.reduce(0) { $0 * 8 + $1 }
            if code <= 0xFF, let character = Unicode.Scalar(code) { return [character] }
        }
        return ["\\"] + digits
    }
}
