import Foundation
import Testing
@testable import StackFile

// Regressions: each test once failed against the loader. It checks a rule of Compose's (or of
// the acceptance list) that the loader got wrong, so that it stays right.

@Suite("Regressions: merging")
struct MergeRegressions {
    /// Rule: sequences append, env_file is a string or a list. Compose (compose-go
    /// `override/merge.go`, `env_file` → `mergeToSequence`) turns a string into a one-item list
    /// before appending, so both files' env files apply.
    @Test func envFileStringInOneFileAndListInTheNextAppend() throws {
        let scratch = Scratch()
        scratch.write("a.yml", compose("web:\n  command: [/bin/web]\n  env_file: one.env"))
        scratch.write("b.yml", compose("web:\n  env_file: [two.env]"))
        scratch.write("one.env", "A=1\nB=1\n")
        scratch.write("two.env", "B=2\n")
        #expect(scratch.errors(["a.yml", "b.yml"]) == [])
        #expect(try scratch.stack(["a.yml", "b.yml"])["web"]?.environment == ["A": "1", "B": "2"])
    }

    /// Same rule: two string env_file values append too; they are not scalars to replace.
    @Test func envFileStringsInTwoFilesAppend() throws {
        let scratch = Scratch()
        scratch.write("a.yml", compose("web:\n  command: [/bin/web]\n  env_file: one.env"))
        scratch.write("b.yml", compose("web:\n  env_file: two.env"))
        scratch.write("one.env", "A=1\nB=1\n")
        scratch.write("two.env", "B=2\n")
        #expect(try scratch.stack(["a.yml", "b.yml"])["web"]?.environment == ["A": "1", "B": "2"])
    }

    /// Rule: depends_on short form means {condition: service_started, required: true, restart:
    /// false}, and short and long forms merge. compose-go's `mergeDependsOn` expands a short
    /// item to `{condition: service_started, required: true}` before merging, so a later
    /// `[db]` makes an optional dependency required again.
    @Test func aShortFormDependencyInALaterFileIsRequired() throws {
        let scratch = Scratch()
        scratch.write("a.yml", compose("""
            web:
              command: [/bin/web]
              depends_on: {db: {condition: service_started, required: false}}
            db:
              command: [/bin/db]
            """))
        scratch.write("b.yml", compose("web:\n  depends_on: [db]"))
        #expect(try scratch.stack(["a.yml", "b.yml"])["web"]?.dependencies
            == [Dependency(service: "db", condition: .started, required: true, restart: false)])
    }
}

@Suite("Regressions: values")
struct ValueRegressions {
    /// Rule: interpolation exactly as Compose. An interpolated value is a string in Compose
    /// (the YAML node was the string "${UID}"), so `user: ${UID}` is valid; berth re-types the
    /// result as a YAML plain scalar and rejects it as an integer.
    @Test func anInterpolatedUserStaysAString() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]\n  user: ${UID}"))
        #expect(scratch.errors(environment: ["UID": "1000"]) == [])
        #expect(try scratch.stack(environment: ["UID": "1000"])["web"]?.user == "1000")
    }

    /// Same cause: `deploy.resources.limits.memory` takes only strings, and `${MEM}` is one.
    @Test func anInterpolatedDeployMemoryStaysAString() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              deploy:
                resources:
                  limits:
                    memory: ${MEM}
            """))
        #expect(try scratch.stack(environment: ["MEM": "1073741824"])["web"]?.resources.memoryLimit == 1_073_741_824)
    }

    /// Rule: `cpus: 0` means unset, and twins only conflict when both are set (compose-go
    /// checks `s.CPUS != 0` before comparing with deploy.resources.limits.cpus).
    @Test func zeroCpusDoesNotConflictWithADeployLimit() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              cpus: 0
              deploy:
                resources:
                  limits: {cpus: 0.5}
            """))
        #expect(scratch.errors() == [])
        #expect(try scratch.stack()["web"]?.resources.cpuLimit == 0.5)
    }
}

@Suite("Regressions: profiles")
struct ProfileRegressions {
    /// Rule: `COMPOSE_PROFILES` selects profiles. Compose reads COMPOSE_* variables from the
    /// project's `.env` too (the process environment wins); berth only looks at the process
    /// environment, and the CLI passes nothing else.
    @Test func composeProfilesInDotEnvSelectsProfiles() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]\n  profiles: [dev]"))
        scratch.write(".env", "COMPOSE_PROFILES=dev\n")
        #expect(try scratch.stack().services.map(\.name) == ["web"])
    }
}

@Suite("Regressions: every problem at once")
struct ReportingRegressions {
    /// Rule: every problem is reported, not just the first. An interpolation error in one
    /// service stops the load before decoding, so an independent bad value in another service
    /// is not reported.
    @Test func anInterpolationErrorDoesNotHideOtherProblems() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web, "${A:?set A}"]
            api:
              command: [/bin/api]
              mem_limit: lots
            """))
        #expect(scratch.errors() == [
            "compose.yaml:3:25: services.web.command[1]: required variable A is missing a value: set A",
            "compose.yaml:6:16: services.api.mem_limit: \"lots\" is not a byte value (examples: 512m, 1g)",
        ])
    }

    /// Same rule: an unknown `extends` target hides the other services' problems.
    @Test func anExtendsErrorDoesNotHideOtherProblems() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              extends: nope
              command: [/bin/web]
            api:
              command: [/bin/api]
              mem_limit: lots
            """))
        #expect(scratch.errors() == [
            "compose.yaml:3:14: services.web.extends: extends service \"nope\", which compose.yaml does not define",
            "compose.yaml:7:16: services.api.mem_limit: \"lots\" is not a byte value (examples: 512m, 1g)",
        ])
    }
}

@Suite("Regressions: round trip")
struct RoundTripRegressions {
    /// Rule: `x-*` kept, and what `berth config` prints loads back to an equal Stack. A float
    /// with no fraction (`1.0`) is printed as `1` and comes back as an integer.
    @Test(arguments: PrintFormat.allCases)
    func wholeFloatsInExtensionsStayFloats(format: PrintFormat) throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "x-tuning: {ratio: 1.0, scale: 2.50}\n" + compose("web:\n  command: [/bin/web]\n  x-weights: [1.0, 0.5]"))
        let stack = try scratch.stack()
        #expect(stack.extensions == ["x-tuning": .map(["ratio": .float(1.0), "scale": .float(2.5)])])
        try expectRoundTrip(stack, in: scratch, as: format)
    }

    /// The printed YAML is not even loadable when a value holds a Unicode line break (U+2028,
    /// U+2029, U+0085), which a stack gets from a `\u2028`/`\N` escape or an env file: the
    /// emitter writes it raw in a plain scalar, where YAML reads it as a line break.
    @Test func unicodeLineBreaksInValuesSurviveYaml() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose(#"web:\#n  command: [/bin/web, "a\u2028b", "c\u2029d", "e\Nf"]"#))
        let stack = try scratch.stack()
        #expect(stack["web"]?.command == ["/bin/web", "a\u{2028}b", "c\u{2029}d", "e\u{85}f"])
        try expectRoundTrip(stack, in: scratch, as: .yaml)
    }

    /// The printed JSON leaves U+007F and U+0085 unescaped: the first makes the file
    /// unloadable ("control characters are not allowed"), the second is read back as a space.
    @Test func controlCharactersInValuesSurviveJson() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose(#"web:\#n  command: [/bin/web, "del\x7Fchar"]\#napi:\#n  command: [/bin/api, "next\Nline"]"#))
        let stack = try scratch.stack()
        #expect(stack["web"]?.command == ["/bin/web", "del\u{7F}char"])
        #expect(stack["api"]?.command == ["/bin/api", "next\u{85}line"])
        try expectRoundTrip(stack, in: scratch, as: .json)
    }
}
