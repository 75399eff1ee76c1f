import Foundation
import Testing
@testable import StackFile

@Suite("extends")
struct ExtendsTests {
    @Test func extendsAServiceOfTheSameFile() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            base:
              command: [/bin/app, --serve]
              user: app
              environment: {MODE: base, SHARED: base}
              cap_add: [NET_BIND_SERVICE]
              mem_limit: 256m
              profiles: [templates]
            web:
              extends: base
              environment: {SHARED: web}
              cap_add: [NET_RAW]
              profiles: !reset []
            api:
              extends: {service: base}
              command: [/bin/api]
              user: api
              profiles: !reset []
            """))
        let stack = try scratch.loaded().stack
        #expect(stack.services.map(\.name) == ["api", "web"])
        let web = try #require(stack["web"])
        #expect(web.command == ["/bin/app", "--serve"])
        #expect(web.user == "app")
        #expect(web.environment == ["MODE": "base", "SHARED": "web"])
        #expect(web.security.capAdd == ["NET_BIND_SERVICE", "NET_RAW"])
        #expect(web.resources.memoryLimit == 268_435_456)
        let api = try #require(stack["api"])
        #expect(api.command == ["/bin/api"])
        #expect(api.user == "api")
        #expect(api.environment == ["MODE": "base", "SHARED": "base"])

        // The base service itself is unchanged.
        let base = try #require(try scratch.loaded(profiles: ["templates"]).stack["base"])
        #expect(base.environment == ["MODE": "base", "SHARED": "base"])
        #expect(base.security.capAdd == ["NET_BIND_SERVICE"])
    }

    @Test func extendsChainsResolve() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            a:
              command: [/bin/a]
              environment: {FROM_A: a, LEVEL: a}
            b:
              extends: a
              environment: {FROM_B: b, LEVEL: b}
            c:
              extends: b
              environment: {LEVEL: c}
            """))
        let c = try #require(try scratch.loaded().stack["c"])
        #expect(c.command == ["/bin/a"])
        #expect(c.environment == ["FROM_A": "a", "FROM_B": "b", "LEVEL": "c"])
    }

    @Test func theBaseServiceComesFirstInSequences() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            base:
              command: [/bin/app]
              env_file: [base.env]
            web:
              extends: base
              env_file: [web.env]
            """))
        scratch.write("base.env", "A=base\nB=base\n")
        scratch.write("web.env", "B=web\n")
        #expect(try scratch.loaded().stack["web"]?.environment == ["A": "base", "B": "web"])
    }

    @Test func extendsAServiceOfAnotherFileWithPathsRelativeToThatFile() throws {
        let scratch = Scratch()
        scratch.write("app/compose.yaml", compose("""
            web:
              extends:
                file: ../common/services.yml
                service: runtime
              env_file: [web.env]
            """))
        scratch.write("app/web.env", "FROM_WEB=app-dir\n")
        scratch.write("common/services.yml", compose("""
            runtime:
              command: [/bin/runtime]
              env_file: [runtime.env]
              security_opt: [seccomp=seccomp/runtime.json]
            """))
        scratch.write("common/runtime.env", "FROM_RUNTIME=common-dir\n")
        // Decoys: the same names next to the main file must not be read for the base service.
        scratch.write("app/runtime.env", "FROM_RUNTIME=app-dir\n")
        let stack = try scratch.loaded(["app/compose.yaml"]).stack
        let web = try #require(stack["web"])
        #expect(web.command == ["/bin/runtime"])
        #expect(web.environment == ["FROM_RUNTIME": "common-dir", "FROM_WEB": "app-dir"])
        #expect(web.security.seccomp == .profile(FilePath.normalize(scratch.path + "/common/seccomp/runtime.json")))
        #expect(web.workingDirectory == FilePath.normalize(scratch.path + "/app"))
        // Services of the other file are not imported.
        #expect(stack.services.map(\.name) == ["web"])
    }

    @Test func theOtherFileIsInterpolatedWithTheProjectEnvironment() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  extends: {file: base.yml, service: base}"))
        scratch.write("base.yml", compose("base:\n  command: [/bin/base, \"${FLAG}\"]"))
        scratch.write(".env", "FLAG=--from-dotenv\n")
        #expect(try scratch.loaded().stack["web"]?.command == ["/bin/base", "--from-dotenv"])
    }

    @Test func extendingAnUndefinedServiceIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            web:
              extends: nope
              command: [/bin/web]
            api:
              extends: {file: other.yml, service: missing}
              command: [/bin/api]
            """))
        scratch.write("other.yml", compose("present:\n  command: [/bin/p]"))
        #expect(scratch.errors() == [
            "compose.yaml:3:14: services.web.extends: extends service \"nope\", which compose.yaml does not define",
            "compose.yaml:6:41: services.api.extends: extends service \"missing\", which other.yml does not define",
        ])
    }

    @Test func extendingFromAMissingFileIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("web:\n  extends: {file: gone.yml, service: base}\n  command: [/bin/web]"))
        #expect(scratch.errors() == ["compose.yaml:3:21: services.web.extends.file: gone.yml: no such file"])
    }

    @Test func extendsCyclesAreErrors() {
        let scratch = Scratch()
        scratch.write("compose.yaml", compose("""
            a:
              extends: c
              command: [/bin/a]
            b:
              extends: a
            c:
              extends: b
            """))
        let errors = scratch.errors()
        #expect(errors.count == 1)
        #expect(errors.first?.contains("extends cycle: ") == true)
        #expect(errors.first?.contains("a -> ") == true)
    }
}

@Suite("include")
struct IncludeTests {
    @Test func shortFormAddsTheIncludedProjectsServices() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "include:\n  - db/compose.yaml\n" + compose("web:\n  command: [/bin/web]\n  depends_on: [db]"))
        scratch.write("db/compose.yaml", compose("""
            db:
              command: [/bin/db, "--user=${DB_USER}"]
              env_file: db.env
              working_dir: data
            """))
        scratch.write("db/.env", "DB_USER=from-included-dotenv\n")
        scratch.write("db/db.env", "FROM=included-dir\n")
        let stack = try scratch.loaded().stack
        #expect(stack.services.map(\.name) == ["db", "web"])
        let db = try #require(stack["db"])
        #expect(db.command == ["/bin/db", "--user=from-included-dotenv"])
        #expect(db.environment == ["FROM": "included-dir"])
        #expect(db.workingDirectory == FilePath.normalize(scratch.path + "/db/data"))
        #expect(stack.projectDirectory == FilePath.normalize(scratch.path))
        #expect(stack.startOrder == ["db", "web"])
    }

    @Test func theIncludingProjectsEnvironmentWins() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "include: [db/compose.yaml]\n" + compose("web:\n  command: [/bin/web, \"$WHO\"]"))
        scratch.write(".env", "WHO=main-dotenv\n")
        scratch.write("db/compose.yaml", compose("db:\n  command: [/bin/db, \"$WHO\", \"$ONLY_INCLUDED\"]"))
        scratch.write("db/.env", "WHO=included-dotenv\nONLY_INCLUDED=included\n")
        let stack = try scratch.loaded().stack
        #expect(stack["db"]?.command == ["/bin/db", "main-dotenv", "included"])
        #expect(stack["web"]?.command == ["/bin/web", "main-dotenv"])

        let fromProcess = try scratch.loaded(environment: ["WHO": "process"]).stack
        #expect(fromProcess["db"]?.command == ["/bin/db", "process", "included"])
    }

    @Test func longFormWithSeveralPathsAProjectDirectoryAndEnvFiles() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", """
            include:
              - path: [stack/base.yml, stack/override.yml]
                project_directory: stack/root
                env_file: stack/custom.env
            """ + "\n" + compose("web:\n  command: [/bin/web]"))
        scratch.write("stack/base.yml", compose("worker:\n  command: [/bin/worker, \"$LEVEL\"]\n  user: base\n  env_file: w.env"))
        scratch.write("stack/override.yml", compose("worker:\n  user: override"))
        scratch.write("stack/custom.env", "LEVEL=custom\n")
        scratch.write("stack/.env", "LEVEL=ignored-dotenv\n")
        scratch.write("stack/root/w.env", "FROM=project-directory\n")
        let worker = try #require(try scratch.loaded().stack["worker"])
        #expect(worker.command == ["/bin/worker", "custom"])
        #expect(worker.user == "override")
        #expect(worker.environment == ["FROM": "project-directory"])
    }

    @Test func aNameConflictWarnsAndTheIncludingProjectWins() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "include:\n  - other/compose.yaml\n" + compose("web:\n  command: [/bin/main-web]"))
        scratch.write("other/compose.yaml", compose("web:\n  command: [/bin/other-web]\nextra:\n  command: [/bin/extra]"))
        let loaded = try scratch.loaded()
        #expect(loaded.stack["web"]?.command == ["/bin/main-web"])
        #expect(loaded.stack["extra"]?.command == ["/bin/extra"])
        #expect(loaded.warnings.map(\.description) == [
            "compose.yaml:2:5: include[0]: service \"web\" from other/compose.yaml is already defined; the included one is ignored",
        ])
    }

    @Test func includeCyclesAreErrors() {
        let scratch = Scratch()
        scratch.write("compose.yaml", "include: [b.yml]\n" + compose("a:\n  command: [/bin/a]"))
        scratch.write("b.yml", "include: [compose.yaml]\n" + compose("b:\n  command: [/bin/b]"))
        #expect(scratch.errors() == ["b.yml:1:11: include[0]: include cycle: compose.yaml -> b.yml -> compose.yaml"])
    }

    @Test func includesAreRecursiveWithPathsRelativeToEachIncludingFile() throws {
        let scratch = Scratch()
        scratch.write("compose.yaml", "include: [level1/compose.yaml]\n" + compose("top:\n  command: [/bin/top]"))
        scratch.write("level1/compose.yaml", "include: [level2/compose.yaml]\n" + compose("middle:\n  command: [/bin/middle]"))
        scratch.write("level1/level2/compose.yaml", compose("bottom:\n  command: [/bin/bottom, \"$DEPTH\"]"))
        scratch.write("level1/level2/.env", "DEPTH=two\n")
        let stack = try scratch.loaded().stack
        #expect(stack.services.map(\.name) == ["bottom", "middle", "top"])
        #expect(stack["bottom"]?.command == ["/bin/bottom", "two"])
    }

    @Test func includingAMissingFileIsAnError() {
        let scratch = Scratch()
        scratch.write("compose.yaml", "include: [absent/compose.yaml]\n" + compose("a:\n  command: [/bin/a]"))
        let errors = scratch.errors()
        #expect(errors.count == 1)
        #expect(errors.first?.contains("absent/compose.yaml: no such file") == true)
    }
}
