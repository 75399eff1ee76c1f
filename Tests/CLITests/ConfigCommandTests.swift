import Foundation
import Testing

@Suite struct ConfigCommandTests {
    @Test(arguments: ["django-vps", "flask-pi", "llm-minipc"])
    func printsReferenceStacksFullyResolved(stack: String) throws {
        let outcome = try berth(["config", "-f", "stacks/\(stack).yml"])
        #expect(outcome.status == 0)
        #expect(outcome.stderr == "")
        try expectGolden(outcome.stdout, "config-\(stack).yml")
    }

    @Test func itsOwnOutputLoadsToTheSameStack() throws {
        let scratch = Scratch()
        for format in ["yaml", "json"] {
            let first = try berth(["config", "-f", "stacks/django-vps.yml", "--format", format])
            #expect(first.status == 0)
            scratch.write("again.\(format)", first.stdout)
            let second = try berth(["config", "-f", scratch.path + "/again.\(format)", "--format", format, "-p", "django"])
            #expect(second.status == 0, "\(second.stderr)")
            // The stack was read from elsewhere, so only the directory of relative paths moves.
            #expect(second.stdout == first.stdout)
        }
    }

    @Test func jsonIsJSON() throws {
        let outcome = try berth(["config", "-f", "stacks/flask-pi.yml", "--format", "json"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let services = try #require(object["services"] as? [String: Any])
        #expect(services.keys.sorted() == ["nginx", "redis", "web"])
    }

    @Test func listsServicesInStartOrder() throws {
        let outcome = try berth(["config", "--services", "-f", "stacks/django-vps.yml"])
        #expect(outcome.stdout == "postgres\npgbouncer\nredis\napp\napp-staging\nnginx\n")
    }

    @Test func selectingAServiceBringsWhatItNeeds() throws {
        let outcome = try berth(["config", "--services", "-f", "stacks/django-vps.yml", "app"])
        #expect(outcome.stdout == "postgres\npgbouncer\nredis\napp\n")
    }

    @Test func invalidStacksExitTwoWithEveryError() throws {
        let outcome = try berth(["config", "-f", "Tests/StackFileTests/Malformed/several-problems-at-once.yml"])
        #expect(outcome.status == 2)
        #expect(outcome.stdout == "")
        #expect(outcome.stderr.split(separator: "\n").count == 6)
        #expect(outcome.stderr.hasPrefix(
            "error: Tests/StackFileTests/Malformed/several-problems-at-once.yml:4:16: services.web.mem_limit: \"lots\" is not a byte value"))
        #expect(outcome.stderr.hasSuffix("5 errors\n"))
    }

    @Test func aDirectoryWithoutAStackSaysWhatItLookedFor() throws {
        let scratch = Scratch()
        let outcome = try berth(["config"], in: scratch.path)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("no stack file in "))
        #expect(outcome.stderr.contains("(looked for berth.yml, berth.yaml, compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml); name one with -f"))
    }

    @Test func findsTheDefaultFileAndItsOverride() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "services:\n  web:\n    command: [/bin/true]\n    restart: always\n")
        scratch.write("compose.override.yaml", "services:\n  web:\n    restart: on-failure:2\n")
        let outcome = try berth(["config", "--format", "json"], in: scratch.path)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("\"restart\": \"on-failure:2\""))
    }

    @Test func unknownProfilesAndServicesAreErrors() throws {
        let profile = try berth(["config", "-f", "stacks/django-vps.yml", "--profile", "debgu"])
        #expect(profile.status == 2)
        #expect(profile.stderr == "error: --profile: no service uses profile \"debgu\" (the stack defines no profiles)\n")
        let service = try berth(["config", "-f", "stacks/django-vps.yml", "ap"])
        #expect(service.status == 2)
        #expect(service.stderr == "error: service argument: no such service: \"ap\" (did you mean \"app\"?)\n")
    }

    @Test func ignoreUnsupportedTurnsErrorsIntoWarnings() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "services:\n  web:\n    image: nginx\n    command: [/usr/sbin/nginx]\n    ports: [\"80:80\"]\n")
        let strict = try berth(["config"], in: scratch.path)
        #expect(strict.status == 2)
        let lenient = try berth(["config", "--ignore-unsupported"], in: scratch.path)
        #expect(lenient.status == 0)
        #expect(lenient.stderr.split(separator: "\n").map { $0.prefix(34) } == [
            "warning: compose.yaml:3:5: service", "warning: compose.yaml:5:5: service",
        ])
        #expect(!lenient.stdout.contains("image"))
    }

    @Test func warningsGoToStandardError() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "version: \"3.8\"\nservices:\n  web:\n    command: echo ${GREETING}\n")
        let outcome = try berth(["config"], in: scratch.path)
        #expect(outcome.status == 0)
        #expect(outcome.stderr == """
            warning: compose.yaml:1:1: version: the attribute is obsolete and ignored; remove it
            warning: compose.yaml:4:14: services.web.command: the "GREETING" variable is not set; it is replaced by an empty string

            """)
        #expect(outcome.stdout.contains("- echo\n"))
    }
}
