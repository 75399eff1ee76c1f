import Foundation
import Testing
@testable import StackFile

/// A stack with services in profiles:
/// - `web` (no profile) depends on `db` (no profile);
/// - `debugger` (debug) depends on `web`;
/// - `admin` (tools, debug) depends on `db`;
/// - `seed` (tools) depends on `migrate` (tools), which depends on `db`.
private let profiled = compose("""
    web:
      command: [/bin/web]
      depends_on: [db]
    db:
      command: [/bin/db]
    debugger:
      command: [/bin/debugger]
      profiles: [debug]
      depends_on: [web]
    admin:
      command: [/bin/admin]
      profiles: [tools, debug]
      depends_on: [db]
    migrate:
      command: [/bin/migrate]
      profiles: [tools]
      depends_on: [db]
    seed:
      command: [/bin/seed]
      profiles: [tools]
      depends_on: [migrate]
    """)

private func names(profiles: [String] = [], services: [String] = [], environment: [String: String] = [:],
                   sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String] {
    let scratch = Scratch()
    scratch.write("compose.yaml", profiled)
    return try scratch.loaded(profiles: profiles, services: services, environment: environment,
                              sourceLocation: sourceLocation).stack.services.map(\.name)
}

@Suite("Profiles and service selection")
struct ProfileTests {
    @Test func servicesWithoutProfilesAreAlwaysEnabled() throws {
        #expect(try names() == ["db", "web"])
    }

    @Test func profileOptionEnablesItsServices() throws {
        #expect(try names(profiles: ["debug"]) == ["admin", "db", "debugger", "web"])
        #expect(try names(profiles: ["tools"]) == ["admin", "db", "migrate", "seed", "web"])
        #expect(try names(profiles: ["debug", "tools"]) == ["admin", "db", "debugger", "migrate", "seed", "web"])
    }

    @Test func composeProfilesEnablesProfilesToo() throws {
        #expect(try names(environment: ["COMPOSE_PROFILES": "debug"]) == ["admin", "db", "debugger", "web"])
        #expect(try names(environment: ["COMPOSE_PROFILES": "debug, tools"])
            == ["admin", "db", "debugger", "migrate", "seed", "web"])
        #expect(try names(profiles: ["debug"], environment: ["COMPOSE_PROFILES": "tools"])
            == ["admin", "db", "debugger", "migrate", "seed", "web"])
    }

    @Test func starEnablesEveryProfile() throws {
        #expect(try names(profiles: ["*"]) == ["admin", "db", "debugger", "migrate", "seed", "web"])
        #expect(try names(environment: ["COMPOSE_PROFILES": "*"]) == ["admin", "db", "debugger", "migrate", "seed", "web"])
    }

    @Test func namingAServiceEnablesItAndKeepsOnlyItAndItsDependencies() throws {
        #expect(try names(services: ["seed"]) == ["db", "migrate", "seed"])
        #expect(try names(services: ["debugger"]) == ["db", "debugger", "web"])
        #expect(try names(services: ["db"]) == ["db"])
        #expect(try names(services: ["web", "admin"]) == ["admin", "db", "web"])
    }

    @Test func selectedServicesKeepTransitiveDependencies() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            a:
              command: [/bin/a]
              depends_on: [b]
            b:
              command: [/bin/b]
              depends_on: [c]
            c:
              command: [/bin/c]
            unrelated:
              command: [/bin/u]
            """))
        let stack = try scratch.loaded(services: ["a"]).stack
        #expect(stack.services.map(\.name) == ["a", "b", "c"])
        #expect(stack.startOrder == ["c", "b", "a"])
    }

    @Test func anUnknownProfileIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", profiled)
        #expect(scratch.errors(profiles: ["debgu"]) == [
            "--profile: no service uses profile \"debgu\" (profiles: debug, tools)",
        ])
        #expect(scratch.errors(environment: ["COMPOSE_PROFILES": "nope"]) == [
            "--profile: no service uses profile \"nope\" (profiles: debug, tools)",
        ])
    }

    @Test func anUnknownServiceArgumentIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", profiled)
        #expect(scratch.errors(services: ["debuger"]) == [
            "service argument: no such service: \"debuger\" (did you mean \"debugger\"?)",
        ])
        #expect(scratch.errors(services: ["zzzzzzzz"]) == ["service argument: no such service: \"zzzzzzzz\""])
    }
}

@Suite("The depends_on graph")
struct DependencyGraphTests {
    @Test func aDependencyOnAnUndefinedServiceIsAnErrorWithASuggestion() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              depends_on: [databse]
            database:
              command: [/bin/db]
            """))
        #expect(scratch.errors() == [
            "compose.yaml:4:18: services.web.depends_on: depends on undefined service \"databse\" (did you mean \"database\"?)",
        ])
    }

    @Test func aDependencyOnADisabledServiceIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              depends_on:
                debugger: {condition: service_started}
            debugger:
              command: [/bin/debugger]
              profiles: [debug, dev]
            """))
        #expect(scratch.errors() == [
            "compose.yaml:5:7: services.web.depends_on: depends on service \"debugger\", which is disabled: enable its profile with --profile debug or --profile dev",
        ])
        #expect(scratch.errors(profiles: ["dev"]) == [])
    }

    @Test func aNamedServiceWhoseDependencyIsInAnotherProfileIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            db:
              command: [/bin/db]
              profiles: [dev]
            phpmyadmin:
              command: [/bin/phpmyadmin]
              profiles: [debug]
              depends_on: [db]
            """))
        #expect(scratch.errors(services: ["phpmyadmin"]) == [
            "compose.yaml:8:18: services.phpmyadmin.depends_on: depends on service \"db\", which is disabled: enable its profile with --profile dev",
        ])
        #expect(scratch.errors(profiles: ["dev"], services: ["phpmyadmin"]) == [])
    }

    @Test func optionalDependenciesThatCannotBeMetAreDroppedWithAWarning() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              depends_on:
                ghost: {condition: service_started, required: false}
                debugger: {condition: service_started, required: false}
                db: {condition: service_started, required: false}
            db:
              command: [/bin/db]
            debugger:
              command: [/bin/debugger]
              profiles: [debug]
            """))
        let loaded = try scratch.loaded()
        #expect(loaded.stack["web"]?.dependencies == [Dependency(service: "db", required: false)])
        #expect(loaded.warnings.map(\.description).sorted() == [
            "compose.yaml:5:7: services.web.depends_on: optional dependency \"ghost\" ignored: depends on undefined service \"ghost\"",
            "compose.yaml:6:7: services.web.depends_on: optional dependency \"debugger\" ignored: depends on service \"debugger\", which is disabled: enable its profile with --profile debug",
        ])

        let withProfile = try scratch.loaded(profiles: ["debug"])
        #expect(withProfile.stack["web"]?.dependencies.map(\.service) == ["db", "debugger"])
    }

    @Test func cyclesAreErrors() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            c:
              command: [/bin/c]
              depends_on: [a]
            a:
              command: [/bin/a]
              depends_on: [b]
            b:
              command: [/bin/b]
              depends_on: [c]
            """))
        #expect(scratch.errors() == ["compose.yaml:7:18: services.a.depends_on: dependency cycle: a -> b -> c -> a"])
    }

    @Test func aServiceDependingOnItselfIsACycle() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  command: [/bin/web]\n  depends_on: [web]"))
        #expect(scratch.errors() == ["compose.yaml:4:18: services.web.depends_on: dependency cycle: web -> web"])
    }

    @Test func waitingForHealthNeedsAHealthCheckProbeOrNotify() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              command: [/bin/web]
              depends_on:
                probed: {condition: service_healthy}
                notifying: {condition: service_healthy}
                checked: {condition: service_healthy}
            probed:
              command: [/bin/p]
              x-berth: {probe: {tcp: "127.0.0.1:9000"}}
            notifying:
              command: [/bin/n]
              x-berth: {notify: true}
            checked:
              command: [/bin/c]
              healthcheck: {test: [CMD, /bin/true]}
            """))
        #expect(try scratch.loaded().stack["web"]?.dependencies.count == 3)
    }

    @Test func startOrderPutsDependenciesFirstAndBreaksTiesByName() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            zeta:
              command: [/bin/z]
            web:
              command: [/bin/web]
              depends_on: [db, cache]
            cache:
              command: [/bin/cache]
              depends_on: [db]
            db:
              command: [/bin/db]
            alpha:
              command: [/bin/a]
              depends_on: [zeta]
            """))
        let stack = try scratch.loaded().stack
        #expect(stack.startOrder == ["db", "cache", "web", "zeta", "alpha"])
        #expect(stack.services.map(\.name) == ["alpha", "cache", "db", "web", "zeta"])
    }

    @Test func independentServicesStartInNameOrder() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("b:\n  command: [/bin/b]\nc:\n  command: [/bin/c]\na:\n  command: [/bin/a]"))
        #expect(try scratch.loaded().stack.startOrder == ["a", "b", "c"])
    }
}
