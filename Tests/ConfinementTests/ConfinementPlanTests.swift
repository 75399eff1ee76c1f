import Foundation
import Testing
import StackFile
@testable import Confinement

/// Plans for services, and the checks a stack gets as it loads, with a fixed user database and
/// a berth that holds every capability of a 41-capability kernel.
@Suite struct ConfinementPlanTests {
    private static let users = UserTable(
        passwd: "root:x:0:0::/root:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n",
        group: "root:x:0:\nweb:x:33:\nstaff:x:50:web\n")
    private static let host = CapabilityHost(lastCapability: 40, permitted: .all(through: 40), effective: .all(through: 40))

    private func planner() -> ConfinementPlanner {
        ConfinementPlanner(users: Self.users, host: Self.host, berthUID: 0)
    }

    private func service(_ configure: (inout Service) -> Void = { _ in }) -> Service {
        var service = Service(name: "web")
        service.command = ["/bin/web"]
        configure(&service)
        return service
    }

    @Test func theDefaults() throws {
        let plan = try planner().plan(for: service()).plan
        #expect(plan.identity == nil)
        #expect(plan.capabilities.effective == .dockerDefault)
        #expect(plan.capabilities.bounding == .dockerDefault)
        #expect(plan.noNewPrivileges)
        #expect(plan.dropsBoundingSet)
        #expect(plan.lastCapability == 40)
        #expect(plan.seccompSource == "builtin")
        let program = try #require(plan.seccomp)
        #expect(program == (try SeccompProfile.builtin.compile(capabilities: SeccompProfile.dockerDefaultCapabilities).program))
        #expect(plan.summary.hasPrefix("user as berth; capabilities CHOWN,DAC_OVERRIDE,"))
        #expect(plan.summary.hasSuffix("; no_new_privs; seccomp builtin (\(program.instructionCount) instructions)"))
    }

    @Test func aNonRootUserWithAnAddedCapability() throws {
        let plan = try planner().plan(for: service {
            $0.user = "web"
            $0.security.capAdd = ["NET_BIND_SERVICE"]
            $0.security.noNewPrivileges = false
            $0.security.seccomp = .unconfined
        }).plan
        #expect(plan.identity == UserIdentity(uid: 33, gid: 33, groups: [33, 50], name: "web"))
        #expect(plan.capabilities.ambient == CapabilitySet(names: ["NET_BIND_SERVICE"]))
        #expect(!plan.noNewPrivileges)
        #expect(plan.seccomp == nil)
        #expect(plan.summary == "user web (uid 33, gid 33, groups 33,50); capabilities NET_BIND_SERVICE (ambient), "
            + "bounding CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,SETGID,SETUID,SETPCAP,NET_BIND_SERVICE,NET_RAW,SYS_CHROOT,"
            + "MKNOD,AUDIT_WRITE,SETFCAP; no_new_privs off; seccomp unconfined")
    }

    @Test func eachFilterIsCompiledOnce() throws {
        let planner = planner()
        let first = try planner.plan(for: service()).plan
        let second = try planner.plan(for: service { $0.name = "worker"; $0.user = "root" }).plan
        #expect(first.seccomp == second.seccomp)
        #expect(planner.compilations == 1)
        // Other capabilities select other rules: another program.
        let admin = try planner.plan(for: service { $0.security.capAdd = ["SYS_ADMIN"] }).plan
        #expect(admin.seccomp != first.seccomp)
        #expect(planner.compilations == 2)
    }

    @Test func anUnknownUserCannotBePlanned() {
        #expect(throws: ConfinementError.user("ghost", .unknownUser("ghost"))) {
            try planner().plan(for: service { $0.user = "ghost" })
        }
        #expect(ConfinementError.user("ghost", .unknownUser("ghost")).description
            == "user \"ghost\": no user \"ghost\" on this machine (create it, or give a numeric uid)")
    }

    @Test func anUnprivilegedBerthCannotSwitchUsers() throws {
        let unprivileged = ConfinementPlanner(users: Self.users, host: CapabilityHost(
            lastCapability: 40, permitted: .empty, effective: .empty), berthUID: 1000)
        #expect(throws: ConfinementError.cannotSwitchUser("web")) { try unprivileged.plan(for: service { $0.user = "web" }) }
        #expect(ConfinementError.cannotSwitchUser("web").description
            == "user \"web\": berth cannot switch users without CAP_SETUID and CAP_SETGID (run it as root)")
        // Without `user` it runs as itself, with nothing to hand on and its bounding set untouched.
        let plan = try unprivileged.plan(for: service()).plan
        #expect(plan.capabilities.effective == .empty && plan.capabilities.bounding == .empty)
        #expect(!plan.dropsBoundingSet)
    }

    @Test func capabilitiesBerthLacksAreAWarning() throws {
        let limited = ConfinementPlanner(users: Self.users, host: CapabilityHost(
            lastCapability: 40, permitted: CapabilitySet(mask: 0x1fffeffffff), effective: CapabilitySet(mask: 0x1fffeffffff)),
            berthUID: 0)
        let planned = try limited.plan(for: service { $0.security.capAdd = ["SYS_RESOURCE"] })
        #expect(planned.warnings == ["cap_add: berth does not hold SYS_RESOURCE, so the service runs without it"])
        #expect(!planned.plan.capabilities.effective.contains(24))
    }

    // MARK: - Loading with the planner's checks

    /// Loads `services` (a compose `services:` body) from a scratch directory holding `files`.
    private func load(_ services: String, files: [String: String] = [:],
                      checksUsers: Bool = true) -> Result<LoadedStack, StackError> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-plan-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try? FileManager.default.createDirectory(atPath: directory + "/profiles", withIntermediateDirectories: true)
        let body = services.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        FileManager.default.createFile(atPath: directory + "/compose.yaml", contents: Data(("services:\n" + body + "\n").utf8))
        for (name, text) in files { FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(text.utf8)) }
        let planner = ConfinementPlanner(users: Self.users, checksUsers: checksUsers, host: Self.host, berthUID: 0)
        return Result { () throws(StackError) in
            try StackLoader.load(LoadOptions(workingDirectory: directory, machineChecks: planner))
        }
    }

    private func errors(_ result: Result<LoadedStack, StackError>) -> [String] {
        if case let .failure(error) = result { return error.errors.map(\.description) }
        return []
    }

    @Test func anUnknownUserStopsTheLoadAtItsKey() {
        let stack = "web:\n  command: [/bin/web]\n  user: ghost"
        #expect(errors(load(stack)) == [
            "compose.yaml:4:11: services.web.user: no user \"ghost\" on this machine (create it, or give a numeric uid)",
        ])
        #expect(errors(load("web:\n  command: [/bin/web]\n  user: web:ghosts")) == [
            "compose.yaml:4:11: services.web.user: no group \"ghosts\" on this machine (create it, or give a numeric gid)",
        ])
        // `config` and `budget` leave users to the machine that runs the stack.
        #expect(errors(load(stack, checksUsers: false)) == [])
    }

    @Test func aMalformedProfileStopsTheLoadWithItsJSONPath() {
        let bad = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_MAYBE"}]}"#
        let result = load("web:\n  command: [/bin/web]\n  security_opt: [seccomp=profiles/bad.json]",
                          files: ["profiles/bad.json": bad])
        let message = errors(result).first ?? ""
        #expect(message.hasPrefix("compose.yaml:4:20: services.web.security_opt[0]: profiles/bad.json: syscalls[0].action: "
            + "\"SCMP_ACT_MAYBE\" is not a seccomp action"))
        let missing = errors(load("web:\n  command: [/bin/web]\n  security_opt: [seccomp=profiles/none.json]"))
        #expect(missing == ["compose.yaml:4:20: services.web.security_opt[0]: profiles/none.json: cannot read: No such file or directory"])
    }

    @Test func unknownSystemCallsWarnUnlessStrict() throws {
        let profile = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "frobnicate"], "action": "SCMP_ACT_ERRNO"}]}"#
        let loaded = try load("web:\n  command: [/bin/web]\n  security_opt: [seccomp=profiles/p.json]",
                              files: ["profiles/p.json": profile]).get()
        #expect(loaded.warnings.map(\.description) == [
            "compose.yaml:4:20: services.web.security_opt[0]: profiles/p.json: syscalls[0]: unknown system call ignored: "
                + "frobnicate (libseccomp \(SeccompProfile.libseccompVersion) does not know it)",
        ])
        let strict = load("web:\n  command: [/bin/web]\n  security_opt: [seccomp=profiles/p.json]\n  x-berth: {seccomp_strict: true}",
                          files: ["profiles/p.json": profile])
        #expect(errors(strict) == [
            "compose.yaml:4:20: services.web.security_opt[0]: profiles/p.json: syscalls[0].names[1]: \"frobnicate\" is not "
                + "a system call libseccomp \(SeccompProfile.libseccompVersion) knows",
        ])
    }

    @Test func dockerDefaultLoadsUnchanged() throws {
        let text = try String(contentsOfFile: seccompFixtures + "/docker-default.json", encoding: .utf8)
        let loaded = try load("web:\n  command: [/bin/web]\n  security_opt: [seccomp=profiles/docker.json]",
                              files: ["profiles/docker.json": text]).get()
        // Only the names libseccomp 2.5.4 does not know are reported.
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings.first?.description.contains("unknown system calls ignored") == true)
    }
}
