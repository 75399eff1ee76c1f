import Foundation
import Glibc
import StateStore
import Synchronization
import Testing

// The harness of the `berth up` integration tests: runs the real `berth` binary on a stack
// written to a fresh temporary directory, as root, on this host's cgroup v2 hierarchy, and
// lets tests wait for conditions on the history, the log files and /proc.

/// The repository's root, found from this file's place in it.
let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The `berth` binary built for these tests: next to the test bundle.
let berthBinary: String = {
    let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("berth").path
    return FileManager.default.isExecutableFile(atPath: besideTests) ? besideTests : projectRoot + "/.build/debug/berth"
}()

/// Where berth puts a project's cgroups on this (hybrid) host when it runs in a shared cgroup.
let cgroupMount: String = {
    // On a unified host the hierarchy is /sys/fs/cgroup itself (it then has cgroup.controllers).
    FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified"
}()

/// The test programs of `examples/` (built once, the first time one is asked for).
let examplesBinaries: String = {
    let directory = projectRoot + "/examples/bin"
    let programs = ["hello-http", "crasher", "memhog", "spin", "forkbomb", "doublefork", "ignoreterm", "logspam", "notify", "probe"]
    if !programs.allSatisfy({ FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }) {
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = ["make", "-s", "-C", projectRoot + "/examples"]
        try? make.run()
        make.waitUntilExit()
    }
    return directory
}()

/// The absolute path of an example program.
func example(_ name: String) -> String {
    examplesBinaries + "/" + name
}

/// A TCP port nobody listens on right now (bound to port 0, then released).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : 0
}

/// Why a test stopped early; the issue itself was already recorded.
struct HarnessFailure: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` every ~20 ms until it holds. A timeout records an issue with
/// `description` and `context()` and throws: a deadline for a condition, never a measurement.
func poll(_ description: String, timeout: Duration, context: () -> String = { "" },
          sourceLocation: SourceLocation = #_sourceLocation, _ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return }
        if ContinuousClock.now >= deadline { break }
        usleep(20_000)
    }
    // One last look: the condition may have come true while the clock ran out.
    if try condition() { return }
    let extra = context()
    let message: String = "timed out after \(timeout) waiting for: \(description)" + (extra.isEmpty ? "" : "\n" + extra)
    Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    throw HarnessFailure(description: "timed out waiting for: \(description)")
}

// MARK: - One berth process

/// One `berth` process, its output in files (never pipes that could fill up).
final class BerthProcess: @unchecked Sendable {
    // Unchecked: used by one test at a time; Foundation's Process is thread-safe for what is used.
    let process: Process
    let stdoutPath: String
    let stderrPath: String

    init(arguments: [String], directory: String, outputPrefix: String, extraEnvironment: [String: String] = [:],
         executable: String = berthBinary) throws {
        stdoutPath = outputPrefix + ".stdout"
        stderrPath = outputPrefix + ".stderr"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CSPAWN_") && $0.key != "NOTIFY_SOCKET" }
        environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        environment["NO_COLOR"] = "1"
        process.environment = environment.merging(extraEnvironment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    /// stdout, then stderr.
    var output: String { stdout + stderr }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// The exit status; 128 + N when a signal N ended it.
    var exitCode: Int32 {
        process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    /// The last `lines` lines of stdout and of stderr, for failure messages.
    func tail(_ lines: Int = 30) -> String {
        func last(_ text: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        }
        return "--- berth (pid \(pid)) stdout, last lines ---\n\(last(stdout))\n--- stderr ---\n\(last(stderr))"
    }
}

// MARK: - A stack run

/// A stack written to a fresh temporary directory and `berth up` run on it with a unique
/// project name and its own state directory. Everything it started is killed and removed when
/// it goes away (or on `cleanup()`).
final class StackRun: @unchecked Sendable {
    // Unchecked: one test owns it; only its own thread touches it.
    let project: String
    let directory: String
    let stackFile: String
    let stateDirectory: String
    /// `<cgroup v2 mount>/berth-<project>`.
    let cgroupRoot: String
    /// Every berth started for this stack, oldest first.
    private(set) var processes: [BerthProcess] = []
    private var store: HistoryStore?
    private var cleanedUp = false
    /// Background berths (`up --wait`) to kill on cleanup.
    private var backgroundPIDs: [Int32] = []

    /// Writes `yaml` as the stack; starts `berth up` unless `start` is false.
    init(_ yaml: String, name: String = "t", attach: Bool = false, start: Bool = true) throws {
        let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        let slug = name.lowercased().unicodeScalars.filter { CharacterSet.lowercaseLetters.contains($0) || CharacterSet.decimalDigits.contains($0) }
        project = "ut-" + String(String.UnicodeScalarView(slug.prefix(12))) + "-" + id
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-up-\(project)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        stackFile = directory + "/stack.yml"
        stateDirectory = directory + "/state"
        cgroupRoot = cgroupMount + "/berth-" + project
        try yaml.write(toFile: stackFile, atomically: true, encoding: .utf8)
        if start { try launch(attach: attach) }
    }

    deinit { cleanup() }

    /// The arguments of `berth up` for this stack.
    func arguments(attach: Bool = false) -> [String] {
        ["up", "-f", stackFile, "-p", project, "--state-dir", stateDirectory, "--allow-unenforced",
         attach ? "--attach" : "--no-attach", "--no-color"]
    }

    /// Starts another `berth up` on the same stack, state directory and project; it becomes
    /// `berth`, the one the other methods talk to.
    @discardableResult
    func launch(attach: Bool = false, environment: [String: String] = [:]) throws -> BerthProcess {
        let process = try BerthProcess(arguments: arguments(attach: attach), directory: directory,
                                       outputPrefix: directory + "/berth-\(processes.count)", extraEnvironment: environment)
        processes.append(process)
        return process
    }

    /// Starts `executable` (berth unless told otherwise) with `arguments` of the caller's
    /// choosing (e.g. `up --wait`) in the stack's directory; it becomes `berth`, like `launch`.
    @discardableResult
    func launch(arguments: [String], environment: [String: String] = [:], executable: String = berthBinary) throws -> BerthProcess {
        let process = try BerthProcess(arguments: arguments, directory: directory,
                                       outputPrefix: directory + "/berth-\(processes.count)", extraEnvironment: environment,
                                       executable: executable)
        processes.append(process)
        return process
    }

    /// A berth that runs in the background (`up --wait`), not a child of the test: killed by
    /// `cleanup()` if it still runs.
    func adoptBackground(pid: Int32) {
        backgroundPIDs.append(pid)
    }

    /// The berth started last.
    var berth: BerthProcess { processes.last! }
    var pid: Int32 { berth.pid }
    var output: String { berth.output }
    var stdout: String { berth.stdout }
    var stderr: String { berth.stderr }

    func signal(_ signal: Int32) { berth.signal(signal) }

    /// Waits for the current berth to exit and returns its exit code (128 + N for signal N).
    /// Past `timeout` it records an issue, kills berth and throws.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(15), sourceLocation: SourceLocation = #_sourceLocation) throws -> Int32 {
        let process = berth
        try poll("berth (pid \(process.pid)) to exit", timeout: timeout, context: { process.tail() },
                 sourceLocation: sourceLocation) { !process.isRunning }
        process.process.waitUntilExit()
        return process.exitCode
    }

    /// Polls `condition` every ~20 ms; a timeout fails the test with `description` and the
    /// tail of berth's output, and throws.
    func waitUntil(_ description: String, timeout: Duration = .seconds(10),
                   sourceLocation: SourceLocation = #_sourceLocation, _ condition: () throws -> Bool) throws {
        try poll(description, timeout: timeout, context: { [self] in self.diagnostics() }, sourceLocation: sourceLocation) {
            // A condition that cannot be read yet (no history) is not met yet.
            (try? condition()) ?? false
        }
    }

    // MARK: History

    /// The history at `<state>/berth.db`, opened for reads once berth has created it (it is
    /// only opened after berth announced the start of the stack, or exited, so that the test
    /// never races berth's own migration of a new file).
    var history: HistoryStore {
        get throws {
            if let store { return store }
            let database = stateDirectory + "/berth.db"
            try poll("berth to create its history at \(database)", timeout: .seconds(10), context: { [self] in berth.tail() }) {
                FileManager.default.fileExists(atPath: database)
                    && (berth.stdout.contains("starting stack") || !berth.isRunning || processes.count > 1)
            }
            let opened = try HistoryStore(path: database) { _ in }
            store = opened
            return opened
        }
    }

    /// Every run of `service`, oldest first.
    func runs(_ service: String) throws -> [RunRecord] {
        try history.runs(service: service)
    }

    /// Runs of `service` that have ended.
    func endedRuns(_ service: String) throws -> [RunRecord] {
        try runs(service).filter { $0.endedAt != nil }
    }

    /// Events, oldest first (optionally of one service and/or one kind).
    func events(service: String? = nil, kind: String? = nil) throws -> [EventRecord] {
        try history.events(service: service).filter { kind == nil || $0.kind == kind }
    }

    // MARK: Files and cgroups

    func logPath(_ service: String) -> String { stateDirectory + "/logs/" + service + ".log" }

    func log(_ service: String) -> String {
        (try? String(contentsOfFile: logPath(service), encoding: .utf8)) ?? ""
    }

    func leaf(_ service: String) -> String { cgroupRoot + "/" + service }

    /// The pids listed in a leaf's `cgroup.procs`.
    func processes(inLeaf service: String) -> [Int32] {
        ((try? String(contentsOfFile: leaf(service) + "/cgroup.procs", encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { Int32($0) }
    }

    /// What to print when a wait times out: berth's output and the latest events.
    func diagnostics() -> String {
        var text = processes.isEmpty ? "" : berth.tail()
        if let store, let events = try? store.events(limit: 25) {
            text += "\n--- last events ---\n" + events.map { "\($0.service ?? "-") \($0.kind): \($0.detail ?? "")" }
                .joined(separator: "\n")
        }
        return text
    }

    // MARK: Cleanup

    /// Kills every berth still running, everything left in the project's cgroups, and removes
    /// them and the temporary directory.
    func cleanup() {
        guard !cleanedUp else { return }
        cleanedUp = true
        // Background berths first: one may hold a descriptor its waiting parent's end depends on.
        for pid in backgroundPIDs where Proc.isAlive(pid) {
            kill(pid, SIGKILL)
        }
        for process in processes where process.isRunning {
            kill(process.pid, SIGKILL)
            process.process.waitUntilExit()
        }
        Cgroups.removeTree(cgroupRoot)
        store = nil
        try? FileManager.default.removeItem(atPath: directory)
    }
}

// MARK: - /proc and cgroups

enum Cgroups {
    /// Kills everything under `root` (cgroup.kill), waits for it to empty, removes the leaves
    /// and the root.
    static func removeTree(_ root: String) {
        guard FileManager.default.fileExists(atPath: root) else { return }
        let leaves = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while isPopulated(root), ContinuousClock.now < deadline {
            write("1", to: root + "/cgroup.kill")
            for leaf in leaves {
                for pid in pids(in: root + "/" + leaf) { kill(pid, SIGKILL) }
            }
            usleep(10_000)
        }
        for leaf in leaves { rmdir(root + "/" + leaf) }
        rmdir(root)
    }

    static func isPopulated(_ directory: String) -> Bool {
        guard let text = try? String(contentsOfFile: directory + "/cgroup.events", encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains("populated 1")
    }

    static func pids(in directory: String) -> [Int32] {
        ((try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { Int32($0) }
    }

    static func write(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }
}

enum Proc {
    struct Stat {
        var pid: Int32
        var state: Character
        var parent: Int32
    }

    /// `/proc/<pid>/stat`: state and parent (the command name may hold spaces and parentheses).
    static func stat(_ pid: Int32) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let parent = Int32(fields[1]) else { return nil }
        return Stat(pid: pid, state: state, parent: parent)
    }

    /// Whether `pid` is a live process (not gone, not a zombie).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = stat(pid) else { return false }
        return stat.state != "Z" && stat.state != "X"
    }

    /// The cgroup v2 path of `pid` (`0::` line of /proc/<pid>/cgroup).
    static func cgroup(_ pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    /// Every process's stat.
    static func all() -> [Stat] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.compactMap { stat($0) }
    }

    /// Zombie children of `parent`.
    static func zombies(of parent: Int32) -> [Int32] {
        all().filter { $0.parent == parent && $0.state == "Z" }.map(\.pid)
    }
}

/// Samples the leaves of a project from a background thread as fast as it can, recording the
/// largest number of processes each leaf ever held at once.
final class LeafSampler: Sendable {
    private let state = Mutex<(running: Bool, maximum: [String: Int], samples: Int)>((true, [:], 0))
    private let done = Mutex(false)

    init(root: String, services: [String]) {
        let thread = Thread { [self] in
            while state.withLock({ $0.running }) {
                for service in services {
                    let count = Cgroups.pids(in: root + "/" + service).count
                    state.withLock { $0.maximum[service] = max($0.maximum[service] ?? 0, count) }
                }
                state.withLock { $0.samples += 1 }
                usleep(500)
            }
            done.withLock { $0 = true }
        }
        thread.start()
    }

    /// Stops sampling; returns the largest count seen per leaf and how many samples were taken.
    func stop() -> (maximum: [String: Int], samples: Int) {
        state.withLock { $0.running = false }
        while !done.withLock({ $0 }) { usleep(1000) }
        return state.withLock { ($0.maximum, $0.samples) }
    }
}

/// Samples the children of one process (every thread's `/proc/<pid>/task/<tid>/children`) from
/// a background thread about every millisecond, recording each child ever seen and its name.
final class ChildSampler: Sendable {
    private let state = Mutex<(running: Bool, children: [Int32: String], samples: Int)>((true, [:], 0))
    private let done = Mutex(false)

    init(parent: Int32) {
        let thread = Thread { [self] in
            while state.withLock({ $0.running }) {
                let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(parent)/task")) ?? []
                var seen: [Int32] = []
                for task in tasks {
                    let text = (try? String(contentsOfFile: "/proc/\(parent)/task/\(task)/children", encoding: .utf8)) ?? ""
                    seen += text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                }
                for pid in seen where state.withLock({ $0.children[pid] == nil }) {
                    let name = processName(pid) ?? "?"
                    state.withLock { $0.children[pid] = name }
                }
                state.withLock { $0.samples += 1 }
                usleep(1000)
            }
            done.withLock { $0 = true }
        }
        thread.start()
    }

    /// Every child seen so far (pid: name when first seen), and how many samples were taken.
    var snapshot: (children: [Int32: String], samples: Int) {
        state.withLock { ($0.children, $0.samples) }
    }

    /// Stops sampling; returns every child seen and how many samples were taken.
    @discardableResult
    func stop() -> (children: [Int32: String], samples: Int) {
        state.withLock { $0.running = false }
        while !done.withLock({ $0 }) { usleep(1000) }
        return snapshot
    }
}

// MARK: - Small helpers of the health tests

/// `argv` of an array: a YAML flow sequence of double-quoted strings.
func argv(_ words: [String]) -> String {
    "[" + words.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        .joined(separator: ", ") + "]"
}

/// How many lines of `text` contain `needle`.
func lines(of text: String, containing needle: String) -> Int {
    text.split(separator: "\n").filter { $0.contains(needle) }.count
}

/// `/usr/bin/curl -sS URL` from the test process; its exit status.
@discardableResult
func curl(_ url: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-sS", "-o", "/dev/null", "--max-time", "5", url]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}

/// Sends `text` as one datagram to the AF_UNIX socket at `path`, from this process; whether it
/// was sent.
func sendDatagram(_ text: String, to path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
    }
    let bytes = Array(text.utf8)
    let sent = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    return sent == bytes.count
}

/// The name of a process (`/proc/<pid>/comm`), or nil when it is gone.
func processName(_ pid: Int32) -> String? {
    (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
}

extension Array where Element == EventRecord {
    /// The index of the first event of `service` of `kind` (whose detail satisfies `detail`),
    /// at or after `start`, in this array.
    func index(of service: String?, _ kind: String, from start: Int = 0,
               where detail: (String) -> Bool = { _ in true }) -> Int? {
        guard start < count else { return nil }
        return self[start...].firstIndex { $0.service == service && $0.kind == kind && detail($0.detail ?? "") }
    }
}
