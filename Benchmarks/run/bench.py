#!/usr/bin/env python3
"""make bench-run, the measuring part (Benchmarks/run/run.sh prepares and cleans up).

In one run, berth next to supervisord and s6 supervising the same services:

1. spawn: berth-bench-spawn (Benchmarks/SpawnBench) — /bin/true through berth's Spawner into a
   cgroup v2 leaf, with its anchors (fork fallback, no cgroup, posix_spawn) and a kernel check.
2. restart: examples/bin/stamp run under each supervisor with "restart always" semantics; the
   latency of one restart is the next `start` stamp minus the previous `exit` stamp
   (CLOCK_MONOTONIC in the service itself): it includes the service's exit, the supervisor
   noticing it, any wait the supervisor imposes, the spawn and the exec of the next one.
3. idle: 50 `/bin/sleep 1000000` services under each supervisor, all three side by side; after
   a settle, RSS and CPU time of the supervisors' own processes over a window.

Every process started here is recorded in WORK/pids and every cgroup in WORK/cgroups, so that
cleanup.py can remove them even if this script dies.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402


# ---------------------------------------------------------------------------- statistics


def median(values):
    s = sorted(values)
    n = len(s)
    if n == 0:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def percentile(values, p):
    """Nearest rank."""
    s = sorted(values)
    if not s:
        return None
    rank = max(1, -(-len(s) * p // 100))
    return s[int(rank) - 1]


# ---------------------------------------------------------------------------- bookkeeping


class Run:
    def __init__(self, args):
        self.args = args
        self.work = args.work
        self.out = args.out
        self.started = []  # (label, Popen)

    def record_pid(self, pid, label):
        info = procs.stat(pid)
        with open(os.path.join(self.work, "pids"), "a") as f:
            f.write(f"{pid} {info[3] if info else 0} {label}\n")

    def record_cgroup(self, path):
        with open(os.path.join(self.work, "cgroups"), "a") as f:
            f.write(path + "\n")

    def start(self, label, argv, log, env=None, cwd=None):
        output = open(log, "w")
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, cwd=cwd, start_new_session=True)
        output.close()
        self.record_pid(process.pid, label)
        self.started.append((label, process))
        return process

    def stop(self, label, process, how, timeout=20):
        """Stops a supervisor the way its users do (`how` sends the request), then makes sure
        neither it nor anything below it is left. Returns how many processes had to be killed."""
        below = {pid: info[3] for pid, info in procs.descendants(process.pid).items()}
        if process.poll() is None:
            how(process)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f"  {label} did not stop within {timeout}s: killing it", flush=True)
                process.kill()
                process.wait()
        leftovers = {pid: start for pid, start in below.items() if procs.alive(pid, start)}
        if leftovers:
            procs.kill_all(leftovers)
            procs.wait_gone(leftovers, 5)
        return len(leftovers)


def send(sig):
    return lambda process: process.send_signal(sig)


def own_cgroup_path():
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    return "/"


# ---------------------------------------------------------------------------- 1. spawn


def phase_spawn(run):
    a = run.args
    root = os.path.join(a.cgroup_mount + own_cgroup_path().rstrip("/"), f"berth-bench-{os.getpid()}")
    run.record_cgroup(root)
    print(f"== 1/3 spawn latency: {a.spawn_bench} --count {a.spawn_count} ({root})", flush=True)
    result = subprocess.run([a.spawn_bench, "--count", str(a.spawn_count), "--isolated", str(a.isolated),
                             "--isolated-gap-ms", str(a.isolated_gap_ms), "--cgroup-root", root,
                             "--json", os.path.join(run.out, "spawn.json")],
                            capture_output=True, text=True)
    with open(os.path.join(run.out, "spawn.txt"), "w") as f:
        f.write(result.stdout + result.stderr)
    procs.remove_cgroup_tree(root)
    if result.returncode != 0:
        raise SystemExit(f"berth-bench-spawn failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    print(result.stdout, end="", flush=True)
    with open(os.path.join(run.out, "spawn.json")) as f:
        data = json.load(f)
    series = {}
    for item in data["series"]:
        series[item["key"]] = {
            "label": item["label"],
            "exec_median_us": median(item["exec_ns"]) / 1000, "exec_p99_us": percentile(item["exec_ns"], 99) / 1000,
            "reaped_median_us": median(item["reaped_ns"]) / 1000,
            "reaped_p99_us": percentile(item["reaped_ns"], 99) / 1000,
        }
    return {"count": data["count"], "warmup": data["warmup"], "isolated": data["isolated"],
            "isolated_gap_ms": data["isolated_gap_ms"], "series": series, "killed_leaf": data["killed_leaf"]}


# ---------------------------------------------------------------------------- 2. restart

DURATION_UNITS = {"h": 3600e3, "m": 60e3, "s": 1e3, "ms": 1, "us": 1e-3, "ns": 1e-6}


def compose_ms(text):
    """`1s600ms` → 1600.0 (berth's ComposeDuration.format)."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", text)
    return sum(float(number) * DURATION_UNITS[unit] for number, unit in parts)


def read_stamps(path):
    """[(kind, ns, pid)] in file order."""
    if not os.path.exists(path):
        return []
    rows = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 3 and fields[0] in ("start", "exit"):
                rows.append((fields[0], int(fields[1]), int(fields[2])))
    return rows


def restart_gaps_ms(rows):
    """next start − previous exit, for each exit followed by a start of another process."""
    gaps, last_exit = [], None
    for kind, ns, pid in rows:
        if kind == "exit":
            last_exit = (ns, pid)
        elif last_exit is not None and pid != last_exit[1]:
            gaps.append((ns - last_exit[0]) / 1e6)
            last_exit = None
    return gaps


def await_stamps(process, path, starts_wanted, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if sum(1 for row in read_stamps(path) if row[0] == "start") >= starts_wanted:
            return True
        time.sleep(0.1)
    return False


def stamp_argv(run, path):
    return [run.args.stamp, "--file", path, "--run-ms", str(run.args.run_ms)]


def berth_restart(run, key, title, policy, restarts, force_fork, timeout, hide_cgroups=False):
    """One berth run of the stamp service; `policy` is the service's restart YAML. `force_fork`:
    CSPAWN_FORCE_FORK=1 (berth's fork + cgroup.procs fallback instead of clone3); `hide_cgroups`:
    berth runs in a mount namespace with a tmpfs over /sys/fs/cgroup, so it finds no cgroup v2
    and (with --allow-unenforced) runs its services without leaves."""
    directory = os.path.join(run.work, key)
    os.makedirs(directory)
    stamps = os.path.join(directory, "stamps")
    project = f"berthbench-{os.getpid()}-{key}"
    stack = os.path.join(directory, "stack.yml")
    with open(stack, "w") as f:
        f.write(f"name: {project}\nservices:\n  stamp:\n    command: {json.dumps(stamp_argv(run, stamps))}\n{policy}")
    run.record_cgroup(os.path.join(run.args.cgroup_mount + own_cgroup_path().rstrip("/"), "berth-" + project))
    env = dict(os.environ)
    env.pop("CSPAWN_FORCE_FORK", None)
    if force_fork:
        env["CSPAWN_FORCE_FORK"] = "1"
    log = os.path.join(run.out, f"restart-{key}.log")
    print(f"   {title}: up to {restarts} restarts (timeout {timeout:.0f}s)", flush=True)
    argv = [run.args.berth, "up", "-f", stack, "--state-dir", os.path.join(directory, "state"),
            "--allow-unenforced", "--no-attach"]
    if hide_cgroups:
        # unshare execs in place: the pid stays berth's. Private propagation: the host sees nothing.
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount -t tmpfs berth-bench-no-cgroup /sys/fs/cgroup && exec "$@"', "sh"] + argv
    process = run.start(key, argv, log, env=env, cwd=directory)
    await_stamps(process, stamps, restarts + 1, timeout)
    early_exit = process.poll()
    left = run.stop(key, process, send(signal.SIGTERM))
    if os.path.exists(stamps):
        shutil.copy(stamps, os.path.join(run.out, f"restart-{key}.stamps"))
    rows = read_stamps(stamps)
    gaps = restart_gaps_ms(rows)
    with open(log) as f:
        text = f.read()
    backoffs = [compose_ms(m) for m in re.findall(r"stamp: restart scheduled: restart \d+ in (\S+)", text)]
    attempts = len(re.findall(r"stamp started \(pid", text)) - 1
    sigkilled = len(re.findall(r"stamp killed by SIGKILL", text))
    # The k-th gap belongs to the k-th scheduled restart while every restart reaches exec.
    net = [gap - backoff for gap, backoff in zip(gaps, backoffs)] if attempts == len(gaps) else []
    return {"key": key, "title": title, "gaps_ms": gaps, "net_ms": net, "backoffs_ms": backoffs[:len(gaps) or None],
            "attempts": attempts, "reached_exec": len(gaps), "sigkilled": sigkilled,
            "starts": sum(1 for r in rows if r[0] == "start"), "early_exit": early_exit, "left_behind": left,
            "wait": "scheduled backoff (from berth's log)"}


def supervisord_restart(run, restarts, timeout):
    directory = os.path.join(run.work, "supervisord-restart")
    os.makedirs(directory)
    stamps = os.path.join(directory, "stamps")
    conf = os.path.join(directory, "supervisord.conf")
    with open(conf, "w") as f:
        f.write(supervisord_header(directory) + "[program:stamp]\ncommand=" + " ".join(stamp_argv(run, stamps))
                + "\nautorestart=true\nstartsecs=1\n")
    log = os.path.join(run.out, "restart-supervisord.log")
    print(f"   supervisord: {restarts} restarts (timeout {timeout:.0f}s)", flush=True)
    process = run.start("supervisord-restart", ["supervisord", "-n", "-c", conf], log, cwd=directory)
    await_stamps(process, stamps, restarts + 1, timeout)
    early_exit = process.poll()
    left = run.stop("supervisord", process, send(signal.SIGTERM))
    shutil.copy(stamps, os.path.join(run.out, "restart-supervisord.stamps"))
    gaps = restart_gaps_ms(read_stamps(stamps))
    return {"key": "supervisord", "title": f"supervisord {run.versions['supervisor']}, autorestart=true",
            "gaps_ms": gaps, "net_ms": gaps, "backoffs_ms": [], "reached_exec": len(gaps), "attempts": len(gaps),
            "early_exit": early_exit, "left_behind": left,
            "wait": "none configured (it respawns on the main-loop pass after the exit; poll timeout 1 s)"}


def supervisord_header(directory):
    return ("[supervisord]\nnodaemon=true\nuser=root\n"
            f"logfile={directory}/supervisord.log\npidfile={directory}/supervisord.pid\nchildlogdir={directory}\n\n")


def s6_restart(run, restarts, timeout):
    directory = os.path.join(run.work, "s6-restart")
    service = os.path.join(directory, "scan", "stamp")
    os.makedirs(service)
    stamps = os.path.join(directory, "stamps")
    # `run` is stamp itself: s6-supervise execs ./run NAME directly, no shell in between.
    os.symlink(os.path.abspath(run.args.stamp), os.path.join(service, "run"))
    env = dict(os.environ, STAMP_FILE=stamps)
    log = os.path.join(run.out, "restart-s6.log")
    print(f"   s6: {restarts} restarts (timeout {timeout:.0f}s)", flush=True)
    scan = os.path.join(directory, "scan")
    process = run.start("s6-restart", ["s6-svscan", scan], log, env=env, cwd=directory)
    await_stamps(process, stamps, restarts + 1, timeout)
    early_exit = process.poll()
    left = run.stop("s6-svscan", process, lambda p: subprocess.run(["s6-svscanctl", "-t", scan]))
    shutil.copy(stamps, os.path.join(run.out, "restart-s6.stamps"))
    gaps = restart_gaps_ms(read_stamps(stamps))
    return {"key": "s6", "title": f"s6-svscan {run.versions['s6']}, run -> stamp",
            "gaps_ms": gaps, "net_ms": [g - 1000 for g in gaps], "backoffs_ms": [1000] * len(gaps),
            "reached_exec": len(gaps), "attempts": len(gaps), "early_exit": early_exit, "left_behind": left,
            "wait": "1 s: s6-supervise restarts ./run 1 s after it died (no ./finish)"}


def phase_restart(run, spawn):
    a = run.args
    run_s = a.run_ms / 1000
    print(f"== 2/3 restart latency: stamp --run-ms {a.run_ms} under each supervisor", flush=True)
    results = []
    always = "    restart: always\n"
    no_backoff = "    deploy:\n      restart_policy: {condition: any, delay: 0s}\n"
    docker_restarts = 5  # backoffs 100, 200, 400, 800, 1600 ms: the runs are shorter than 10 s
    docker_timeout = (docker_restarts + 1) * run_s + 3.1 + 3
    many_timeout = a.restarts * (run_s + 0.5) + 10
    shipped = berth_restart(run, "berth-clone3-backoff", "berth as shipped, restart: always",
                            always, docker_restarts, False, docker_timeout)
    results.append(shipped)
    if shipped["reached_exec"] > 0 and shipped["reached_exec"] == shipped["attempts"]:
        results.append(berth_restart(run, "berth-clone3-nobackoff", "berth as shipped, delay: 0s",
                                     no_backoff, a.restarts, False, many_timeout))
    else:
        # With delay: 0s a restart that never reaches exec would loop as fast as berth can spawn.
        print("   (berth's restarts do not reach exec: measuring its fork fallback, CSPAWN_FORCE_FORK=1, "
              "instead of a no-backoff run)", flush=True)
        results.append(berth_restart(run, "berth-fork-nobackoff", "berth, fork fallback, delay: 0s",
                                     no_backoff, a.restarts, True, many_timeout))
        results.append(berth_restart(run, "berth-fork-backoff", "berth, fork fallback, restart: always",
                                     always, docker_restarts, True, docker_timeout))
    # The same loop with nothing to place: what the cgroup leaf costs a restart.
    results.append(berth_restart(run, "berth-nocgroup-nobackoff", "berth without cgroup leaves, delay: 0s",
                                 no_backoff, a.restarts, False, many_timeout, hide_cgroups=True))
    results.append(supervisord_restart(run, a.restarts, a.restarts * (run_s + 1.5) + 10))
    results.append(s6_restart(run, a.restarts, a.restarts * (run_s + 1.5) + 10))
    for r in results:
        r["raw_median_ms"], r["raw_p90_ms"] = median(r["gaps_ms"]), percentile(r["gaps_ms"], 90)
        r["net_median_ms"], r["net_p90_ms"] = median(r["net_ms"]), percentile(r["net_ms"], 90)
    return results


# ---------------------------------------------------------------------------- 3. idle


def phase_idle(run):
    a = run.args
    n = a.services
    print(f"== 3/3 RSS and CPU: {n} x /bin/sleep 1000000 under each supervisor, side by side; "
          f"{a.settle}s settle, {a.window}s window", flush=True)
    names = [f"s{i:02d}" for i in range(1, n + 1)]
    # berth
    directory = os.path.join(run.work, "berth-idle")
    os.makedirs(directory)
    project = f"berthbench-{os.getpid()}-idle"
    stack = os.path.join(directory, "stack.yml")
    with open(stack, "w") as f:
        f.write(f"name: {project}\nservices:\n")
        for name in names:
            f.write(f"  {name}:\n    command: [\"/bin/sleep\", \"1000000\"]\n    restart: always\n")
    run.record_cgroup(os.path.join(a.cgroup_mount + own_cgroup_path().rstrip("/"), "berth-" + project))
    berth = run.start("berth-idle", [a.berth, "up", "-f", stack, "--state-dir", os.path.join(directory, "state"),
                                     "--allow-unenforced", "--no-attach"], os.path.join(run.out, "idle-berth.log"),
                      cwd=directory)
    # supervisord
    directory = os.path.join(run.work, "supervisord-idle")
    os.makedirs(directory)
    conf = os.path.join(directory, "supervisord.conf")
    with open(conf, "w") as f:
        f.write(supervisord_header(directory))
        for name in names:
            f.write(f"[program:{name}]\ncommand=/bin/sleep 1000000\nautorestart=true\nstartsecs=1\n\n")
    supervisord = run.start("supervisord-idle", ["supervisord", "-n", "-c", conf],
                            os.path.join(run.out, "idle-supervisord.log"), cwd=directory)
    # s6
    scan = os.path.join(run.work, "s6-idle", "scan")
    for name in names:
        os.makedirs(os.path.join(scan, name))
        script = os.path.join(scan, name, "run")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nexec /bin/sleep 1000000\n")
        os.chmod(script, 0o755)
    s6 = run.start("s6-idle", ["s6-svscan", scan], os.path.join(run.out, "idle-s6.log"), cwd=os.path.dirname(scan))

    supervisors = {"berth": berth, "supervisord": supervisord, "s6": s6}
    ready_at, berth_rss_at_start = {}, None
    deadline = time.monotonic() + 60
    while len(ready_at) < 3 and time.monotonic() < deadline:
        table = procs.all_processes()
        for key, process in supervisors.items():
            if process.poll() is not None:
                raise SystemExit(f"{key} exited with {process.returncode} while starting {n} services "
                                 f"(see {run.out}/idle-{key}.log)")
            sleeping = sum(1 for info in procs.descendants(process.pid, table).values() if info[0] == "sleep")
            if key not in ready_at and sleeping >= n:
                ready_at[key] = time.monotonic()
                if key == "berth":
                    berth_rss_at_start = procs.memory_kib(berth.pid)
        time.sleep(0.1)
    if len(ready_at) < 3:
        raise SystemExit(f"not all {n} services came up within 60 s: ready: {sorted(ready_at)}")
    time.sleep(a.settle)

    def members(table):
        supervise = [pid for pid, info in procs.descendants(s6.pid, table).items() if info[0] == "s6-supervise"]
        return {"berth": [berth.pid], "supervisord": [supervisord.pid], "s6": [s6.pid] + supervise,
                "s6-svscan": [s6.pid]}

    table = procs.all_processes()
    groups = members(table)
    if len(groups["s6"]) != n + 1:
        raise SystemExit(f"expected {n} s6-supervise processes, found {len(groups['s6']) - 1}")
    start_time = time.monotonic()
    start_ticks = {key: sum(table[pid][2] for pid in pids) for key, pids in groups.items()}
    samples = []  # (t, key, VmRSS, RssAnon, RssFile, Pss)
    next_sample = start_time
    while True:
        now = time.monotonic()
        for key, pids in groups.items():
            memory = [procs.memory_kib(pid) for pid in pids]
            samples.append((round(now - start_time, 3), key, sum(m.get("VmRSS", 0) for m in memory),
                            sum(m.get("RssAnon", 0) for m in memory), sum(m.get("RssFile", 0) for m in memory),
                            sum(procs.pss_kib(pid) for pid in pids)))
        if now - start_time >= a.window:
            break
        next_sample += 1
        time.sleep(max(0, min(next_sample, start_time + a.window) - time.monotonic()))
    end_time = time.monotonic()
    table = procs.all_processes()
    gone = [pid for pids in groups.values() for pid in pids if pid not in table]
    if gone:
        raise SystemExit(f"supervisor processes ended during the window: {gone}")
    end_ticks = {key: sum(table[pid][2] for pid in pids) for key, pids in groups.items()}
    sleeping_now = {key: sum(1 for info in procs.descendants(p.pid, table).values() if info[0] == "sleep")
                    for key, p in supervisors.items()}

    with open(os.path.join(run.out, "idle-samples.csv"), "w") as f:
        f.write("t_s,supervisor,vmrss_kib,rss_anon_kib,rss_file_kib,pss_kib\n")
        for row in samples:
            f.write(",".join(map(str, row)) + "\n")

    elapsed = end_time - start_time
    results = {}
    for key in groups:
        rss = [row[2] for row in samples if row[1] == key]
        anon = [row[3] for row in samples if row[1] == key]
        pss = [row[5] for row in samples if row[1] == key]
        ticks = end_ticks[key] - start_ticks[key]
        results[key] = {"processes": len(groups[key]), "rss_median_kib": median(rss), "rss_max_kib": max(rss),
                        "rss_first_kib": rss[0], "rss_last_kib": rss[-1], "anon_median_kib": median(anon),
                        "pss_median_kib": median(pss),
                        "cpu_ticks": ticks, "cpu_percent": ticks / procs.CLOCK_TICKS / elapsed * 100}
    results["berth"]["rss_after_start_kib"] = berth_rss_at_start.get("VmRSS") if berth_rss_at_start else None
    results["window_s"] = elapsed
    results["services_running_at_end"] = sleeping_now

    print("   stopping the three supervisors", flush=True)
    results["left_behind"] = {
        "berth": run.stop("berth", berth, send(signal.SIGTERM)),
        "supervisord": run.stop("supervisord", supervisord, send(signal.SIGTERM)),
        "s6": run.stop("s6-svscan", s6, lambda p: subprocess.run(["s6-svscanctl", "-t", scan])),
    }
    return results


# ---------------------------------------------------------------------------- report


def fmt_ms(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def report(run, spawn, restarts, idle, load):
    a = run.args
    lines = []
    add = lines.append
    uname = os.uname()
    add(f"berth bench-run: {os.cpu_count()} CPUs, Linux {uname.release}, cgroup v2 at {a.cgroup_mount}; "
        f"supervisord {run.versions['supervisor']}, s6 {run.versions['s6']}")
    add(f"machine CPU busy (every process, the benchmark's own included): {load['spawn']:.0f}% during 1, "
        f"{load['restart']:.0f}% during 2, {load['idle']:.0f}% during 3")
    if load["restart"] > 10:
        add("   ^ 2 is mostly sleeping: more than a few % means other work ran, and the latencies are skewed")
    if load["idle"] > 10:
        add("   ^ other work ran during 3 (RSS and CPU time are per process, so they are barely affected)")
    add("")
    add(f"1. Spawn of /bin/true into a cgroup leaf, {spawn['count']} after {spawn['warmup']} warm-up (ms)")
    add(f"   {'':44} {'spawn→exec confirmed':>22} {'spawn→reaped':>20}")
    add(f"   {'':44} {'median':>10} {'p99':>11} {'median':>9} {'p99':>10}")
    for key in ("leaf_clone3", "leaf_fork", "no_cgroup", "posix_spawn", "leaf_clone3_isolated", "leaf_fork_isolated",
                "no_cgroup_isolated", "posix_spawn_isolated"):
        s = spawn["series"].get(key)
        if s is None:
            continue
        if key == "leaf_clone3_isolated":
            add(f"   isolated: {spawn['isolated']} spawns, {spawn['isolated_gap_ms']} ms apart (how a restart meets it)")
        add(f"   {s['label']:44} {s['exec_median_us'] / 1000:10.3f} {s['exec_p99_us'] / 1000:11.3f} "
            f"{s['reaped_median_us'] / 1000:9.3f} {s['reaped_p99_us'] / 1000:10.3f}")
    k = spawn["killed_leaf"]
    add(f"   kernel check, leaf after `echo 1 > cgroup.kill`: clone3 child {k['clone3']}; fork-fallback child {k['fork']}")
    add("")
    add(f"2. Restart latency: stamp exits → next stamp starts (CLOCK_MONOTONIC in the service), runs of {a.run_ms} ms (ms)")
    add(f"   {'':46} {'n':>3} {'raw median':>11} {'p90':>9} {'wait excluded':>14} {'median':>9} {'p90':>9}")
    for r in restarts:
        if r["reached_exec"] == 0:
            add(f"   {r['title']:46} {0:>3}   FAILED: {r['attempts']} restart attempts, none reached exec "
                f"({r.get('sigkilled', 0)} killed by SIGKILL)")
            continue
        wait = "backoff" if r["key"].startswith("berth") else ("1 s" if r["key"] == "s6" else "none")
        if r["key"].startswith("berth") and r["backoffs_ms"] and max(r["backoffs_ms"]) == 0:
            wait = "0 (delay: 0s)"
        add(f"   {r['title']:46} {r['reached_exec']:>3} {fmt_ms(r['raw_median_ms']):>11} {fmt_ms(r['raw_p90_ms']):>9} "
            f"{wait:>14} {fmt_ms(r['net_median_ms']):>9} {fmt_ms(r['net_p90_ms']):>9}")
    for r in restarts:
        if r["key"].endswith("backoff") and r["key"].startswith("berth") and r["backoffs_ms"] and max(r["backoffs_ms"]) > 0:
            add(f"   {r['title']}: backoffs {', '.join(f'{b:.0f}' for b in r['backoffs_ms'])} ms "
                "(Docker's: 100 ms doubling while runs last < 10 s)")
    add("   waits: supervisord has none configured; its ~1 s is the main loop's poll timeout (respawn on the next pass).")
    add("          s6-supervise waits 1 s after ./run dies before starting it again.")
    add("")
    add(f"3. {a.services} x /bin/sleep 1000000, all three side by side, {idle['window_s']:.1f} s window after a "
        f"{a.settle} s settle")
    add(f"   {'':34} {'procs':>5} {'RSS median':>11} {'RSS max':>9} {'anon':>9} {'PSS':>9} {'CPU %':>7}")
    labels = {"berth": "berth", "supervisord": "supervisord (python)", "s6": "s6 (s6-svscan + s6-supervise)",
              "s6-svscan": "s6-svscan alone"}
    for key in ("berth", "supervisord", "s6", "s6-svscan"):
        r = idle[key]
        add(f"   {labels[key]:34} {r['processes']:>5} {r['rss_median_kib'] / 1024:8.2f}MiB {r['rss_max_kib'] / 1024:6.2f}MiB "
            f"{r['anon_median_kib'] / 1024:6.2f}MiB {r['pss_median_kib'] / 1024:6.2f}MiB {r['cpu_percent']:7.3f}")
    b = idle["berth"]
    start_rss = b.get("rss_after_start_kib")
    if start_rss:
        add(f"   berth RSS: {start_rss / 1024:.2f} MiB when all {a.services} were up → {b['rss_last_kib'] / 1024:.2f} MiB "
            f"at the end (growth {(b['rss_last_kib'] - start_rss) / 1024:+.2f} MiB)")
    add("   RSS = VmRSS summed over the processes (anon = RssAnon; the rest is file-backed: binaries and libraries);")
    add("   PSS = shared pages divided among their users. Medians of 1 s samples.")
    add(f"   CPU % = Δ(utime+stime) of the supervisor's processes over the window; services not counted. "
        f"Tick: {1000 / procs.CLOCK_TICKS:.0f} ms ({100 / procs.CLOCK_TICKS / idle['window_s']:.3f} % per tick).")
    add("")

    # Goals
    spawn_median = spawn["series"]["leaf_clone3"]["exec_median_us"] / 1000
    by_key = {r["key"]: r for r in restarts}
    add("Goals (berth)")
    add(f"   spawn < 2 ms median (clone3 into leaf, spawn→exec)  {spawn_median:8.3f} ms   "
        + ("met" if spawn_median < 2 else "NOT met"))
    primary = by_key.get("berth-clone3-nobackoff") or by_key.get("berth-clone3-backoff")
    if primary and primary["net_median_ms"] is not None:
        add(f"   restart < 5 ms median (backoff excluded)          {primary['net_median_ms']:8.3f} ms   "
            + ("met" if primary["net_median_ms"] < 5 else "NOT met") + f"  ({primary['title']}, n={len(primary['net_ms'])})")
    else:
        failed = by_key.get("berth-clone3-backoff")
        add(f"   restart < 5 ms median (backoff excluded)          NOT met: as shipped, restarts never reach exec "
            f"({failed['attempts'] if failed else '?'} attempts)")
        fallback = by_key.get("berth-fork-nobackoff")
        if fallback and fallback["net_median_ms"] is not None:
            add(f"        with the fork fallback (CSPAWN_FORCE_FORK=1): {fallback['net_median_ms']:.3f} ms median")
    bare = by_key.get("berth-nocgroup-nobackoff")
    if bare and bare["net_median_ms"] is not None:
        add(f"        for comparison, without cgroup leaves:        {bare['net_median_ms']:8.3f} ms median")
    rss = b["rss_max_kib"] / 1024
    add(f"   RSS < 15 MiB (max over the window)                {rss:8.2f} MiB  " + ("met" if rss < 15 else "NOT met"))
    cpu = b["cpu_percent"]
    add(f"   idle CPU < 0.5 %                                  {cpu:8.3f} %    " + ("met" if cpu < 0.5 else "NOT met"))
    for r in restarts:
        if r["early_exit"] is not None:
            add(f"   note: {r['key']} ended on its own (exit status {r['early_exit']}) before it was stopped; "
                f"see {a.out}/restart-{r['key']}.log")
    leftovers = {r["key"]: r["left_behind"] for r in restarts if r["left_behind"]}
    leftovers.update({k: v for k, v in idle["left_behind"].items() if v})
    if leftovers:
        add(f"   note: processes left behind after a stop (killed by the benchmark): {leftovers}")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(run.out, "summary.txt"), "w") as f:
        f.write(text)
    return text


# ---------------------------------------------------------------------------- main


def package_version(name):
    result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    return result.stdout.strip() or "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--berth", required=True)
    parser.add_argument("--spawn-bench", required=True)
    parser.add_argument("--stamp", required=True)
    parser.add_argument("--work", required=True, help="scratch directory (removed by run.sh)")
    parser.add_argument("--out", required=True, help="raw data and summary")
    parser.add_argument("--cgroup-mount", required=True, help="where cgroup2 is mounted")
    parser.add_argument("--spawn-count", type=int, default=1000)
    parser.add_argument("--isolated", type=int, default=30, help="isolated spawns per series")
    parser.add_argument("--isolated-gap-ms", type=int, default=50)
    parser.add_argument("--restarts", type=int, default=30)
    parser.add_argument("--run-ms", type=int, default=1200)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--window", type=float, default=60)
    args = parser.parse_args()
    args.berth, args.spawn_bench, args.stamp = map(os.path.abspath, (args.berth, args.spawn_bench, args.stamp))
    for path in (args.berth, args.spawn_bench, args.stamp):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"{path}: not built (make release examples, and the berth-bench-spawn product)")

    run = Run(args)
    run.versions = {"supervisor": package_version("supervisor"), "s6": package_version("s6")}
    # run.sh's trap sends SIGTERM: unwind through the finally blocks like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    load = {}

    def measured(name, phase, *phase_args):
        """Runs a phase and notes how busy the whole machine was meanwhile (other work skews it)."""
        busy0, total0 = procs.cpu_times()
        result = phase(*phase_args)
        busy1, total1 = procs.cpu_times()
        load[name] = 100 * (busy1 - busy0) / max(1, total1 - total0)
        return result

    try:
        spawn = measured("spawn", phase_spawn, run)
        restarts = measured("restart", phase_restart, run, spawn)
        idle = measured("idle", phase_idle, run)
    finally:
        for label, process in run.started:
            if process.poll() is None:
                run.stop(label, process, send(signal.SIGTERM), timeout=10)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"spawn": spawn, "restart": restarts, "idle": idle, "versions": run.versions, "host_busy": load,
                   "seconds": time.monotonic() - began}, f, indent=1)
    print()
    print(report(run, spawn, restarts, idle, load), end="")
    print(f"raw data: {args.out}/ (took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
