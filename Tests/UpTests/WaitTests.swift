import Foundation
import Glibc
import StateStore
import Testing

/// `berth up --wait`: berth goes on in the background; the command returns once every service
/// is running and healthy (or completed), with a summary, or exits 1 naming those that are not.
///
/// The command is run the way a shell runs it: through a parent that waits for it with
/// waitpid and hands it no descriptor but 0–2 (`python3 -c subprocess.call`). Foundation's
/// `Process` is not such a parent: it learns that its child ended from the end of a socket the
/// child inherits — and the background berth keeps that socket (see
/// `backgroundBerthKeepsNoInheritedDescriptor`).
@Suite("berth up --wait")
struct WaitTests {
    static let shellLikeParent = ["-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"]

    private func arguments(_ run: StackRun, timeout: String) -> [String] {
        ["up", "-f", run.stackFile, "-p", run.project, "--state-dir", run.stateDirectory,
         "--allow-unenforced", "--no-color", "--wait", "--wait-timeout", timeout]
    }

    /// `berth up --wait` on the run's stack, run directly (not through `StackRun.launch()`).
    private func upWait(_ run: StackRun, timeout: String) throws -> BerthProcess {
        try run.launch(arguments: Self.shellLikeParent + [berthBinary] + arguments(run, timeout: timeout),
                       executable: "/usr/bin/python3")
    }

    /// The background berth's pid: the number after `marker` in `text`.
    private func backgroundPID(in text: String, after marker: String) -> Int32? {
        guard let range = text.range(of: marker) else { return nil }
        return Int32(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// Stops a background berth with SIGTERM and waits for it to end.
    private func stopBackground(_ pid: Int32, _ run: StackRun) throws {
        kill(pid, SIGTERM)
        try run.waitUntil("the background berth (pid \(pid)) to end", timeout: .seconds(20)) { !Proc.isAlive(pid) }
    }

    /// A hello-http service with a native probe; its failures in the first minute do not count.
    private func probed(_ port: Int, _ extra: String...) -> String {
        """
            command: \(argv([example("hello-http"), "--port", String(port)] + extra))
            x-berth:
              probe: {http: "http://127.0.0.1:\(port)/up", interval: 200ms, timeout: 2s, start_period: 60s, start_interval: 200ms}
        """
    }

    @Test func returnsOnceEveryServiceIsHealthyAndBerthGoesOn() throws {
        let ports = (freePort(), freePort())
        let run = try StackRun("""
            services:
              api:
            \(probed(ports.0, "--ready-after", "500"))
              admin:
            \(probed(ports.1))
              worker:
                command: \(argv("/bin/sleep", "1000"))
                depends_on:
                  api: {condition: service_healthy}
            """, name: "waitok", start: false)
        defer { run.cleanup() }
        let waiter = try upWait(run, timeout: "20s")
        #expect(try run.waitForExit(timeout: .seconds(30)) == 0, "\(waiter.tail())")

        let stdout = waiter.stdout
        let pid = try #require(backgroundPID(in: stdout, after: "berth runs in the background (pid "), "\(waiter.tail())")
        run.adoptBackground(pid: pid)
        #expect(stdout.contains("stack \(run.project) is up: berth runs in the background (pid \(pid))"), "\(stdout)")
        let table = stdout.split(separator: "\n").map(String.init)
        #expect(table.first?.hasPrefix("SERVICE") == true, "\(stdout)")
        for service in ["api", "admin", "worker"] {
            #expect(table.contains { $0.hasPrefix(service + " ") && $0.contains("running") && !$0.contains("not ready") },
                    "no ready row for \(service):\n\(stdout)")
        }
        #expect(table.contains { $0.hasPrefix("api ") && $0.contains("healthy") }, "\(stdout)")

        // berth goes on in the background, with its log in the state directory.
        #expect(Proc.isAlive(pid), "the background berth (pid \(pid)) is gone")
        let log = run.stateDirectory + "/berth.log"
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("starting stack"), "no \(log)")
        let api = try #require(try run.runs("api").first?.pid)
        #expect(Proc.isAlive(api))

        try stopBackground(pid, run)
        let session = try run.history.sessions(project: run.project).first
        #expect(session?.endReason == "stopped", "\(String(describing: session))")
        #expect(!Proc.isAlive(api), "api (pid \(api)) outlived berth")
    }

    @Test func timesOutNamingTheServiceThatIsNotReady() throws {
        let ports = (freePort(), freePort())
        let run = try StackRun("""
            services:
              ready:
            \(probed(ports.0))
              stuck:
            \(probed(ports.1, "--never-ready"))
            """, name: "waittimeout", start: false)
        defer { run.cleanup() }
        let waiter = try upWait(run, timeout: "3s")
        #expect(try run.waitForExit(timeout: .seconds(30)) == 1, "\(waiter.tail())")
        let stderr = waiter.stderr
        let named = stderr.range(of: "not ready in time: ").map { stderr[$0.upperBound...].prefix { $0 != "(" } }
        #expect(named.map { $0.trimmingCharacters(in: .whitespaces) } == "stuck", "only stuck is named:\n\(waiter.tail())")
        let pid = try #require(backgroundPID(in: stderr, after: "berth keeps running, pid "), "\(waiter.tail())")
        run.adoptBackground(pid: pid)
        #expect(waiter.stdout.split(separator: "\n").contains { $0.hasPrefix("stuck ") && $0.contains("not ready") },
                "the table:\n\(waiter.stdout)")
        #expect(Proc.isAlive(pid), "berth (pid \(pid)) must keep running")
        #expect(try run.runs("stuck").first.map { $0.endedAt == nil } == true, "stuck still runs")
        try stopBackground(pid, run)
    }

    /// A one-shot that exited 0 counts as ready (api waits for it, so it has completed by the
    /// time the rest is healthy: a one-shot still running would count as running).
    @Test func completedOneShotCountsAsReady() throws {
        let ports = (freePort(), freePort())
        let run = try StackRun("""
            services:
              migrate:
                command: \(argv(example("crasher"), "--after", "200", "--code", "0"))
                restart: "no"
              api:
            \(probed(ports.0))
                depends_on:
                  migrate: {condition: service_completed_successfully}
              admin:
            \(probed(ports.1))
            """, name: "waitoneshot", start: false)
        defer { run.cleanup() }
        let waiter = try upWait(run, timeout: "20s")
        #expect(try run.waitForExit(timeout: .seconds(30)) == 0, "\(waiter.tail())")
        let stdout = waiter.stdout
        let pid = try #require(backgroundPID(in: stdout, after: "berth runs in the background (pid "), "\(waiter.tail())")
        run.adoptBackground(pid: pid)
        #expect(stdout.split(separator: "\n").contains { $0.hasPrefix("migrate ") && $0.contains("exited with 0") && !$0.contains("not ready") },
                "\(stdout)")
        #expect(Proc.isAlive(pid))
        try stopBackground(pid, run)
    }

    /// A service berth stopped because it was unhealthy (`restart: "no"`) has not completed,
    /// even if its program exits 0 on SIGTERM as hello-http does: `--wait` must not call the
    /// stack up.
    @Test func serviceStoppedAsUnhealthyIsNotReady() throws {
        let ports = (freePort(), freePort())
        let run = try StackRun("""
            services:
              ready:
            \(probed(ports.0))
              sick:
                command: \(argv(example("hello-http"), "--port", String(ports.1), "--fail-health"))
                restart: "no"
                x-berth:
                  probe: {http: "http://127.0.0.1:\(ports.1)/up", interval: 200ms, timeout: 2s, retries: 2}
            """, name: "waitunhealthy", start: false)
        defer { run.cleanup() }
        let waiter = try upWait(run, timeout: "15s")
        let code = try run.waitForExit(timeout: .seconds(30))
        let text = waiter.stdout + waiter.stderr
        for marker in ["berth runs in the background (pid ", "berth keeps running, pid "] {
            if let pid = backgroundPID(in: text, after: marker) { run.adoptBackground(pid: pid) }
        }
        #expect(code == 1, "sick was stopped as unhealthy, yet:\n\(waiter.tail())")
        #expect(waiter.stderr.contains("sick"), "\(waiter.tail())")
    }

    /// The background berth keeps no descriptor of the command's caller but the standard three
    /// (which it replaces): a caller that waits for the end of a descriptor it handed down —
    /// Foundation's `Process` does — sees `berth up --wait` end once the summary is printed.
    @Test func backgroundBerthKeepsNoInheritedDescriptor() throws {
        let port = freePort()
        let run = try StackRun("""
            services:
              api:
            \(probed(port))
            """, name: "waitfds", start: false)
        defer { run.cleanup() }
        let waiter = try run.launch(arguments: arguments(run, timeout: "20s"))
        try run.waitUntil("the summary", timeout: .seconds(30)) { waiter.stdout.contains("is up: berth runs in the background") }
        let pid = try #require(backgroundPID(in: waiter.stdout, after: "berth runs in the background (pid "), "\(waiter.tail())")
        run.adoptBackground(pid: pid)
        let descriptors = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
            .map { fd in "\(fd) -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? "?") }
        try poll("Foundation to see `berth up --wait` (pid \(waiter.pid)) end", timeout: .seconds(10), context: {
            "\(waiter.tail())\n--- descriptors of the background berth (pid \(pid)) ---\n" + descriptors.joined(separator: "\n")
        }) { !waiter.isRunning }
        #expect(try run.waitForExit(timeout: .seconds(5)) == 0, "\(waiter.tail())")
        try stopBackground(pid, run)
    }
}
