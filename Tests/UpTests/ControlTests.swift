import Foundation
import Glibc
import StateStore
import Testing

/// A short `berth` command (ps, stop, logs, ...): its exit code and output.
struct CommandOutcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `berth arguments` to its end (or `prefix` + berth, e.g. setpriv to drop to nobody).
func runBerth(_ arguments: [String], in directory: String, prefix: [String] = []) throws -> CommandOutcome {
    let process = Process()
    let command = prefix + [berthBinary] + arguments
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandOutcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
}

/// One exchange on a Unix socket, written and read with plain system calls so that tests can
/// send what no well-behaved client would. Returns what came back (until the server closed).
func exchange(socket path: String, _ request: [UInt8], closeWithoutReading: Bool = false) -> String {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else { return "connect: \(String(cString: strerror(errno)))" }
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    if closeWithoutReading { return "" }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { break }
        answer += buffer[0..<count]
    }
    return String(decoding: answer, as: UTF8.self)
}

/// An HTTP/1.1 request as bytes, with `Connection: close`.
func httpRequest(_ method: String, _ path: String, body: String? = nil) -> [UInt8] {
    var text = "\(method) \(path) HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n"
    if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
    return Array((text + "\r\n" + (body ?? "")).utf8)
}

/// The status code of an HTTP answer (`HTTP/1.1 404 Not Found` → 404).
func statusCode(_ answer: String) -> Int? {
    answer.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) }
}

/// A `berth up` with its control socket in the test's own directory.
final class ControlledStack: @unchecked Sendable {
    let run: StackRun
    let runDirectory: String
    var socket: String { runDirectory + "/berth.sock" }

    init(_ yaml: String, name: String, extraArguments: [String] = []) throws {
        run = try StackRun(yaml, name: name, start: false)
        runDirectory = run.directory + "/run"
        try run.launch(arguments: run.arguments() + ["--run-dir", runDirectory] + extraArguments)
        try run.waitUntil("the control socket to answer", timeout: .seconds(20)) {
            statusCode(exchange(socket: socket, httpRequest("GET", "/v1/status"))) == 200
        }
    }

    /// `berth <command> -p <project> --run-dir <dir> <arguments>`.
    func berth(_ command: String, _ arguments: [String] = [], prefix: [String] = []) throws -> CommandOutcome {
        return try runBerth([command, "-p", run.project, "--run-dir", runDirectory] + arguments,
                            in: run.directory, prefix: prefix)
    }

    /// `berth ps --format json`, decoded.
    func status() throws -> [String: Any] {
        let outcome = try berth("ps", ["--format", "json"])
        guard outcome.status == 0,
              let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any] else {
            throw HarnessFailure(description: "berth ps failed: \(outcome.stderr)")
        }
        return object
    }

    func service(_ name: String) throws -> [String: Any] {
        let services = try status()["services"] as? [[String: Any]] ?? []
        guard let service = services.first(where: { $0["name"] as? String == name }) else {
            throw HarnessFailure(description: "no service \(name) in berth ps")
        }
        return service
    }

    func state(_ name: String) throws -> String { try service(name)["state"] as? String ?? "?" }

    deinit { run.cleanup() }
}

@Suite("berth ps, stop, start, restart, events, down over the control socket")
struct ControlCommandTests {
    static let stack = """
        services:
          db:
            command: \(argv("/bin/sleep", "1000"))
            restart: always
          web:
            command: \(argv("/bin/sleep", "1000"))
            restart: always
            depends_on:
              db: {condition: service_started, restart: true}
          job:
            command: \(argv("/bin/true"))
            restart: "no"
          lonely:
            command: \(argv("/bin/sleep", "1000"))
            mem_limit: 32m
            pids_limit: 50
        """

    @Test func everydayCommands() throws {
        let stack = try ControlledStack(Self.stack, name: "everyday")
        let run = stack.run
        try run.waitUntil("db, web and lonely to run, job to complete") {
            try stack.state("db") == "running" && stack.state("web") == "running" && stack.state("lonely") == "running"
                && stack.state("job") == "exited"
        }

        // ps: one line per service; limits this host does not enforce are marked.
        let ps = try stack.berth("ps")
        #expect(ps.status == 0)
        let rows = ps.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first?.prefix(4) == ["SERVICE", "STATE", "HEALTH", "PID"])
        #expect(rows.contains { $0.first == "job" && $0.contains("exited") })
        let lonely = try #require(rows.first { $0.first == "lonely" })
        #expect(lonely[1] == "running")
        #expect(lonely.contains { $0.hasSuffix("/32M*") }, "memory limit marked as not enforced: \(lonely)")
        #expect(ps.stdout.hasSuffix("* not enforced on this host\n"))

        // stop db: web (which depends on it) stops first; both stay stopped.
        let stop = try stack.berth("stop", ["db"])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.stdout.contains("db: stopped"))
        #expect(stop.stdout.contains("web: stopped"))
        #expect(try stack.state("db") == "stopped" && stack.state("web") == "stopped")
        #expect(try stack.service("db")["stopped_by_user"] as? Bool == true)
        let events = try run.events().inRecordedOrder
        let webStopping = events.firstIndex { $0.service == "web" && $0.kind == "stopping" }
        let dbStopping = events.firstIndex { $0.service == "db" && $0.kind == "stopping" }
        #expect(webStopping != nil && dbStopping != nil && webStopping! < dbStopping!, "\(describe(events))")

        // Another command's full round trip later, `restart: always` has not brought them back.
        #expect(try stack.berth("restart", ["lonely"]).status == 0)
        #expect(try run.runs("lonely").count == 2)
        #expect(try stack.state("db") == "stopped" && stack.state("web") == "stopped")
        #expect(try run.runs("db").count == 1)

        // start web: what it depends on (db) starts first.
        let start = try stack.berth("start", ["web"])
        #expect(start.status == 0, "\(start.stderr)")
        try run.waitUntil("db and web to run again") { try stack.state("db") == "running" && stack.state("web") == "running" }
        #expect(try run.runs("db").count == 2 && run.runs("web").count == 2)
        #expect(try run.runs("job").count == 1, "the completed one-shot is not run again")

        // restart db: web asked for it (depends_on.restart) and follows.
        #expect(try stack.berth("restart", ["db"]).status == 0)
        try run.waitUntil("web to restart after db") { try run.runs("web").count == 3 }
        #expect(try run.runs("db").count == 3)
        #expect(try !run.events(service: "web", kind: "dependency_restarted").isEmpty)

        // events: the history, filtered, as JSON.
        let history = try stack.berth("events", ["--service", "db", "--format", "json"])
        #expect(history.status == 0)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(!list.isEmpty && list.allSatisfy { $0["service"] as? String == "db" })
        #expect(list.contains { $0["kind"] as? String == "stopping" })
        let table = try stack.berth("events", ["--since", "1h"])
        #expect(table.stdout.contains("command: stop db"))

        // unknown names are refused, nothing changes.
        let unknown = try stack.berth("stop", ["nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no such service: \"nope\""))

        // down: everything stops in order, berth ends, the socket goes.
        let down = try stack.berth("down")
        #expect(down.status == 0)
        #expect(down.stdout == "stack \(run.project) is down\n")
        #expect(try run.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: stack.socket))
        let after = try stack.berth("ps")
        #expect(after.status == 1)
        #expect(after.stderr.contains("no berth is running this stack"))
    }

    @Test func everyCommandSaysWhenNoBerthRuns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-none-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "services:\n  web:\n    command: [/bin/true]\n".write(toFile: directory + "/compose.yaml", atomically: true, encoding: .utf8)
        let commands: [[String]] = [["ps"], ["stop", "web"], ["start", "web"], ["restart", "web"], ["events"], ["down"], ["logs"],
                                    ["budget", "--since", "1h"]]
        for command in commands {
            let outcome = try runBerth([command[0], "-p", "nothing-runs-here", "--run-dir", directory + "/run"] + command.dropFirst(),
                                       in: directory)
            #expect(outcome.status == 1, "\(command)")
            #expect(outcome.stderr.contains("no berth is running this stack (no supervisor at \(directory)/run/berth.sock)"),
                    "\(command): \(outcome.stderr)")
        }
    }
}

@Suite("the control API over the real socket")
struct ControlAPITests {
    static let stack = """
        services:
          app:
            command: \(argv("/bin/sleep", "1000"))
        """

    @Test func badRequestsGetAClearAnswerAndChangeNothing() throws {
        let stack = try ControlledStack(Self.stack, name: "badrequests")
        try stack.run.waitUntil("app to run") { try stack.state("app") == "running" }
        let pid = try #require(try stack.service("app")["pid"] as? Int)

        func ask(_ request: [UInt8]) -> (Int?, String) {
            let answer = exchange(socket: stack.socket, request)
            return (statusCode(answer), answer)
        }
        var (code, answer) = ask(httpRequest("POST", "/v1/services/stop", body: "not json"))
        #expect(code == 400 && answer.contains("{\\\"services\\\": [\\\"name\\\", ...]}"), "\(answer)")
        (code, answer) = ask(httpRequest("POST", "/v1/services/stop", body: #"{"services": []}"#))
        #expect(code == 400, "\(answer)")
        (code, answer) = ask(httpRequest("POST", "/v1/services/restart", body: #"{"services": ["app", "ghost"]}"#))
        #expect(code == 404 && answer.contains(#"no such service: \"ghost\""#), "\(answer)")
        (code, answer) = ask(httpRequest("GET", "/v1/services/stop"))
        #expect(code == 405, "\(answer)")
        (code, answer) = ask(httpRequest("DELETE", "/v1/status"))
        #expect(code == 405, "\(answer)")
        (code, answer) = ask(httpRequest("GET", "/v2/status"))
        #expect(code == 404 && answer.contains("no such route"), "\(answer)")
        (code, answer) = ask(httpRequest("GET", "/v1/events?since=yesterday"))
        #expect(code == 400 && answer.contains("since must be Unix time"), "\(answer)")
        (code, answer) = ask(httpRequest("GET", "/v1/events?limit=many"))
        #expect(code == 400, "\(answer)")
        (code, answer) = ask(httpRequest("POST", "/v1/services/stop", body: String(repeating: "x", count: 70_000)))
        #expect(code == 413, "\(answer)")
        (code, answer) = ask(Array("HELLO THERE\r\n\r\n".utf8))
        #expect(code == 400, "\(answer)")

        (code, answer) = ask(httpRequest("GET", "/v1/status"))
        #expect(code == 200)
        #expect(try stack.state("app") == "running")
        #expect(try stack.service("app")["pid"] as? Int == pid, "nothing was restarted")
        #expect(try stack.run.runs("app").count == 1)
    }

    @Test func clientsThatGoAwayDoNotHurtTheSupervisor() throws {
        let stack = try ControlledStack(Self.stack, name: "goaway")
        try stack.run.waitUntil("app to run") { try stack.state("app") == "running" }

        // Half a request, then gone.
        _ = exchange(socket: stack.socket, Array("GET /v1/sta".utf8), closeWithoutReading: true)
        // Idle connections that never send anything, held open while others are served.
        var idle: [Int32] = []
        for _ in 0..<20 {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in stack.socket.utf8.enumerated() { raw[index] = byte }
            }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            idle.append(fd)
        }
        defer { idle.forEach { close($0) } }
        #expect(try stack.berth("ps").status == 0, "served while 20 connections sit idle")

        // A command whose client leaves before the answer: it is still carried out.
        _ = exchange(socket: stack.socket, httpRequest("POST", "/v1/services/restart", body: #"{"services": ["app"]}"#),
                     closeWithoutReading: true)
        try stack.run.waitUntil("app to be restarted") { try stack.run.runs("app").count == 2 }
        // A client that reads the first bytes of a long answer and leaves.
        for _ in 0..<5 {
            _ = exchange(socket: stack.socket, httpRequest("GET", "/v1/events"), closeWithoutReading: true)
        }
        try stack.run.waitUntil("app to run again") { try stack.state("app") == "running" }
        #expect(try stack.berth("events").status == 0)
        #expect(stack.run.berth.isRunning)
    }

    /// The socket is 0600 (no group `berth` here): others cannot even connect. Should its
    /// mode be loosened, berth still checks each peer's uid, refuses and records it.
    @Test func othersAreRefusedAndTheRefusalIsRecorded() throws {
        let stack = try ControlledStack(Self.stack, name: "refused")
        var info = stat()
        #expect(stat(stack.socket, &info) == 0)
        let hasGroup = getgrnam("berth") != nil
        #expect(info.st_mode & 0o777 == (hasGroup ? 0o660 : 0o600))

        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let denied = try stack.berth("ps", prefix: nobody)
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("permission denied on \(stack.socket)"), "\(denied.stderr)")

        chmod(stack.socket, 0o666)
        let refused = try stack.berth("ps", prefix: nobody)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("uid 65534 may not control this stack"), "\(refused.stderr)")
        let stop = try stack.berth("stop", ["app"], prefix: nobody)
        #expect(stop.status == 1)
        try stack.run.waitUntil("the refusals to be recorded") {
            try stack.run.events(kind: "refused").count == 2
        }
        let details = try stack.run.events(kind: "refused").compactMap(\.detail)
        #expect(details.allSatisfy { $0.hasPrefix("refused uid 65534 ") }, "\(details)")
        #expect(details.contains { $0.hasSuffix("POST /v1/services/stop") })
        #expect(try stack.state("app") == "running")
        #expect(try stack.run.runs("app").count == 1)
    }
}

@Suite("berth logs")
struct LogsCommandTests {
    /// Waits for a `go` file, then writes 400 numbered lines; 1 KiB files, so it rotates often.
    static let stack = """
        services:
          talker:
            command: ["/bin/sh", "-c", "echo ready; while [ ! -e go ]; do sleep 0.05; done; i=0; while [ $$i -lt 400 ]; do echo line $$i; i=$$((i+1)); done; echo done; exec sleep 1000"]
            x-berth:
              logs: {max_size: 1k, max_files: 40}
          quiet:
            command: ["/bin/sh", "-c", "echo one; echo two; echo three; exec sleep 1000"]
        """

    @Test func tailSinceAndFollowAcrossRotations() throws {
        let stack = try ControlledStack(Self.stack, name: "logs")
        let run = stack.run
        try run.waitUntil("quiet's three lines") { run.log("quiet").contains(" out three\n") }

        let tail = try stack.berth("logs", ["--tail", "2", "quiet"])
        #expect(tail.status == 0)
        #expect(tail.stdout == "quiet | two\nquiet | three\n")
        let stamped = try stack.berth("logs", ["--no-log-prefix", "--timestamps", "--since", "1h", "quiet"])
        #expect(stamped.stdout.split(separator: "\n").map { $0.split(separator: " ").dropFirst().joined(separator: " ") }
                == ["one", "two", "three"])
        let unknown = try stack.berth("logs", ["nope"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no such service: \"nope\""))

        // Follow: started before the burst, it must show every line once, in order, although
        // the file rotates about every 25 lines.
        try run.waitUntil("talker to be ready") { run.log("talker").contains(" out ready\n") }
        let follower = try BerthProcess(
            arguments: ["logs", "-f", "-p", run.project, "--run-dir", stack.runDirectory, "talker"],
            directory: run.directory, outputPrefix: run.directory + "/follow")
        defer { follower.signal(SIGKILL) }
        try run.waitUntil("logs -f to show the first line") { follower.stdout.contains("talker | ready\n") }
        FileManager.default.createFile(atPath: run.directory + "/go", contents: nil)
        try run.waitUntil("logs -f to show the last line", timeout: .seconds(30)) { follower.stdout.contains("talker | done\n") }
        let shown = follower.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("talker | line ") }
        #expect(shown == (0..<400).map { "talker | line \($0)" })
        let files = try FileManager.default.contentsOfDirectory(atPath: run.stateDirectory + "/logs").filter { $0.hasPrefix("talker.log.") }
        #expect(files.count >= 10, "the burst rotated the file many times: \(files.count) rotated files")

        // The follower ends with the supervisor.
        run.signal(SIGTERM)
        #expect(try run.waitForExit() == 0)
        try run.waitUntil("logs -f to end with berth") { !follower.isRunning }
    }
}

@Suite("live budget and metrics")
struct LiveBudgetTests {
    @Test func budgetAddsLiveColumnsAndSampledWindows() throws {
        let stack = try ControlledStack("""
            services:
              spin:
                command: \(argv(example("spin")))
                mem_limit: 64m
                cpus: 0.5
              idle:
                command: \(argv("/bin/sleep", "1000"))
            """, name: "livebudget", extraArguments: ["--sample-interval", "1s"])
        let run = stack.run
        try run.waitUntil("both to run") { try stack.state("spin") == "running" && stack.state("idle") == "running" }

        func budget(_ arguments: [String]) throws -> CommandOutcome {
            try runBerth(["budget", "-f", run.stackFile, "-p", run.project, "--run-dir", stack.runDirectory] + arguments,
                         in: run.directory)
        }
        try run.waitUntil("three samples of spin", timeout: .seconds(20)) {
            let outcome = try budget(["--since", "1h", "--format", "json"])
            let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
            let services = object?["services"] as? [[String: Any]] ?? []
            let spin = services.first { $0["name"] as? String == "spin" }
            let window = (spin?["live"] as? [String: Any])?["window"] as? [String: Any]
            return (window?["samples"] as? Int ?? 0) >= 3
        }
        let json = try budget(["--since", "1h", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["live"] as? [String: Any])?["supervisor_pid"] as? Int == Int(run.pid))
        let services = try #require(object["services"] as? [[String: Any]])
        let spin = try #require(services.first { $0["name"] as? String == "spin" }?["live"] as? [String: Any])
        #expect(spin["state"] as? String == "running")
        // A busy loop: CPU time grows, so the window's average is above zero.
        let window = try #require(spin["window"] as? [String: Any])
        #expect((window["cpu_avg_percent"] as? Double ?? 0) > 0, "\(window)")
        #expect(spin["cpu_usec"] as? Int != nil)

        let table = try budget([])
        #expect(table.stdout.contains("Live, from berth (pid \(run.pid))"))
        #expect(table.stdout.contains("\nspin     running"))
        let windowed = try budget(["--since", "30m"])
        #expect(windowed.stdout.contains("Over the last 30m, from the sampled history"))
        let staticOnly = try budget(["--static"])
        #expect(!staticOnly.stdout.contains("Live"))

        // The samples are in the history.
        let samples = try run.history.samples(service: "spin")
        #expect(samples.count >= 3)

        // --watch redraws in place until interrupted.
        let watcher = try BerthProcess(
            arguments: ["budget", "-f", run.stackFile, "-p", run.project, "--run-dir", stack.runDirectory, "--watch", "--interval", "1s"],
            directory: run.directory, outputPrefix: run.directory + "/watch")
        try run.waitUntil("two frames", timeout: .seconds(20)) { watcher.stdout.components(separatedBy: "\u{1B}[H").count >= 3 }
        watcher.signal(SIGINT)
        try run.waitUntil("--watch to end on SIGINT") { !watcher.isRunning }
        #expect(watcher.stdout.hasPrefix("\u{1B}[2J"))
        #expect(watcher.stdout.contains("Live, from berth"))
    }

    @Test func metricsAreValidPrometheusText() throws {
        let port = freePort()
        let metricsPort = freePort()
        let stack = try ControlledStack("""
            services:
              web:
                command: \(argv(example("hello-http"), "--port", String(port)))
                mem_limit: 32m
                x-berth:
                  probe: {http: "http://127.0.0.1:\(port)/", interval: 1s, start_interval: 100ms, start_period: 5s}
              idle:
                command: \(argv("/bin/sleep", "1000"))
            """, name: "metrics", extraArguments: ["--metrics-listen", "127.0.0.1:\(metricsPort)"])
        try stack.run.waitUntil("web to be healthy", timeout: .seconds(20)) { try stack.service("web")["health"] as? String == "healthy" }

        // Parsed by the reference parser (prometheus_client), then checked.
        let script = """
            import json, sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            text = urllib.request.urlopen("http://127.0.0.1:\(metricsPort)/metrics").read().decode()
            out = {}
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    out.setdefault(family.name + ":" + family.type, []).append([sample.name, sample.labels, sample.value])
            print(json.dumps(out))
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", script]
        let out = Pipe(), err = Pipe()
        python.standardOutput = out
        python.standardError = err
        try python.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "the parser refused the text: \(errors)")
        let families = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [[Any]]])

        func value(_ family: String, _ service: String) -> Double? {
            families[family]?.first { (($0[1] as? [String: String])?["service"]) == service }?[2] as? Double
        }
        #expect(value("berth_service_up:gauge", "web") == 1)
        #expect(value("berth_service_up:gauge", "idle") == 1)
        #expect(value("berth_service_healthy:gauge", "web") == 1)
        #expect(value("berth_service_healthy:gauge", "idle") == nil, "no health check, no sample")
        #expect(value("berth_service_restarts:counter", "web") == 0)
        #expect(value("berth_service_cpu_usage_seconds:counter", "web") != nil)
        #expect(value("berth_service_memory_limit_bytes:gauge", "web") == Double(32 << 20))
        #expect(families["berth_budget_memory_bytes:gauge"] != nil)
        #expect(families["berth_host_cpus:gauge"] != nil)
        let labels = families.values.flatMap { $0 }.compactMap { $0[1] as? [String: String] }
        #expect(labels.allSatisfy { $0["stack"] == stack.run.project })

        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        other.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(metricsPort)/other"]
        let code = Pipe()
        other.standardOutput = code
        try other.run()
        let answer = String(decoding: code.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        other.waitUntilExit()
        #expect(answer == "404", "only /metrics is served")
    }

    /// The metrics port is taken: berth says so and starts nothing.
    @Test func aTakenMetricsPortStartsNothing() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(listener, 1)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))

        let run = try StackRun("""
            services:
              app:
                command: \(argv("/bin/sleep", "1000"))
            """, name: "metricstaken", start: false)
        try run.launch(arguments: run.arguments() + ["--run-dir", run.directory + "/run", "--metrics-listen", "127.0.0.1:\(port)"])
        #expect(try run.waitForExit() == 1)
        #expect(run.stderr.contains("error: nothing was started: cannot listen on 127.0.0.1:\(port) for --metrics-listen"), "\(run.stderr)")
        #expect(try run.runs("app").isEmpty)
        #expect(try run.history.sessions(project: run.project).allSatisfy { $0.endReason == "not started" })
    }
}
