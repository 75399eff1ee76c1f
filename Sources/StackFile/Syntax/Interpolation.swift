// Compose variable substitution.
//
// The behaviour follows compose-spec/compose-go's `template` package (template.go), which is
// what `docker compose` runs. compose-go finds references with a regular expression; this file
// reproduces what that expression matches with a byte scanner, so that every stack file means
// the same thing to berth as it does to Compose. Where compose-go's behaviour looks odd, the
// comment next to the code says which part of the expression causes it.

/// Compose variable substitution (`$VAR`, `${VAR}`, `${VAR:-default}` and friends), with the
/// semantics of compose-go's `template.Substitute`, so a stack file means the same thing to
/// berth as it does to `docker compose`.
///
/// - `$$` is a literal `$`; a `$` that starts no reference is kept as it is (`"a $ string"`).
/// - `$NAME` and `${NAME}`, where NAME matches `[_a-zA-Z][_a-zA-Z0-9]*`.
/// - `${NAME:-x}` / `${NAME-x}`: `x` when NAME is unset or empty / only when unset.
/// - `${NAME:+x}` / `${NAME+x}`: `x` when NAME is set and non-empty / when set; else "".
/// - `${NAME:?msg}` / `${NAME?msg}`: fail when NAME is unset or empty / only when unset.
///
/// The argument (`x`, `msg`) is a template of its own, expanded only when it is used.
public enum Interpolation {
    /// Why a template could not be substituted.
    public enum Failure: Error, Equatable, Sendable {
        /// An invalid template; the associated string is the offending text, e.g. "${foo" or "${ foo}".
        ///
        /// As in compose-go, the text is the template being expanded when the error was found:
        /// the whole input, or the nested part (a default, an alternative, an error message, or
        /// the text compose-go matched after an operator reference) that holds the bad `${`.
        case invalidTemplate(String)
        /// `${VAR:?msg}` / `${VAR?msg}` with VAR missing; message may be "".
        case requiredVariable(name: String, message: String)
    }

    /// Substitutes variables in `text`. `lookup` returns nil for an unset variable.
    /// Returns the substituted value and the names of variables that were referenced while
    /// unset and had no default (in first-seen order, without duplicates) so the caller can warn.
    public static func substitute(
        _ text: String,
        lookup: (String) -> String?
    ) throws(Failure) -> (value: String, unset: [String]) {
        // Almost every scalar in a stack file has no `$`; hand those back without copying.
        guard text.utf8.contains(TemplateByte.dollar) else { return (text, []) }

        let template = Array(text.utf8)
        var unset = UnsetVariables()
        let expanded = try TemplateExpander.expand(template[...], lookup: lookup, unset: &unset)
        return (String(decoding: expanded, as: UTF8.self), unset.names)
    }
}

extension Interpolation.Failure {
    /// compose-go's wording of the failure, for callers that report it as text.
    var message: String {
        switch self {
        case .invalidTemplate(let template):
            return "Invalid template: \"\(template)\""
        case .requiredVariable(let name, let message) where message.isEmpty:
            return "required variable \(name) is missing a value"
        case .requiredVariable(let name, let message):
            return "required variable \(name) is missing a value: \(message)"
        }
    }
}

// MARK: - Grammar

/// The bytes the template grammar is made of. All are ASCII, and ASCII bytes never occur inside
/// a multi-byte UTF-8 sequence, so a template can be scanned byte by byte and cut anywhere one
/// of them appears without breaking a character.
private enum TemplateByte {
    static let dollar = UInt8(ascii: "$")
    static let openingBrace = UInt8(ascii: "{")
    static let closingBrace = UInt8(ascii: "}")
    static let colon = UInt8(ascii: ":")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let question = UInt8(ascii: "?")
    static let newline = UInt8(ascii: "\n")

    /// Whether `byte` can start a variable name (`[_a-zA-Z]`).
    static func startsName(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_")
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// Whether `byte` can continue a variable name (`[_a-zA-Z0-9]`).
    static func continuesName(_ byte: UInt8) -> Bool {
        startsName(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

/// The operator of a `${NAME<operator>argument}` reference.
private struct SubstitutionOperator: Equatable {
    /// What the operator does with its argument.
    enum Action: Equatable {
        /// `-`: the argument stands in when the variable does not count as set.
        case useDefault
        /// `+`: the argument replaces the variable when it counts as set.
        case useAlternative
        /// `?`: the variable must count as set; the argument is the error message.
        case requireValue
    }

    /// What the operator does with its argument.
    let action: Action
    /// Whether an empty value counts as unset: true for the `:` forms (`:-`, `:+`, `:?`).
    let emptyCountsAsUnset: Bool

    /// The operator's length in bytes.
    var length: Int { emptyCountsAsUnset ? 2 : 1 }

    /// The operator that starts at `index`, if one does.
    ///
    /// compose-go picks the operator whose token appears first in the braced text. Names contain
    /// none of `:-+?`, so that is always the token right after the name, which is read here.
    static func starting(at index: Int, in template: ArraySlice<UInt8>) -> SubstitutionOperator? {
        guard index < template.endIndex else { return nil }
        let hasColon = template[index] == TemplateByte.colon
        let symbolIndex = hasColon ? index + 1 : index
        guard symbolIndex < template.endIndex else { return nil }
        switch template[symbolIndex] {
        case TemplateByte.minus: return SubstitutionOperator(action: .useDefault, emptyCountsAsUnset: hasColon)
        case TemplateByte.plus: return SubstitutionOperator(action: .useAlternative, emptyCountsAsUnset: hasColon)
        case TemplateByte.question: return SubstitutionOperator(action: .requireValue, emptyCountsAsUnset: hasColon)
        default: return nil
        }
    }
}

/// What a `$` in a template introduces. Ranges are byte offsets into the scanned template.
private enum Reference: Equatable {
    /// A `$` that starts nothing; Compose keeps it as it is.
    case lonelyDollar
    /// `$$`, which stands for one `$`.
    case escapedDollar
    /// `$NAME` or `${NAME}`.
    case variable(name: Range<Int>)
    /// `${NAME<operator>argument}`.
    ///
    /// `remainder` is text compose-go matched together with the reference but expands as a
    /// template of its own (see `ReferenceScanner`); it is often empty.
    case operation(name: Range<Int>, operator: SubstitutionOperator, argument: Range<Int>, remainder: Range<Int>)
    /// A `${` that does not open a well-formed reference.
    case invalid
}

/// Finds the reference that a `$` starts, reproducing what compose-go's pattern
/// `\$(?i:(\$)|([_a-z][_a-z0-9]*)|{(?:([_a-z][_a-z0-9]*(?::?[-+?](.*))?)}|()))` matches there.
private enum ReferenceScanner {
    /// The reference starting at the `$` at `dollar`, and the offset just past it.
    static func scan(_ template: ArraySlice<UInt8>, dollarAt dollar: Int) -> (reference: Reference, end: Int) {
        let next = dollar + 1
        guard next < template.endIndex else { return (.lonelyDollar, next) }
        let byte = template[next]
        if byte == TemplateByte.dollar {
            return (.escapedDollar, next + 1)
        }
        if byte == TemplateByte.openingBrace {
            return scanBraced(template, dollarAt: dollar)
        }
        if TemplateByte.startsName(byte) {
            let end = endOfName(in: template, from: next)
            return (.variable(name: next..<end), end)
        }
        return (.lonelyDollar, next)
    }

    /// Scans `${…}`. Anything after `${` that is not a well-formed reference is invalid,
    /// because the pattern's last alternative matches a bare `${`.
    private static func scanBraced(_ template: ArraySlice<UInt8>, dollarAt dollar: Int) -> (reference: Reference, end: Int) {
        let invalid = (Reference.invalid, dollar + 2)
        let nameStart = dollar + 2
        guard nameStart < template.endIndex, TemplateByte.startsName(template[nameStart]) else { return invalid }
        let nameEnd = endOfName(in: template, from: nameStart)
        guard nameEnd < template.endIndex else { return invalid }

        if template[nameEnd] == TemplateByte.closingBrace {
            return (.variable(name: nameStart..<nameEnd), nameEnd + 1)
        }
        guard let op = SubstitutionOperator.starting(at: nameEnd, in: template) else { return invalid }

        // The argument is the pattern's greedy `(.*)}`: it runs to the last `}` on the same
        // line (`.` does not match a newline), even past the brace that closes this reference.
        let argumentStart = nameEnd + op.length
        let lineEnd = template[argumentStart...].firstIndex(of: TemplateByte.newline) ?? template.endIndex
        guard let lastBrace = template[argumentStart..<lineEnd].lastIndex(of: TemplateByte.closingBrace) else {
            return invalid
        }
        let matchEnd = lastBrace + 1

        // compose-go then cuts the match at the brace that balances `${`; what follows is
        // expanded separately. Without a balancing brace the whole match is the reference.
        guard let closingBrace = balancingBrace(in: template, from: dollar, to: matchEnd) else {
            return (.operation(name: nameStart..<nameEnd, operator: op,
                               argument: argumentStart..<lastBrace, remainder: matchEnd..<matchEnd), matchEnd)
        }
        return (.operation(name: nameStart..<nameEnd, operator: op,
                           argument: argumentStart..<closingBrace, remainder: (closingBrace + 1)..<matchEnd), matchEnd)
    }

    /// compose-go's `getFirstBraceClosingIndex`: the first `}` at which the count of `{` minus
    /// `}` seen so far drops back to zero. Like compose-go, it steps over the byte after each
    /// `{`, which is why `${A:-{}}` has no balancing brace and keeps `{}` as its default.
    private static func balancingBrace(in template: ArraySlice<UInt8>, from start: Int, to end: Int) -> Int? {
        var depth = 0
        var index = start
        while index < end {
            let byte = template[index]
            if byte == TemplateByte.closingBrace {
                depth -= 1
                if depth == 0 { return index }
            } else if byte == TemplateByte.openingBrace {
                depth += 1
                index += 1
            }
            index += 1
        }
        return nil
    }

    /// The offset just past the name that starts at `start`.
    private static func endOfName(in template: ArraySlice<UInt8>, from start: Int) -> Int {
        template[(start + 1)...].firstIndex { !TemplateByte.continuesName($0) } ?? template.endIndex
    }
}

// MARK: - Expansion

/// Names of variables referenced while unset, in first-seen order, each once.
private struct UnsetVariables {
    /// The names recorded so far.
    private(set) var names: [String] = []
    private var seen: Set<String> = []

    /// Records `name` unless it is already recorded.
    mutating func record(_ name: String) {
        if seen.insert(name).inserted { names.append(name) }
    }
}

/// Expands the references of a template.
private enum TemplateExpander {
    /// Expands every reference in `template`, recording unset variables in `unset`.
    static func expand(
        _ template: ArraySlice<UInt8>,
        lookup: (String) -> String?,
        unset: inout UnsetVariables
    ) throws(Interpolation.Failure) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(template.count)
        var cursor = template.startIndex

        while let dollar = template[cursor...].firstIndex(of: TemplateByte.dollar) {
            output.append(contentsOf: template[cursor..<dollar])
            let (reference, end) = ReferenceScanner.scan(template, dollarAt: dollar)
            switch reference {
            case .lonelyDollar, .escapedDollar:
                output.append(TemplateByte.dollar)
            case .variable(let nameRange):
                let name = text(of: template[nameRange])
                if let value = lookup(name) {
                    output.append(contentsOf: value.utf8)
                } else {
                    unset.record(name)
                }
            case .operation(let nameRange, let op, let argument, let remainder):
                let value = try apply(op, to: text(of: template[nameRange]), argument: template[argument],
                                      lookup: lookup, unset: &unset)
                output.append(contentsOf: value)
                if !remainder.isEmpty {
                    output.append(contentsOf: try expand(template[remainder], lookup: lookup, unset: &unset))
                }
            case .invalid:
                throw .invalidTemplate(text(of: template))
            }
            cursor = end
        }
        output.append(contentsOf: template[cursor...])
        return output
    }

    /// The value of `${name<op>argument}`. The argument is expanded only when it is used.
    private static func apply(
        _ op: SubstitutionOperator,
        to name: String,
        argument: ArraySlice<UInt8>,
        lookup: (String) -> String?,
        unset: inout UnsetVariables
    ) throws(Interpolation.Failure) -> [UInt8] {
        let value = lookup(name)
        let countsAsSet = value.map { !(op.emptyCountsAsUnset && $0.isEmpty) } ?? false

        switch op.action {
        case .useDefault:
            if countsAsSet, let value { return Array(value.utf8) }
            return try expand(argument, lookup: lookup, unset: &unset)
        case .useAlternative:
            // Not counting as set yields the value itself, which is then "" either way.
            if countsAsSet { return try expand(argument, lookup: lookup, unset: &unset) }
            return []
        case .requireValue:
            if countsAsSet, let value { return Array(value.utf8) }
            let message = try expand(argument, lookup: lookup, unset: &unset)
            throw .requiredVariable(name: name, message: text(of: message[...]))
        }
    }

    /// The UTF-8 bytes as a string. Templates are only ever cut at ASCII bytes, so the bytes
    /// are always whole characters.
    private static func text(of bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
