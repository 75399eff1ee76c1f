import Foundation
import Testing
@testable import StackFile

/// A stand-in for berth's checks against the machine (Confinement's planner): knows one user,
/// and finds fault with profiles by their file name, so that these tests see only what the
/// loader does with the answers — where it reports them, and for which services.
private struct FakeChecks: MachineChecks {
    func problem(withUser user: String, of service: Service) -> String? {
        user == "www-data" ? nil : "no user \"\(user)\" on this machine"
    }

    func findings(inSeccompProfile path: String, displayName: String,
                  of service: Service) -> (errors: [String], warnings: [String]) {
        if path.hasSuffix("bad.json") { return (["\(displayName): syscalls[0].action: not an action"], []) }
        if path.hasSuffix("old.json") { return ([], ["\(displayName): syscalls[0]: unknown system call ignored: mseal"]) }
        return ([], [])
    }
}

private func load(_ text: String, checks: (any MachineChecks)? = FakeChecks(), profiles: [String] = []) -> Result<LoadedStack, StackError> {
    let scratch = Scratch()
    scratch.write("compose.yaml", text)
    return Result { () throws(StackError) in
        try StackLoader.load(LoadOptions(workingDirectory: scratch.path, profiles: profiles, machineChecks: checks))
    }
}

@Suite("Loading: checks against the machine")
struct MachineCheckTests {
    @Test func anUnknownUserIsReportedAtItsKey() throws {
        let result = load(compose("""
            web:
              command: [/bin/web]
              user: www-data
            worker:
              command: [/bin/worker]
              user: ghost
            """))
        guard case let .failure(error) = result else { Issue.record("loaded"); return }
        #expect(error.errors.map(\.description) == [
            "compose.yaml:7:11: services.worker.user: no user \"ghost\" on this machine",
        ])
    }

    @Test func aBadProfileIsReportedAtItsSecurityOption() throws {
        let result = load(compose("""
            web:
              command: [/bin/web]
              security_opt: [no-new-privileges, "seccomp=profiles/bad.json"]
            """))
        guard case let .failure(error) = result else { Issue.record("loaded"); return }
        #expect(error.errors.map(\.description) == [
            "compose.yaml:4:39: services.web.security_opt[1]: profiles/bad.json: syscalls[0].action: not an action",
        ])
    }

    @Test func profileWarningsDoNotStopTheStack() throws {
        let loaded = try load(compose("""
            web:
              command: [/bin/web]
              security_opt: [seccomp=old.json]
            """)).get()
        #expect(loaded.warnings.map(\.description) == [
            "compose.yaml:4:20: services.web.security_opt[0]: old.json: syscalls[0]: unknown system call ignored: mseal",
        ])
    }

    @Test func servicesThatDoNotRunAreNotChecked() throws {
        let loaded = try load(compose("""
            web:
              command: [/bin/web]
            debug:
              command: [/bin/debug]
              user: ghost
              security_opt: [seccomp=bad.json]
              profiles: [debug]
            """)).get()
        #expect(loaded.stack.services.map(\.name) == ["web"])
    }

    @Test func withoutChecksNothingIsLookedUp() throws {
        let loaded = try load(compose("""
            web:
              command: [/bin/web]
              user: ghost
              security_opt: [seccomp=bad.json]
            """), checks: nil).get()
        #expect(loaded.stack["web"]?.user == "ghost")
    }
}
