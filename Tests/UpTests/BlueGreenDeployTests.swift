import Foundation
import Glibc
import StateStore
import Synchronization
import Testing

// `berth deploy` and `berth rollback` with the real nginx from Debian, supervised by berth, in
// front of examples/hello-http: each test writes nginx.conf into its stack's directory (its
// own pid file, error log and free loopback ports).

/// One GET with `Connection: close`: the status, the `X-Berth-Color` values and the body.
struct Fetched {
    var status: Int
    var colors: [String]
    var body: String
}

func fetch(port: Int, path: String = "/", timeout: Int = 10) -> Fetched? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var limit = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { break }
        answer += buffer[0..<count]
    }
    let text = String(decoding: answer, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { return nil }
    let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
    guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
    let colors = lines.dropFirst().filter { $0.lowercased().hasPrefix("x-berth-color:") }
        .map { $0.dropFirst("x-berth-color:".count).trimmingCharacters(in: .whitespaces) }
    return Fetched(status: status, colors: colors, body: String(text[split.upperBound...]))
}

/// A stack of nginx (the proxy) and hello-http as the blue-green service `web`.
final class ProxyStack {
    let proxyPort = freePort()
    let bluePort = freePort()
    let greenPort = freePort()
    let run: StackRun

    init(name: String, deployTimeout: String = "20s", drain: String = "10s") throws {
        run = try StackRun("services: {}\n", name: name, start: false)
        let directory = run.directory
        try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        try Self.nginxConfig(directory: directory, port: proxyPort).write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let stack = """
            services:
              proxy:
                command: [/usr/sbin/nginx, -c, \(directory)/nginx.conf, -e, \(directory)/error.log]
                x-berth:
                  proxy: {kind: nginx, upstreams: upstreams.conf, listen: "127.0.0.1:\(proxyPort)"}
              web:
                command: [\(example("hello-http")), --drain-ms, "5000"]
                x-berth:
                  deploy:
                    strategy: blue-green
                    ports: [\(bluePort), \(greenPort)]
                    proxy: proxy
                    health: /up
                    deploy_timeout: \(deployTimeout)
                    drain: \(drain)
            """
        try stack.write(toFile: run.stackFile, atomically: true, encoding: .utf8)
        try run.launch()
        try run.waitUntil("the proxy serves blue", timeout: .seconds(20)) {
            fetch(port: proxyPort).map { $0.status == 200 && $0.colors == ["blue"] } ?? false
        }
    }

    static func nginxConfig(directory: String, port: Int, extra: String = "") -> String {
        """
        daemon off;
        worker_processes 2;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log notice;
        events { worker_connections 512; }
        http {
            access_log off;
            client_body_temp_path \(directory)/tmp;
            proxy_temp_path \(directory)/tmp;
            include \(directory)/upstreams.conf;
            server {
                listen 127.0.0.1:\(port);
                location / {
                    proxy_pass http://web;
                    proxy_hide_header X-Berth-Color;
                    add_header X-Berth-Color $berth_web_color always;
                }
            }
            \(extra)
        }
        """
    }

    /// Rewrites nginx.conf with `extra` in its http block (nginx reads it at the next reload).
    func changeNginxConfig(extra: String) throws {
        try Self.nginxConfig(directory: run.directory, port: proxyPort, extra: extra)
            .write(toFile: run.directory + "/nginx.conf", atomically: true, encoding: .utf8)
    }

    var upstreams: String { (try? String(contentsOfFile: run.directory + "/upstreams.conf", encoding: .utf8)) ?? "" }

    /// Starts `berth deploy` (or `rollback`) with `arguments`; it runs in the background.
    func start(_ command: String = "deploy", _ arguments: [String] = []) throws -> BerthProcess {
        try BerthProcess(arguments: [command, "--file", run.stackFile, "-p", run.project] + arguments + ["web"],
                         directory: run.directory, outputPrefix: run.directory + "/\(command)-\(UUID().uuidString.prefix(6))")
    }

    /// Runs `berth deploy` (or `rollback`) to its end; returns its exit code and output.
    func deploy(_ command: String = "deploy", _ arguments: [String] = [],
                sourceLocation: SourceLocation = #_sourceLocation) throws -> (code: Int32, output: String) {
        let process = try start(command, arguments)
        try poll("berth \(command) to end", timeout: .seconds(60), context: { process.tail() }, sourceLocation: sourceLocation) {
            !process.isRunning
        }
        process.process.waitUntilExit()
        return (process.exitCode, process.output)
    }

    /// A spec file for `deploy -f`: the stack with web's command replaced.
    func specFile(command: String) throws -> String {
        let text = try String(contentsOfFile: run.stackFile, encoding: .utf8)
            .replacingOccurrences(of: "command: [\(example("hello-http")), --drain-ms, \"5000\"]", with: "command: \(command)")
        let path = run.directory + "/new-\(UUID().uuidString.prefix(6)).yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `berth ps --format json`.
    func ps() throws -> String {
        let ps = try BerthProcess(arguments: ["ps", "--file", run.stackFile, "-p", run.project, "--format", "json"],
                                  directory: run.directory, outputPrefix: run.directory + "/ps-\(UUID().uuidString.prefix(6))")
        ps.process.waitUntilExit()
        return ps.stdout
    }

    func deploys() throws -> [DeployRecord] {
        try run.history.deploys(service: "web")
    }

    /// The blue-green instance leaves that exist.
    var leaves: Set<String> {
        Set(["web-blue", "web-green"].filter { FileManager.default.fileExists(atPath: run.leaf($0)) })
    }
}

@Suite(.serialized) struct BlueGreenDeployTests {
    @Test func aHealthyDeploySwitchesTheProxyToGreenAndStopsBlue() throws {
        let stack = try ProxyStack(name: "deploy-ok")
        let blue = try #require(stack.run.processes(inLeaf: "web-blue").first)
        let (code, output) = try stack.deploy("deploy", ["--set", "NAME=v2"])
        #expect(code == 0, "\(output)")
        #expect(output.contains("deployed: green serves"))
        let answer = try #require(fetch(port: stack.proxyPort))
        #expect(answer.status == 200)
        #expect(answer.colors == ["green"])
        #expect(answer.body.hasPrefix("hello from v2 color=green"))
        #expect(stack.upstreams.contains("server 127.0.0.1:\(stack.greenPort);"))
        #expect(stack.leaves == ["web-green"])
        #expect(kill(blue, 0) != 0)
        try stack.run.waitUntil("the deploy in the history") { try stack.deploys().count == 1 }
        let record = try #require(try stack.deploys().first)
        #expect(record.outcome == "deployed")
        #expect(record.fromColor == "blue")
        #expect(record.toColor == "green")
        #expect(Set(record.timings.keys) == ["admit", "start", "health", "switch", "verify", "drain", "stop", "record"])
        #expect(try stack.ps().contains("\"color\" : \"green\""))
    }

    @Test func greenThatNeverBecomesHealthyRollsBackAndBlueKeepsServing() throws {
        let stack = try ProxyStack(name: "deploy-unhealthy", deployTimeout: "2s")
        let blue = try #require(stack.run.processes(inLeaf: "web-blue").first)
        let before = stack.upstreams
        let spec = try stack.specFile(command: "[\(example("hello-http")), --never-ready]")
        let (code, output) = try stack.deploy("deploy", ["--file", spec])
        #expect(code == 1, "\(output)")
        #expect(output.contains("FAIL wait until it is healthy"))
        #expect(output.contains("not healthy within deploy_timeout (2s)"))
        #expect(output.contains("rolled back: health failed"))
        #expect(stack.upstreams == before)
        #expect(fetch(port: stack.proxyPort)?.colors == ["blue"])
        #expect(stack.run.processes(inLeaf: "web-blue").first == blue)
        #expect(stack.leaves == ["web-blue"])
        try stack.run.waitUntil("the rollback in the history") { try stack.deploys().first?.outcome == "rolled_back" }
        #expect(try stack.deploys().first?.failedStep == "health")
    }

    @Test func aConfigurationThatFailsNginxTestRollsBack() throws {
        let stack = try ProxyStack(name: "deploy-conftest")
        let before = stack.upstreams
        try stack.changeNginxConfig(extra: "no_such_directive on;")
        let (code, output) = try stack.deploy()
        #expect(code == 1, "\(output)")
        #expect(output.contains("FAIL switch the proxy"))
        #expect(output.contains("nginx -t failed"))
        #expect(output.contains("no_such_directive"))
        #expect(stack.upstreams == before)
        #expect(fetch(port: stack.proxyPort)?.colors == ["blue"])
        #expect(stack.leaves == ["web-blue"])
    }

    @Test func aReloadThatDoesNotTakeEffectRollsBack() throws {
        let stack = try ProxyStack(name: "deploy-busyport")
        // A new `listen` on a port somebody else holds: nginx -t passes (it does not bind), the
        // reload's signal succeeds, and the master keeps the old configuration.
        let busy = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(busy) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(busy, $0, length) == 0 && getsockname(busy, $0, &length) == 0 }
        }
        #expect(bound && listen(busy, 1) == 0)
        let busyPort = Int(UInt16(bigEndian: address.sin_port))
        try stack.changeNginxConfig(extra: "server { listen 127.0.0.1:\(busyPort); return 204; }")
        let before = stack.upstreams
        let (code, output) = try stack.deploy()
        #expect(code == 1, "\(output)")
        #expect(output.contains("FAIL verify the proxy serves it"))
        #expect(output.contains("[emerg]") || output.contains("does not serve green"))
        #expect(output.contains("rolled back: verify failed"))
        #expect(stack.upstreams == before)
        #expect(fetch(port: stack.proxyPort)?.colors == ["blue"])
        #expect(stack.leaves == ["web-blue"])
    }

    @Test func rollbackGoesBackToThePreviousSpec() throws {
        let stack = try ProxyStack(name: "deploy-rollback")
        let deployed = try stack.deploy("deploy", ["--set", "NAME=v2"])
        #expect(deployed.code == 0, "\(deployed.output)")
        #expect(fetch(port: stack.proxyPort)?.body.hasPrefix("hello from v2 color=green") == true)
        let (code, output) = try stack.deploy("rollback")
        #expect(code == 0, "\(output)")
        let answer = try #require(fetch(port: stack.proxyPort))
        #expect(answer.colors == ["blue"])
        #expect(answer.body.hasPrefix("hello from hello-http color=blue"))
        // Nothing older is left to roll back to.
        let again = try stack.deploy("rollback")
        #expect(again.code == 1)
        #expect(again.output.contains("no earlier deployed spec"))
        try stack.run.waitUntil("both in the history") { try stack.deploys().count == 2 }
        #expect(try stack.deploys().map(\.kind) == ["deploy", "rollback"])
    }

    @Test func controlCDuringADeployRollsBack() throws {
        let stack = try ProxyStack(name: "deploy-interrupt")
        let spec = try stack.specFile(command: "[\(example("hello-http")), --never-ready]")
        let process = try stack.start("deploy", ["--file", spec])
        try poll("green to be started", timeout: .seconds(20), context: { process.tail() }) {
            stack.run.processes(inLeaf: "web-green").count > 0
        }
        // Both instances are shown (and counted by the live budget) while the deploy runs.
        let ps = try stack.ps()
        #expect(ps.contains("\"name\" : \"web-green\""))
        #expect(ps.contains("\"instance_of\" : \"web\""))
        let budget = try BerthProcess(arguments: ["budget", "--file", stack.run.stackFile, "-p", stack.run.project, "--format", "json"],
                                      directory: stack.run.directory, outputPrefix: stack.run.directory + "/budget")
        budget.process.waitUntilExit()
        #expect(budget.stdout.contains("\"name\": \"web-green\""), "\(budget.output)")
        process.signal(SIGINT)
        try poll("berth deploy to end", timeout: .seconds(30), context: { process.tail() }) { !process.isRunning }
        process.process.waitUntilExit()
        #expect(process.exitCode == 1, "\(process.output)")
        #expect(process.output.contains("interrupted"))
        #expect(process.output.contains("rolled back: health failed"))
        #expect(fetch(port: stack.proxyPort)?.colors == ["blue"])
        #expect(stack.leaves == ["web-blue"])
    }

    @Test func aRequestInFlightAtTheSwitchCompletes() throws {
        let stack = try ProxyStack(name: "deploy-inflight")
        let slow = Mutex<Fetched?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { [port = stack.proxyPort] in
            let answer = fetch(port: port, path: "/slow?ms=3000")
            slow.withLock { $0 = answer }
            done.signal()
        }
        thread.start()
        try poll("the slow request to reach blue", timeout: .seconds(10)) {
            Self.connections(toPort: stack.bluePort) > 0
        }
        let (code, output) = try stack.deploy()
        #expect(code == 0, "\(output)")
        #expect(done.wait(timeout: .now() + 30) == .success)
        let answer = try #require(slow.withLock { $0 })
        #expect(answer.status == 200)
        #expect(answer.colors == ["blue"])
        #expect(answer.body.hasPrefix("slow 3000"))
        #expect(fetch(port: stack.proxyPort)?.colors == ["green"])
    }

    @Test func aRestartedBerthRunsTheDeployedSpecInItsColour() throws {
        let stack = try ProxyStack(name: "deploy-restart")
        let deployed = try stack.deploy("deploy", ["--set", "NAME=v2"])
        #expect(deployed.code == 0, "\(deployed.output)")
        stack.run.signal(SIGTERM)
        #expect(try stack.run.waitForExit() == 0)
        try stack.run.launch()
        try stack.run.waitUntil("the proxy serves green again", timeout: .seconds(20)) {
            fetch(port: stack.proxyPort).map { $0.status == 200 && $0.colors == ["green"] } ?? false
        }
        #expect(fetch(port: stack.proxyPort)?.body.hasPrefix("hello from v2 color=green") == true)
        #expect(stack.leaves == ["web-green"])
        // And it rolls back from there.
        let (code, output) = try stack.deploy("rollback")
        #expect(code == 0, "\(output)")
        #expect(fetch(port: stack.proxyPort)?.body.hasPrefix("hello from hello-http color=blue") == true)
    }

    @Test func stoppingTheStackDuringADeployStopsBothColours() throws {
        let stack = try ProxyStack(name: "deploy-down")
        let spec = try stack.specFile(command: "[\(example("hello-http")), --never-ready]")
        let process = try stack.start("deploy", ["--file", spec])
        try poll("green to be started", timeout: .seconds(20), context: { process.tail() }) {
            stack.run.processes(inLeaf: "web-green").count > 0
        }
        stack.run.signal(SIGTERM)
        #expect(try stack.run.waitForExit(timeout: .seconds(30)) == 0)
        try poll("berth deploy to end", timeout: .seconds(30), context: { process.tail() }) { !process.isRunning }
        process.process.waitUntilExit()
        #expect(process.exitCode == 1, "\(process.output)")
        #expect(stack.leaves.isEmpty)
    }

    static func connections(toPort port: Int) -> Int {
        // /proc files have size 0: FileHandle reads them to the end (String(contentsOfFile:) stops at 4 KiB).
        let text = String(decoding: FileHandle(forReadingAtPath: "/proc/net/tcp").flatMap { try? $0.readToEnd() } ?? Data(), as: UTF8.self)
        let wanted = String(format: ":%04X", port)
        return text.split(separator: "\n").filter { $0.split(separator: " ").dropFirst().first?.hasSuffix(wanted) ?? false }
            .filter { $0.split(separator: " ").dropFirst(3).first == "01" }.count
    }
}
