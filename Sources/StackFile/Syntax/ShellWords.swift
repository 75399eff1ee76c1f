/// Splits a string-form `command:` or `entrypoint:` into argv words the way
/// Docker Compose does, without ever involving a shell.
///
/// Compose (compose-go `types/command.go`) hands the string to
/// `github.com/mattn/go-shellwords` with its default parser: no environment
/// expansion and no command substitution. This is a port of that parser's
/// word-splitting, quoting and escaping, so a stack file yields the same argv
/// under berth as under `docker compose`:
///
/// - Words are separated by unquoted space, tab, carriage return or line feed
///   (only those four: other Unicode spaces are ordinary characters).
/// - Single quotes keep everything literally, backslashes included.
/// - Double quotes keep whitespace and operators; a backslash inside them
///   escapes the next character, exactly as outside.
/// - A backslash outside single quotes takes the next character literally and
///   drops itself; go-shellwords turns `\t` and `\n` into a tab and a line
///   feed, and so does this.
/// - `""` and `''` produce an empty word; quotes glue onto adjacent text
///   (`--"a b"` is one word, `--a b`).
/// - `$`, `{`, `}`, `#`, `*`, `~` are ordinary characters: interpolation
///   already happened while the stack file was loaded, and no globbing,
///   tilde expansion or comment stripping happens at run time.
///
/// Where go-shellwords silently *stops* at a shell operator (and keeps
/// whatever came before it), this reports ``Failure/shellOperator(_:)``
/// instead: berth does not run a shell, so `run a && run b` would otherwise
/// lose half of what the user wrote without a word.
public enum ShellWords {
    /// Why a command string cannot be split into words.
    public enum Failure: Error, Equatable, Sendable {
        /// An opening `'` or `"` without its closing quote.
        case unterminatedQuote
        /// The string ends with a backslash that has nothing left to escape.
        case trailingBackslash
        /// An unquoted `|`, `||`, `&`, `&&`, `;`, `<`, `>`, `>>`, `$(` or
        /// `` ` `` (and a bare `(` or `)`, which go-shellwords rejects too):
        /// berth runs the words directly, so the user must spell out
        /// `["/bin/sh", "-c", "..."]` to get shell syntax.
        case shellOperator(String)
    }

    /// The argv words of `line`, or why there are none.
    public static func split(_ line: String) throws(Failure) -> [String] {
        var splitter = WordSplitter(line)
        return try splitter.split()
    }
}

/// One pass over the Unicode scalars of a command line.
///
/// Scalars, not `Character`s, because go-shellwords walks runes: a `"\r\n"`
/// pair is one Swift `Character` but two separators to Compose, and a
/// backslash must escape exactly one scalar.
private struct WordSplitter {
    private enum Quote {
        case single
        case double
    }

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var finishedWords: [String] = []
    private var word = String.UnicodeScalarView()
    /// Whether a word has started, even an empty one (`""` is a word).
    private var wordStarted = false
    private var quote: Quote?
    private var escaping = false
    /// Whether the previous scalar was a `$` that was neither quoted nor
    /// escaped, the only way `(` can open a command substitution.
    private var previousWasBareDollar = false

    init(_ line: String) {
        scalars = Array(line.unicodeScalars)
    }

    mutating func split() throws(ShellWords.Failure) -> [String] {
        while position < scalars.count {
            let scalar = scalars[position]
            position += 1
            try consume(scalar)
        }
        if quote != nil { throw .unterminatedQuote }
        if escaping { throw .trailingBackslash }
        finishWord()
        return finishedWords
    }

    private mutating func consume(_ scalar: Unicode.Scalar) throws(ShellWords.Failure) {
        let afterBareDollar = previousWasBareDollar
        previousWasBareDollar = false

        if escaping {
            escaping = false
            append(Self.escaped(scalar))
            return
        }
        switch quote {
        case .single:
            // Nothing is special inside single quotes but the closing quote.
            if scalar == "'" { quote = nil } else { append(scalar) }
        case .double:
            switch scalar {
            case "\\": escaping = true
            case "\"": quote = nil
            default: append(scalar)
            }
        case nil:
            try consumeUnquoted(scalar, afterBareDollar: afterBareDollar)
        }
    }

    private mutating func consumeUnquoted(
        _ scalar: Unicode.Scalar, afterBareDollar: Bool
    ) throws(ShellWords.Failure) {
        switch scalar {
        case " ", "\t", "\r", "\n":
            finishWord()
        case "\\":
            escaping = true
        case "'":
            quote = .single
            wordStarted = true
        case "\"":
            quote = .double
            wordStarted = true
        case "(":
            throw .shellOperator(afterBareDollar ? "$(" : "(")
        case ")", ";", "<", "`":
            throw .shellOperator(String(scalar))
        case "|", "&", ">":
            // `||`, `&&` and `>>` are named whole so the message matches
            // what the user typed.
            let doubled = position < scalars.count && scalars[position] == scalar
            throw .shellOperator(String(repeating: String(scalar), count: doubled ? 2 : 1))
        default:
            append(scalar)
            previousWasBareDollar = scalar == "$"
        }
    }

    /// go-shellwords keeps an escaped character as is, except that it reads
    /// `\t` and `\n` as a tab and a line feed.
    private static func escaped(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar {
        case "t": "\t"
        case "n": "\n"
        default: scalar
        }
    }

    private mutating func append(_ scalar: Unicode.Scalar) {
        word.append(scalar)
        wordStarted = true
    }

    private mutating func finishWord() {
        guard wordStarted else { return }
        finishedWords.append(String(word))
        word = String.UnicodeScalarView()
        wordStarted = false
    }
}
