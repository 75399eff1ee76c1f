import Foundation
import Glibc
import StateStore
import Testing

// `berth up` confining its services: seccomp profiles, capabilities, no_new_privs and users,
// seen from inside by examples/probe, which attempts system calls and privileged actions and
// prints what happened as JSON (one line in the service's log).

/// `../shared/fixtures/seccomp`, read in place.
private let seccompFixtures = URL(fileURLWithPath: projectRoot).deletingLastPathComponent()
    .appendingPathComponent("shared/fixtures/seccomp").path

/// What the probe reported: per action, `ok` or the errno's name; `status` and `ids` objects.
struct ProbeReport: CustomStringConvertible {
    let results: [String: Any]
    let line: String

    /// The report in `service`'s log, once it is there.
    init?(log: String) {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("{\"probe\":") }),
              let start = line.firstIndex(of: "{"),
              let object = try? JSONSerialization.jsonObject(with: Data(line[start...].utf8)) as? [String: Any],
              let probe = object["probe"] as? [String: Any], let results = probe["results"] as? [String: Any]
        else { return nil }
        self.results = results
        self.line = String(line)
    }

    /// `ok`, or the errno's name (`EPERM`).
    subscript(action: String) -> String? {
        guard let result = results[action] as? [String: Any] else { return nil }
        return result["ok"] as? Bool == true ? "ok" : result["errno"] as? String
    }

    /// A line of /proc/self/status (`CapEff`, `NoNewPrivs`), from the `status` action.
    func status(_ key: String) -> String? { (results["status"] as? [String: Any])?[key] as? String }

    /// A field of the `ids` action (`uid`, `euid`).
    func id(_ key: String) -> Int? { (results["ids"] as? [String: Any])?[key] as? Int }

    var description: String { line }
}

@Suite("berth up: confinement", .enabled(if: geteuid() == 0))
struct ConfinementTests {
    /// Waits for the probe's report in `service`'s log.
    private func report(_ run: StackRun, _ service: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProbeReport {
        var found: ProbeReport?
        try run.waitUntil("the probe's report in \(service)'s log", sourceLocation: sourceLocation) {
            found = ProbeReport(log: run.log(service))
            return found != nil
        }
        return found!
    }

    private func writeProfile(_ run: StackRun, _ name: String, _ json: String) throws -> String {
        let path = run.directory + "/" + name
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    enum DefaultProfile: String, CaseIterable, CustomTestStringConvertible {
        case builtin
        case docker
        var testDescription: String { rawValue }
        var securityOption: String {
            self == .builtin ? "" : "\n    security_opt: [\"seccomp=\(seccompFixtures)/docker-default.json\"]"
        }
    }

    /// Under berth's built-in profile (no `security_opt`) and under Docker's default profile,
    /// unchanged: namespaces and mounts are denied, clone3 is answered ENOSYS so libc falls
    /// back, ordinary calls work.
    @Test(arguments: DefaultProfile.allCases)
    func defaultProfilesDenyNamespacesAndMounts(_ profile: DefaultProfile) throws {
        let run = try StackRun("""
            services:
              probe:
                command: \(argv(example("probe"), "unshare", "mount", "clone3", "keyctl", "mkdir", "getpid"))\(profile.securityOption)
            """, name: "defaults-\(profile.rawValue)")
        let probe = try report(run, "probe")
        #expect(probe["unshare"] == "EPERM", "\(probe)")
        #expect(probe["mount"] == "EPERM", "\(probe)")
        #expect(probe["clone3"] == "ENOSYS", "\(probe)")
        #expect(probe["keyctl"] == "EPERM", "\(probe)")
        #expect(probe["mkdir"] == "ok", "\(probe)")
        #expect(probe["getpid"] == "ok", "\(probe)")
        #expect(try run.waitForExit() == 0)
        if profile == .docker {
            // Names libseccomp 2.5.4 does not know are skipped with a warning at the profile's key.
            #expect(run.stderr.contains("warning: stack.yml:4:20: services.probe.security_opt[0]: \(seccompFixtures)/docker-default.json: "
                + "syscalls[0]: unknown system calls ignored:"), "\(run.berth.tail())")
        }
    }

    /// `seccomp=unconfined` installs no filter: with CAP_SYS_ADMIN every call the probe makes
    /// goes through, where the built-in profile with the same capability still refuses keyctl.
    @Test func unconfinedAllowsEverything() throws {
        let run = try StackRun("""
            services:
              free:
                command: \(argv(example("probe"), "unshare", "mount", "clone3", "keyctl", "mkdir", "status"))
                security_opt: [seccomp=unconfined]
                cap_add: [SYS_ADMIN]
              filtered:
                command: \(argv(example("probe"), "unshare", "mount", "clone3", "keyctl", "mkdir", "status"))
                cap_add: [SYS_ADMIN]
            """, name: "unconfined")
        let free = try report(run, "free")
        for action in ["unshare", "mount", "clone3", "keyctl", "mkdir"] {
            #expect(free[action] == "ok", "\(action): \(free)")
        }
        #expect(free.status("Seccomp") == "0", "\(free)")
        let filtered = try report(run, "filtered")
        #expect(filtered["unshare"] == "ok" && filtered["mount"] == "ok" && filtered["clone3"] == "ok", "\(filtered)")
        #expect(filtered["keyctl"] == "EPERM", "\(filtered)")
        #expect(filtered.status("Seccomp") == "2", "\(filtered)")
        #expect(try run.waitForExit() == 0)
    }

    /// runc's test: a profile that denies mkdir and mkdirat makes mkdir fail with EPERM; with
    /// `errnoRet: 100` the error is ENETDOWN ("Network is down").
    @Test func profileErrnoActions() throws {
        let run = try StackRun("services: {}\n", name: "errno", start: false)
        let deny = try writeProfile(run, "deny-mkdir.json", """
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
            """)
        let netdown = try writeProfile(run, "netdown.json", """
            {"defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 100}]}
            """)
        try """
            services:
              deny:
                command: \(argv(example("probe"), "mkdir", "getpid", "unshare"))
                security_opt: ["seccomp=\(deny)"]
              netdown:
                command: \(argv(example("probe"), "mkdir", "getpid"))
                security_opt: ["seccomp=\(netdown)"]
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        try run.launch()
        let denied = try report(run, "deny")
        #expect(denied["mkdir"] == "EPERM", "\(denied)")
        #expect(denied["getpid"] == "ok", "\(denied)")
        // Only mkdir is denied: unshare reaches the kernel, which refuses it for want of CAP_SYS_ADMIN.
        #expect(denied["unshare"] == "EPERM", "\(denied)")
        let down = try report(run, "netdown")
        #expect(down["mkdir"] == "ENETDOWN", "\(down)")
        #expect(try run.waitForExit() == 0)
    }

    /// SCMP_ACT_KILL_PROCESS: the service dies of SIGSYS at the denied call (before printing),
    /// and berth records the run as killed by SIGSYS.
    @Test func killProcessEndsTheServiceWithSIGSYS() throws {
        let run = try StackRun("services: {}\n", name: "killproc", start: false)
        let kill = try writeProfile(run, "kill-mkdir.json", """
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}
            """)
        try """
            services:
              victim:
                command: \(argv(example("probe"), "getpid", "mkdir"))
                security_opt: ["seccomp=\(kill)"]
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        try run.launch()
        #expect(try run.waitForExit() == 1, "\(run.berth.tail())")
        let runs = try run.runs("victim")
        #expect(runs.count == 1, "\(describe(runs))")
        #expect(runs.first?.endKind == "killed", "\(describe(runs))")
        #expect(runs.first?.signal == SIGSYS, "\(describe(runs))")
        #expect(runs.first?.detail == "killed by SIGSYS", "\(describe(runs))")
        #expect(run.output.contains("victim killed by SIGSYS"), "\(run.berth.tail())")
        #expect(ProbeReport(log: run.log("victim")) == nil, "the probe got past mkdir:\n\(run.log("victim"))")
    }

    /// CapEff, CapPrm, CapBnd, CapInh, CapAmb and NoNewPrivs as the spec says: root with Docker's
    /// 14, root with none, a non-root user with one added capability (ambient), and no_new_privs
    /// turned off.
    @Test func capabilitySetsAndNoNewPrivsMatchTheSpec() throws {
        let run = try StackRun("""
            services:
              root:
                command: \(argv(example("probe"), "ids", "status", "chown"))
              dropped:
                command: \(argv(example("probe"), "ids", "status", "chown"))
                cap_drop: [ALL]
              web:
                command: \(argv(example("probe"), "ids", "status"))
                user: nobody
                cap_add: [NET_BIND_SERVICE]
              privileged:
                command: \(argv(example("probe"), "status"))
                security_opt: [no-new-privileges=false]
            """, name: "capsets")
        let root = try report(run, "root")
        #expect(root.id("euid") == 0, "\(root)")
        for key in ["CapEff", "CapPrm", "CapBnd"] { #expect(root.status(key) == "00000000a80425fb", "\(key): \(root)") }
        for key in ["CapInh", "CapAmb"] { #expect(root.status(key) == "0000000000000000", "\(key): \(root)") }
        #expect(root.status("NoNewPrivs") == "1", "\(root)")
        #expect(root["chown"] == "ok", "root has CAP_CHOWN: \(root)")

        let dropped = try report(run, "dropped")
        for key in ["CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"] {
            #expect(dropped.status(key) == "0000000000000000", "\(key): \(dropped)")
        }
        #expect(dropped["chown"] == "EPERM", "root without CAP_CHOWN: \(dropped)")

        let web = try report(run, "web")
        #expect(web.id("uid") == 65534 && web.id("euid") == 65534, "\(web)")
        for key in ["CapEff", "CapPrm", "CapInh", "CapAmb"] { #expect(web.status(key) == "0000000000000400", "\(key): \(web)") }
        #expect(web.status("CapBnd") == "00000000a80425fb", "\(web)")
        #expect(web.status("NoNewPrivs") == "1", "\(web)")

        let privileged = try report(run, "privileged")
        #expect(privileged.status("NoNewPrivs") == "0", "\(privileged)")
        #expect(privileged.status("Seccomp") == "2", "\(privileged)")
        #expect(try run.waitForExit() == 0)
        // The history says how each service was confined.
        let confinement = try run.events(service: "web", kind: "confinement").map(\.detail)
        #expect(confinement.count == 1)
        #expect(confinement.first??.hasPrefix("user nobody (uid 65534, gid 65534, groups 65534); capabilities NET_BIND_SERVICE "
            + "(ambient), bounding CHOWN,DAC_OVERRIDE,") == true, "\(confinement)")
        #expect(confinement.first??.contains("; no_new_privs; seccomp builtin (") == true, "\(confinement)")
    }

    /// A setuid-root copy of the probe run as `nobody`: under no_new_privs (the default) it
    /// stays nobody with no capabilities; with `no-new-privileges=false` the same file makes
    /// it root with the bounding set, as setuid does.
    @Test func aSetuidRootBinaryGainsNothingUnderNoNewPrivs() throws {
        let run = try StackRun("services: {}\n", name: "setuid", start: false)
        let copy = run.directory + "/setuid-probe"
        try FileManager.default.copyItem(atPath: example("probe"), toPath: copy)
        try #require(chown(copy, 0, 0) == 0)
        try #require(chmod(copy, 0o4755) == 0)
        try """
            services:
              guarded:
                command: \(argv(copy, "ids", "status", "setuid0"))
                user: nobody
              unguarded:
                command: \(argv(copy, "ids", "status"))
                user: nobody
                security_opt: [no-new-privileges=false]
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        try run.launch()
        let guarded = try report(run, "guarded")
        #expect(guarded.id("uid") == 65534 && guarded.id("euid") == 65534, "\(guarded)")
        #expect(guarded.status("CapEff") == "0000000000000000", "\(guarded)")
        #expect(guarded["setuid0"] == "EPERM", "\(guarded)")
        let unguarded = try report(run, "unguarded")
        #expect(unguarded.id("uid") == 65534, "\(unguarded)")
        #expect(unguarded.id("euid") == 0, "the setuid bit works without no_new_privs: \(unguarded)")
        #expect(unguarded.status("CapEff") == "00000000a80425fb", "\(unguarded)")
        #expect(try run.waitForExit() == 0)
    }

    /// `user: nobody` with `cap_add: [NET_BIND_SERVICE]` binds port 80 (the capability is
    /// ambient, so it survives the exec of a non-root program); without it, EACCES.
    @Test func aNonRootServiceWithNetBindServiceBindsPort80() throws {
        let start = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8)
        try #require(Int(start.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 80,
                     "port 80 must be privileged on this host for the test to mean anything")
        let run = try StackRun("""
            services:
              web:
                command: \(argv(example("probe"), "--serve", "bind", "ids"))
                user: nobody
                cap_add: [NET_BIND_SERVICE]
              plain:
                command: \(argv(example("probe"), "bind", "ids"))
                user: nobody
            """, name: "port80")
        let web = try report(run, "web")
        #expect(web["bind"] == "ok", "\(web)")
        #expect(web.id("euid") == 65534, "\(web)")
        // It really listens there, as nobody.
        #expect(connects(toPort: 80), "nothing accepts on 127.0.0.1:80")
        let plain = try report(run, "plain")
        #expect(plain["bind"] == "EACCES", "\(plain)")
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    /// An exec health check runs with the service's user, capabilities and no_new_privs.
    @Test func healthChecksRunConfinedLikeTheirService() throws {
        let run = try StackRun("""
            services:
              web:
                command: \(argv("/bin/sleep", "1000"))
                user: nobody
                healthcheck:
                  test: ["CMD-SHELL", "test \\"$$(id -u)\\" = 65534 && grep -q '^NoNewPrivs:.*1' /proc/self/status && grep -q '^CapEff:.*0000000000000000' /proc/self/status"]
                  interval: 1s
                  start_interval: 100ms
                  start_period: 10s
            """, name: "healthconf")
        try run.waitUntil("web healthy") { try run.events(service: "web", kind: "health").contains { $0.detail == "healthy" } }
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
    }

    // MARK: - Rejected before anything starts

    /// Runs `berth up` on a stack that must not load; returns its stderr.
    private func rejected(_ run: StackRun, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try run.launch()
        #expect(try run.waitForExit(sourceLocation: sourceLocation) == 2, "\(run.berth.tail())", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: run.cgroupRoot), "something was set up", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: run.stateDirectory + "/berth.db"), "something was recorded",
                sourceLocation: sourceLocation)
        return run.stderr
    }

    @Test func aMalformedProfileIsRejectedWithItsFileAndJSONPath() throws {
        let run = try StackRun("services: {}\n", name: "badprofile", start: false)
        try FileManager.default.createDirectory(atPath: run.directory + "/profiles", withIntermediateDirectories: true)
        try """
            {"defaultAction": "SCMP_ACT_ERRNO",
             "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                          {"names": ["mkdir"], "action": "SCMP_ACT_MAYBE"}]}
            """.write(toFile: run.directory + "/profiles/bad.json", atomically: true, encoding: .utf8)
        try """
            services:
              web:
                command: \(argv(example("probe"), "getpid"))
                security_opt: [seccomp=profiles/bad.json]
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        let stderr = try rejected(run)
        #expect(stderr.contains("error: stack.yml:4:20: services.web.security_opt[0]: profiles/bad.json: syscalls[1].action: "
            + "\"SCMP_ACT_MAYBE\" is not a seccomp action"), "\(stderr)")
    }

    @Test func invalidJSONIsRejectedWithItsLine() throws {
        let run = try StackRun("services: {}\n", name: "badjson", start: false)
        try "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [\n}\n"
            .write(toFile: run.directory + "/broken.json", atomically: true, encoding: .utf8)
        try """
            services:
              web:
                command: \(argv(example("probe"), "getpid"))
                security_opt: [seccomp=broken.json]
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        let stderr = try rejected(run)
        #expect(stderr.contains("error: stack.yml:4:20: services.web.security_opt[0]: broken.json: invalid JSON at line 4:"), "\(stderr)")
    }

    @Test func strictModeRejectsUnknownSystemCalls() throws {
        let run = try StackRun("services: {}\n", name: "strict", start: false)
        try """
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "frobnicate"], "action": "SCMP_ACT_ERRNO"}]}
            """.write(toFile: run.directory + "/p.json", atomically: true, encoding: .utf8)
        try """
            services:
              web:
                command: \(argv(example("probe"), "getpid"))
                security_opt: [seccomp=p.json]
                x-berth:
                  seccomp_strict: true
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        let stderr = try rejected(run)
        #expect(stderr.contains("error: stack.yml:4:20: services.web.security_opt[0]: p.json: syscalls[0].names[1]: "
            + "\"frobnicate\" is not a system call libseccomp"), "\(stderr)")
    }

    @Test func anUnknownCapabilityIsRejected() throws {
        let run = try StackRun("""
            services:
              web:
                command: \(argv(example("probe"), "getpid"))
                cap_add: [NET_BIND_SERVICE, CAP_FLY]
            """, name: "badcap", start: false)
        let stderr = try rejected(run)
        #expect(stderr.contains("error: stack.yml:4:33: services.web.cap_add[1]: \"CAP_FLY\" is not a Linux capability "
            + "(examples: NET_BIND_SERVICE, CAP_SYS_PTRACE, ALL)"), "\(stderr)")
    }

    @Test func anUnknownUserIsRejectedAtLoad() throws {
        let run = try StackRun("""
            services:
              web:
                command: \(argv(example("probe"), "getpid"))
                user: berth-no-such-user
              worker:
                command: \(argv(example("probe"), "getpid"))
                user: "nobody:berth-no-such-group"
            """, name: "baduser", start: false)
        let stderr = try rejected(run)
        #expect(stderr.contains("error: stack.yml:4:11: services.web.user: no user \"berth-no-such-user\" on this machine "
            + "(create it, or give a numeric uid)"), "\(stderr)")
        #expect(stderr.contains("error: stack.yml:7:11: services.worker.user: no group \"berth-no-such-group\" on this machine "
            + "(create it, or give a numeric gid)"), "\(stderr)")
    }
}

/// Whether something accepts a TCP connection on 127.0.0.1:`port`.
private func connects(toPort port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
