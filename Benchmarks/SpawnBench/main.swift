// berth-bench-spawn: how long berth's spawn primitive takes to start /bin/true in a cgroup v2
// leaf, with anchors measured in the same run. Part of `make bench-run` (Benchmarks/run/run.sh);
// with --confinement, `make bench-spawn` (Benchmarks/spawn/run.sh): see "Confinement" below.
//
// Each series spawns /bin/true --count times (after --warmup unrecorded spawns), one at a time:
//
//   spawn → exec confirmed   Spawner.spawn (C arrays built, pipes, clone3), then poll(2) on the
//                            exec-report pipe until Spawner.outcome says .executed (the pipe hit
//                            EOF: execve closed its CLOEXEC write end)
//   spawn → reaped           the same, then waitpid(2) returns (/bin/true ran and exited)
//
// Series:
//   leaf (clone3)            what berth does: clone3(CLONE_INTO_CGROUP) into the leaf, on x86_64
//                            with CLONE_VM|CLONE_VFORK (the child borrows berth's memory until
//                            exec, as posix_spawn's does); elsewhere, or with CSPAWN_COPY_MEMORY=1
//                            ("copying memory" rows), a copy of berth's page tables as fork makes
//   leaf (fork fallback)     CSPAWN_FORCE_FORK=1: fork, the parent writes cgroup.procs, then exec
//   no cgroup                Spawner.spawn without a leaf (plain fork)
//   posix_spawn (anchor)     glibc posix_spawn + waitpid, no cgroup; posix_spawn returns after exec
//   ... isolated             the four series again, --isolated times, each spawn after
//                            --isolated-gap-ms idle: the cost of one spawn now and then, as a
//                            supervisor restarting a service pays it. Back-to-back writes to
//                            cgroup.procs are cheaper than isolated ones (the kernel's cgroup
//                            threadgroup lock waits for an RCU grace period when it goes from
//                            idle to write-locked), so the loops above understate the fallback;
//                            and a CPU that went idle is slower to wake and has cold caches.
//
// The leaf's O_PATH descriptor is opened once, not per spawn. Children get /dev/null as 0/1/2,
// PATH as their whole environment and / as working directory.
//
// Then a kernel check: one more leaf gets `1` written to cgroup.kill while empty, and /bin/true
// is spawned into it with clone3 and with the fork fallback; how each child ended is reported.
//
// Confinement (--confinement): the same spawn into the leaf (clone3), bare and then confined
// step by step, each child applying its plan before exec (ConfinementPlanner, as `berth up`);
// first bare and full with the copying clone3, for comparison:
//
//   bare                     no confinement (the leaf only)
//   + caps + no_new_privs    root, Docker's 14 capabilities (bounding set dropped, capset),
//                            PR_SET_NO_NEW_PRIVS; seccomp=unconfined
//   + built-in seccomp       the same plus berth's built-in filter (compiled once, before)
//   full (user nobody)       user nobody (setgroups, setresgid, setresuid), cap_add
//                            NET_BIND_SERVICE (ambient), no_new_privs, built-in seccomp
//   posix_spawn (anchor)     as above
//   crun run (anchor)        `crun run` of a minimal bundle (--crun-bundle; /bin/true in a
//                            busybox rootfs), posix_spawn'd, until it has exited and deleted the
//                            container: the whole cost of a container start, --anchor-count times
//   bwrap (anchor)           `bwrap` (--bwrap PATH) with its own pid, ipc and uts namespaces, /
//                            read-only, /proc and /dev, running /bin/true, --anchor-count times
// For the anchors only the reaped column means anything (posix_spawn returns once crun or bwrap
// itself was executed, long before the container's program).
//
// Options: --count N (1000), --warmup N (20), --isolated N (30), --isolated-gap-ms MS (50),
// --cgroup-root DIR (default <cgroup2 mount>/berth-bench-<pid>; created, and removed at the end),
// --json FILE (raw samples and summary); --confinement, --crun-bundle DIR, --crun-root DIR,
// --crun PATH (crun), --crun-args "ARGS" (extra global crun arguments, space-separated),
// --bwrap PATH, --anchor-count N (200).
// Needs root (or a delegated cgroup2 subtree). Exit 0 when every series ran, 1 otherwise.
import Confinement
import Glibc
import StackFile
import Supervisor

// MARK: - Options

struct Options {
    var count = 1000
    var warmup = 20
    var isolated = 30
    var isolatedGapMs = 50
    var cgroupRoot: String?
    var json: String?
    var confinement = false
    var crunBundle: String?
    var crunRoot: String?
    var crun = "crun"
    var crunArguments: [String] = []
    var bwrap: String?
    var anchorCount = 200
}

/// One line on standard error (write(2): Swift 6 does not let us touch glibc's `stderr`).
func printError(_ text: String) {
    var bytes = Array(text.utf8)
    if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    printError("berth-bench-spawn: \(message)\n")
    exit(1)
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    func value(_ name: String) -> String {
        guard let next = arguments.popFirst() else {
            printError("berth-bench-spawn: \(name) needs a value\n")
            exit(2)
        }
        return next
    }
    while let argument = arguments.popFirst() {
        switch argument {
        case "--count": options.count = Int(value(argument)) ?? 0
        case "--warmup": options.warmup = Int(value(argument)) ?? -1
        case "--isolated": options.isolated = Int(value(argument)) ?? -1
        case "--isolated-gap-ms": options.isolatedGapMs = Int(value(argument)) ?? -1
        case "--cgroup-root": options.cgroupRoot = value(argument)
        case "--json": options.json = value(argument)
        case "--confinement": options.confinement = true
        case "--crun-bundle": options.crunBundle = value(argument)
        case "--crun-root": options.crunRoot = value(argument)
        case "--crun": options.crun = value(argument)
        case "--crun-args": options.crunArguments = value(argument).split(separator: " ").map(String.init)
        case "--bwrap": options.bwrap = value(argument)
        case "--anchor-count": options.anchorCount = Int(value(argument)) ?? 0
        case "-h", "--help":
            print("usage: berth-bench-spawn [--count N] [--warmup N] [--isolated N] [--isolated-gap-ms MS] "
                + "[--cgroup-root DIR] [--json FILE] [--confinement [--crun-bundle DIR --crun-root DIR] [--crun PATH] "
                + "[--crun-args ARGS] [--bwrap PATH] [--anchor-count N]]")
            exit(0)
        default:
            printError("berth-bench-spawn: unknown argument \(argument)\n")
            exit(2)
        }
    }
    if options.count < 1 || options.warmup < 0 || options.isolated < 0 || options.isolatedGapMs < 0 || options.anchorCount < 1 {
        printError("berth-bench-spawn: --count must be >= 1, --warmup, --isolated and --isolated-gap-ms >= 0\n")
        exit(2)
    }
    return options
}

// MARK: - Measuring

func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// How a child ended, from a waitpid status ("exited 0", "killed by signal 9").
func describe(_ status: Int32) -> String {
    let signal = status & 0x7f
    return signal == 0 ? "exited \((status >> 8) & 0xff)" : "killed by signal \(signal)"
}

func reap(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { fail("waitpid(\(pid)): \(String(cString: strerror(errno)))") }
    }
    return status
}

/// Blocks in poll(2) until the exec report is in, the way berth's loop waits in epoll.
func awaitExec(_ descriptor: Int32) -> ExecOutcome {
    while true {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        if poll(&entry, 1, -1) < 0, errno != EINTR { fail("poll: \(String(cString: strerror(errno)))") }
        let outcome = Spawner.outcome(of: descriptor)
        if outcome != .pending { return outcome }
    }
}

struct Series {
    var key: String
    var label: String
    var exec: [UInt64] = []
    var reaped: [UInt64] = []
    /// false for the anchors that run another program (crun, bwrap): their exec time is theirs.
    var execMeaningful = true
}

let trueRequest = { (cgroup: Int32?, confinement: ConfinementPlan?) in
    SpawnRequest(executable: "/bin/true", arguments: ["true"], environment: ["PATH": "/usr/bin:/bin"],
                 workingDirectory: "/", cgroupDirectory: cgroup, confinement: confinement)
}

/// `count` spawns through berth's Spawner, `gapMs` apart; `forceFork` sets CSPAWN_FORCE_FORK.
func spawnerSeries(key: String, label: String, cgroup: Int32?, forceFork: Bool, expectClone3: Bool,
                   count: Int, warmup: Int, gapMs: Int = 0, confinement: ConfinementPlan? = nil,
                   copyMemory: Bool = false) -> Series {
    if forceFork { setenv("CSPAWN_FORCE_FORK", "1", 1) } else { unsetenv("CSPAWN_FORCE_FORK") }
    if copyMemory { setenv("CSPAWN_COPY_MEMORY", "1", 1) } else { unsetenv("CSPAWN_COPY_MEMORY") }
    defer {
        unsetenv("CSPAWN_FORCE_FORK")
        unsetenv("CSPAWN_COPY_MEMORY")
    }
    let request = trueRequest(cgroup, confinement)
    var series = Series(key: key, label: label)
    series.exec.reserveCapacity(count)
    series.reaped.reserveCapacity(count)
    for index in 0..<(warmup + count) {
        if gapMs > 0 { usleep(useconds_t(gapMs * 1000)) }
        let start = now()
        let process: SpawnedProcess
        do {
            process = try Spawner.spawn(request)
        } catch {
            fail("\(label): spawn: \(error)")
        }
        let outcome = awaitExec(process.reportDescriptor)
        let executed = now()
        let status = reap(process.pid)
        let reaped = now()
        guard outcome == .executed else { fail("\(label): /bin/true did not start: \(outcome)") }
        guard status == 0 else { fail("\(label): /bin/true \(describe(status))") }
        guard process.placedByClone3 == expectClone3 else {
            fail("\(label): placed by clone3: \(process.placedByClone3), expected \(expectClone3)")
        }
        if index >= warmup {
            series.exec.append(executed - start)
            series.reaped.append(reaped - start)
        }
    }
    return series
}

/// glibc's posix_spawn (clone with CLONE_VM|CLONE_VFORK: returns once the child has exec'd).
func posixSpawnSeries(key: String, label: String, count: Int, warmup: Int, gapMs: Int = 0) -> Series {
    var series = Series(key: key, label: label)
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("true"), nil]
    let envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/bin:/bin"), nil]
    defer { for pointer in argv + envp { free(pointer) } }
    for index in 0..<(warmup + count) {
        if gapMs > 0 { usleep(useconds_t(gapMs * 1000)) }
        var pid: pid_t = 0
        let start = now()
        let code = posix_spawn(&pid, "/bin/true", nil, nil, argv, envp)
        let executed = now()
        guard code == 0 else { fail("posix_spawn: \(String(cString: strerror(code)))") }
        let status = reap(pid)
        let reaped = now()
        guard status == 0 else { fail("posix_spawn: /bin/true \(describe(status))") }
        if index >= warmup {
            series.exec.append(executed - start)
            series.reaped.append(reaped - start)
        }
    }
    return series
}

/// `count` runs of another program to completion (crun, bwrap), posix_spawn'd and reaped; the
/// arguments for run `index` come from `arguments`.
func commandSeries(key: String, label: String, executable: String, count: Int, warmup: Int,
                   arguments: (Int) -> [String]) -> Series {
    var series = Series(key: key, label: label, execMeaningful: false)
    let environment: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nil]
    defer { for pointer in environment { free(pointer) } }
    for index in 0..<(warmup + count) {
        let argv: [UnsafeMutablePointer<CChar>?] = arguments(index).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let start = now()
        let code = posix_spawnp(&pid, executable, nil, nil, argv, environment)
        let executed = now()
        guard code == 0 else { fail("\(label): posix_spawn \(executable): \(String(cString: strerror(code)))") }
        let status = reap(pid)
        let reaped = now()
        guard status == 0 else { fail("\(label): \(arguments(index).joined(separator: " ")) \(describe(status))") }
        if index >= warmup {
            series.exec.append(executed - start)
            series.reaped.append(reaped - start)
        }
    }
    return series
}

/// The plans `--confinement` measures, made as `berth up` makes them.
func confinementPlans() -> (capabilities: ConfinementPlan, seccomp: ConfinementPlan, full: ConfinementPlan) {
    let planner = ConfinementPlanner()
    func plan(_ configure: (inout Service) -> Void) -> ConfinementPlan {
        var service = Service(name: "bench")
        service.command = ["/bin/true"]
        configure(&service)
        do {
            return try planner.plan(for: service).plan
        } catch {
            fail("cannot plan the confinement: \(error)")
        }
    }
    return (plan { $0.security.seccomp = .unconfined }, plan { _ in },
            plan { $0.user = "nobody"; $0.security.capAdd = ["NET_BIND_SERVICE"] })
}

/// Writes `1` to an empty leaf's cgroup.kill, then spawns /bin/true into it: how did it end?
func killedLeafCheck(root: String) -> (clone3: String, fork: String) {
    let leaf = CgroupLeaf(name: "killed", path: root + "/killed")
    do {
        try leaf.create()
    } catch {
        fail("cannot create \(leaf.path): \(error)")
    }
    defer { try? leaf.remove() }
    do {
        try CgroupFiles.write("1", to: leaf.path + "/cgroup.kill")
    } catch {
        return ("no cgroup.kill (\(error))", "no cgroup.kill")
    }
    let fd: Int32
    do {
        fd = try leaf.openDirectory()
    } catch {
        fail("cannot open \(leaf.path): \(error)")
    }
    defer { close(fd) }
    var results: [String] = []
    for forceFork in [false, true] {
        if forceFork { setenv("CSPAWN_FORCE_FORK", "1", 1) } else { unsetenv("CSPAWN_FORCE_FORK") }
        do {
            let process = try Spawner.spawn(trueRequest(fd, nil))
            _ = awaitExec(process.reportDescriptor)
            results.append(describe(reap(process.pid)))
        } catch {
            results.append("spawn failed: \(error)")
        }
    }
    unsetenv("CSPAWN_FORCE_FORK")
    return (results[0], results[1])
}

// MARK: - Statistics and output

/// Median (mean of the two middle values for an even count) and p99 (nearest rank), in ns.
func stats(_ values: [UInt64]) -> (median: Double, p99: Double) {
    let sorted = values.sorted()
    let n = sorted.count
    let median = n % 2 == 1 ? Double(sorted[n / 2]) : (Double(sorted[n / 2 - 1]) + Double(sorted[n / 2])) / 2
    let rank = Int((0.99 * Double(n)).rounded(.up))
    return (median, Double(sorted[max(rank, 1) - 1]))
}

func microseconds(_ nanoseconds: Double) -> String {
    let value = (nanoseconds / 100).rounded() / 10
    let text = String(value)
    return String(repeating: " ", count: max(0, 9 - text.count)) + text
}

func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case _ where scalar.value < 0x20: result += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

func writeJSON(_ path: String, series: [Series], check: (clone3: String, fork: String), root: String, options: Options) {
    var text = "{\n  \"count\": \(options.count),\n  \"warmup\": \(options.warmup),\n"
    text += "  \"isolated\": \(options.isolated),\n  \"isolated_gap_ms\": \(options.isolatedGapMs),\n"
    text += "  \"cgroup_root\": \(jsonString(root)),\n"
    text += "  \"killed_leaf\": {\"clone3\": \(jsonString(check.clone3)), \"fork\": \(jsonString(check.fork))},\n"
    text += "  \"series\": [\n"
    for (index, item) in series.enumerated() {
        text += "    {\"key\": \(jsonString(item.key)), \"label\": \(jsonString(item.label)),\n"
        text += "     \"exec_ns\": [" + item.exec.map(String.init).joined(separator: ",") + "],\n"
        text += "     \"reaped_ns\": [" + item.reaped.map(String.init).joined(separator: ",") + "]}"
        text += index == series.count - 1 ? "\n" : ",\n"
    }
    text += "  ]\n}\n"
    guard let file = fopen(path, "w") else { fail("\(path): \(String(cString: strerror(errno)))") }
    fputs(text, file)
    fclose(file)
}

// MARK: - Main

let options = parseOptions()
guard let mount = CgroupMode.detect().unifiedMount() else { fail("this host has no cgroup v2 hierarchy") }
let root = options.cgroupRoot ?? "\(mount)/berth-bench-\(getpid())"
let base = CgroupLeaf(name: "root", path: root)
let leaf = CgroupLeaf(name: "leaf", path: root + "/leaf")
do {
    try base.create()
    try leaf.create()
} catch {
    fail("cannot create the benchmark's cgroup: \(error)")
}
let leafDescriptor: Int32
do {
    leafDescriptor = try leaf.openDirectory()
} catch {
    fail("cannot open \(leaf.path): \(error)")
}

var all: [Series] = []
if options.confinement {
    let plans = confinementPlans()
    let (count, warmup) = (options.count, options.warmup)
    all.append(spawnerSeries(key: "bare_copying", label: "leaf (clone3 copying memory), bare", cgroup: leafDescriptor,
                             forceFork: false, expectClone3: true, count: count, warmup: warmup, copyMemory: true))
    all.append(spawnerSeries(key: "full_copying", label: "  full, clone3 copying memory", cgroup: leafDescriptor,
                             forceFork: false, expectClone3: true, count: count, warmup: warmup, confinement: plans.full,
                             copyMemory: true))
    all.append(spawnerSeries(key: "bare", label: "leaf (clone3), bare", cgroup: leafDescriptor, forceFork: false,
                             expectClone3: true, count: count, warmup: warmup))
    all.append(spawnerSeries(key: "capabilities", label: "  + caps + no_new_privs", cgroup: leafDescriptor,
                             forceFork: false, expectClone3: true, count: count, warmup: warmup,
                             confinement: plans.capabilities))
    all.append(spawnerSeries(key: "seccomp", label: "  + built-in seccomp", cgroup: leafDescriptor, forceFork: false,
                             expectClone3: true, count: count, warmup: warmup, confinement: plans.seccomp))
    all.append(spawnerSeries(key: "full", label: "  full: + user nobody, ambient cap", cgroup: leafDescriptor,
                             forceFork: false, expectClone3: true, count: count, warmup: warmup, confinement: plans.full))
    all.append(posixSpawnSeries(key: "posix_spawn", label: "posix_spawn + waitpid (anchor)", count: count, warmup: warmup))
    if let bundle = options.crunBundle, let root = options.crunRoot {
        let prefix = "berth-bench-\(getpid())-"
        all.append(commandSeries(key: "crun", label: "crun run, minimal bundle (anchor)", executable: options.crun,
                                 count: options.anchorCount, warmup: 3) { index in
            ["crun"] + options.crunArguments + ["--root", root, "run", "--bundle", bundle, prefix + String(index)]
        })
    }
    if let bwrap = options.bwrap {
        all.append(commandSeries(key: "bwrap", label: "bwrap /bin/true (anchor)", executable: bwrap,
                                 count: options.anchorCount, warmup: 3) { _ in
            ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "--unshare-ipc",
             "--unshare-uts", "--die-with-parent", "/bin/true"]
        })
    }
} else {
all = [
    spawnerSeries(key: "leaf_clone3", label: "Spawner, leaf (clone3)", cgroup: leafDescriptor, forceFork: false,
                  expectClone3: true, count: options.count, warmup: options.warmup),
    spawnerSeries(key: "leaf_fork", label: "Spawner, leaf (fork fallback)", cgroup: leafDescriptor, forceFork: true,
                  expectClone3: false, count: options.count, warmup: options.warmup),
    spawnerSeries(key: "no_cgroup", label: "Spawner, no cgroup", cgroup: nil, forceFork: false,
                  expectClone3: false, count: options.count, warmup: options.warmup),
    posixSpawnSeries(key: "posix_spawn", label: "posix_spawn + waitpid (anchor)", count: options.count,
                     warmup: options.warmup),
]
if options.isolated > 0 {
    let (n, gap) = (options.isolated, options.isolatedGapMs)
    all.append(spawnerSeries(key: "leaf_clone3_isolated", label: "Spawner, leaf (clone3), isolated",
                             cgroup: leafDescriptor, forceFork: false, expectClone3: true, count: n, warmup: 2, gapMs: gap))
    all.append(spawnerSeries(key: "leaf_fork_isolated", label: "Spawner, leaf (fork fallback), isolated",
                             cgroup: leafDescriptor, forceFork: true, expectClone3: false, count: n, warmup: 2, gapMs: gap))
    all.append(spawnerSeries(key: "no_cgroup_isolated", label: "Spawner, no cgroup, isolated",
                             cgroup: nil, forceFork: false, expectClone3: false, count: n, warmup: 2, gapMs: gap))
    all.append(posixSpawnSeries(key: "posix_spawn_isolated", label: "posix_spawn + waitpid, isolated",
                                count: n, warmup: 2, gapMs: gap))
}
}
close(leafDescriptor)
let check = killedLeafCheck(root: root)
try? leaf.remove()
try? base.remove()

if options.confinement {
    print("spawn of /bin/true into a cgroup leaf, \(options.count) each after \(options.warmup) warm-up "
        + "(anchors crun and bwrap: \(options.anchorCount) each), µs:")
} else {
    print("spawn of /bin/true, \(options.count) each after \(options.warmup) warm-up (isolated: \(options.isolated), "
        + "\(options.isolatedGapMs) ms apart), µs:")
}
print(padded("", 40) + "  exec median       p99  reap median       p99")
for item in all {
    let exec = stats(item.exec), reaped = stats(item.reaped)
    let execText = item.execMeaningful ? microseconds(exec.median) + " " + microseconds(exec.p99)
        : padded("", 9 - 1) + "-" + padded("", 9 - 1) + " -"
    print(padded(item.label, 40) + execText + "    " + microseconds(reaped.median) + " " + microseconds(reaped.p99))
}
if options.confinement, let bare = all.first(where: { $0.key == "bare" }), let full = all.first(where: { $0.key == "full" }) {
    let added = (stats(full.exec).median - stats(bare.exec).median) / 1000
    print("confinement adds \(Int(added.rounded())) µs to the median spawn→exec (goal: under 1000 µs)")
    if let crun = all.first(where: { $0.key == "crun" }) {
        let ratio = stats(full.reaped).median / stats(crun.reaped).median
        print("berth's confined spawn→reaped is \((ratio * 1000).rounded() / 1000) of crun run's (goal: under 0.1)")
    }
}
print("after `1` > cgroup.kill of an empty leaf: clone3 child \(check.clone3); fork-fallback child \(check.fork)")
if let path = options.json { writeJSON(path, series: all, check: check, root: root, options: options) }
