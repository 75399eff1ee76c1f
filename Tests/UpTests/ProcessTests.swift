import Foundation
import Glibc
import StateStore
import Testing

/// Processes: leaves, orphans, SIGKILL escalation, exec failures, recovery after a crash of
/// berth, and the lock against a second berth.
@Suite("berth up: processes")
struct ProcessTests {
    /// 6. An orphan of a service re-parents to berth (a child subreaper), lives in the
    /// service's leaf, and is killed and reaped when the service stops — while berth still runs.
    @Test func orphansAreContainedKilledAndReaped() throws {
        let run = try StackRun("""
            services:
              forker:
                command: \(argv(example("doublefork"), "--seconds", "3600"))
                stop_grace_period: 1s
              holder:
                command: \(argv(example("ignoreterm")))
                stop_grace_period: 3s
            """, name: "orphans")
        var orphan: Int32 = 0
        try run.waitUntil("the orphan's pid in forker's log, holder ignoring SIGTERM") {
            guard run.log("holder").contains("started") else { return false }
            guard let line = run.log("forker").split(separator: "\n").first(where: { $0.contains(" out orphan ") }),
                  let pid = line.split(separator: " ").last.flatMap({ Int32($0) }) else { return false }
            orphan = pid
            return true
        }
        let berth = run.pid
        let stat = try #require(Proc.stat(orphan), "orphan \(orphan) is not running")
        #expect(stat.parent == berth, "the orphan should have been re-parented to berth (pid \(berth)), not \(stat.parent)")
        let cgroup = try #require(Proc.cgroup(orphan))
        #expect(cgroup.hasSuffix("/berth-\(run.project)/forker"), "orphan \(orphan) is in \(cgroup)")

        run.signal(SIGTERM)
        // holder ignores SIGTERM for its 3 s grace period: berth is still running meanwhile.
        try run.waitUntil("forker stopped, its orphan gone and no zombie child of berth") {
            try !run.events(service: "forker", kind: "stopped").isEmpty
                && Proc.stat(orphan) == nil
                && Proc.zombies(of: berth).isEmpty
        }
        #expect(run.berth.isRunning, "berth had exited before the check: the window did not exist")
        #expect(try run.waitForExit() == 0)
    }

    /// 7. A service that ignores SIGTERM is killed after its grace period.
    @Test func stopEscalatesToSIGKILLAfterTheGracePeriod() throws {
        let run = try StackRun("""
            services:
              stubborn:
                command: \(argv(example("ignoreterm")))
                stop_grace_period: 1s
            """, name: "escalate")
        try run.waitUntil("ignoreterm to have set up its handler") { run.log("stubborn").contains("started") }
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)

        let killed = try run.events(service: "stubborn", kind: "killed")
        let all = try run.events()
        #expect(killed.map(\.detail) == ["still running after the 1s grace period"], "\(describe(all))")
        let runs = try run.runs("stubborn")
        #expect(runs.count == 1)
        #expect(runs.last?.endKind == "killed" && runs.last?.signal == SIGKILL, "\(describe(runs))")
        #expect(run.log("stubborn").contains("ignoring SIGTERM"))
    }

    /// 8. A program whose exec fails (its interpreter is missing) is reported with the path and
    /// the reason, recorded as `exec_failed`, and never restarted, whatever the policy.
    @Test func execFailureIsReportedAndNotRestarted() throws {
        let run = try StackRun("services: {}\n", name: "execfail", start: false)
        let script = run.directory + "/no-interpreter.sh"
        try "#!/nonexistent/interp\necho never\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        try """
            services:
              broken:
                command: \(argv(script))
                restart: always
            """.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        try run.launch()

        // Its only service cannot run: up ends by itself, with a failure.
        #expect(try run.waitForExit() == 1, "\(run.berth.tail())")
        #expect(run.output.contains("broken: exec \"\(script)\": No such file or directory"), "\(run.berth.tail())")
        let runs = try run.runs("broken")
        #expect(runs.count == 1, "no restart loop:\n\(describe(runs))")
        #expect(runs.first?.endKind == "exec_failed", "\(describe(runs))")
        #expect(try run.events(service: "broken", kind: "restart_scheduled").isEmpty)
    }

    /// 8 (continued). A program that is not in PATH stops `up` before anything starts.
    @Test func programNotInPathStartsNothing() throws {
        let run = try StackRun("""
            services:
              fine:
                command: \(argv("/bin/sleep", "1000"))
              missing:
                command: \(argv("nonexistent-program-xyz"))
            """, name: "notinpath")
        #expect(try run.waitForExit() == 1)
        #expect(run.stderr.contains("nothing was started"), "\(run.berth.tail())")
        #expect(run.stderr.contains("exec \"nonexistent-program-xyz\": executable file not found in $PATH"), "\(run.berth.tail())")
        if FileManager.default.fileExists(atPath: run.stateDirectory + "/berth.db") {
            let runs = try run.history.runs()
            #expect(runs.isEmpty, "\(describe(runs))")
            #expect(try run.history.sessions(project: run.project).isEmpty)
        }
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: run.stateDirectory + "/logs")) ?? []
        #expect(logs.isEmpty, "\(logs)")
        #expect(!FileManager.default.fileExists(atPath: run.cgroupRoot), "\(run.cgroupRoot) is left behind")
    }

    /// 10. Every service's main process is in its own leaf, berth in `supervisor`; the tree is
    /// gone after `up` ends.
    @Test func servicesRunInTheirLeaves() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              api:
                command: \(argv(example("hello-http"), "--port", String(port)))
              cache:
                command: \(argv("/bin/sleep", "1000"))
              jobs:
                command: \(argv("/bin/sh", "-c", "exec /bin/sleep 1000"))
            """, name: "leaves")
        let services = ["api", "cache", "jobs"]
        try run.waitUntil("every service running, api listening on port \(port)") {
            try services.allSatisfy { try run.runs($0).count == 1 } && run.log("api").contains("port \(port)")
        }
        for service in services {
            let pid = try #require(try run.runs(service).first?.pid)
            let cgroup = try #require(Proc.cgroup(pid), "\(service) (pid \(pid)) is not running")
            #expect(cgroup.hasSuffix("/berth-\(run.project)/\(service)"), "\(service) (pid \(pid)) is in \(cgroup)")
            #expect(run.processes(inLeaf: service).contains(pid), "\(service) (pid \(pid)) not in \(run.leaf(service))/cgroup.procs")
        }
        #expect(Proc.cgroup(run.pid)?.hasSuffix("/berth-\(run.project)/supervisor") == true, "berth is in \(Proc.cgroup(run.pid) ?? "?")")
        #expect(Cgroups.pids(in: run.cgroupRoot + "/supervisor") == [run.pid])

        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: run.cgroupRoot), "\(run.cgroupRoot) is left behind")
    }

    /// 12. After berth was killed, the next `up` stops what it left running before starting
    /// anything, and closes the previous session as unclean.
    @Test func recoversAfterBerthWasKilled() throws {
        let sleep = argv("/bin/sleep", "1000")
        let run = try StackRun("""
            services:
              alpha:
                command: \(sleep)
              beta:
                command: \(sleep)
            """, name: "unclean")
        let services = ["alpha", "beta"]
        try run.waitUntil("both services started") { try services.allSatisfy { try run.runs($0).count == 1 } }
        let first = run.berth
        var old: [String: Int32] = [:]
        for service in services { old[service] = try #require(try run.runs(service).first?.pid) }

        run.signal(SIGKILL)
        #expect(try run.waitForExit() == 128 + SIGKILL)
        for service in services {
            let pid = old[service]!
            #expect(Proc.isAlive(pid), "\(service) (pid \(pid)) should outlive a killed berth")
            #expect(run.processes(inLeaf: service) == [pid], "\(service)'s leaf holds \(run.processes(inLeaf: service))")
        }

        let sampler = LeafSampler(root: run.cgroupRoot, services: services)
        let second = try run.launch()
        var session: SessionRecord?
        try run.waitUntil("the new berth's services to start") {
            session = try run.history.sessions(project: run.project).first { $0.pid == second.pid }
            guard let session else { return false }
            return try services.allSatisfy { service in
                try run.runs(service).contains { $0.sessionID == session.id && $0.pid != nil }
            }
        }
        let (maximum, samples) = sampler.stop()
        #expect(samples > 0)
        for service in services {
            #expect((maximum[service] ?? 0) <= 1, "\(service) ran twice at once (\(maximum[service] ?? 0) processes in its leaf)")
            let pid = old[service]!
            #expect(!Proc.isAlive(pid), "the old \(service) (pid \(pid)) is still running")
            let current = try #require(try run.runs(service).last?.pid)
            #expect(current != pid)
            #expect(run.processes(inLeaf: service) == [current], "\(service)'s leaf holds \(run.processes(inLeaf: service))")
        }
        #expect(second.output.contains("warning: the previous run berth (pid \(first.pid)) ended without stopping the stack"),
                "\(second.tail())")

        let sessions = try run.history.sessions(project: run.project)
        let previous = try #require(sessions.first { $0.pid == first.pid })
        #expect(previous.endReason == "unclean")
        #expect(previous.endedAt != nil)
        let previousRuns = try run.history.runs(session: previous.id)
        #expect(previousRuns.count == 2)
        #expect(previousRuns.allSatisfy { $0.endKind == "unclean" && $0.endedAt != nil }, "\(describe(previousRuns))")
        let events = try run.events().inRecordedOrder
        let unclean = try #require(events.firstIndex { $0.kind == "unclean_end" && $0.sessionID == previous.id },
                                   "no unclean_end event:\n\(describe(events))")
        let newSession = try #require(session)
        let firstStart = try #require(events.firstIndex { $0.kind == "started" && $0.sessionID == newSession.id })
        #expect(unclean < firstStart, "the previous run must be cleaned up before anything starts:\n\(describe(events))")

        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
        #expect(try run.history.sessions(project: run.project).first { $0.id == newSession.id }?.endReason == "stopped")
    }

    /// 14. A second berth on the same stack and state directory refuses to start.
    @Test func secondBerthOnTheSameStackIsRefused() throws {
        let run = try StackRun("""
            services:
              only:
                command: \(argv("/bin/sleep", "1000"))
            """, name: "twice")
        try run.waitUntil("the service to start") { try run.runs("only").count == 1 }
        let first = run.berth
        let pid = try #require(try run.runs("only").first?.pid)

        let second = try run.launch()
        try poll("the second berth to exit", timeout: .seconds(10), context: { second.tail() }) { !second.isRunning }
        second.process.waitUntilExit()
        #expect(second.exitCode == 1)
        #expect(second.stderr.contains("another berth (pid \(first.pid)) is supervising this stack"), "\(second.tail())")

        // The first one is untouched.
        #expect(first.isRunning)
        #expect(Proc.isAlive(pid))
        #expect(run.processes(inLeaf: "only") == [pid])
        #expect(try run.runs("only").count == 1)
        first.signal(SIGTERM)
        try poll("the first berth to exit", timeout: .seconds(10), context: { first.tail() }) { !first.isRunning }
        first.process.waitUntilExit()
        #expect(first.exitCode == 0)
    }
}
