import Testing
import StackFile

/// A line and the words Compose's go-shellwords makes of it.
struct SplitCase: CustomTestStringConvertible, Sendable {
    let line: String
    let words: [String]

    init(_ line: String, _ words: [String]) {
        self.line = line
        self.words = words
    }

    var testDescription: String { String(reflecting: line) }
}

/// A line and the failure berth reports for it.
struct FailureCase: CustomTestStringConvertible, Sendable {
    let line: String
    let failure: ShellWords.Failure

    init(_ line: String, _ failure: ShellWords.Failure) {
        self.line = line
        self.failure = failure
    }

    var testDescription: String { String(reflecting: line) }
}

@Suite("ShellWords")
struct ShellWordsTests {
    /// go-shellwords `testcases` (shellwords_test.go), default parser, with
    /// the one backtick case moved to `rejectsShellOperators`.
    @Test(arguments: [
        SplitCase(#""#, []),
        SplitCase(#""""#, [""]),
        SplitCase(#"''"#, [""]),
        SplitCase(#"var --bar=baz"#, ["var", "--bar=baz"]),
        SplitCase(#"var --bar="baz""#, ["var", "--bar=baz"]),
        SplitCase(#"var "--bar=baz""#, ["var", "--bar=baz"]),
        SplitCase(#"var "--bar='baz'""#, ["var", "--bar='baz'"]),
        SplitCase(#"var "--bar=\"baz'""#, ["var", #"--bar="baz'"#]),
        SplitCase(#"var "--bar=\'baz\'""#, ["var", "--bar='baz'"]),
        SplitCase(#"var --bar='\'"#, ["var", #"--bar=\"#]),
        SplitCase(#"var "--bar baz""#, ["var", "--bar baz"]),
        SplitCase(#"var --"bar baz""#, ["var", "--bar baz"]),
        SplitCase(#"var  --"bar baz""#, ["var", "--bar baz"]),
        SplitCase(#"a "b""#, ["a", "b"]),
        SplitCase(#"a " b ""#, ["a", " b "]),
        SplitCase(#"a "   ""#, ["a", "   "]),
        SplitCase(#"a 'b'"#, ["a", "b"]),
        SplitCase(#"a ' b '"#, ["a", " b "]),
        SplitCase(#"a '   '"#, ["a", "   "]),
        SplitCase("foo bar\\  ", ["foo", "bar "]),
        SplitCase(#"foo "" bar ''"#, ["foo", "", "bar", ""]),
        SplitCase(#"foo \\"#, ["foo", #"\"#]),
        SplitCase(#"foo \& bar"#, ["foo", "&", "bar"]),
        SplitCase(#"sh -c "printf 'Hello\tworld\n'""#, ["sh", "-c", "printf 'Hello\tworld\n'"]),
    ])
    func goShellwordsVectors(_ example: SplitCase) throws {
        #expect(try ShellWords.split(example.line) == example.words)
    }

    /// Other go-shellwords tests whose lines parse the same with the default
    /// parser (TestSubShellEnv, TestParseWithEnvs, TestHaveMore's tail, and
    /// the `$`-free rows of TestEnvQuoteBoundaries).
    @Test(arguments: [
        SplitCase(#"program -f abc.txt"#, ["program", "-f", "abc.txt"]),
        SplitCase(#"sh -c 'echo foo'"#, ["sh", "-c", "echo foo"]),
        SplitCase(#"sh -c "echo foo""#, ["sh", "-c", "echo foo"]),
        SplitCase(#"sh -c "FOO=foo BAR=bar cmd --args=A=B -A=B""#,
                  ["sh", "-c", "FOO=foo BAR=bar cmd --args=A=B -A=B"]),
        SplitCase("FOO=foo cmd --args=A=B", ["FOO=foo", "cmd", "--args=A=B"]),
        SplitCase("seq 1 10", ["seq", "1", "10"]),
        SplitCase(#"'a\b'"#, [#"a\b"#]),
        SplitCase(#"a\ b"c""#, ["a bc"]),
        SplitCase(#"\"x"y""#, [#""xy"#]),
        SplitCase(#"a\ b"#, ["a b"]),
        SplitCase(#"a\ b'c'"#, ["a bc"]),
        SplitCase(#"\'x'y'"#, ["'xy"]),
        SplitCase(#"a\\'b'"#, [#"a\b"#]),
    ])
    func moreGoShellwordsVectors(_ example: SplitCase) throws {
        #expect(try ShellWords.split(example.line) == example.words)
    }

    @Test(arguments: [
        // Only these four characters separate words, and "\r\n" is two of
        // them even though Swift sees one Character.
        SplitCase("a\tb\nc\rd", ["a", "b", "c", "d"]),
        SplitCase("a\r\nb", ["a", "b"]),
        SplitCase("  \t\n ", []),
        SplitCase("  lead trail  ", ["lead", "trail"]),
        SplitCase("a\u{00A0}b", ["a\u{00A0}b"]),
        SplitCase("a\u{2003}b", ["a\u{2003}b"]),
        // Non-ASCII text passes through whole.
        SplitCase("echo 🍺 あい é", ["echo", "🍺", "あい", "é"]),
        SplitCase("e\u{0301}", ["e\u{0301}"]),
    ])
    func whitespace(_ example: SplitCase) throws {
        #expect(try ShellWords.split(example.line) == example.words)
    }

    @Test(arguments: [
        // A backslash takes the next character literally and drops itself,
        // inside double quotes too; \t and \n become tab and line feed.
        SplitCase(#"\a\b\c"#, ["abc"]),
        SplitCase(#""\a\$\`""#, ["a$`"]),
        SplitCase(#"foo\tbar"#, ["foo\tbar"]),
        SplitCase(#"foo\nbar"#, ["foo\nbar"]),
        SplitCase(#""\\""#, [#"\"#]),
        SplitCase("a\\\nb", ["a\nb"]),
        SplitCase(#"\""#, [#"""#]),
        SplitCase(#"\'"#, ["'"]),
        SplitCase(#"\ "#, [" "]),
        // Single quotes keep backslashes and double quotes.
        SplitCase(#"'\t\n\\ "x"'"#, [#"\t\n\\ "x""#]),
        SplitCase(#""it's""#, ["it's"]),
        // Quotes glue onto adjacent text; empty quotes still make a word.
        SplitCase(#"a"b"'c'd"#, ["abcd"]),
        SplitCase(#"a"" ""b"#, ["a", "b"]),
        SplitCase(#"x '' y"#, ["x", "", "y"]),
    ])
    func escapesAndQuotes(_ example: SplitCase) throws {
        #expect(try ShellWords.split(example.line) == example.words)
    }

    @Test(arguments: [
        // Interpolation already happened: a $ is an ordinary character.
        SplitCase(#"echo $HOME ${USER} $$ $"#, ["echo", "$HOME", "${USER}", "$$", "$"]),
        SplitCase(#"'$FOO' "$FOO"x"#, ["$FOO", "$FOOx"]),
        // No comments, globs or tilde expansion at run time.
        SplitCase("echo # not a comment", ["echo", "#", "not", "a", "comment"]),
        SplitCase("ls *.txt ~/a {b,c} !x", ["ls", "*.txt", "~/a", "{b,c}", "!x"]),
        // Operators inside quotes, or escaped, are just text.
        SplitCase(#"sh -c "a && b | c > d; e < f >> g""#, ["sh", "-c", "a && b | c > d; e < f >> g"]),
        SplitCase(#"'|' '&' ';' '<' '>' '(' ')' '`' '$(x)'"#, ["|", "&", ";", "<", ">", "(", ")", "`", "$(x)"]),
        SplitCase(#""$(date)" "`date`" "(a)""#, ["$(date)", "`date`", "(a)"]),
        SplitCase(#"a\;b c\|d e\>f \(g\) \`h\` \$\(i\)"#, ["a;b", "c|d", "e>f", "(g)", "`h`", "$(i)"]),
    ])
    func literalText(_ example: SplitCase) throws {
        #expect(try ShellWords.split(example.line) == example.words)
    }

    @Test(arguments: [
        // go-shellwords TestError.
        FailureCase("foo '", .unterminatedQuote),
        FailureCase(#"foo ""#, .unterminatedQuote),
        FailureCase("foo `", .shellOperator("`")),
        FailureCase(#"'abc"#, .unterminatedQuote),
        FailureCase(#""abc\""#, .unterminatedQuote),
        FailureCase(#""abc\"#, .unterminatedQuote),
        FailureCase(#"'it's'"#, .unterminatedQuote),
        FailureCase(#"\"#, .trailingBackslash),
        FailureCase(#"foo bar\"#, .trailingBackslash),
        FailureCase(#"'\'\"#, .trailingBackslash),
    ])
    func rejectsUnfinishedLines(_ example: FailureCase) {
        #expect(throws: example.failure) { try ShellWords.split(example.line) }
    }

    @Test(arguments: [
        FailureCase("a | b", .shellOperator("|")),
        FailureCase("a|b", .shellOperator("|")),
        FailureCase("a || b", .shellOperator("||")),
        FailureCase("a & b", .shellOperator("&")),
        FailureCase("a && b", .shellOperator("&&")),
        FailureCase("sleep 1&", .shellOperator("&")),
        FailureCase("a ; b", .shellOperator(";")),
        FailureCase("echo 🍺; seq 1 10", .shellOperator(";")),
        FailureCase("a < in", .shellOperator("<")),
        FailureCase("a <<EOF", .shellOperator("<")),
        FailureCase("cmd 0<file", .shellOperator("<")),
        FailureCase("a > out", .shellOperator(">")),
        FailureCase("a >> out", .shellOperator(">>")),
        FailureCase("ls -la 2>foo", .shellOperator(">")),
        FailureCase("cmd 2x> file", .shellOperator(">")),
        FailureCase("a 2>&1", .shellOperator(">")),
        FailureCase("a >&2", .shellOperator(">")),
        FailureCase("a |& b", .shellOperator("|")),
        FailureCase("var --bar=`baz`", .shellOperator("`")),
        FailureCase("echo `date`", .shellOperator("`")),
        FailureCase(#"echo $(echo "foo")"#, .shellOperator("$(")),
        FailureCase("echo bar=$(echo 200)cm", .shellOperator("$(")),
        FailureCase("echo $((1+2))", .shellOperator("$(")),
        FailureCase("echo $$(x)", .shellOperator("$(")),
        // go-shellwords rejects a bare parenthesis; so does berth, naming it.
        FailureCase("echo (echo1", .shellOperator("(")),
        FailureCase("echo $ (echo1", .shellOperator("(")),
        FailureCase(#"\$(echo x)"#, .shellOperator("(")),
        FailureCase(#""$"(echo x)"#, .shellOperator("(")),
        FailureCase(#"'$'(echo x)"#, .shellOperator("(")),
        FailureCase("echo )echo1", .shellOperator(")")),
        FailureCase(")a b)c d", .shellOperator(")")),
        // The first operator wins, even before an unterminated quote.
        FailureCase("a | 'b", .shellOperator("|")),
    ])
    func rejectsShellOperators(_ example: FailureCase) {
        #expect(throws: example.failure) { try ShellWords.split(example.line) }
    }

    @Test func failuresAreDistinct() {
        #expect(ShellWords.Failure.shellOperator("|") != .shellOperator("||"))
        #expect(ShellWords.Failure.unterminatedQuote != .trailingBackslash)
    }
}
