import Foundation
import Supervisor
import Synchronization
import Testing

// Real processes. Serialized: some tests change process-wide state (ignored signals, the
// CSPAWN_FORCE_* variables read by the C side on every call).
@Suite("Spawner", .serialized, .timeLimit(.minutes(2)))
struct SpawnerTests {

    // MARK: - The child starts clean

    @Test("new session, default signals, empty mask, only 0/1/2 and keep_fd open", arguments: [false, true])
    func childStartsClean(walkingProcFd: Bool) throws {
        // Extra descriptors without CLOEXEC, as a careless supervisor thread might leave them.
        var leaked = (0..<3).map { _ in open("/dev/null", O_RDONLY) }
        leaked.append(dup2(leaked[0], 200))
        let keep = TestPipe()
        defer {
            leaked.forEach { close($0) }
            keep.close()
        }
        #expect(leaked.allSatisfy { $0 > 2 })

        // Signals blocked on this thread and ignored in the process: the child must not inherit either.
        var blocked = sigset_t()
        var savedMask = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGUSR1, SIGTERM, 40] { sigaddset(&blocked, signal) }
        pthread_sigmask(SIG_BLOCK, &blocked, &savedMask)
        let savedUSR2 = signal(SIGUSR2, SIG_IGN)
        let savedHUP = signal(SIGHUP, SIG_IGN)
        let parentStatus = (try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)) ?? ""

        if walkingProcFd { setenv("CSPAWN_FORCE_FD_WALK", "1", 1) }
        // "; exit 0": otherwise dash execs its last command in place of itself.
        let script = "echo $$; cat /proc/$$/stat; echo fds; ls /proc/$$/fd; exit 0"
        let run = try Run(SpawnRequest(
            executable: "/bin/sh", arguments: ["sh", "-c", script],
            environment: ["PATH": "/usr/bin:/bin"], keepDescriptor: keep.write))
        // The signal state is read by grep itself: dash clears its own mask when it starts.
        let signals = try Run(SpawnRequest(
            executable: "/bin/grep", arguments: ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]))
        unsetenv("CSPAWN_FORCE_FD_WALK")
        pthread_sigmask(SIG_SETMASK, &savedMask, nil)
        signal(SIGUSR2, savedUSR2)
        signal(SIGHUP, savedHUP)

        // The setup really was dirty.
        #expect(field("SigBlk", in: parentStatus) != "0000000000000000")
        #expect(field("SigIgn", in: parentStatus) != "0000000000000000")

        #expect(run.outcome == .executed)
        #expect(run.exitCode == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count >= 4)
        let pid = lines[0]
        #expect(pid == String(run.pid))
        // /proc/<pid>/stat: "pid (comm) state ppid pgrp session ..."; fields after the comm.
        let afterComm = lines[1][lines[1].range(of: ")", options: .backwards)!.upperBound...]
            .split(separator: " ")
        #expect(String(afterComm[2]) == pid, "process group")
        #expect(String(afterComm[3]) == pid, "session")
        #expect(signals.outcome == .executed)
        #expect(field("SigBlk", in: signals.stdout) == "0000000000000000")
        #expect(field("SigIgn", in: signals.stdout) == "0000000000000000")
        let fds = Set(lines.drop { $0 != "fds" }.dropFirst())
        #expect(fds == ["0", "1", "2", String(keep.write)])
    }

    // MARK: - What the request sets

    @Test func standardOutputAndErrorGoToTheirPipes() throws {
        let run = try Run(SpawnRequest(
            executable: "/bin/sh", arguments: ["sh", "-c", "echo to-out; echo to-err >&2"]))
        #expect(run.outcome == .executed)
        #expect(run.stdout == "to-out\n")
        #expect(run.stderr == "to-err\n")
    }

    @Test func standardInputFromAPipeAndNilIsDevNull() throws {
        let input = TestPipe()
        defer { input.close() }
        _ = "piped\n".withCString { write(input.write, $0, 6) }
        input.closeWrite()
        let fromPipe = try Run(SpawnRequest(executable: "/bin/cat", arguments: ["cat"], standardInput: input.read))
        #expect(fromPipe.stdout == "piped\n")

        let nothing = try Run(SpawnRequest(
            executable: "/bin/sh", arguments: ["sh", "-c", "readlink /proc/$$/fd/0; cat"],
            environment: ["PATH": "/usr/bin:/bin"]))
        #expect(nothing.stdout == "/dev/null\n")

        // dash performs `cmd >&2` in the shell itself, hence the command substitution.
        let silent = try Run(
            SpawnRequest(executable: "/bin/sh", arguments: ["sh", "-c", "echo lost; out=$(readlink /proc/$$/fd/1); echo $out >&2"],
                         environment: ["PATH": "/usr/bin:/bin"]),
            captureOutput: false, captureError: true)
        #expect(silent.stderr == "/dev/null\n")
    }

    @Test("a standard descriptor <= 2 is passed through (duplicated above 2 first)")
    func lowStandardDescriptorIsPassedThrough() throws {
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/0")
        let run = try Run(SpawnRequest(
            executable: "/bin/readlink", arguments: ["readlink", "/proc/self/fd/0"], standardInput: 0))
        #expect(run.stdout == ours + "\n")
    }

    @Test func environmentIsExactlyTheGivenOne() throws {
        let run = try Run(SpawnRequest(
            executable: "/usr/bin/env", arguments: ["env"],
            environment: ["A": "1", "WITH_SPACE": "two words", "EMPTY": ""]))
        #expect(Set(run.stdout.split(separator: "\n")) == ["A=1", "WITH_SPACE=two words", "EMPTY="])
    }

    @Test func argumentsArePassedVerbatim() throws {
        // "; exit 0": otherwise dash execs its last command in place of itself.
        let script = "cat /proc/$$/cmdline; exit 0"
        let run = try Run(SpawnRequest(
            executable: "/bin/sh", arguments: ["custom-argv0", "-c", script, "a b", "", "*"],
            environment: ["PATH": "/usr/bin:/bin"]))
        #expect(run.stdout.split(separator: "\0", omittingEmptySubsequences: false)
            == ["custom-argv0", "-c", Substring(script), "a b", "", "*", ""])
    }

    @Test func workingDirectoryIsApplied() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try Run(SpawnRequest(executable: "/bin/pwd", arguments: ["pwd", "-P"], workingDirectory: directory.path))
        #expect(run.stdout == directory.path + "\n")
    }

    @Test func resourceLimitsAreApplied() throws {
        let run = try Run(SpawnRequest(
            executable: "/bin/sh", arguments: ["sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c"],
            resourceLimits: [
                ResourceLimit(resource: Int32(RLIMIT_NOFILE.rawValue), soft: 123, hard: 456),
                ResourceLimit(resource: Int32(RLIMIT_CORE.rawValue), soft: ResourceLimit.unlimited,
                              hard: ResourceLimit.unlimited),
            ]))
        #expect(run.stdout == "123\n456\nunlimited\n")
    }

    @Test(arguments: [500, 1000, 0])
    func oomScoreAdjustIsWritten(score: Int) throws {
        let run = try Run(SpawnRequest(
            executable: "/bin/cat", arguments: ["cat", "/proc/self/oom_score_adj"], oomScoreAdjust: score))
        #expect(run.outcome == .executed)
        #expect(run.stdout == "\(score)\n")
    }

    @Test("a negative oom_score_adj needs CAP_SYS_RESOURCE: written with it, EACCES without")
    func negativeOomScoreAdjust() throws {
        let run = try Run(SpawnRequest(
            executable: "/bin/cat", arguments: ["cat", "/proc/self/oom_score_adj"], oomScoreAdjust: -17))
        if hasCapability(24) {  // CAP_SYS_RESOURCE
            #expect(run.outcome == .executed)
            #expect(run.stdout == "-17\n")
        } else {
            #expect(run.outcome == .failed(stage: .oomScore, errno: EACCES))
            #expect(run.exitCode == 127)
        }
    }

    // MARK: - Exec outcome

    @Test func successIsExecuted() throws {
        let run = try Run(SpawnRequest(executable: "/bin/true", arguments: ["true"]))
        #expect(run.outcome == .executed)
        #expect(run.exitCode == 0)
    }

    @Test func nonExecutableFileFailsAtExecWithEACCES() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let script = directory.path + "/script"
        try "#!/bin/sh\necho hi\n".write(toFile: script, atomically: false, encoding: .utf8)
        chmod(script, 0o644)
        let run = try Run(SpawnRequest(executable: script, arguments: ["script"]))
        #expect(run.outcome == .failed(stage: .exec, errno: EACCES))
        #expect(run.exitCode == 127)
        #expect(run.stdout.isEmpty)
    }

    @Test func missingProgramFailsAtExecWithENOENT() throws {
        let run = try Run(SpawnRequest(executable: "/nonexistent/berth-program", arguments: ["x"]))
        #expect(run.outcome == .failed(stage: .exec, errno: ENOENT))
        #expect(run.exitCode == 127)
    }

    @Test func badWorkingDirectoryFailsAtDirectoryStage() throws {
        let run = try Run(SpawnRequest(executable: "/bin/true", arguments: ["true"], workingDirectory: "/nonexistent/srv"))
        #expect(run.outcome == .failed(stage: .directory, errno: ENOENT))
        #expect(run.exitCode == 127)
    }

    @Test func badResourceLimitFailsAtRlimitStage() throws {
        let run = try Run(SpawnRequest(
            executable: "/bin/true", arguments: ["true"],
            resourceLimits: [ResourceLimit(resource: Int32(RLIMIT_NOFILE.rawValue), soft: 10, hard: 5)]))
        #expect(run.outcome == .failed(stage: .resourceLimits, errno: EINVAL))
        #expect(run.exitCode == 127)
    }

    @Test func badStandardDescriptorFailsAtDescriptorStage() throws {
        let run = try Run(
            SpawnRequest(executable: "/bin/true", arguments: ["true"], standardOutput: 987),
            captureOutput: false)
        #expect(run.outcome == .failed(stage: .descriptors, errno: EBADF))
        #expect(run.exitCode == 127)
    }

    @Test("spawns from several threads at once each get their own outcome")
    func concurrentSpawns() {
        let threads = 4, perThread = 25
        let results = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                // Alternate success and exec failure: a report pipe leaking into a sibling would
                // delay or swap outcomes.
                let missing = (thread + index) % 2 == 1
                let request = SpawnRequest(
                    executable: missing ? "/nonexistent/berth-\(thread)" : "/bin/true", arguments: ["x"])
                do {
                    let child = try Spawner.spawn(request)
                    let outcome = waitForOutcome(child.reportDescriptor)
                    let status = waitForExit(child.pid)
                    let expected: ExecOutcome = missing ? .failed(stage: .exec, errno: ENOENT) : .executed
                    if outcome != expected || status != (missing ? 127 << 8 : 0) {
                        results.withLock { $0.append("\(thread)/\(index): \(outcome) status \(status)") }
                    }
                } catch {
                    results.withLock { $0.append("\(thread)/\(index): \(error)") }
                }
            }
        }
        #expect(results.withLock { $0 } == [])
    }

    @Test("outcome(of:) decodes pending, end of file and a report")
    func outcomeDecoding() throws {
        let quiet = TestPipe(nonBlockingRead: true)
        #expect(Spawner.outcome(of: quiet.read) == .pending)
        quiet.closeWrite()
        #expect(Spawner.outcome(of: quiet.read) == .executed)
        #expect(fcntl(quiet.read, F_GETFD) == -1, "closed once known")
        quiet.forgetRead()

        let failing = TestPipe(nonBlockingRead: true)
        defer { failing.close() }
        var report: [Int32] = [SpawnStage.directory.rawValue, ENOENT]
        _ = write(failing.write, &report, 8)
        #expect(Spawner.outcome(of: failing.read) == .failed(stage: .directory, errno: ENOENT))
        #expect(fcntl(failing.read, F_GETFD) == -1, "closed once known")
        failing.forgetRead()
    }

    @Test func invalidRequestsAreRejectedBeforeAnyChild() {
        #expect(throws: SpawnError.self) { try Spawner.spawn(SpawnRequest(executable: "bin/true", arguments: ["true"])) }
        #expect(throws: SpawnError.self) { try Spawner.spawn(SpawnRequest(executable: "/bin/true", arguments: [])) }
        #expect(throws: SpawnError.self) {
            try Spawner.spawn(SpawnRequest(executable: "/bin/true", arguments: ["true"], keepDescriptor: 2))
        }
        #expect(throws: SpawnError.self) {
            try Spawner.spawn(SpawnRequest(executable: "/bin/true", arguments: ["a\0b"]))
        }
        #expect(throws: SpawnError.self) {
            try Spawner.spawn(SpawnRequest(executable: "/bin/true", arguments: ["true"], environment: ["A=B": "c"]))
        }
        #expect(throws: SpawnError.self) {
            try Spawner.spawn(SpawnRequest(executable: "/bin/true", arguments: ["true"], oomScoreAdjust: 1001))
        }
    }

    // MARK: - Messages

    @Test func failureMessagesReadLikeTheUserExpects() {
        #expect(SpawnFailure.message(service: "web", executable: "/usr/bin/gunicorn", stage: .exec, errno: ENOENT)
            == #"web: exec "/usr/bin/gunicorn": No such file or directory"#)
        #expect(SpawnFailure.message(
            service: "web", executable: "/usr/bin/gunicorn", workingDirectory: "/srv/x", stage: .directory, errno: ENOENT)
            == #"web: working directory "/srv/x": No such file or directory"#)
        #expect(SpawnFailure.message(service: "web", executable: "/usr/bin/gunicorn", stage: .resourceLimits, errno: EPERM)
            == #"web: start "/usr/bin/gunicorn": setrlimit: Operation not permitted"#)
        #expect(SpawnFailure.message(service: "web", executable: "/usr/bin/gunicorn", error: .processCreation(errno: EAGAIN))
            == #"web: start "/usr/bin/gunicorn": fork: Resource temporarily unavailable"#)
        #expect(SpawnFailure.message(service: "web", error: .notFoundInPath(program: "gunicorn"))
            == #"web: exec "gunicorn": executable file not found in $PATH"#)
        #expect(SpawnStage.exec.description == "exec")
        #expect(SpawnStage.directory.description == "chdir")
    }

    // MARK: - cgroup placement

    @Test("clone3 places the child in the leaf", .enabled(if: CgroupLeaf.base != nil))
    func clone3PlacesTheChild() throws {
        let leaf = try CgroupLeaf()
        defer { leaf.remove() }
        let run = try Run(SpawnRequest(
            executable: "/bin/cat", arguments: ["cat", "/proc/self/cgroup"], cgroupDirectory: leaf.descriptor))
        #expect(run.outcome == .executed)
        #expect(run.placedByClone3, "kernel \(kernelRelease()) should support CLONE_INTO_CGROUP")
        #expect(unifiedLine(run.stdout) == "0::" + leaf.relativePath)
    }

    @Test("the copying clone3 (CSPAWN_COPY_MEMORY=1, other machines) places the child too", .enabled(if: CgroupLeaf.base != nil))
    func copyingClone3PlacesTheChild() throws {
        let leaf = try CgroupLeaf()
        defer { leaf.remove() }
        setenv("CSPAWN_COPY_MEMORY", "1", 1)
        defer { unsetenv("CSPAWN_COPY_MEMORY") }
        let run = try Run(SpawnRequest(
            executable: "/bin/cat", arguments: ["cat", "/proc/self/cgroup"], cgroupDirectory: leaf.descriptor))
        #expect(run.outcome == .executed)
        #expect(run.placedByClone3)
        #expect(unifiedLine(run.stdout) == "0::" + leaf.relativePath)
        let missing = try Run(SpawnRequest(executable: "/nonexistent/program", arguments: ["program"], cgroupDirectory: leaf.descriptor))
        #expect(missing.outcome == .failed(stage: .exec, errno: ENOENT))
    }

    @Test("the fork fallback (CSPAWN_FORCE_FORK=1) places the child too", .enabled(if: CgroupLeaf.base != nil))
    func forkFallbackPlacesTheChild() throws {
        let leaf = try CgroupLeaf()
        defer { leaf.remove() }
        setenv("CSPAWN_FORCE_FORK", "1", 1)
        defer { unsetenv("CSPAWN_FORCE_FORK") }
        let run = try Run(SpawnRequest(
            executable: "/bin/cat", arguments: ["cat", "/proc/self/cgroup"], cgroupDirectory: leaf.descriptor))
        #expect(run.outcome == .executed)
        #expect(!run.placedByClone3)
        #expect(unifiedLine(run.stdout) == "0::" + leaf.relativePath)
    }

    @Test("a directory that is not a cgroup: clone3 fails, the fallback fails, spawn throws")
    func placementFailureThrows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fd = open(directory.path, O_PATH | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        #expect(throws: SpawnError.placement(errno: ENOENT)) {
            try Spawner.spawn(SpawnRequest(executable: "/bin/true", arguments: ["true"], cgroupDirectory: fd))
        }
        // (The C side reaps the child it could not place; other tests' children run in this
        // process too, so that is not checked with a process-wide waitpid.)
    }

    // MARK: - Cost (opt-in: BERTH_SPAWN_BENCH=1 swift test --filter spawnCost)

    @Test(.enabled(if: ProcessInfo.processInfo.environment["BERTH_SPAWN_BENCH"] == "1" && CgroupLeaf.base != nil))
    func spawnCost() throws {
        let leaf = try CgroupLeaf()
        defer { leaf.remove() }
        struct Cost: CustomStringConvertible {
            var total: [Double] = []   // spawn() until waitpid returned
            var start: [Double] = []   // spawn() alone (parent side: clone3 or fork + cgroup.procs)
            var clone3 = false
            var description: String {
                func median(_ values: [Double]) -> Int { Int(values.sorted()[values.count / 2].rounded()) }
                func p90(_ values: [Double]) -> Int { Int(values.sorted()[values.count * 9 / 10].rounded()) }
                return "median \(median(total)) µs (p90 \(p90(total))), of which spawn() \(median(start)) µs"
            }
        }
        func measure(_ request: SpawnRequest, count: Int = 1000) throws -> Cost {
            var cost = Cost()
            for _ in 0..<count {
                let begin = monotonicMicroseconds()
                let child = try Spawner.spawn(request)
                cost.start.append(monotonicMicroseconds() - begin)
                cost.clone3 = child.placedByClone3
                _ = waitForOutcome(child.reportDescriptor)
                _ = waitForExit(child.pid)
                cost.total.append(monotonicMicroseconds() - begin)
            }
            return cost
        }
        let intoLeaf = SpawnRequest(executable: "/bin/true", arguments: ["true"], cgroupDirectory: leaf.descriptor)
        let plain = SpawnRequest(executable: "/bin/true", arguments: ["true"])
        let viaClone3 = try measure(intoLeaf)
        setenv("CSPAWN_FORCE_FORK", "1", 1)
        let viaFork = try measure(intoLeaf)
        unsetenv("CSPAWN_FORCE_FORK")
        let noCgroup = try measure(plain)
        print("""
            spawn /bin/true + exec outcome + waitpid, 1000 runs each:
              clone3 into leaf:         \(viaClone3)
              fork + cgroup.procs:      \(viaFork)
              no cgroup (plain fork):   \(noCgroup)
            """)
        #expect(viaClone3.clone3 && !viaFork.clone3)
    }
}

// MARK: - Helpers

/// Not exported by the Glibc module (it needs _GNU_SOURCE); the same value on x86_64 and arm64.
let O_PATH: Int32 = 0o10000000

/// One child run to completion: output drained, exec outcome read, exit status reaped.
struct Run {
    var pid: pid_t
    var placedByClone3: Bool
    var outcome: ExecOutcome
    var status: Int32
    var stdout = ""
    var stderr = ""

    /// The exit code, or nil when the child was killed by a signal.
    var exitCode: Int32? { status & 0x7F == 0 ? (status >> 8) & 0xFF : nil }

    init(_ request: SpawnRequest, captureOutput: Bool = true, captureError: Bool = true) throws {
        var request = request
        let out = TestPipe(), err = TestPipe()
        defer { out.close(); err.close() }
        if captureOutput { request.standardOutput = out.write }
        if captureError { request.standardError = err.write }
        let child = try Spawner.spawn(request)
        // Only the child may hold the write ends now, so end of file means it exited.
        out.closeWrite()
        err.closeWrite()
        pid = child.pid
        placedByClone3 = child.placedByClone3
        outcome = waitForOutcome(child.reportDescriptor)
        let output = drain([out.read, err.read])
        stdout = output[0]
        stderr = output[1]
        status = waitForExit(child.pid)
    }
}

/// A CLOEXEC pipe (so that no other child inherits it past exec). Each end is closed at most
/// once: a second close could hit a number another test (running in parallel) just opened.
final class TestPipe {
    private(set) var read: Int32
    private(set) var write: Int32

    init(nonBlockingRead: Bool = false) {
        var fds: [Int32] = [-1, -1]
        // pipe + F_SETFD rather than pipe2 (not exported by the Glibc module): the window does not
        // matter, the suite that spawns is serialized and the other suite does not spawn.
        precondition(pipe(&fds) == 0)
        read = fds[0]
        write = fds[1]
        _ = fcntl(read, F_SETFD, FD_CLOEXEC)
        _ = fcntl(write, F_SETFD, FD_CLOEXEC)
        if nonBlockingRead { _ = fcntl(read, F_SETFL, O_NONBLOCK) }
    }

    /// The read end was closed by someone else (Spawner.outcome).
    func forgetRead() { read = -1 }

    func closeWrite() {
        if write >= 0 { Glibc.close(write) }
        write = -1
    }

    func close() {
        if read >= 0 { Glibc.close(read) }
        read = -1
        closeWrite()
    }
}

/// Polls the report descriptor until the outcome is known (or 10 s pass: `.pending`).
func waitForOutcome(_ descriptor: Int32) -> ExecOutcome {
    while true {
        let outcome = Spawner.outcome(of: descriptor)
        if outcome != .pending { return outcome }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        if poll(&entry, 1, 10_000) == 0 {
            close(descriptor)
            return .pending
        }
    }
}

func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { return -1 }
    }
    return status
}

/// Reads every descriptor to end of file (with poll, so a full pipe cannot deadlock).
func drain(_ descriptors: [Int32]) -> [String] {
    var data = descriptors.map { _ in [UInt8]() }
    var open = Set(descriptors.indices)
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !open.isEmpty {
        var entries = open.sorted().map { pollfd(fd: descriptors[$0], events: Int16(POLLIN), revents: 0) }
        guard poll(&entries, nfds_t(entries.count), 10_000) > 0 else { break }
        for (entry, index) in zip(entries, open.sorted()) where entry.revents != 0 {
            let count = read(descriptors[index], &buffer, buffer.count)
            if count > 0 { data[index] += buffer[0..<count] } else if count == 0 || errno != EINTR { open.remove(index) }
        }
    }
    return data.map { String(decoding: $0, as: UTF8.self) }
}

func field(_ name: String, in status: String) -> String? {
    for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// Whether this process has capability `number` in its effective set.
func hasCapability(_ number: Int) -> Bool {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    guard let text = field("CapEff", in: status), let bits = UInt64(text, radix: 16) else { return false }
    return bits & (1 << UInt64(number)) != 0
}

func unifiedLine(_ procSelfCgroup: String) -> String? {
    procSelfCgroup.split(separator: "\n").first { $0.hasPrefix("0::") }.map(String.init)
}

func kernelRelease() -> String {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}

func monotonicMicroseconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) * 1e6 + Double(now.tv_nsec) / 1e3
}

struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/berth-spawn-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        // Resolved, so that `pwd -P` output compares equal.
        path = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// `<cgroup2 mount>/berth-spawn-test-<random>/leaf`, opened O_PATH|O_DIRECTORY.
struct CgroupLeaf {
    /// A writable cgroup v2 mount: /sys/fs/cgroup on a pure-v2 host, /sys/fs/cgroup/unified on a
    /// hybrid one; nil (tests skipped) without one or without root.
    static let base: String? = {
        guard geteuid() == 0, let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
        else { return nil }
        // "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0"
        var cgroup2: [String] = []
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 2 && fields[2] == "cgroup2" { cgroup2.append(String(fields[1])) }
        }
        return ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].first { cgroup2.contains($0) }
    }()

    let parent: String
    let path: String
    /// As it appears after "0::" in /proc/<pid>/cgroup (no cgroup namespace assumed).
    let relativePath: String
    let descriptor: Int32

    init() throws {
        let base = try #require(Self.base)
        let name = "berth-spawn-test-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        parent = base + "/" + name
        path = parent + "/leaf"
        relativePath = "/" + name + "/leaf"
        try #require(mkdir(parent, 0o755) == 0)
        try #require(mkdir(path, 0o755) == 0)
        descriptor = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)
        try #require(descriptor >= 0)
    }

    /// After the children were reaped. A reaped task can leave the cgroup a moment later (EBUSY):
    /// retry briefly; this is cleanup, not an assertion.
    func remove() {
        close(descriptor)
        for directory in [path, parent] {
            var attempts = 0
            while rmdir(directory) != 0 && errno == EBUSY && attempts < 200 {
                attempts += 1
                usleep(5_000)
            }
        }
    }
}
