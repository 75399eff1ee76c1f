import Foundation
import Testing
import StackFile

// Cases ported from compose-spec/compose-go dotenv/godotenv_test.go and dotenv/parser_test.go,
// plus the shared conformance fixtures in ../shared/fixtures/dotenv.

/// The shared dotenv fixtures, read in place: the package root is two directories above this
/// file's directory, and the fixtures sit beside it in `../shared/fixtures/dotenv`.
private enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/StackFileTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("../shared/fixtures/dotenv")
        .standardizedFileURL

    /// The file's text, decoded without dropping a byte-order mark.
    static func text(_ name: String) throws -> String {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return String(decoding: data, as: UTF8.self)
    }

    /// `expected.json`: per file, the values parsing must produce with an empty environment.
    static func expectations() throws -> [String: [String: String]] {
        struct Document: Decodable { let expected: [String: [String: String]] }
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(Document.self, from: data).expected
    }
}

private let noEnvironment: @Sendable (String) -> String? = { _ in nil }

/// The parse result as comparable pairs.
private func pairs(_ entries: [(key: String, value: String)]) -> [[String]] {
    entries.map { [$0.key, $0.value] }
}

private func parse(_ text: String, environment: [String: String] = [:]) throws(DotEnv.ParseError) -> [[String]] {
    pairs(try DotEnv.parse(text) { environment[$0] })
}

/// The value parsed for `key` from a one-statement env file.
private func value(of key: String, in text: String) throws -> String? {
    try DotEnv.parse(text, lookup: noEnvironment).last { $0.key == key }?.value
}

/// An env-file snippet and the key/value it must define.
struct Assignment: Sendable, CustomTestStringConvertible {
    let text: String
    let key: String
    let value: String
    init(_ text: String, _ key: String, _ value: String) {
        self.text = text
        self.key = key
        self.value = value
    }
    var testDescription: String { text.debugDescription }
}

@Suite("DotEnv")
struct DotEnvTests {
    // MARK: Conformance fixtures

    static let filesWithExpectations = [
        "plain.env", "exported.env", "equals.env", "quoted.env", "unquoted.env", "substitutions.env",
    ]

    @Test func everyExpectationFileIsCovered() throws {
        #expect(try Set(Fixtures.expectations().keys) == Set(Self.filesWithExpectations))
    }

    @Test(arguments: filesWithExpectations)
    func fixtureMatchesExpectedValues(file: String) throws {
        let expected = try #require(try Fixtures.expectations()[file])
        let entries = try DotEnv.parse(try Fixtures.text(file), lookup: noEnvironment)
        let parsed = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        for (key, value) in expected {
            #expect(parsed[key] == value, "\(file): \(key)")
        }
    }

    @Test func plainFixtureParsesEveryLine() throws {
        #expect(try parse(try Fixtures.text("plain.env")) == [
            ["OPTION_A", "1"], ["OPTION_B", "2"], ["OPTION_C", "3"], ["OPTION_D", "4"], ["OPTION_E", "5"],
            ["456", "ABC"], ["OPTION_F", ""], ["OPTION_G", ""], ["OPTION_H", "my string"],
        ])
    }

    @Test func quotedFixtureKeepsEscapedSingleQuote() throws {
        #expect(try parse(try Fixtures.text("quoted.env")).first { $0[0] == "OPTION_K" } == ["OPTION_K", "Let's go!"])
    }

    @Test func invalidFixtureFailsAtTheKeyWithASpace() throws {
        let error = try #require(throws: DotEnv.ParseError.self) {
            try DotEnv.parse(try Fixtures.text("invalid1.env"), lookup: noEnvironment)
        }
        #expect(error.line == 7)
        #expect(error.reason == "key cannot contain a space")
    }

    @Test func bareKeyInheritsFromTheEnvironment() throws {
        let environment = ["VAR_TO_BE_LOADED_FROM_OS_ENV": "SOME_RANDOM_VALUE"]
        #expect(try parse(try Fixtures.text("inherited-single-var.env"), environment: environment) == [
            ["VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE"],
        ])
        #expect(try parse(try Fixtures.text("inherited-multi-var.env"), environment: environment) == [
            ["foo", "bar"], ["VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE"], ["bar", "baz"],
        ])
    }

    @Test func bareKeyMissingFromTheEnvironmentIsDropped() throws {
        #expect(try parse(try Fixtures.text("inherited-not-found.env")) == [])
    }

    @Test func byteOrderMarkIsIgnored() throws {
        let text = try Fixtures.text("utf8-bom.env")
        #expect(text.unicodeScalars.first == "\u{FEFF}", "the fixture must start with a byte-order mark")
        let entries = try parse(text)
        #expect(entries.first == ["OPTION_A", "1"])
        #expect(entries.prefix(5) == [["OPTION_A", "1"], ["OPTION_B", "2"], ["OPTION_C", "3"], ["OPTION_D", "4"], ["OPTION_E", "5"]])
    }

    @Test func keysMayContainDotsAndDashes() throws {
        #expect(try parse(try Fixtures.text("special.env")) == [
            ["VAR.WITH.DOTS", "dots"], ["VAR_WITH_UNDERSCORES", "underscores"], ["VAR-WITH-DASHES", "dashes"],
        ])
    }

    @Test func yamlStyleSeparatorIsAccepted() throws {
        #expect(try parse(try Fixtures.text("custom.format")) == [["FOO", "BAR"], ["ZOT", "QIX"]])
    }

    @Test func substitutionDefaultsApplyWhenTheEnvironmentIsEmpty() throws {
        #expect(try parse(try Fixtures.text("substitutions-default.env")) == [
            ["OPTION_A", "1"], ["OPTION_B", "1"], ["OPTION_C", "1"], ["OPTION_D", "1_1"], ["OPTION_E", ""],
        ])
    }

    @Test func environmentWinsOverDefaultsInTheFile() throws {
        #expect(try parse(try Fixtures.text("substitutions-default.env"), environment: ["OPTION_A": "5"]) == [
            ["OPTION_A", "5"], ["OPTION_B", "5"], ["OPTION_C", "5"], ["OPTION_D", "5_5"], ["OPTION_E", ""],
        ])
    }

    @Test func environmentWinsOverEarlierKeysInInterpolation() throws {
        // The file's own OPTION_A stays "1"; references to it see the environment's "5".
        #expect(try parse(try Fixtures.text("substitutions.env"), environment: ["OPTION_A": "5"]) == [
            ["OPTION_A", "1"], ["OPTION_B", "5"], ["OPTION_C", "5"], ["OPTION_D", "5_5"], ["OPTION_E", ""],
        ])
    }

    // MARK: Statements

    @Test(arguments: [
        Assignment("FOO=bar", "FOO", "bar"),
        Assignment("FOO =bar", "FOO", "bar"),
        Assignment("FOO= bar", "FOO", "bar"),
        Assignment(#"FOO="bar""#, "FOO", "bar"),
        Assignment("FOO='bar'", "FOO", "bar"),
        Assignment(#"FOO="escaped\"bar""#, "FOO", #"escaped"bar"#),
        Assignment(#"FOO="\"quoted\"""#, "FOO", #""quoted""#),
        Assignment(#"FOO="'d'""#, "FOO", "'d'"),
        Assignment("OPTION_A: 1", "OPTION_A", "1"),
        Assignment("OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"),
        Assignment("OPTION_A=1:B", "OPTION_A", "1:B"),
        Assignment("export OPTION_A=2", "OPTION_A", "2"),
        Assignment(#"export OPTION_B='\n'"#, "OPTION_B", #"\n"#),
        Assignment("export exportFoo=2", "exportFoo", "2"),
        Assignment("exportFOO=2", "exportFOO", "2"),
        Assignment("export_FOO =2", "export_FOO", "2"),
        Assignment("export.FOO= 2", "export.FOO", "2"),
        Assignment("export\tOPTION_A=2", "OPTION_A", "2"),
        Assignment("  export OPTION_A=2", "OPTION_A", "2"),
        Assignment("\texport OPTION_A=2", "OPTION_A", "2"),
        Assignment(#"export OPTION_A="export A""#, "OPTION_A", "export A"),
        Assignment("FOO.BAR=foobar", "FOO.BAR", "foobar"),
        Assignment("FOO=foobar=", "FOO", "foobar="),
        Assignment("FOO=bar ", "FOO", "bar"),
        Assignment("FOO=bar # this is foo", "FOO", "bar"),
        Assignment("FOO=bar #this is foo", "FOO", "bar"),
        Assignment("FOO=bar #", "FOO", "bar"),
        Assignment("FOO=123#not-an-inline-comment", "FOO", "123#not-an-inline-comment"),
        Assignment("FOO=bar\t# tab is not a comment start", "FOO", "bar\t# tab is not a comment start"),
        Assignment(#"FOO="bar#baz""#, "FOO", "bar#baz"),
        Assignment(##"FOO="bar#baz"#"##, "FOO", "bar#baz"),
        Assignment(#"FOO="bar#baz" # comment"#, "FOO", "bar#baz"),
        Assignment("FOO='bar#baz' # comment", "FOO", "bar#baz"),
        Assignment(#"FOO="bar#baz#bang" # comment"#, "FOO", "bar#baz#bang"),
        Assignment(#"FOO="ba#r""#, "FOO", "ba#r"),
        Assignment("FOO='ba#r'", "FOO", "ba#r"),
        Assignment(#"="value""#, "", "value"),
        Assignment(" KEY =value", "KEY", "value"),
        Assignment("   KEY=value", "KEY", "value"),
        Assignment("\tKEY=value", "KEY", "value"),
        Assignment("KEY=value\r\nNEXT=1", "KEY", "value"),
        Assignment("a[1]=c", "a[1]", "c"),
        Assignment("a.propertyKey=d", "a.propertyKey", "d"),
        Assignment("árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép", "árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép"),
    ])
    func statementDefinesKey(_ assignment: Assignment) throws {
        #expect(try value(of: assignment.key, in: assignment.text) == assignment.value)
    }

    @Test(arguments: [
        Assignment(#"FOO="bar\nbaz""#, "FOO", "bar\nbaz"),
        Assignment(#"FOO=a\tb"#, "FOO", #"a\tb"#),
        Assignment(#"FOO="a\tb""#, "FOO", "a\tb"),
        Assignment(#"KEY="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#, "KEY", "Z\u{07}Z\u{08}Z\u{0C}Z\nZ\rZ\tZ\u{0B}Z\\ZSZ"),
        Assignment(#"FOO="bar\n\ b\az""#, "FOO", "bar\n\\ b\u{07}z"),
        Assignment(#"FOO="bar\\\n\ b\az""#, "FOO", "bar\\\n\\ b\u{07}z"),
        Assignment(#"FOO="bar\\r\ b\az""#, "FOO", "bar\\r\\ b\u{07}z"),
        Assignment(#"FOO="bar\nbaz\\""#, "FOO", "bar\nbaz\\"),
        Assignment(#"KEY="\0123""#, "KEY", "S"),
        Assignment(#"KEY="\0351""#, "KEY", "é"),
        Assignment(#"KEY="\0400""#, "KEY", #"\400"#),
        Assignment(#"KEY="\012""#, "KEY", #"\12"#),
        Assignment(#"KEY="\0""#, "KEY", #"\"#),
        Assignment(#"KEY="\x07""#, "KEY", #"\x07"#),
        Assignment(#"KEY="\u12e4""#, "KEY", #"\u12e4"#),
        Assignment(#"KEY="\U00101234""#, "KEY", #"\U00101234"#),
        Assignment(#"KEY="\c""#, "KEY", #"\c"#),
        Assignment(#"KEY='a\\b\n'"#, "KEY", #"a\\b\n"#),
    ])
    func escapesAreExpandedOnlyInDoubleQuotes(_ assignment: Assignment) throws {
        #expect(try value(of: assignment.key, in: assignment.text) == assignment.value)
    }

    @Test func quotedValuesMaySpanLines() throws {
        let text = "TEST_URLS=\"stratum+tcp://stratum.antpool.com:3333\nstratum+tcp://stratum.antpool.com:443\""
        #expect(try parse(text) == [
            ["TEST_URLS", "stratum+tcp://stratum.antpool.com:3333\nstratum+tcp://stratum.antpool.com:443"],
        ])
    }

    @Test func textAfterAClosingQuoteIsTheNextStatement() throws {
        #expect(try parse(#"A="1" B=2"#) == [["A", "1"], ["B", "2"]])
    }

    @Test(arguments: ["\n", "\r\n", "\t\t ", "# Comment", "\t # comment", "", "\n\n# a\n  # b\n"])
    func blankAndCommentLinesDefineNothing(text: String) throws {
        #expect(try parse(text) == [])
    }

    @Test func keyDefinedTwiceKeepsFirstPositionAndLastValue() throws {
        #expect(try parse("A=1\nB=2\nA=3") == [["A", "3"], ["B", "2"]])
    }

    @Test func bareKeyWithoutValueInTheEnvironmentKeepsTheFileValue() throws {
        #expect(try parse("A=1\nA") == [["A", "1"]])
        #expect(try parse("A=1\nA", environment: ["A": "env"]) == [["A", "env"]])
    }

    @Test func bareKeyOnTheLastLineWithoutNewlineInherits() throws {
        #expect(try parse("A=1\nB", environment: ["B": "inherited"]) == [["A", "1"], ["B", "inherited"]])
        #expect(try parse("A=1\nB") == [["A", "1"]])
    }

    // MARK: Interpolation

    @Test(arguments: [
        Assignment("FOO=test\nBAR=$FOO", "BAR", "test"),
        Assignment("FOO=test\nBAR=${FOO}bar", "BAR", "testbar"),
        Assignment("BAR=$FOO", "BAR", ""),
        Assignment("FOO=test\nBAR=\"quote $FOO\"", "BAR", "quote test"),
        Assignment("BAR='quote $FOO'", "BAR", "quote $FOO"),
        Assignment(#"FOO="foo\$BAR""#, "FOO", "foo$BAR"),
        Assignment(#"FOO="foo\${BAR}""#, "FOO", "foo${BAR}"),
        Assignment("FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"", "BAR", "foo${FOO} test"),
        Assignment("FOO=$$BAR", "FOO", "$BAR"),
        Assignment("FOO=${UNSET:-fallback} # comment", "FOO", "fallback"),
    ])
    func valuesAreInterpolated(_ assignment: Assignment) throws {
        #expect(try value(of: assignment.key, in: assignment.text) == assignment.value)
    }

    @Test func interpolationAsksTheEnvironment() throws {
        #expect(try parse("TEST=$ME", environment: ["ME": "YES"]) == [["TEST", "YES"]])
    }

    @Test func interpolationFailureIsAParseError() throws {
        let error = try #require(throws: DotEnv.ParseError.self) {
            try DotEnv.parse("A=1\n\nB=${NEEDED:?set it}", lookup: noEnvironment)
        }
        #expect(error.line == 3)
        #expect(error.reason == "required variable NEEDED is missing a value: set it")
    }

    // MARK: Errors

    @Test(arguments: [#"KEY=""#, #"KEY="value"#, #"KEY="value\""#, #"KEY="value'"#,
                      "KEY='", "KEY='value", #"KEY='value\'"#, #"KEY='value""#])
    func unterminatedQuoteFails(text: String) throws {
        let error = try #require(throws: DotEnv.ParseError.self) { try DotEnv.parse(text, lookup: noEnvironment) }
        #expect(error.line == 1)
        #expect(error.reason == "unterminated quoted value")
    }

    @Test func errorNamesTheLineWhereTheStatementStarts() throws {
        let text = "A=1\n\n# comment\nB=\"x\ny\"\nC='open\nstill open\n"
        let error = try #require(throws: DotEnv.ParseError.self) { try DotEnv.parse(text, lookup: noEnvironment) }
        #expect(error.line == 6)
        #expect(error.reason == "unterminated quoted value")
    }

    @Test func unexpectedCharacterInKeyFails() throws {
        let error = try #require(throws: DotEnv.ParseError.self) {
            try DotEnv.parse("%!(EXTRA string)=foo", lookup: noEnvironment)
        }
        #expect(error.line == 1)
        #expect(error.reason == #"unexpected character "%" in variable name "%!(EXTRA string)=foo""#)
        #expect(throws: DotEnv.ParseError.self) { try DotEnv.parse("lol$wut", lookup: noEnvironment) }
    }

    @Test func keyWithASpaceFails() throws {
        let error = try #require(throws: DotEnv.ParseError.self) {
            try DotEnv.parse("OK=1\nBAD KEY=1", lookup: noEnvironment)
        }
        #expect(error.line == 2)
        #expect(error.reason == "key cannot contain a space")
    }

    @Test func exportWithoutKeyFails() throws {
        let error = try #require(throws: DotEnv.ParseError.self) { try DotEnv.parse("export ", lookup: noEnvironment) }
        #expect(error.reason == "zero length string")
    }

    // MARK: Raw format

    @Test func rawValuesAreVerbatim() throws {
        let text = #"A="quoted" # not a comment"# + "\nB=${X} $Y\nC='x'\nD=x=y\nE=\nF=trailing  "
        #expect(pairs(try DotEnv.parseRaw(text)) == [
            ["A", #""quoted" # not a comment"#], ["B", "${X} $Y"], ["C", "'x'"], ["D", "x=y"], ["E", ""],
            ["F", "trailing  "],
        ])
    }

    @Test func rawSkipsBlankAndCommentLinesAndLeadingWhitespace() throws {
        let text = "\u{FEFF}A=1\r\n\n   # comment\n\t B=2\r\n  \nC=3"
        #expect(pairs(try DotEnv.parseRaw(text)) == [["A", "1"], ["B", "2"], ["C", "3"]])
    }

    @Test func rawLineWithoutSeparatorIsLeftOut() throws {
        #expect(pairs(try DotEnv.parseRaw("A=1\nINHERITED\nB=2")) == [["A", "1"], ["B", "2"]])
    }

    @Test func rawKeyDefinedTwiceKeepsFirstPositionAndLastValue() throws {
        #expect(pairs(try DotEnv.parseRaw("A=1\nB=2\nA=3")) == [["A", "3"], ["B", "2"]])
    }

    @Test func rawKeyWithWhitespaceFails() throws {
        let error = try #require(throws: DotEnv.ParseError.self) { try DotEnv.parseRaw("A=1\n\nBAD KEY=1") }
        #expect(error.line == 3)
        #expect(error.reason == "variable 'BAD KEY' contains whitespaces")
    }

    @Test func rawLineWithoutKeyFails() throws {
        let error = try #require(throws: DotEnv.ParseError.self) { try DotEnv.parseRaw("# c\n=value") }
        #expect(error.line == 2)
        #expect(error.reason == "no variable name on line '=value'")
    }
}
