import Foundation
import Testing
@testable import StackFile

/// Loads `base.yml` then `override.yml` (each a `services:` body) and returns the stack.
private func merged(_ base: String, _ override: String, files: [String: String] = [:],
                    environment: [String: String] = [:], profiles: [String] = [],
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Stack {
    let scratch = Scratch()
    scratch.write("base.yml", compose(base))
    scratch.write("override.yml", compose(override))
    for (file, text) in files { scratch.write(file, text) }
    return try scratch.loaded(["base.yml", "override.yml"], profiles: profiles, environment: environment, sourceLocation: sourceLocation).stack
}

/// The merged service `web`.
private func mergedWeb(_ base: String, _ override: String, files: [String: String] = [:],
                       environment: [String: String] = [:], profiles: [String] = [],
                       sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Service {
    let stack = try merged(base, override, files: files, environment: environment, profiles: profiles,
                           sourceLocation: sourceLocation)
    return try #require(stack["web"], sourceLocation: sourceLocation)
}

@Suite("Merge rules")
struct MergeTests {
    // MARK: Mappings and scalars

    @Test func mappingsMergeKeyByKeyAndScalarsAreReplaced() throws {
        let web = try mergedWeb("""
            web:
              command: [/bin/web]
              user: alice
              stop_grace_period: 20s
              deploy:
                resources:
                  limits: {memory: 512m}
              healthcheck:
                test: [CMD, /bin/check]
                interval: 5s
            """, """
            web:
              user: bob
              deploy:
                resources:
                  limits: {cpus: "0.5"}
                  reservations: {memory: 128m}
              healthcheck:
                timeout: 2s
            """)
        #expect(web.user == "bob")
        #expect(web.stopGracePeriod == .seconds(20))
        #expect(web.resources.memoryLimit == 536_870_912)
        #expect(web.resources.cpuLimit == 0.5)
        #expect(web.resources.memoryReservation == 134_217_728)
        #expect(web.healthcheck?.test == .exec(["/bin/check"]))
        #expect(web.healthcheck?.timing.interval == .seconds(5))
        #expect(web.healthcheck?.timing.timeout == .seconds(2))
    }

    @Test func servicesOfBothFilesAreKept() throws {
        let stack = try merged("web:\n  command: [/bin/web]", "api:\n  command: [/bin/api]")
        #expect(stack.services.map(\.name) == ["api", "web"])
    }

    // MARK: Sequences

    @Test func sequencesAppendWithoutRepeatingScalars() throws {
        let web = try mergedWeb("""
            web:
              command: [/bin/web]
              cap_add: [NET_ADMIN]
              security_opt: [no-new-privileges=false]
              profiles: [one]
            """, """
            web:
              cap_add: [SYS_PTRACE, NET_ADMIN]
              security_opt: [no-new-privileges=false, seccomp=unconfined]
              profiles: [one, two]
            """, profiles: ["two"])
        #expect(web.security.capAdd == ["NET_ADMIN", "SYS_PTRACE"])
        #expect(web.security.noNewPrivileges == false)
        #expect(web.security.seccomp == .unconfined)
        #expect(web.profiles == ["one", "two"])
    }

    @Test func envFilesAppendInOrderSoTheLaterFileWins() throws {
        let web = try mergedWeb(
            "web:\n  command: [/bin/web]\n  env_file: [first.env]",
            "web:\n  env_file: [second.env, first.env]",
            files: ["first.env": "A=first\nB=first\n", "second.env": "B=second\n"]
        )
        #expect(web.environment == ["A": "first", "B": "second"])
    }

    // MARK: Replaced wholesale

    @Test func commandAndEntrypointAreReplacedNotAppended() throws {
        let web = try mergedWeb("""
            web:
              entrypoint: [/usr/bin/env, -i]
              command: [/bin/web, --verbose, --port, "80"]
            """, """
            web:
              entrypoint: /usr/bin/nice
              command: /bin/web --quiet
            """)
        #expect(web.entrypoint == ["/usr/bin/nice"])
        #expect(web.command == ["/bin/web", "--quiet"])
        #expect(web.argv == ["/usr/bin/nice", "/bin/web", "--quiet"])
    }

    @Test func healthcheckTestIsReplacedNotAppended() throws {
        let web = try mergedWeb("""
            web:
              command: [/bin/web]
              healthcheck: {test: [CMD, /bin/check, --deep], retries: 9}
            """, """
            web:
              healthcheck: {test: [CMD, /bin/ping]}
            """)
        #expect(web.healthcheck?.test == .exec(["/bin/ping"]))
        #expect(web.healthcheck?.timing.retries == 9)
    }

    // MARK: Merged by key

    @Test func environmentMergesByKeyAcrossListAndMapForms() throws {
        let listThenMap = try mergedWeb(
            "web:\n  command: [/bin/web]\n  environment: [\"A=1\", \"B=2\"]",
            "web:\n  environment: {B: \"3\", C: \"4\"}"
        )
        #expect(listThenMap.environment == ["A": "1", "B": "3", "C": "4"])

        let mapThenList = try mergedWeb(
            "web:\n  command: [/bin/web]\n  environment: {A: \"1\", B: \"2\"}",
            "web:\n  environment: [\"B=3\", \"C=4\"]"
        )
        #expect(mapThenList.environment == ["A": "1", "B": "3", "C": "4"])
    }

    @Test func aLaterBareEnvironmentKeyTakesTheHostValueOrIsDropped() throws {
        let web = try mergedWeb(
            "web:\n  command: [/bin/web]\n  environment: {FROM_HOST: file, DROPPED: file, KEPT: file}",
            "web:\n  environment: [FROM_HOST, DROPPED]",
            environment: ["FROM_HOST": "host"]
        )
        #expect(web.environment == ["FROM_HOST": "host", "KEPT": "file"])
    }

    @Test func labelsMergeByKeyAcrossListAndMapForms() throws {
        let web = try mergedWeb(
            "web:\n  command: [/bin/web]\n  labels: [\"team=core\", \"tier=back\"]",
            "web:\n  labels: {tier: front, owner: alice}"
        )
        #expect(web.labels == ["team": "core", "tier": "front", "owner": "alice"])
    }

    @Test func dependsOnMergesShortAndLongForms() throws {
        let stack = try merged("""
            web:
              command: [/bin/web]
              depends_on: [db, cache]
            db:
              command: [/bin/db]
              healthcheck: {test: [CMD, /bin/ready]}
            cache:
              command: [/bin/cache]
            queue:
              command: [/bin/queue]
            """, """
            web:
              depends_on:
                db: {condition: service_healthy, restart: true}
                queue: {condition: service_started, required: false}
            """)
        #expect(stack["web"]?.dependencies == [
            Dependency(service: "cache", condition: .started),
            Dependency(service: "db", condition: .healthy, required: true, restart: true),
            Dependency(service: "queue", condition: .started, required: false),
        ])
    }

    @Test func aLongFormOverrideKeepsWhatItDoesNotSay() throws {
        let stack = try merged("""
            web:
              command: [/bin/web]
              depends_on:
                db: {condition: service_healthy, restart: true}
            db:
              command: [/bin/db]
              healthcheck: {test: [CMD, /bin/ready]}
            """, """
            web:
              depends_on:
                db: {condition: service_healthy, required: false}
            """)
        #expect(stack["web"]?.dependencies == [Dependency(service: "db", condition: .healthy, required: false, restart: true)])
    }

    // MARK: Merge directives

    @Test func resetRemovesTheEarlierValue() throws {
        let web = try mergedWeb("""
            web:
              command: [/bin/web]
              user: alice
              environment: {A: "1"}
              cap_add: [NET_ADMIN]
              mem_limit: 512m
              healthcheck: {test: [CMD, /bin/check]}
            """, """
            web:
              user: !reset null
              environment: !reset {}
              cap_add: !reset []
              mem_limit: !reset
              healthcheck: !reset {}
              labels: !reset {}
            """)
        #expect(web.user == nil)
        #expect(web.environment == [:])
        #expect(web.security.capAdd == [])
        #expect(web.resources.memoryLimit == nil)
        #expect(web.healthcheck == nil)
        #expect(web.labels == [:])
        #expect(web.command == ["/bin/web"])
    }

    @Test func overrideReplacesInsteadOfMerging() throws {
        let web = try mergedWeb("""
            web:
              command: [/bin/web]
              environment: {A: "1", B: "2"}
              cap_add: [NET_ADMIN, NET_RAW]
              ulimits: {nofile: 1024, nproc: 64}
              deploy:
                resources:
                  limits: {memory: 512m, cpus: 1}
            """, """
            web:
              environment: !override {C: "3"}
              cap_add: !override [SYS_PTRACE]
              ulimits: !override {core: 0}
              deploy:
                resources: !override
                  limits: {pids: 10}
            """)
        #expect(web.environment == ["C": "3"])
        #expect(web.security.capAdd == ["SYS_PTRACE"])
        #expect(web.ulimits == [Ulimit(name: "core", soft: 0, hard: 0)])
        #expect(web.resources.memoryLimit == nil)
        #expect(web.resources.cpuLimit == nil)
        #expect(web.resources.pidsLimit == 10)
    }

    @Test func eachUlimitIsReplacedWhole() throws {
        let web = try mergedWeb("""
            web:
              command: [/bin/web]
              ulimits:
                nofile: {soft: 1024, hard: 2048}
                nproc: 64
                core: {soft: 0, hard: 0}
            """, """
            web:
              ulimits:
                nofile: 4096
                nproc: {soft: 100, hard: 200}
                stack: 8192
            """)
        #expect(web.ulimits == [
            Ulimit(name: "core", soft: 0, hard: 0),
            Ulimit(name: "nofile", soft: 4096, hard: 4096),
            Ulimit(name: "nproc", soft: 100, hard: 200),
            Ulimit(name: "stack", soft: 8192, hard: 8192),
        ])
    }

    @Test func deployRestartPolicyMerges() throws {
        let web = try mergedWeb("""
            web:
              command: [/bin/web]
              deploy:
                restart_policy: {condition: on-failure, delay: 5s}
            """, """
            web:
              deploy:
                restart_policy: {max_attempts: 4, window: 1m}
            """)
        #expect(web.restart == RestartPolicy(mode: .onFailure, maxAttempts: 4, delay: .seconds(5), window: .seconds(60)))
    }

    @Test func extensionKeysMerge() throws {
        let scratch = Scratch()
        scratch.write("base.yml", "x-meta: {a: 1, b: 2}\n" + compose("web:\n  command: [/bin/web]\n  x-berth: {notify: true}"))
        scratch.write("override.yml", "x-meta: {b: 3}\n" + compose("web:\n  x-berth: {restart_on_unhealthy: false}"))
        let stack = try scratch.loaded(["base.yml", "override.yml"]).stack
        #expect(stack.extensions == ["x-meta": .map(["a": .int(1), "b": .int(3)])])
        #expect(stack["web"]?.berth.notify == true)
        #expect(stack["web"]?.berth.restartOnUnhealthy == false)
    }

    @Test func eachFileIsInterpolatedBeforeMerging() throws {
        // The override's `$$` stays an escaped dollar even though the base file is merged under it.
        let web = try mergedWeb(
            "web:\n  command: [/bin/web]\n  environment: {A: \"${V}\"}",
            "web:\n  environment: {B: \"$${V}\", C: \"${V}\"}",
            environment: ["V": "v"]
        )
        #expect(web.environment == ["A": "v", "B": "${V}", "C": "v"])
    }
}
