import Testing
@testable import StackFile

// Vectors ported from compose-spec/compose-go template/template_test.go, which uses the same
// mapping: FOO is "first", BAR is set but empty, JSON holds a JSON object, anything else is unset.

private let environment = ["FOO": "first", "BAR": "", "JSON": #"{"json":2}"#]

private func substitute(_ template: String) throws(Interpolation.Failure) -> String {
    try Interpolation.substitute(template) { environment[$0] }.value
}

private func unsetNames(_ template: String) throws(Interpolation.Failure) -> [String] {
    try Interpolation.substitute(template) { environment[$0] }.unset
}

/// A template and what substituting it must produce.
struct Expansion: Sendable, CustomTestStringConvertible {
    let template: String
    let expected: String
    init(_ template: String, _ expected: String) {
        self.template = template
        self.expected = expected
    }
    var testDescription: String { template.debugDescription }
}

/// A template and the failure substituting it must raise.
struct FailingExpansion: Sendable, CustomTestStringConvertible {
    let template: String
    let failure: Interpolation.Failure
    init(_ template: String, _ failure: Interpolation.Failure) {
        self.template = template
        self.failure = failure
    }
    var testDescription: String { template.debugDescription }
}

@Suite("Interpolation")
struct InterpolationTests {
    // MARK: Escapes and lone dollars

    @Test func doubleDollarIsALiteralDollar() throws {
        #expect(try substitute("$${foo}") == "${foo}")
        #expect(try substitute("$$FOO") == "$FOO")
        #expect(try substitute("a$$b") == "a$b")
    }

    @Test func textWithoutReferencesIsUnchanged() throws {
        #expect(try substitute("foo") == "foo")
        #expect(try substitute("") == "")
    }

    @Test(arguments: ["a $ string", "^REGEX$", "$}", "$", "$1", "cost: 5$.", "$é"])
    func dollarThatStartsNoReferenceIsKept(template: String) throws {
        #expect(try substitute(template) == template)
    }

    @Test func loneDollarBeforeAReferenceIsKept() throws {
        #expect(try substitute("$ $FOO") == "$ first")
    }

    // MARK: Invalid templates

    @Test(arguments: ["${", "${}", "${ }", "${ foo}", "${foo }", "${foo!}", "${foo", "${FOO:x}", "${FOO:}", "${FOO:-x", "${9}"])
    func malformedBracesAreInvalid(template: String) {
        #expect(throws: Interpolation.Failure.invalidTemplate(template)) { try substitute(template) }
    }

    @Test func invalidTemplateNamesTheWholeText() {
        #expect(throws: Interpolation.Failure.invalidTemplate("abc ${ foo} def")) { try substitute("abc ${ foo} def") }
    }

    @Test func braceOnALaterLineDoesNotCloseAnOperatorReference() {
        // compose-go's pattern matches the argument with `.*`, which stops at a newline.
        #expect(throws: Interpolation.Failure.invalidTemplate("${FOO:-a\n}")) { try substitute("${FOO:-a\n}") }
    }

    @Test func invalidNestedDefaultNamesTheDefault() {
        #expect(throws: Interpolation.Failure.invalidTemplate("${}")) { try substitute("${UNSET:-${}}") }
    }

    // MARK: Plain references

    @Test func nonBracedNameEndsAtTheFirstNonNameCharacter() throws {
        #expect(try substitute("$FOO-bar") == "first-bar")
    }

    @Test(arguments: ["This $FOO var", "This ${FOO} var"])
    func setVariableIsSubstituted(template: String) throws {
        #expect(try substitute(template) == "This first var")
    }

    @Test func unsetVariableBecomesEmptyAndIsReported() throws {
        let result = try Interpolation.substitute("This ${missing} var") { environment[$0] }
        #expect(result.value == "This  var")
        #expect(result.unset == ["missing"])
    }

    @Test func emptyVariableBecomesEmptyAndIsNotReported() throws {
        let result = try Interpolation.substitute("This ${BAR} var") { environment[$0] }
        #expect(result.value == "This  var")
        #expect(result.unset == [])
    }

    @Test func namesAreCaseSensitiveButMayUseEitherCase() throws {
        let values = ["Foo": "mixed", "_x1": "underscored"]
        let result = try Interpolation.substitute("$Foo ${_x1} $FOO") { values[$0] }
        #expect(result.value == "mixed underscored ")
        #expect(result.unset == ["FOO"])
    }

    @Test func unsetNamesAreReportedOnceInFirstSeenOrder() throws {
        #expect(try unsetNames("$B ${A} $B ${UNSET:-$D} $A") == ["B", "A", "D"])
    }

    @Test func variablesWithDefaultsOrOperatorsAreNotReported() throws {
        #expect(try unsetNames("${U1:-x} ${U2-x} ${U3:+x} ${U4+x}") == [])
    }

    @Test func unusedDefaultIsNotExpanded() throws {
        let result = try Interpolation.substitute("${FOO:-$NOPE} ${FOO:-${BAR:?boom}}") { environment[$0] }
        #expect(result.value == "first first")
        #expect(result.unset == [])
    }

    @Test func nonASCIITextSurvivesSubstitution() throws {
        #expect(try substitute("héllo ${FOO} wörld € 🚢 ${UNSET:-ü}") == "héllo first wörld € 🚢 ü")
    }

    @Test func referencesOnSeparateLinesAreIndependent() throws {
        #expect(try substitute("${FOO:-a}\n${BAR:-b}\n$FOO") == "first\nb\nfirst")
    }

    // MARK: Defaults and alternatives

    @Test(arguments: [
        Expansion("ok ${missing:-def}", "ok def"),
        Expansion("ok ${missing-def}", "ok def"),
        Expansion("ok ${BAR:-def}", "ok def"),
        Expansion("ok ${FOO:-def}", "ok first"),
        Expansion("ok ${BAR-def}", "ok "),
        Expansion("ok ${UNSET_VAR:+presence_value}", "ok "),
        Expansion("ok ${UNSET_VAR+presence_value}", "ok "),
        Expansion("ok ${FOO:+presence_value}", "ok presence_value"),
        Expansion("ok ${FOO+presence_value}", "ok presence_value"),
        Expansion("ok ${BAR+presence_value}", "ok presence_value"),
        Expansion("ok ${BAR:+presence_value}", "ok "),
        Expansion("ok ${BAR:-/non:-alphanumeric}", "ok /non:-alphanumeric"),
        Expansion("ok ${SUBDOMAIN:-redis}.${FOO:?}", "ok redis.first"),
    ])
    func operatorsPickTheValueOrTheArgument(_ expansion: Expansion) throws {
        #expect(try substitute(expansion.template) == expansion.expected)
    }

    @Test(arguments: [
        Expansion("-ok ${BAR:-defaultValue}", "-ok defaultValue"),
        Expansion("+ok ${UNSET:-${BAR-defaultValue}}", "+ok "),
        Expansion("-ok ${FOO:-defaultValue}", "-ok first"),
        Expansion(":-ok ${UNSET-defaultValue}", ":-ok defaultValue"),
        Expansion(":-ok ${BAR-defaultValue}", ":-ok "),
        Expansion(":?ok ${BAR-defaultValue}", ":?ok "),
        Expansion(":?ok ${BAR:-defaultValue}", ":?ok defaultValue"),
        Expansion(":+ok ${BAR:-defaultValue}", ":+ok defaultValue"),
        Expansion("+ok ${BAR-defaultValue}", "+ok "),
        Expansion("?ok ${BAR:-defaultValue}", "?ok defaultValue"),
    ])
    func operatorCharactersOutsideTheReferenceDoNotInterfere(_ expansion: Expansion) throws {
        #expect(try substitute(expansion.template) == expansion.expected)
    }

    @Test(arguments: [
        Expansion("ok ${UNSET_VAR-$FOO}", "ok first"),
        Expansion("ok ${UNSET_VAR-${FOO}}", "ok first"),
        Expansion("ok ${UNSET_VAR-${FOO} ${FOO}}", "ok first first"),
        Expansion("ok ${BAR:-$FOO}", "ok first"),
        Expansion("ok ${BAR:-${FOO}}", "ok first"),
        Expansion("ok ${BAR:-${FOO} ${FOO}}", "ok first first"),
        Expansion("ok ${BAR+$FOO}", "ok first"),
        Expansion("ok ${BAR+$FOO ${FOO:+second}}", "ok first second"),
        Expansion("ok ${UNSET:-${UNSET2:-default}}", "ok default"),
        Expansion("${BAR:-test${UNSET:-$FOO}}:-bbb", "testfirst:-bbb"),
        Expansion("${UNSET:-a} and ${FOO} and ${UNSET:-b}", "a and first and b"),
    ])
    func defaultsAndAlternativesAreExpandedWhenUsed(_ expansion: Expansion) throws {
        #expect(try substitute(expansion.template) == expansion.expected)
    }

    @Test(arguments: [
        Expansion(#"ok ${missing:-{"json":1}}"#, #"ok {"json":1}"#),
        Expansion(#"ok ${missing-{"json":1}}"#, #"ok {"json":1}"#),
        Expansion(#"ok ${JSON:-{"json":1}}"#, #"ok {"json":2}"#),
        Expansion(#"ok ${JSON-{"json":1}}"#, #"ok {"json":2}"#),
        Expansion("${UNSET:-{}}", "{}"),
        // compose-go steps over the byte after each `{` when balancing braces, so the `}` right
        // after a `{` does not count and the reference runs to the last `}`.
        Expansion("${FOO:-{}}x}", "first"),
        Expansion("${UNSET:-{}}x}", "{}}x"),
        Expansion("${FOO:-a}b}", "firstb}"),
    ])
    func defaultsMayContainBraces(_ expansion: Expansion) throws {
        #expect(try substitute(expansion.template) == expansion.expected)
    }

    // MARK: Required variables

    @Test(arguments: [
        FailingExpansion("not ok ${UNSET_VAR:?Mandatory Variable Unset}",
                         .requiredVariable(name: "UNSET_VAR", message: "Mandatory Variable Unset")),
        FailingExpansion("not ok ${BAR:?Mandatory Variable Empty}",
                         .requiredVariable(name: "BAR", message: "Mandatory Variable Empty")),
        FailingExpansion("not ok ${UNSET_VAR:?}", .requiredVariable(name: "UNSET_VAR", message: "")),
        FailingExpansion("not ok ${UNSET_VAR?Mandatory Variable Unset}",
                         .requiredVariable(name: "UNSET_VAR", message: "Mandatory Variable Unset")),
        FailingExpansion("not ok ${UNSET_VAR?}", .requiredVariable(name: "UNSET_VAR", message: "")),
        FailingExpansion("not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}",
                         .requiredVariable(name: "UNSET_VAR", message: "Mandatory Variable first")),
        FailingExpansion("not ok ${UNSET_VAR?Mandatory Variable ${FOO}}",
                         .requiredVariable(name: "UNSET_VAR", message: "Mandatory Variable first")),
        FailingExpansion("${A?$FOO}", .requiredVariable(name: "A", message: "first")),
    ])
    func missingRequiredVariableFails(_ expansion: FailingExpansion) {
        #expect(throws: expansion.failure) { try substitute(expansion.template) }
    }

    @Test(arguments: [
        Expansion("ok ${FOO:?err}", "ok first"),
        Expansion("ok ${FOO?err}", "ok first"),
        Expansion("ok ${BAR?err}", "ok "),
    ])
    func presentRequiredVariableIsSubstituted(_ expansion: Expansion) throws {
        #expect(try substitute(expansion.template) == expansion.expected)
    }

    // MARK: Which operator applies

    @Test func firstOperatorTokenWins() throws {
        #expect(throws: Interpolation.Failure.requiredVariable(name: "UNSET_VAR", message: "bar-baz")) {
            try substitute("${UNSET_VAR?bar-baz}")
        }
        #expect(try substitute("${UNSET_VAR-myerror?msg}") == "myerror?msg")
        #expect(try substitute("${FOO?bar-baz}") == "first")
        #expect(try substitute("${BAR:-default_value_for_empty_var}") == "default_value_for_empty_var")
        #expect(try substitute("${UNSET_VAR-default_value_for_unset_var}") == "default_value_for_unset_var")
    }

    @Test(arguments: [
        FailingExpansion("${UNSET:?val?ue}", .requiredVariable(name: "UNSET", message: "val?ue")),
        FailingExpansion("${UNSET?val:?ue}", .requiredVariable(name: "UNSET", message: "val:?ue")),
        FailingExpansion("${UNSET?va-lu+e:?e}", .requiredVariable(name: "UNSET", message: "va-lu+e:?e")),
        FailingExpansion("${UNSET?va+lu-e:?e}", .requiredVariable(name: "UNSET", message: "va+lu-e:?e")),
    ])
    func requireOperatorChosenAheadOfLaterTokens(_ expansion: FailingExpansion) {
        #expect(throws: expansion.failure) { try substitute(expansion.template) }
    }

    @Test(arguments: [
        Expansion("${UNSET:-value}", "value"),
        Expansion("${UNSET-va:-lu:?e}", "va:-lu:?e"),
        Expansion("${UNSET-va+lu?e}", "va+lu?e"),
        Expansion("${UNSET-va?lu+e}", "va?lu+e"),
        Expansion("${FOO:+va:?lu:-e}", "va:?lu:-e"),
        Expansion("${BAR+va:+lue}", "va:+lue"),
        Expansion("${BAR+va?lu-e}", "va?lu-e"),
        Expansion("${BAR+va-lu?e}", "va-lu?e"),
    ])
    func defaultAndAlternativeOperatorsChosenAheadOfLaterTokens(_ expansion: Expansion) throws {
        #expect(try substitute(expansion.template) == expansion.expected)
    }

    // MARK: Failure wording

    @Test func failureMessagesUseComposeWording() {
        #expect(Interpolation.Failure.requiredVariable(name: "A", message: "why").message
            == "required variable A is missing a value: why")
        #expect(Interpolation.Failure.requiredVariable(name: "A", message: "").message
            == "required variable A is missing a value")
        #expect(Interpolation.Failure.invalidTemplate("${").message == #"Invalid template: "${""#)
    }
}
