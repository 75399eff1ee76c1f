import Foundation
import Testing
@testable import StackFile

// MARK: - Helpers shared by the loader test files

extension Scratch {
    /// Loads with any of the options, failing the test with the diagnostics when the stack does not load.
    func loaded(_ files: [String] = [], profiles: [String] = [], services: [String] = [], projectName: String? = nil,
                environment: [String: String] = [:], envFiles: [String]? = nil, ignoreUnsupported: Bool = false,
                in directory: String? = nil,
                sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> LoadedStack {
        do {
            return try load(files, profiles: profiles, services: services, projectName: projectName,
                            environment: environment, envFiles: envFiles, ignoreUnsupported: ignoreUnsupported,
                            in: directory)
        } catch {
            Issue.record("the stack did not load:\n\(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// The warnings of a load that succeeds, as `FILE:LINE:COL: path: message` lines.
    func warnings(_ files: [String] = [], profiles: [String] = [], services: [String] = [],
                  environment: [String: String] = [:], envFiles: [String]? = nil, ignoreUnsupported: Bool = false,
                  sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String] {
        try loaded(files, profiles: profiles, services: services, environment: environment, envFiles: envFiles,
                   ignoreUnsupported: ignoreUnsupported, sourceLocation: sourceLocation).warnings.map(\.description)
    }

    /// The errors of a load that fails (empty when it loads), with every option available.
    func failures(_ files: [String] = [], profiles: [String] = [], services: [String] = [], projectName: String? = nil,
                  environment: [String: String] = [:], envFiles: [String]? = nil, in directory: String? = nil) -> [String] {
        do {
            _ = try load(files, profiles: profiles, services: services, projectName: projectName,
                         environment: environment, envFiles: envFiles, in: directory)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }
}

// MARK: - Files, project name, project directory

@Suite("Loading: files and project")
struct LoadingFilesTests {
    @Test func prefersComposeYamlOverTheOtherDefaultNames() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("a:\n  command: [/bin/a]"))
        scratch.write("compose.yml", compose("b:\n  command: [/bin/b]"))
        scratch.write("docker-compose.yml", compose("c:\n  command: [/bin/c]"))
        let loaded = try scratch.loaded()
        #expect(loaded.stack.services.map(\.name) == ["a"])
        #expect(loaded.files == ["compose.yaml"])
    }

    @Test func prefersBerthYmlOverComposeYaml() throws {
        let scratch = Scratch()
        scratch.write("berth.yml", compose("a:\n  command: [/bin/a]"))
        scratch.write("compose.yaml", compose("b:\n  command: [/bin/b]"))
        let loaded = try scratch.loaded()
        #expect(loaded.stack.services.map(\.name) == ["a"])
        #expect(loaded.files == ["berth.yml"])
    }

    @Test func fallsBackToComposeYmlThenDockerComposeYml() throws {
        let scratch = Scratch()
        scratch.write("compose.yml", compose("b:\n  command: [/bin/b]"))
        scratch.write("docker-compose.yml", compose("c:\n  command: [/bin/c]"))
        #expect(try scratch.loaded().stack.services.map(\.name) == ["b"])

        let other = Scratch()
        other.write("docker-compose.yml", compose("c:\n  command: [/bin/c]"))
        let loaded = try other.loaded()
        #expect(loaded.stack.services.map(\.name) == ["c"])
        #expect(loaded.files == ["docker-compose.yml"])
    }

    @Test func readsTheOverrideSiblingOfTheDefaultFile() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]\n  user: alice\n  environment: {A: '1'}"))
        scratch.write("compose.override.yaml", compose("web:\n  user: bob\n  environment: {B: '2'}"))
        // Another name's override file is not read with compose.yaml.
        scratch.write("docker-compose.override.yml", compose("web:\n  user: mallory"))
        let loaded = try scratch.loaded()
        #expect(loaded.files == ["compose.yaml", "compose.override.yaml"])
        let web = try #require(loaded.stack["web"])
        #expect(web.user == "bob")
        #expect(web.environment == ["A": "1", "B": "2"])
    }

    @Test func readsTheYmlOverrideOfComposeYml() throws {
        let scratch = Scratch()
        scratch.write("compose.yml", compose("web:\n  command: [/bin/web]"))
        scratch.write("compose.override.yml", compose("web:\n  user: bob"))
        let loaded = try scratch.loaded()
        #expect(loaded.files == ["compose.yml", "compose.override.yml"])
        #expect(loaded.stack["web"]?.user == "bob")
    }

    @Test func withoutAnOverrideOnlyTheDefaultFileIsRead() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]"))
        #expect(try scratch.loaded().files == ["compose.yaml"])
    }

    @Test func explicitFilesReplaceTheDefaultsAndTheirOverrides() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]"))
        scratch.write("compose.override.yaml", compose("web:\n  user: bob"))
        scratch.write("other.yml", compose("api:\n  command: [/bin/api]"))
        let loaded = try scratch.loaded(["other.yml"])
        #expect(loaded.files == ["other.yml"])
        #expect(loaded.stack.services.map(\.name) == ["api"])
    }

    @Test func laterFilesOverrideEarlierOnes() throws {
        let scratch = Scratch()
        scratch.write("a.yml", compose("""
            web:
              command: [/bin/web, --a]
              user: alice
              stop_signal: SIGINT
              environment: {SHARED: from-a, ONLY_A: a}
            """))
        scratch.write("b.yml", compose("""
            web:
              user: bob
              environment: {SHARED: from-b}
            worker:
              command: [/bin/worker]
            """))
        scratch.write("c.yml", compose("web:\n  user: carol"))
        let loaded = try scratch.loaded(["a.yml", "b.yml", "c.yml"])
        #expect(loaded.files == ["a.yml", "b.yml", "c.yml"])
        let web = try #require(loaded.stack["web"])
        #expect(web.user == "carol")
        #expect(web.command == ["/bin/web", "--a"])
        #expect(web.stopSignal == 2)
        #expect(web.environment == ["SHARED": "from-b", "ONLY_A": "a"])
        #expect(loaded.stack.services.map(\.name) == ["web", "worker"])

        // The order of -f decides.
        let reversed = try scratch.loaded(["c.yml", "b.yml", "a.yml"])
        #expect(reversed.stack["web"]?.user == "alice")
        #expect(reversed.stack["web"]?.environment["SHARED"] == "from-a")
    }

    @Test func reportsADirectoryWithoutAStackFile() {
        let scratch = Scratch()
        scratch.write("notes.txt", "nothing here")
        let errors = scratch.failures()
        #expect(errors.count == 1)
        let message = errors.first ?? ""
        #expect(message.hasPrefix("no stack file in \(FilePath.normalize(scratch.path)) (looked for berth.yml"))
        #expect(message.contains("compose.yaml, compose.yml, docker-compose.yml"))
        #expect(message.hasSuffix("; name one with -f"))
    }

    @Test func reportsAMissingExplicitFile() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]"))
        #expect(scratch.failures(["compose.yaml", "missing.yml"]) == ["missing.yml: no such file"])
    }

    @Test func projectNameComesFromTheOptionFirst() throws {
        let scratch = Scratch()
        scratch.write("Some Dir/compose.yaml", "name: from-file\n" + compose("web:\n  command: [/bin/web]"))
        let stack = try scratch.loaded(projectName: "from-option", in: "Some Dir").stack
        #expect(stack.name == "from-option")
    }

    @Test func projectNameComesFromNameKeyBeforeTheDirectory() throws {
        let scratch = Scratch()
        scratch.write("Some Dir/compose.yaml", "name: from-file\n" + compose("web:\n  command: [/bin/web]"))
        #expect(try scratch.loaded(in: "Some Dir").stack.name == "from-file")
    }

    @Test func nameKeyIsInterpolated() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "name: ${PROJECT:-fallback}\n" + compose("web:\n  command: [/bin/web]"))
        #expect(try scratch.loaded(environment: ["PROJECT": "chosen"]).stack.name == "chosen")
        #expect(try scratch.loaded().stack.name == "fallback")
    }

    @Test(arguments: [
        ("My Project", "myproject"),
        ("Shop_API.v2!", "shop_apiv2"),
        ("__Leading-Dashes", "leading-dashes"),
        ("plain", "plain"),
        ("ÜberApp 2", "berapp2"),
    ])
    func projectNameFallsBackToTheNormalizedDirectoryName(directory: String, name: String) throws {
        let scratch = Scratch()
        scratch.write("\(directory)/compose.yaml", compose("web:\n  command: [/bin/web]"))
        #expect(try scratch.loaded(in: directory).stack.name == name)
    }

    @Test func anInvalidProjectNameOptionIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]"))
        #expect(scratch.failures(projectName: "Bad Name") == [
            "--project-name: \"Bad Name\" is not a valid name (lowercase letters, digits, dashes and underscores, starting with a letter or digit)",
        ])
    }

    @Test func projectDirectoryIsTheFirstFilesDirectory() throws {
        let scratch = Scratch()
        scratch.write("app/compose.yaml", compose("""
            web:
              command: [/bin/web]
            worker:
              command: [/bin/worker]
              working_dir: relative/dir
            """))
        // An override somewhere else: its relative paths still resolve against the project directory.
        scratch.write("overrides/local.yml", compose("""
            web:
              env_file: web.env
            api:
              command: [/bin/api]
              working_dir: data
            """))
        scratch.write("app/web.env", "FROM=project-dir\n")
        scratch.write("overrides/web.env", "FROM=override-dir\n")
        let stack = try scratch.loaded(["app/compose.yaml", "overrides/local.yml"]).stack
        let project = FilePath.normalize(scratch.path + "/app")
        #expect(stack.projectDirectory == project)
        #expect(stack.name == "app")
        #expect(stack["web"]?.workingDirectory == project)
        #expect(stack["worker"]?.workingDirectory == project + "/relative/dir")
        #expect(stack["api"]?.workingDirectory == project + "/data")
        #expect(stack["web"]?.environment == ["FROM": "project-dir"])
    }

    @Test func absoluteAndHomeRelativeWorkingDirectories() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            a:
              command: [/bin/a]
              working_dir: /srv/a/../b/.
            b:
              command: [/bin/b]
              working_dir: ~/apps
            """))
        let stack = try scratch.loaded(environment: ["HOME": "/home/tester"]).stack
        #expect(stack["a"]?.workingDirectory == "/srv/b")
        #expect(stack["b"]?.workingDirectory == "/home/tester/apps")
    }

    @Test func versionKeyWarnsThatItIsObsolete() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "version: \"3.8\"\n" + compose("web:\n  command: [/bin/web]"))
        #expect(try scratch.warnings() == ["compose.yaml:1:1: version: the attribute is obsolete and ignored; remove it"])
    }
}

// MARK: - Interpolation and the project environment

@Suite("Loading: interpolation")
struct LoadingInterpolationTests {
    /// The argv of service `web` in a stack whose command is the given list items.
    private func argv(_ items: [String], environment: [String: String] = [:], dotEnv: String? = nil) throws -> [String] {
        let scratch = Scratch()
        let list = items.map { "'\($0)'" }.joined(separator: ", ")
        scratch.write("compose.yaml", compose("web:\n  command: [\(list)]"))
        if let dotEnv { scratch.write(".env", dotEnv) }
        return try scratch.loaded(environment: environment).stack["web"]?.command ?? []
    }

    private let environment = ["SET": "value", "EMPTY": ""]

    @Test func plainAndBracedReferences() throws {
        #expect(try argv(["$SET", "${SET}", "x${SET}y", "$SET.txt", "${SET}_${SET}"], environment: environment)
            == ["value", "value", "xvaluey", "value.txt", "value_value"])
    }

    @Test func defaultOperators() throws {
        #expect(try argv(["${UNSET:-d}", "${EMPTY:-d}", "${SET:-d}", "${UNSET-d}", "${EMPTY-d}", "${SET-d}"],
                         environment: environment)
            == ["d", "d", "value", "d", "", "value"])
    }

    @Test func alternativeOperators() throws {
        #expect(try argv(["${SET:+alt}", "${EMPTY:+alt}", "${UNSET:+alt}", "${SET+alt}", "${EMPTY+alt}", "${UNSET+alt}"],
                         environment: environment)
            == ["alt", "", "", "alt", "alt", ""])
    }

    @Test func requiredOperatorsPassWhenSet() throws {
        #expect(try argv(["${SET:?must be set}", "${SET?must be set}", "${EMPTY?may be empty}"], environment: environment)
            == ["value", "value", ""])
    }

    @Test func nestedReferences() throws {
        #expect(try argv(["${UNSET:-${SET}}", "${UNSET:-${ALSO_UNSET:-deep}}", "${SET:+[${SET}]}", "${UNSET-$SET}"],
                         environment: environment)
            == ["value", "deep", "[value]", "value"])
    }

    @Test func doubleDollarIsALiteralDollar() throws {
        #expect(try argv(["$$SET", "$${SET}", "price: 5$$", "$$$SET"], environment: environment)
            == ["$SET", "${SET}", "price: 5$", "$value"])
    }

    @Test func aDollarThatStartsNoReferenceIsKept() throws {
        #expect(try argv(["^a.*$", "a $ b", "$1"], environment: environment) == ["^a.*$", "a $ b", "$1"])
    }

    @Test func variableNamesAreCaseSensitive() throws {
        #expect(try argv(["${set:-lower}", "${SET}"], environment: environment) == ["lower", "value"])
    }

    @Test func requiredVariableErrorsNameTheVariableAndMessage() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              user: ${WHO:?set WHO first}
              working_dir: ${WHERE?}
              environment:
                EMPTY_IS_NOT_ENOUGH: ${EMPTY:?cannot be empty}
            """))
        #expect(scratch.failures(environment: ["EMPTY": ""]) == [
            "compose.yaml:4:11: services.web.user: required variable WHO is missing a value: set WHO first",
            "compose.yaml:5:18: services.web.working_dir: required variable WHERE is missing a value",
            "compose.yaml:7:28: services.web.environment.EMPTY_IS_NOT_ENOUGH: required variable EMPTY is missing a value: cannot be empty",
        ])
    }

    @Test func invalidTemplatesAreErrors() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web, "${ SPACED}"]
              user: "${}"
            """))
        #expect(scratch.failures() == [
            "compose.yaml:3:25: services.web.command[1]: invalid interpolation \"${ SPACED}\" (use $VAR, ${VAR}, ${VAR:-default}, ${VAR:?error}, or $$ for a literal $)",
            "compose.yaml:4:11: services.web.user: invalid interpolation \"${}\" (use $VAR, ${VAR}, ${VAR:-default}, ${VAR:?error}, or $$ for a literal $)",
        ])
    }

    @Test func anUnsetVariableWarnsOnceAndBecomesEmpty() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web, "--a=$MISSING", "--b=${MISSING}"]
              environment:
                VALUE: $MISSING
                OTHER: x${OTHER_MISSING}y
            """))
        scratch.write("more.yml", compose("web:\n  labels: {l: \"${MISSING}\"}"))
        let loaded = try scratch.loaded(["compose.yaml", "more.yml"])
        let web = try #require(loaded.stack["web"])
        #expect(web.command == ["/bin/web", "--a=", "--b="])
        #expect(web.environment == ["VALUE": "", "OTHER": "xy"])
        #expect(web.labels == ["l": ""])
        #expect(loaded.warnings.map(\.description) == [
            "compose.yaml:3:25: services.web.command[1]: the \"MISSING\" variable is not set; it is replaced by an empty string",
            "compose.yaml:6:14: services.web.environment.OTHER: the \"OTHER_MISSING\" variable is not set; it is replaced by an empty string",
        ])
    }

    @Test func aDefaultSilencesTheUnsetWarning() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web, \"${MISSING:-x}\", \"${MISSING-y}\", \"${MISSING:+z}\"]"))
        #expect(try scratch.warnings() == [])
    }

    @Test func keysAreNeverInterpolated() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              environment:
                ${KEY}: ${VALUE}
                $KEY2: plain
              labels:
                ${KEY}: label
              x-${KEY}: kept
            """))
        let web = try #require(try scratch.loaded(environment: ["KEY": "k", "KEY2": "k2", "VALUE": "v"]).stack["web"])
        #expect(web.environment == ["${KEY}": "v", "$KEY2": "plain"])
        #expect(web.labels == ["${KEY}": "label"])
        #expect(web.extensions == ["x-${KEY}": .string("kept")])
    }

    @Test func listFormInterpolatesTheWholeItemKeyIncluded() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]\n  environment: [\"${KEY}=${VALUE}\"]"))
        let web = try scratch.loaded(environment: ["KEY": "k", "VALUE": "v"]).stack["web"]
        #expect(web?.environment == ["k": "v"])
    }

    @Test func dotEnvInTheProjectDirectoryFeedsInterpolation() throws {
        #expect(try argv(["$FROM_DOTENV", "${QUOTED}", "${REUSED}"],
                         dotEnv: "FROM_DOTENV=dot\n# a comment\nQUOTED=\"two words\"\nREUSED=${FROM_DOTENV}-again\n")
            == ["dot", "two words", "dot-again"])
    }

    @Test func processEnvironmentWinsOverDotEnv() throws {
        #expect(try argv(["$A", "$B", "$C"], environment: ["A": "process", "C": ""], dotEnv: "A=file\nB=file\nC=file\n")
            == ["process", "file", ""])
    }

    @Test func dotEnvIsReadFromTheProjectDirectoryNotTheWorkingDirectory() throws {
        let scratch = Scratch()
        scratch.write("app/compose.yaml", compose("web:\n  command: [/bin/web, \"$WHERE\"]"))
        scratch.write("app/.env", "WHERE=project\n")
        scratch.write(".env", "WHERE=working\n")
        #expect(try scratch.loaded(["app/compose.yaml"]).stack["web"]?.command == ["/bin/web", "project"])
    }

    @Test func envFileOptionReplacesDotEnv() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web, \"$A\", \"$B\", \"$C\"]"))
        scratch.write(".env", "A=dotenv\nB=dotenv\n")
        scratch.write("first.env", "B=first\nC=first\n")
        scratch.write("second.env", "C=second\n")
        let loaded = try scratch.loaded(environment: ["C": "ignored?"], envFiles: ["first.env", "second.env"])
        // .env is not read; later --env-file files win; the process environment still wins over them.
        #expect(loaded.stack["web"]?.command == ["/bin/web", "", "first", "ignored?"])
        #expect(loaded.warnings.map(\.problem) == [.unsetVariable("A")])

        let withoutProcess = try scratch.loaded(envFiles: ["first.env", "second.env"])
        #expect(withoutProcess.stack["web"]?.command == ["/bin/web", "", "first", "second"])
    }

    @Test func aMissingEnvFileOptionIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]"))
        #expect(scratch.failures(envFiles: ["nope.env"]) == ["--env-file: nope.env: no such file"])
    }

    @Test func interpolatedValuesKeepTheirMeaning() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              mem_limit: ${MEM}
              cpus: ${CPUS}
              init: ${INIT}
              stop_grace_period: ${GRACE}
              restart: ${RESTART}
            """))
        let web = try scratch.loaded(environment: ["MEM": "512m", "CPUS": "1.5", "INIT": "true", "GRACE": "1m30s",
                                                   "RESTART": "on-failure:4"]).stack["web"]
        #expect(web?.resources.memoryLimit == 536_870_912)
        #expect(web?.resources.cpuLimit == 1.5)
        #expect(web?.runsInit == true)
        #expect(web?.stopGracePeriod == .seconds(90))
        #expect(web?.restart == RestartPolicy(mode: .onFailure, maxAttempts: 4))
    }
}

// MARK: - Every problem at once

@Suite("Loading: all problems")
struct LoadingAllProblemsTests {
    @Test func independentProblemsAcrossFilesAndStagesAreAllReported() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              mem_limit: lots
              comand: typo
              env_file: missing.env
            """))
        scratch.write("override.yml", compose("""
            web:
              stop_signal: SIGNOPE
              image: nginx
            worker:
              depends_on: [ghost]
            """))
        let errors = scratch.failures(["compose.yaml", "override.yml"], profiles: ["nope"])
        #expect(errors == [
            "--profile: no service uses profile \"nope\" (the stack defines no profiles)",
            "compose.yaml:4:16: services.web.mem_limit: \"lots\" is not a byte value (examples: 512m, 1g)",
            "compose.yaml:5:5: services.web.comand: unknown key (did you mean \"command\"?)",
            "compose.yaml:6:15: services.web.env_file: missing.env: no such file",
            "override.yml:3:18: services.web.stop_signal: \"SIGNOPE\" is not a signal (examples: SIGTERM, SIGINT, 15)",
            "override.yml:4:5: services.web.image: not supported: berth runs programs on the host, not container images; put the program in \"command\" or \"entrypoint\" (--ignore-unsupported turns this into a warning)",
            "override.yml:6:5: services.worker: needs a \"command\" or an \"entrypoint\": berth runs programs on the host, there is no image to supply one",
            "override.yml:6:18: services.worker.depends_on: depends on undefined service \"ghost\"",
        ])
    }

    @Test func syntaxErrorsInSeveralFilesAreAllReported() {
        let scratch = Scratch()
        scratch.write("a.yml", "services:\n  web: [unclosed\n")
        scratch.write("b.yml", "services:\n  api:\n    command: \"unterminated\n")
        let errors = scratch.failures(["a.yml", "b.yml"])
        #expect(errors.count == 2)
        #expect(errors.first?.hasPrefix("a.yml:") == true)
        #expect(errors.last?.hasPrefix("b.yml:") == true)
    }

    @Test func severalInterpolationProblemsAreAllReported() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web, "${A:?a}"]
            api:
              command: [/bin/api, "${B:?b}"]
            """))
        #expect(scratch.failures() == [
            "compose.yaml:3:25: services.web.command[1]: required variable A is missing a value: a",
            "compose.yaml:5:25: services.api.command[1]: required variable B is missing a value: b",
        ])
    }
}
