import Foundation
import Testing
@testable import StackFile

/// What `berth config` prints, in either of its formats.
enum PrintFormat: String, CaseIterable, Sendable {
    case yaml
    case json

    func print(_ stack: Stack) -> String {
        let value = StackEncoder.encode(stack)
        switch self {
        case .yaml: return Emitter.yaml(value, escapingDollars: true)
        case .json: return Emitter.json(value, escapingDollars: true)
        }
    }
}

/// Prints `stack`, writes the text next to the stack's files and loads it again, as a user
/// running `berth config > printed.yml && berth -f printed.yml ...` would.
func reprinted(_ stack: Stack, in scratch: Scratch, as format: PrintFormat, profiles: [String] = [],
               sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> (text: String, stack: Stack) {
    let text = format.print(stack)
    let file = "printed.\(format.rawValue)"
    scratch.write(file, text)
    do {
        return (text, try scratch.load([file], profiles: profiles).stack)
    } catch {
        Issue.record("the printed stack did not load:\n\(error)\n--- printed:\n\(text)", sourceLocation: sourceLocation)
        throw error
    }
}

/// Checks that `stack` survives printing and loading, service by service for readable failures.
func expectRoundTrip(_ stack: Stack, in scratch: Scratch, as format: PrintFormat, profiles: [String] = [],
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let (text, again) = try reprinted(stack, in: scratch, as: format, profiles: profiles, sourceLocation: sourceLocation)
    #expect(again.services.map(\.name) == stack.services.map(\.name), sourceLocation: sourceLocation)
    for service in stack.services {
        #expect(again[service.name] == service, "printed:\n\(text)", sourceLocation: sourceLocation)
    }
    #expect(again.name == stack.name, sourceLocation: sourceLocation)
    #expect(again.projectDirectory == stack.projectDirectory, sourceLocation: sourceLocation)
    #expect(again.hostProfile == stack.hostProfile, sourceLocation: sourceLocation)
    #expect(again.extensions == stack.extensions, sourceLocation: sourceLocation)
    #expect(again == stack, sourceLocation: sourceLocation)
}

// MARK: - Stacks to print

/// Values that YAML or interpolation could take for something else.
private let trickyValues = #"""
    name: tricky-values
    x-meta:
      price: "5$$"
      template: "$${NOT_A_VAR}"
      version: "1.0"
      mode: "0755"
      answer: "no"
      items: [a, "no", 3, 2.5, true, null, "", "1e3"]
      nested: {deep: {deeper: "on"}}
    services:
      web:
        entrypoint: [/usr/bin/env, "--"]
        command:
          - /bin/web
          - --price=5$$
          - "$${NOT_A_VAR}"
          - $$HOME
          - "no"
          - "1.0"
          - "0755"
          - ""
          - " spaced "
          - "multi\nline"
          - "#hash"
          - "a: b"
          - "- dash"
          - "yes"
          - "on"
          - "~"
          - "null"
          - "true"
          - "1e3"
          - "0x1F"
          - "0o17"
          - "1:30"
          - "1_000"
          - "2024-01-31"
          - ".5"
          - "+1"
          - "'single'"
          - "\"double\""
          - "tab\there"
          - "back\\slash"
          - "unicode ✓ é 🚢"
          - "*star"
          - "&amp"
          - "!bang"
          - "%pct"
          - "@at"
          - "`tick`"
          - "{brace}"
          - "[bracket]"
          - ">gt"
          - "|pipe"
          - "?q"
          - ",comma"
          - "trailing space "
          - "=equals"
          - "a=b"
        user: "1000"
        environment:
          DOLLAR: "cost $$5 and $${HOME}"
          TRAILING_DOLLAR: "5$$"
          NO: "no"
          VERSION: "1.0"
          MODE: "0755"
          EMPTY: ""
          BOOL: "true"
          NUM: 42
          NULLISH: "null"
          TILDE: "~"
          FROM_DOTENV: ${PRICE}
          NEWLINE: "a\nb"
        env_file: [app.env]
        labels:
          com.example.no: "no"
          com.example.dollar: "$$y"
          com.example.version: "1.0"
        x-notes: {cost: "$$5", when: "2024-01-31", count: 7}
    """#

private let trickyFiles = [
    ".env": "PRICE='5$'\n",
    "app.env": "SECRET='pa$word'\nRAW_NO=no\nZERO=0755\nQUOTED=\"x ${PRICE} y\"\n",
]

/// Every field berth honours, set to something other than its default.
private let everyField = #"""
    name: every-field
    x-berth:
      host: hosts/vps-1g.yml
    x-top: {owner: ops}
    services:
      template:
        command: /bin/app --mode=template
        environment: {FROM_TEMPLATE: "1"}
        cap_add: [NET_BIND_SERVICE]
        profiles: [never]
      web:
        extends: template
        profiles: !reset []
        entrypoint: /usr/bin/nice -n 5
        command: [/bin/web, --port, "8080"]
        working_dir: srv/web
        user: www-data:www-data
        environment: [WEB=1]
        restart: on-failure:3
        deploy:
          restart_policy: {condition: on-failure, max_attempts: 3, delay: 2s, window: 1m30s}
          resources:
            limits: {cpus: "1.5", memory: 1g, pids: 256}
            reservations: {cpus: 0.25, memory: 256m}
        memswap_limit: 2g
        cpu_shares: 512
        healthcheck:
          test: curl -fsS http://localhost:8080/health
          interval: 10s
          timeout: 2s
          start_period: 30s
          start_interval: 1s
          retries: 5
        depends_on:
          db: {condition: service_healthy, restart: true}
          migrate: {condition: service_completed_successfully}
          cache: {condition: service_started, required: false}
        security_opt: [no-new-privileges=false, seccomp=profiles/web.json]
        cap_drop: [ALL]
        stop_signal: SIGRTMIN+3
        stop_grace_period: 1m30s
        ulimits:
          nofile: {soft: 20000, hard: 40000}
          nproc: 512
          core: -1
        oom_score_adj: -200
        init: true
        labels: [com.example.tier=front]
        x-berth:
          logs: {max_size: 5m, max_files: 7}
          restart_on_unhealthy: false
          notify: true
          memory_high: 768m
        x-team: {owner: web, weight: 0.75}
      db:
        command: [/usr/bin/postgres]
        restart: unless-stopped
        mem_limit: 512m
        memswap_limit: -1
        security_opt: [seccomp=unconfined]
        stop_signal: 2
        stop_grace_period: 250ms
        x-berth:
          probe:
            tcp: "[::1]:5432"
            interval: 3s
            retries: 10
      migrate:
        command: [/bin/migrate]
        restart: "no"
        healthcheck:
          test: [CMD, /bin/migrate, --check]
        x-berth:
          memory_high: 64m
      cache:
        command: [/bin/cache]
        profiles: [extras]
        deploy:
          restart_policy: {condition: any, max_attempts: 2}
        x-berth:
          probe:
            http: http://127.0.0.1:6379/ping?x=1
            timeout: 500ms
            start_period: 0s
      worker:
        command: [/bin/worker]
        profiles: [extras]
        healthcheck:
          test: [CMD-SHELL, "test -f /tmp/ready"]
        deploy:
          restart_policy: {condition: none, delay: 1s}
      reaper:
        entrypoint: [/bin/reaper]
        command: []
        deploy:
          restart_policy: {window: 10s}
    """#

@Suite("Round trip through berth config")
struct RoundTripTests {
    @Test(arguments: PrintFormat.allCases)
    func trickyValuesSurvive(format: PrintFormat) throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", trickyValues)
        for (file, text) in trickyFiles { scratch.write(file, text) }
        let stack = try scratch.loaded().stack
        // The stack really holds what the round trip has to preserve.
        let web = try #require(stack["web"])
        #expect(web.command?[1] == "--price=5$")
        #expect(web.command?[2] == "${NOT_A_VAR}")
        #expect(web.environment["FROM_DOTENV"] == "5$")
        #expect(web.environment["SECRET"] == "pa$word")
        #expect(web.environment["QUOTED"] == "x 5$ y")
        #expect(web.environment["NO"] == "no")
        #expect(stack.extensions["x-meta"] != nil)
        try expectRoundTrip(stack, in: scratch, as: format)
    }

    @Test(arguments: PrintFormat.allCases)
    func everyFieldSurvives(format: PrintFormat) throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", everyField)
        let stack = try scratch.loaded(profiles: ["extras"]).stack
        #expect(stack.services.map(\.name) == ["cache", "db", "migrate", "reaper", "web", "worker"])
        let web = try #require(stack["web"])
        #expect(web.restart == RestartPolicy(mode: .onFailure, maxAttempts: 3, delay: .seconds(2), window: .seconds(90)))
        #expect(web.environment == ["FROM_TEMPLATE": "1", "WEB": "1"])
        #expect(web.security.capAdd == ["NET_BIND_SERVICE"])
        try expectRoundTrip(stack, in: scratch, as: format, profiles: ["extras"])
    }

    @Test(arguments: PrintFormat.allCases)
    func extendsFromAnotherFileSurvives(format: PrintFormat) throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              extends: {file: shared/base.yml, service: base}
              environment: {OWN: "$$own"}
            """))
        scratch.write("shared/base.yml", compose("""
            base:
              command: [/bin/base]
              env_file: [base.env]
              security_opt: [seccomp=base.json]
              ulimits: {nofile: 1024}
            """))
        scratch.write("shared/base.env", "BASE='$base'\n")
        let stack = try scratch.loaded().stack
        #expect(stack["web"]?.environment == ["BASE": "$base", "OWN": "$own"])
        try expectRoundTrip(stack, in: scratch, as: format)
    }

    @Test func thePrintedYamlEscapesDollars() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web, \"$${HOME}\", \"5$$\"]"))
        let stack = try scratch.loaded().stack
        let text = PrintFormat.yaml.print(stack)
        #expect(text.contains("$${HOME}"))
        #expect(text.contains("5$$"))
        let json = PrintFormat.json.print(stack)
        #expect(json.contains("\"$${HOME}\""))
        #expect(json.contains("\"5$$\""))
    }

    @Test func printingIsStable() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", everyField)
        let stack = try scratch.loaded(profiles: ["extras"]).stack
        for format in PrintFormat.allCases {
            let (text, again) = try reprinted(stack, in: scratch, as: format, profiles: ["extras"])
            #expect(format.print(again) == text)
        }
    }
}
