import Foundation
import Testing
@testable import StackFile

/// Loads a one-file stack and returns its service `name` (`web` by default).
private func service(_ services: String, named name: String = "web", files: [String: String] = [:],
                     environment: [String: String] = [:], profiles: [String] = [],
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Service {
    let scratch = Scratch()
    scratch.write("compose.yaml", compose(services))
    for (file, text) in files { scratch.write(file, text) }
    let stack = try scratch.loaded(profiles: profiles, environment: environment, sourceLocation: sourceLocation).stack
    return try #require(stack[name], sourceLocation: sourceLocation)
}

/// The errors of a one-file stack.
private func errors(_ services: String, files: [String: String] = [:], environment: [String: String] = [:],
                    ignoreUnsupported: Bool = false) -> [String] {
    let scratch = Scratch()
    scratch.write("compose.yaml", compose(services))
    for (file, text) in files { scratch.write(file, text) }
    return scratch.errors(environment: environment, ignoreUnsupported: ignoreUnsupported)
}

// MARK: - Program

@Suite("Service: command and entrypoint")
struct CommandFieldTests {
    @Test func stringCommandIsSplitLikeAShell() throws {
        let web = try service(#"web:\#n  command: /usr/bin/printf "%s\n" 'two words' three\ four "$$HOME""#)
        #expect(web.command == ["/usr/bin/printf", "%s\n", "two words", "three four", "$HOME"])
        #expect(web.entrypoint == nil)
        #expect(web.argv == ["/usr/bin/printf", "%s\n", "two words", "three four", "$HOME"])
    }

    @Test func listCommandIsTakenAsIs() throws {
        let web = try service(#"web:\#n  command: ["/bin/sh", "-c", "echo $$HOME && exit 1", "'quoted'"]"#)
        #expect(web.command == ["/bin/sh", "-c", "echo $HOME && exit 1", "'quoted'"])
    }

    @Test func argvIsEntrypointThenCommand() throws {
        let web = try service("web:\n  entrypoint: /usr/bin/env -i\n  command: [python3, -m, http.server]")
        #expect(web.entrypoint == ["/usr/bin/env", "-i"])
        #expect(web.command == ["python3", "-m", "http.server"])
        #expect(web.argv == ["/usr/bin/env", "-i", "python3", "-m", "http.server"])
    }

    @Test func entrypointAloneIsEnough() throws {
        let web = try service("web:\n  entrypoint: [/bin/server, --port, \"8080\"]")
        #expect(web.command == nil)
        #expect(web.argv == ["/bin/server", "--port", "8080"])
    }

    @Test func aServiceNeedsACommandOrAnEntrypoint() {
        #expect(errors("web:\n  user: nobody") == [
            "compose.yaml:3:5: services.web: needs a \"command\" or an \"entrypoint\": berth runs programs on the host, there is no image to supply one",
        ])
    }

    @Test func shellSyntaxInAStringCommandIsAnError() {
        #expect(errors("web:\n  command: cat /etc/hosts | grep local") == [
            "compose.yaml:3:14: services.web.command: \"cat /etc/hosts | grep local\" is not a command line (\"|\" is shell syntax, and berth does not run commands through a shell; quote it, or write [\"/bin/sh\", \"-c\", \"...\"])",
        ])
    }
}

@Suite("Service: working_dir and user")
struct WorkingDirAndUserTests {
    @Test func workingDirDefaultsToTheProjectDirectory() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]\n  user: \"1000:1000\"\napi:\n  command: [/bin/api]\n  working_dir: ./srv/../var\n  user: www-data"))
        let stack = try scratch.loaded().stack
        #expect(stack["web"]?.workingDirectory == stack.projectDirectory)
        #expect(stack["web"]?.user == "1000:1000")
        #expect(stack["api"]?.workingDirectory == stack.projectDirectory + "/var")
        #expect(stack["api"]?.user == "www-data")
    }

    @Test func userIsUnsetByDefault() throws {
        #expect(try service("web:\n  command: [/bin/web]").user == nil)
    }
}

// MARK: - Restart

@Suite("Service: restart")
struct RestartFieldTests {
    @Test(arguments: [
        ("\"no\"", RestartPolicy(mode: .no)),
        ("no", RestartPolicy(mode: .no)),
        ("always", RestartPolicy(mode: .always)),
        ("on-failure", RestartPolicy(mode: .onFailure)),
        ("on-failure:5", RestartPolicy(mode: .onFailure, maxAttempts: 5)),
        ("unless-stopped", RestartPolicy(mode: .unlessStopped)),
    ])
    func restartValues(text: String, policy: RestartPolicy) throws {
        #expect(try service("web:\n  command: [/bin/web]\n  restart: \(text)").restart == policy)
    }

    @Test func restartDefaultsToNo() throws {
        #expect(try service("web:\n  command: [/bin/web]").restart == RestartPolicy(mode: .no))
    }

    @Test(arguments: [
        ("none", RestartPolicy.Mode.no),
        ("on-failure", .onFailure),
        ("any", .always),
    ])
    func restartPolicyConditions(condition: String, mode: RestartPolicy.Mode) throws {
        let web = try service("web:\n  command: [/bin/web]\n  deploy:\n    restart_policy:\n      condition: \(condition)")
        #expect(web.restart == RestartPolicy(mode: mode))
    }

    @Test func restartPolicyConditionDefaultsToAny() throws {
        let web = try service("web:\n  command: [/bin/web]\n  deploy:\n    restart_policy: {max_attempts: 2}")
        #expect(web.restart == RestartPolicy(mode: .always, maxAttempts: 2))
    }

    @Test func restartPolicyKeepsDelayAttemptsAndWindow() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              deploy:
                restart_policy:
                  condition: on-failure
                  delay: 1m30s
                  max_attempts: 3
                  window: 250ms
            """)
        #expect(web.restart == RestartPolicy(mode: .onFailure, maxAttempts: 3, delay: .seconds(90), window: .milliseconds(250)))
    }

    @Test func restartPolicyOverridesADisagreeingRestartWithAWarning() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              restart: always
              deploy:
                restart_policy: {condition: on-failure, max_attempts: 2}
            """))
        let loaded = try scratch.loaded()
        #expect(loaded.stack["web"]?.restart == RestartPolicy(mode: .onFailure, maxAttempts: 2))
        #expect(loaded.warnings.map(\.description) == [
            "compose.yaml:4:14: services.web.restart: deploy.restart_policy overrides restart: \"always\"",
        ])
    }

    @Test func anAgreeingRestartDoesNotWarn() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              restart: on-failure:3
              deploy:
                restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}
            """))
        let loaded = try scratch.loaded()
        #expect(loaded.stack["web"]?.restart == RestartPolicy(mode: .onFailure, maxAttempts: 3, delay: .seconds(5)))
        #expect(loaded.warnings.isEmpty)
    }
}

// MARK: - Health checks

@Suite("Service: healthcheck")
struct HealthcheckFieldTests {
    private func health(_ body: String) throws -> HealthCheck? {
        try service("web:\n  command: [/bin/web]\n  healthcheck:\n" + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            .healthcheck
    }

    @Test func aStringTestRunsThroughTheShell() throws {
        #expect(try health("test: curl -f http://localhost/ || exit 1")?.test == .shell("curl -f http://localhost/ || exit 1"))
    }

    @Test func cmdTestRunsTheProgramDirectly() throws {
        #expect(try health("test: [CMD, /bin/check, --quick]")?.test == .exec(["/bin/check", "--quick"]))
    }

    @Test func cmdShellTestRunsThroughTheShell() throws {
        #expect(try health("test: [CMD-SHELL, \"pg_isready -U postgres\"]")?.test == .shell("pg_isready -U postgres"))
    }

    @Test func noneAndDisableMeanNoCheck() throws {
        #expect(try health("test: [NONE]") == nil)
        #expect(try health("disable: true") == nil)
        #expect(try health("disable: true\ninterval: 5s") == nil)
    }

    @Test func timingDefaultsAreMadeExplicit() throws {
        let check = try #require(try health("test: [CMD, /bin/check]"))
        #expect(check.timing.interval == .seconds(30))
        #expect(check.timing.timeout == .seconds(30))
        #expect(check.timing.startPeriod == .zero)
        #expect(check.timing.startInterval == .seconds(5))
        #expect(check.timing.retries == 3)
    }

    @Test func timingIsRead() throws {
        let check = try #require(try health("""
            test: [CMD, /bin/check]
            interval: 1m30s
            timeout: 250ms
            start_period: 40s
            start_interval: 2s
            retries: 7
            """))
        var expected = ProbeTiming()
        expected.interval = .seconds(90)
        expected.timeout = .milliseconds(250)
        expected.startPeriod = .seconds(40)
        expected.startInterval = .seconds(2)
        expected.retries = 7
        #expect(check == HealthCheck(test: .exec(["/bin/check"]), timing: expected))
    }

    @Test func noHealthcheckByDefault() throws {
        #expect(try service("web:\n  command: [/bin/web]").healthcheck == nil)
    }
}

// MARK: - depends_on

@Suite("Service: depends_on")
struct DependsOnFieldTests {
    @Test func shortFormWaitsForStartRequiredWithoutRestart() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              depends_on: [db, cache]
            db:
              command: [/bin/db]
            cache:
              command: [/bin/cache]
            """)
        #expect(web.dependencies == [
            Dependency(service: "cache", condition: .started, required: true, restart: false),
            Dependency(service: "db", condition: .started, required: true, restart: false),
        ])
    }

    @Test func longFormReadsConditionRequiredAndRestart() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              depends_on:
                migrate: {condition: service_completed_successfully}
                db: {condition: service_healthy, restart: true}
                cache: {condition: service_started, required: false}
            db:
              command: [/bin/db]
              healthcheck: {test: [CMD, /bin/ready]}
            cache:
              command: [/bin/cache]
            migrate:
              command: [/bin/migrate]
            """)
        #expect(web.dependencies == [
            Dependency(service: "cache", condition: .started, required: false, restart: false),
            Dependency(service: "db", condition: .healthy, required: true, restart: true),
            Dependency(service: "migrate", condition: .completedSuccessfully, required: true, restart: false),
        ])
    }
}

// MARK: - Resources

@Suite("Service: resources")
struct ResourceFieldTests {
    @Test func deployResourcesAreRead() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              deploy:
                resources:
                  limits: {cpus: "0.5", memory: 512m, pids: 100}
                  reservations: {cpus: 0.25, memory: 256m}
            """)
        var expected = Resources()
        expected.cpuLimit = 0.5
        expected.memoryLimit = 536_870_912
        expected.pidsLimit = 100
        expected.cpuReservation = 0.25
        expected.memoryReservation = 268_435_456
        #expect(web.resources == expected)
    }

    @Test func twinKeysMeanTheSame() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              mem_limit: 512m
              mem_reservation: 256m
              cpus: 0.5
              pids_limit: 100
            """)
        var expected = Resources()
        expected.cpuLimit = 0.5
        expected.memoryLimit = 536_870_912
        expected.pidsLimit = 100
        expected.memoryReservation = 268_435_456
        #expect(web.resources == expected)
    }

    @Test func equalTwinsAreFine() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              mem_limit: 1g
              mem_reservation: 1073741824
              cpus: "1.50"
              pids_limit: 64
              deploy:
                resources:
                  limits: {cpus: 1.5, memory: 1024m, pids: 64}
                  reservations: {memory: 1g}
            """)
        #expect(web.resources.memoryLimit == 1_073_741_824)
        #expect(web.resources.memoryReservation == 1_073_741_824)
        #expect(web.resources.cpuLimit == 1.5)
        #expect(web.resources.pidsLimit == 64)
    }

    @Test func disagreeingTwinsAreAnError() {
        #expect(errors("""
            web:
              command: [/bin/web]
              cpus: 1
              deploy:
                resources:
                  limits: {cpus: 2}
            """) == [
            "compose.yaml:7:24: services.web.deploy.resources.limits.cpus: cpus and deploy.resources.limits.cpus set different values; keep one of them",
        ])
    }

    @Test func zeroCpusAndMinusOnePidsMeanUnset() throws {
        let web = try service("web:\n  command: [/bin/web]\n  cpus: 0\n  pids_limit: -1")
        #expect(web.resources.cpuLimit == nil)
        #expect(web.resources.pidsLimit == nil)
        let deployed = try service("web:\n  command: [/bin/web]\n  deploy: {resources: {limits: {cpus: \"0.000\", pids: -1}}}")
        #expect(deployed.resources.cpuLimit == nil)
        #expect(deployed.resources.pidsLimit == nil)
    }

    @Test func noResourcesByDefault() throws {
        #expect(try service("web:\n  command: [/bin/web]").resources == Resources())
    }

    @Test func memswapLimit() throws {
        let unlimited = try service("web:\n  command: [/bin/web]\n  mem_limit: 512m\n  memswap_limit: -1")
        #expect(unlimited.resources.memorySwapLimit == .unlimited)
        let unset = try service("web:\n  command: [/bin/web]\n  mem_limit: 512m\n  memswap_limit: 0")
        #expect(unset.resources.memorySwapLimit == nil)
        let bytes = try service("web:\n  command: [/bin/web]\n  mem_limit: 512m\n  memswap_limit: 1g")
        #expect(bytes.resources.memorySwapLimit == .bytes(1_073_741_824))
    }

    @Test func cpuShares() throws {
        #expect(try service("web:\n  command: [/bin/web]\n  cpu_shares: 512").resources.cpuShares == 512)
        #expect(try service("web:\n  command: [/bin/web]\n  cpu_shares: 0").resources.cpuShares == nil)
    }

    @Test(arguments: [
        ("512m", Int64(536_870_912)),
        ("1.5g", 1_610_612_736),
        ("1.5G", 1_610_612_736),
        ("20480kb", 20_971_520),
        ("20480KiB", 20_971_520),
        ("20480K", 20_971_520),
        ("64MB", 67_108_864),
        ("1gib", 1_073_741_824),
        ("10485760", 10_485_760),
        ("\"10485760b\"", 10_485_760),
    ])
    func byteValuesAreBinaryAndCaseInsensitive(text: String, bytes: Int64) throws {
        #expect(try service("web:\n  command: [/bin/web]\n  mem_limit: \(text)").resources.memoryLimit == bytes)
    }
}

// MARK: - Security

@Suite("Service: security")
struct SecurityFieldTests {
    @Test func defaults() throws {
        let web = try service("web:\n  command: [/bin/web]")
        #expect(web.security == Security())
        #expect(web.security.seccomp == .builtin)
        #expect(web.security.noNewPrivileges == true)
    }

    @Test func seccompProfileIsMadeAbsoluteAgainstTheProjectDirectory() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              security_opt: [seccomp=profiles/web.json]
            abs:
              command: [/bin/abs]
              security_opt: ["seccomp=/etc/berth/strict.json"]
            """))
        let stack = try scratch.loaded().stack
        #expect(stack["web"]?.security.seccomp == .profile(stack.projectDirectory + "/profiles/web.json"))
        #expect(stack["abs"]?.security.seccomp == .profile("/etc/berth/strict.json"))
    }

    @Test func seccompUnconfined() throws {
        #expect(try service("web:\n  command: [/bin/web]\n  security_opt: [seccomp=unconfined]").security.seccomp == .unconfined)
        #expect(try service("web:\n  command: [/bin/web]\n  security_opt: [\"seccomp:unconfined\"]").security.seccomp == .unconfined)
    }

    @Test func noNewPrivileges() throws {
        #expect(try service("web:\n  command: [/bin/web]\n  security_opt: [no-new-privileges]").security.noNewPrivileges == true)
        #expect(try service("web:\n  command: [/bin/web]\n  security_opt: [no-new-privileges=true]").security.noNewPrivileges == true)
        #expect(try service("web:\n  command: [/bin/web]\n  security_opt: [no-new-privileges=false]").security.noNewPrivileges == false)
        #expect(try service("web:\n  command: [/bin/web]\n  security_opt: [\"no-new-privileges:false\"]").security.noNewPrivileges == false)
    }

    @Test func capabilitiesAreNormalized() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              cap_add: [cap_net_admin, CAP_SYS_PTRACE, Net_Raw, net_bind_service]
              cap_drop: [all]
            """)
        #expect(web.security.capAdd == ["NET_ADMIN", "NET_BIND_SERVICE", "NET_RAW", "SYS_PTRACE"])
        #expect(web.security.capDrop == ["ALL"])
    }

    @Test func capAddAll() throws {
        let web = try service("web:\n  command: [/bin/web]\n  cap_add: [ALL]\n  cap_drop: [CAP_SYS_ADMIN]")
        #expect(web.security.capAdd == ["ALL"])
        #expect(web.security.capDrop == ["SYS_ADMIN"])
    }

    @Test func anUnknownCapabilityIsAnError() {
        #expect(errors("web:\n  command: [/bin/web]\n  cap_add: [NET_ADMIN, CAP_FLY]") == [
            "compose.yaml:4:26: services.web.cap_add[1]: \"CAP_FLY\" is not a Linux capability (examples: NET_BIND_SERVICE, CAP_SYS_PTRACE, ALL)",
        ])
    }
}

// MARK: - Process settings

@Suite("Service: process settings")
struct ProcessFieldTests {
    @Test(arguments: [
        ("SIGUSR1", Int32(10)),
        ("usr2", 12),
        ("SIGINT", 2),
        ("9", 9),
        ("\"15\"", 15),
        ("SIGRTMIN+3", 37),
        ("sigquit", 3),
    ])
    func stopSignalByNameOrNumber(text: String, number: Int32) throws {
        #expect(try service("web:\n  command: [/bin/web]\n  stop_signal: \(text)").stopSignal == number)
    }

    @Test func stopSignalDefaultsToSIGTERM() throws {
        #expect(try service("web:\n  command: [/bin/web]").stopSignal == 15)
    }

    @Test(arguments: [
        ("1m30s", Duration.seconds(90)),
        ("250ms", .milliseconds(250)),
        ("2s", .seconds(2)),
        ("1h5m30s20ms", .seconds(3930) + .milliseconds(20)),
    ])
    func stopGracePeriod(text: String, duration: Duration) throws {
        #expect(try service("web:\n  command: [/bin/web]\n  stop_grace_period: \(text)").stopGracePeriod == duration)
    }

    @Test func stopGracePeriodDefaultsToTenSeconds() throws {
        #expect(try service("web:\n  command: [/bin/web]").stopGracePeriod == .seconds(10))
    }

    @Test func ulimitsTakeAnIntegerOrSoftAndHard() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              ulimits:
                nproc: 65535
                nofile: {soft: 20000, hard: 40000}
                core: -1
            """)
        #expect(web.ulimits == [
            Ulimit(name: "core", soft: -1, hard: -1),
            Ulimit(name: "nofile", soft: 20000, hard: 40000),
            Ulimit(name: "nproc", soft: 65535, hard: 65535),
        ])
    }

    @Test func oomScoreAdjInitProfilesAndLabels() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              oom_score_adj: -500
              init: true
              profiles: [debug, tools]
              labels:
                com.example.team: platform
                com.example.port: 8080
            """, profiles: ["debug"])
        #expect(web.oomScoreAdjust == -500)
        #expect(web.runsInit == true)
        #expect(web.profiles == ["debug", "tools"])
        #expect(web.labels == ["com.example.team": "platform", "com.example.port": "8080"])
    }

    @Test func processDefaults() throws {
        let web = try service("web:\n  command: [/bin/web]")
        #expect(web.oomScoreAdjust == nil)
        #expect(web.runsInit == false)
        #expect(web.profiles == [])
        #expect(web.labels == [:])
        #expect(web.ulimits == [])
        #expect(web.extensions == [:])
    }

    @Test func labelsListForm() throws {
        let web = try service("web:\n  command: [/bin/web]\n  labels: [\"a=1\", \"b=x=y\", c]")
        #expect(web.labels == ["a": "1", "b": "x=y", "c": ""])
    }

    @Test func extensionKeysAreKeptAsWritten() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", """
            x-common: &common
              owner: alice
              replicas: 3
            services:
              web:
                command: [/bin/web]
                x-team: {owner: alice, count: 3, ratio: 0.5, on: true, tags: [a, "1"], none: null}
            """)
        let stack = try scratch.loaded().stack
        #expect(stack.extensions == ["x-common": .map(["owner": .string("alice"), "replicas": .int(3)])])
        #expect(stack["web"]?.extensions == ["x-team": .map([
            "owner": .string("alice"), "count": .int(3), "ratio": .float(0.5), "on": .bool(true),
            "tags": .list([.string("a"), .string("1")]), "none": .null,
        ])])
    }
}

// MARK: - Environment

@Suite("Service: environment and env_file")
struct EnvironmentFieldTests {
    @Test func mapForm() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              environment:
                NAME: berth
                PORT: 8080
                DEBUG: false
                QUOTED: "yes"
                EMPTY: ""
            """)
        #expect(web.environment == ["NAME": "berth", "PORT": "8080", "DEBUG": "false", "QUOTED": "yes", "EMPTY": ""])
    }

    @Test func listForm() throws {
        let web = try service("web:\n  command: [/bin/web]\n  environment: [\"NAME=berth\", \"URL=a=b\", \"EMPTY=\"]")
        #expect(web.environment == ["NAME": "berth", "URL": "a=b", "EMPTY": ""])
    }

    @Test func bareKeysTakeTheHostValueOrAreDropped() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              environment: [FROM_HOST, FROM_DOTENV, BOTH, NOWHERE]
            api:
              command: [/bin/api]
              environment:
                FROM_HOST:
                FROM_DOTENV:
                BOTH: ~
                NOWHERE: null
            """))
        scratch.write(".env", "FROM_DOTENV=dotenv\nBOTH=dotenv\n")
        let stack = try scratch.loaded(environment: ["FROM_HOST": "host", "BOTH": "host"]).stack
        let expected = ["FROM_HOST": "host", "FROM_DOTENV": "dotenv", "BOTH": "host"]
        #expect(stack["web"]?.environment == expected)
        #expect(stack["api"]?.environment == expected)
    }

    @Test func envFileAsStringListAndMappings() throws {
        let files = [
            "one.env": "A=one\nB=one\n",
            "two.env": "B=two\nC=two\n",
            "three.env": "C=three\n",
        ]
        let single = try service("web:\n  command: [/bin/web]\n  env_file: one.env", files: files)
        #expect(single.environment == ["A": "one", "B": "one"])

        let list = try service("web:\n  command: [/bin/web]\n  env_file: [one.env, two.env, three.env]", files: files)
        #expect(list.environment == ["A": "one", "B": "two", "C": "three"])

        let mappings = try service("""
            web:
              command: [/bin/web]
              env_file:
                - path: three.env
                - path: two.env
                  required: true
                - path: optional-and-missing.env
                  required: false
            """, files: files)
        #expect(mappings.environment == ["B": "two", "C": "two"])
    }

    @Test func aMissingRequiredEnvFileIsAnErrorNamingIt() {
        #expect(errors("""
            web:
              command: [/bin/web]
              env_file:
                - path: config/absent.env
                  required: true
                - absent-too.env
            """) == [
            "compose.yaml:5:15: services.web.env_file[0].path: config/absent.env: no such file",
            "compose.yaml:7:9: services.web.env_file[1]: absent-too.env: no such file",
        ])
    }

    @Test func anEnvFileThatCannotBeReadSaysWhy() {
        #expect(errors("""
            web:
              command: [/bin/web]
              env_file: envdir
            """, files: ["envdir/placeholder": ""]) == [
            "compose.yaml:4:15: services.web.env_file: envdir: cannot be read: Is a directory",
        ])
    }

    @Test func environmentWinsOverEnvFile() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              env_file: [base.env]
              environment: {B: environment, NEW: new}
            """, files: ["base.env": "A=file\nB=file\n"])
        #expect(web.environment == ["A": "file", "B": "environment", "NEW": "new"])
    }

    @Test func aBareEnvironmentKeyWithoutAValueRemovesTheEnvFileOne() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              env_file: base.env
              environment: [A]
            """, files: ["base.env": "A=file\nB=file\n"])
        #expect(web.environment == ["B": "file"])
    }

    @Test func envFilesUseComposeDotenvSyntax() throws {
        let web = try service("web:\n  command: [/bin/web]\n  env_file: app.env", files: ["app.env": #"""
            # a comment
            export EXPORTED=yes
            UNQUOTED=value # an inline comment
            SINGLE='literal $NAME \n'
            DOUBLE="line1\nline2 ${NAME}"
            EMPTY=
            SPACED = around
            INHERITED
            FROM_EARLIER=${UNQUOTED}-again
            """#], environment: ["NAME": "berth", "INHERITED": "from-host"])
        #expect(web.environment == [
            "EXPORTED": "yes",
            "UNQUOTED": "value",
            "SINGLE": #"literal $NAME \n"#,
            "DOUBLE": "line1\nline2 berth",
            "EMPTY": "",
            "SPACED": "around",
            "INHERITED": "from-host",
            "FROM_EARLIER": "value-again",
        ])
    }

    @Test func envFilesAreInterpolatedWithTheProjectEnvironment() throws {
        let web = try service("web:\n  command: [/bin/web]\n  env_file: app.env", files: [
            "app.env": "GREETING=hello ${WHO}\nWHERE=${PLACE:-nowhere}\nOVERRIDDEN=${WINNER}\n",
            ".env": "WHO=dotenv\nWINNER=dotenv\n",
        ], environment: ["WINNER": "process"])
        #expect(web.environment == ["GREETING": "hello dotenv", "WHERE": "nowhere", "OVERRIDDEN": "process"])
    }

    @Test func rawEnvFilesAreTakenVerbatim() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              env_file:
                - path: raw.env
                  format: raw
            """, files: ["raw.env": "QUOTED=\"kept quotes\"\nDOLLAR=${NOT_EXPANDED}\nHASH=a # not a comment\n"])
        #expect(web.environment == [
            "QUOTED": "\"kept quotes\"",
            "DOLLAR": "${NOT_EXPANDED}",
            "HASH": "a # not a comment",
        ])
    }

    @Test func aMalformedEnvFileIsAnError() {
        let problems = errors("web:\n  command: [/bin/web]\n  env_file: bad.env", files: ["bad.env": "GOOD=1\nBAD=\"unterminated\n"])
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("compose.yaml:4:15: services.web.env_file: bad.env:2: ") == true)
    }
}

// MARK: - x-berth

@Suite("Service: x-berth")
struct BerthOptionsFieldTests {
    @Test func defaults() throws {
        let web = try service("web:\n  command: [/bin/web]")
        #expect(web.berth == BerthOptions())
        #expect(web.berth.probe == nil)
        #expect(web.berth.logs.maxSize == 10 * 1024 * 1024)
        #expect(web.berth.logs.maxFiles == 3)
        #expect(web.berth.restartOnUnhealthy == true)
        #expect(web.berth.notify == false)
        #expect(web.berth.memoryHigh == nil)
        #expect(web.berth.seccompStrict == false)
    }

    @Test func seccompStrict() throws {
        let web = try service("web:\n  command: [/bin/web]\n  x-berth:\n    seccomp_strict: true")
        #expect(web.berth.seccompStrict == true)
        #expect(errors("web:\n  command: [/bin/web]\n  x-berth:\n    seccomp_strict: sometimes") == [
            "compose.yaml:5:23: services.web.x-berth.seccomp_strict: \"sometimes\" is not a boolean (true or false)",
        ])
    }

    @Test func httpProbeWithTiming() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              x-berth:
                probe:
                  http: http://localhost:8080/health?full=1
                  interval: 5s
                  timeout: 250ms
                  retries: 5
                  start_period: 1m
                  start_interval: 1s
            """)
        var timing = ProbeTiming()
        timing.interval = .seconds(5)
        timing.timeout = .milliseconds(250)
        timing.retries = 5
        timing.startPeriod = .seconds(60)
        timing.startInterval = .seconds(1)
        #expect(web.berth.probe == Probe(target: .http(HTTPTarget(host: "localhost", port: 8080, path: "/health?full=1")),
                                         timing: timing))
    }

    @Test func tcpProbeWithDefaultTiming() throws {
        let web = try service("web:\n  command: [/bin/web]\n  x-berth:\n    probe: {tcp: \"127.0.0.1:5432\"}")
        #expect(web.berth.probe == Probe(target: .tcp(host: "127.0.0.1", port: 5432), timing: ProbeTiming()))
    }

    @Test func httpProbeDefaultsToPortEightyAndRootPath() throws {
        let web = try service("web:\n  command: [/bin/web]\n  x-berth:\n    probe: {http: \"http://[::1]\"}")
        #expect(web.berth.probe?.target == .http(HTTPTarget(host: "::1", port: 80, path: "/")))
    }

    @Test func logsNotifyRestartOnUnhealthyAndMemoryHigh() throws {
        let web = try service("""
            web:
              command: [/bin/web]
              mem_limit: 512m
              x-berth:
                logs: {max_size: 1m, max_files: 5}
                restart_on_unhealthy: false
                notify: true
                memory_high: 400m
            """)
        #expect(web.berth.logs.maxSize == 1_048_576)
        #expect(web.berth.logs.maxFiles == 5)
        #expect(web.berth.restartOnUnhealthy == false)
        #expect(web.berth.notify == true)
        #expect(web.berth.memoryHigh == 419_430_400)
    }

    @Test func hostProfileIsResolvedToAnAbsolutePath() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "x-berth:\n  host: hosts/../hosts/vps-512m.yml\n" + compose("web:\n  command: [/bin/web]"))
        let stack = try scratch.loaded().stack
        #expect(stack.hostProfile == stack.projectDirectory + "/hosts/vps-512m.yml")
        #expect(stack.extensions == [:])
    }

    @Test func hostProfileIsUnsetByDefault() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]"))
        #expect(try scratch.loaded().stack.hostProfile == nil)
    }
}

// MARK: - Unsupported and unknown keys

@Suite("Service: unsupported and unknown keys")
struct UnsupportedKeyTests {
    @Test(arguments: [
        ("image: nginx", "image", "berth runs programs on the host, not container images; put the program in \"command\" or \"entrypoint\""),
        ("build: .", "build", "berth runs programs on the host, not container images; put the program in \"command\" or \"entrypoint\""),
        ("ports: [\"80:80\"]", "ports", "services share the host's network and bind their ports themselves"),
        ("networks: [front]", "networks", "services share the host's network and bind their ports themselves"),
        ("volumes: [\"./data:/data\"]", "volumes", "services see the host's filesystem; berth mounts nothing"),
        ("privileged: true", "privileged", "berth does not create namespaces; services run in the host's"),
        ("logging: {driver: json-file}", "logging", "berth keeps each service's logs itself; see x-berth.logs"),
        ("container_name: web", "container_name", "berth runs one copy of each service"),
    ])
    func unsupportedServiceKeysAreErrorsNamingTheKeyAndWhy(line: String, key: String, reason: String) {
        #expect(errors("web:\n  command: [/bin/web]\n  \(line)") == [
            "compose.yaml:4:5: services.web.\(key): not supported: \(reason) (--ignore-unsupported turns this into a warning)",
        ])
    }

    @Test func ignoreUnsupportedTurnsEachIntoAWarning() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              image: nginx
              ports: ["8080:80"]
              deploy:
                replicas: 2
              security_opt: ["apparmor=unconfined"]
            """) + "volumes:\n  data: {}\n")
        #expect(scratch.errors().count == 5)
        let loaded = try scratch.loaded(ignoreUnsupported: true)
        #expect(loaded.stack["web"]?.argv == ["/bin/web"])
        #expect(loaded.warnings.map(\.description).sorted() == [
            "compose.yaml:4:5: services.web.image: ignored: berth runs programs on the host, not container images; put the program in \"command\" or \"entrypoint\"",
            "compose.yaml:5:5: services.web.ports: ignored: services share the host's network and bind their ports themselves",
            "compose.yaml:7:7: services.web.deploy.replicas: ignored: berth runs one copy of each service",
            "compose.yaml:8:20: services.web.security_opt[0]: ignored: berth applies seccomp, capabilities and no-new-privileges, not apparmor",
            "compose.yaml:9:1: volumes: ignored: services see the host's filesystem; berth mounts nothing",
        ])
    }

    @Test func unknownKeysAreErrorsWithASuggestion() {
        #expect(errors("""
            web:
              command: [/bin/web]
              enviroment: {A: b}
              healthcheck:
                test: [CMD, /bin/true]
                intervall: 5s
              x-berth:
                notfy: true
              frobnicate: 1
            """) == [
            "compose.yaml:4:5: services.web.enviroment: unknown key (did you mean \"environment\"?)",
            "compose.yaml:7:7: services.web.healthcheck.intervall: unknown key (did you mean \"interval\"?)",
            "compose.yaml:9:7: services.web.x-berth.notfy: unknown key (did you mean \"notify\"?)",
            "compose.yaml:10:5: services.web.frobnicate: unknown key (extension keys must start with \"x-\")",
        ])
    }

    @Test func unknownTopLevelKeyIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", "nmae: demo\n" + compose("web:\n  command: [/bin/web]"))
        #expect(scratch.errors() == ["compose.yaml:1:1: nmae: unknown key (did you mean \"name\"?)"])
    }
}
