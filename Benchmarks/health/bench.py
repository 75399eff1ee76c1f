#!/usr/bin/env python3
"""make bench-health, the measuring part (Benchmarks/health/run.sh prepares and cleans up).

50 `hello-http` services, each with a health probe every second, under the release berth —
twice in one run, one stack after the other (never overlapping):

  native  x-berth.probe: {http: http://127.0.0.1:PORT/up, interval: 1s, timeout: 1s}
          (berth's own non-blocking HTTP GET on its event loop: no process per probe)
  curl    healthcheck: {test: [CMD, /usr/bin/curl, -fsS, http://127.0.0.1:PORT/up],
                        interval: 1s, timeout: 1s}
          (one curl process per probe, spawned by berth into the service's leaf)

Once all 50 services are healthy (their `health` events in berth's history) and after a settle,
one window (60 s) measures:

  berth CPU     Δ(utime+stime) of berth's process ÷ window (100% = one CPU)
  berth RSS     VmRSS of berth, sampled every second: median and max
  leaves CPU    Σ Δ cpu.stat usage_usec of the 50 service leaves ÷ window: hello-http answering
                the probes, plus, with curl, the curl processes (they run in the leaves)
  machine CPU   busy share of all CPUs (/proc/stat) — everything, this script included
  probes        GET /up requests the services logged during the window (one per probe); with
                curl each one is a process berth spawned, waited for and reaped

Every process started here is recorded in WORK/pids and every cgroup in WORK/cgroups, so that
Benchmarks/run/cleanup.py can remove them even if this script dies.
"""
import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run"))
import procs  # noqa: E402


def median(values):
    s = sorted(values)
    n = len(s)
    if n == 0:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def own_cgroup_path():
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    return "/"


def free_ports(count):
    """`count` distinct TCP ports nobody listens on now (all bound at once, then released)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def write_stack(path, project, mode, hello, ports, curl):
    with open(path, "w") as f:
        f.write(f"name: {project}\nservices:\n")
        for index, port in enumerate(ports, 1):
            url = f"http://127.0.0.1:{port}/up"
            f.write(f"  s{index:02d}:\n    command: {json.dumps([hello, '--port', str(port)])}\n    restart: always\n")
            if mode == "native":
                f.write(f"    x-berth:\n      probe: {{http: \"{url}\", interval: 1s, timeout: 1s}}\n")
            else:
                f.write(f"    healthcheck:\n      test: {json.dumps(['CMD', curl, '-fsS', url])}\n"
                        "      interval: 1s\n      timeout: 1s\n")


def history_counts(database):
    """(services that turned healthy, unhealthy events, restarts) from berth's history."""
    try:
        db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)
        try:
            healthy = db.execute("SELECT COUNT(DISTINCT service) FROM events WHERE kind = 'health' "
                                 "AND detail = 'healthy'").fetchone()[0]
            unhealthy = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'health' "
                                   "AND detail LIKE 'unhealthy%'").fetchone()[0]
            restarts = db.execute("SELECT COUNT(*) FROM events WHERE kind IN ('unhealthy_restart', "
                                  "'restart_scheduled')").fetchone()[0]
            return healthy, unhealthy, restarts
        finally:
            db.close()
    except sqlite3.Error:
        return 0, 0, 0


def probe_requests(logs, names):
    """GET /up requests the services have logged so far."""
    total = 0
    for name in names:
        try:
            with open(os.path.join(logs, name + ".log"), errors="replace") as f:
                total += sum(1 for line in f if " GET /up " in line)
        except FileNotFoundError:
            pass
    return total


def leaves_usage_usec(root, names):
    total = 0
    for name in names:
        try:
            with open(os.path.join(root, name, "cpu.stat")) as f:
                for line in f:
                    if line.startswith("usage_usec "):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def record(work, name, line):
    with open(os.path.join(work, name), "a") as f:
        f.write(line + "\n")


def measure(args, mode):
    n = args.services
    names = [f"s{i:02d}" for i in range(1, n + 1)]
    directory = os.path.join(args.work, mode)
    os.makedirs(directory)
    project = f"berthbench-{os.getpid()}-health-{mode}"
    stack = os.path.join(directory, "stack.yml")
    state = os.path.join(directory, "state")
    write_stack(stack, project, mode, args.hello, free_ports(n), args.curl)
    root = os.path.join(args.cgroup_mount + own_cgroup_path().rstrip("/"), "berth-" + project)
    record(args.work, "cgroups", root)
    title = "native x-berth.probe (http)" if mode == "native" else "healthcheck CMD curl"
    print(f"== {mode}: {n} x hello-http, {title} every 1 s; settle {args.settle:.0f} s, window {args.window:.0f} s",
          flush=True)

    log_path = os.path.join(args.out, f"berth-{mode}.log")
    with open(log_path, "w") as log:
        berth = subprocess.Popen([args.berth, "up", "-f", stack, "--state-dir", state, "--allow-unenforced",
                                  "--no-attach", "--no-color"], stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, cwd=directory, start_new_session=True)
    info = procs.stat(berth.pid)
    record(args.work, "pids", f"{berth.pid} {info[3] if info else 0} berth-{mode}")
    try:
        return window(args, mode, berth, names, state, root, log_path)
    finally:
        stop(berth, mode)


def window(args, mode, berth, names, state, root, log_path):
    n = len(names)
    database = os.path.join(state, "berth.db")
    logs = os.path.join(state, "logs")
    began = time.monotonic()
    healthy = 0
    while time.monotonic() - began < args.ready_timeout:
        if berth.poll() is not None:
            raise SystemExit(f"berth exited with {berth.returncode} while starting (see {log_path})")
        healthy = history_counts(database)[0]
        if healthy >= n:
            break
        time.sleep(0.2)
    if healthy < n:
        raise SystemExit(f"{mode}: only {healthy} of {n} services turned healthy within {args.ready_timeout:.0f} s "
                         f"(see {log_path})")
    ready_s = time.monotonic() - began
    rss_when_healthy = procs.memory_kib(berth.pid).get("VmRSS")
    print(f"   all {n} healthy after {ready_s:.1f} s; berth RSS {rss_when_healthy / 1024:.2f} MiB", flush=True)
    time.sleep(args.settle)

    _, unhealthy0, restarts0 = history_counts(database)
    requests0 = probe_requests(logs, names)
    leaves0 = leaves_usage_usec(root, names)
    busy0, total0 = procs.cpu_times()
    ticks0 = procs.stat(berth.pid)[2]
    start = time.monotonic()
    samples = []  # (t, VmRSS KiB)
    next_sample = start
    while True:
        now = time.monotonic()
        samples.append((round(now - start, 3), procs.memory_kib(berth.pid).get("VmRSS", 0)))
        if now - start >= args.window:
            break
        next_sample += 1
        time.sleep(max(0, min(next_sample, start + args.window) - time.monotonic()))
    end = time.monotonic()
    info = procs.stat(berth.pid)
    if info is None or berth.poll() is not None:
        raise SystemExit(f"{mode}: berth ended during the window (see {log_path})")
    ticks1 = info[2]
    busy1, total1 = procs.cpu_times()
    leaves1 = leaves_usage_usec(root, names)
    requests1 = probe_requests(logs, names)
    _, unhealthy1, restarts1 = history_counts(database)
    elapsed = end - start

    with open(os.path.join(args.out, f"rss-{mode}.csv"), "w") as f:
        f.write("t_s,vmrss_kib\n")
        for t, rss in samples:
            f.write(f"{t},{rss}\n")
    rss = [value for _, value in samples]
    probes = requests1 - requests0
    return {
        "mode": mode, "services": n, "window_s": elapsed, "ready_s": ready_s,
        "probes": probes, "probe_processes": probes if mode == "curl" else 0,
        "probes_per_s": probes / elapsed,
        "berth_cpu_ticks": ticks1 - ticks0,
        "berth_cpu_percent": (ticks1 - ticks0) / procs.CLOCK_TICKS / elapsed * 100,
        "leaves_cpu_percent": (leaves1 - leaves0) / 1e6 / elapsed * 100,
        "machine_cpu_percent": 100 * (busy1 - busy0) / max(1, total1 - total0),
        "rss_median_kib": median(rss), "rss_max_kib": max(rss), "rss_when_healthy_kib": rss_when_healthy,
        "unhealthy_events": unhealthy1 - unhealthy0, "restarts": restarts1 - restarts0,
    }


def stop(berth, mode):
    """SIGTERM, as a user stops it; then nothing of it may be left."""
    below = {pid: info[3] for pid, info in procs.descendants(berth.pid).items()}
    if berth.poll() is None:
        berth.send_signal(signal.SIGTERM)
        try:
            berth.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print(f"   berth ({mode}) did not stop within 30 s: killing it", flush=True)
            berth.kill()
            berth.wait()
    leftovers = {pid: start for pid, start in below.items() if procs.alive(pid, start)}
    if leftovers:
        print(f"   {len(leftovers)} processes outlived berth ({mode}): killing them", flush=True)
        procs.kill_all(leftovers)
        procs.wait_gone(leftovers, 5)


def report(args, results):
    uname = os.uname()
    lines = [f"berth bench-health: {args.services} x hello-http with a probe every 1 s, {args.window:.0f} s window "
             f"each, one stack after the other; {os.cpu_count()} CPUs, Linux {uname.release}", ""]
    header = (f"{'probe':30} {'probes':>7} {'procs':>6} {'berth CPU':>10} {'berth RSS med / max':>20} "
              f"{'leaves CPU':>11} {'machine CPU':>12}")
    lines += [header, "-" * len(header)]
    titles = {"native": "native x-berth.probe (http)", "curl": "healthcheck CMD curl"}
    for r in results:
        lines.append(f"{titles[r['mode']]:30} {r['probes']:>7} {r['probe_processes']:>6} "
                     f"{r['berth_cpu_percent']:>9.2f}% "
                     f"{r['rss_median_kib'] / 1024:>9.2f} / {r['rss_max_kib'] / 1024:5.2f} MiB "
                     f"{r['leaves_cpu_percent']:>10.2f}% {r['machine_cpu_percent']:>11.1f}%")
    lines.append("")
    by_mode = {r["mode"]: r for r in results}
    if "native" in by_mode and "curl" in by_mode:
        native, curl = by_mode["native"], by_mode["curl"]
        ratio = curl["berth_cpu_percent"] / native["berth_cpu_percent"] if native["berth_cpu_percent"] else float("inf")
        lines.append(f"berth's own CPU: {native['berth_cpu_percent']:.2f}% with native probes (what users get), "
                     f"{curl['berth_cpu_percent']:.2f}% with CMD curl ({ratio:.1f}x); curl probes also cost the "
                     f"services' leaves {curl['leaves_cpu_percent'] - native['leaves_cpu_percent']:.2f}% of a CPU more")
    for r in results:
        if r["unhealthy_events"] or r["restarts"]:
            lines.append(f"warning: {r['mode']}: {r['unhealthy_events']} unhealthy verdicts and {r['restarts']} "
                         "restarts during the window")
    lines.append(f"CPU %: 100% = one CPU, over the window; machine CPU is the busy share of all CPUs. "
                 f"Tick {1000 / procs.CLOCK_TICKS:.0f} ms ({100 / procs.CLOCK_TICKS / args.window:.3f}% per tick). "
                 "Probes: GET /up lines the services logged in the window; procs: curl processes among them.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--berth", required=True)
    parser.add_argument("--hello", required=True, help="examples/bin/hello-http")
    parser.add_argument("--curl", default="/usr/bin/curl")
    parser.add_argument("--work", required=True, help="scratch directory (removed by run.sh)")
    parser.add_argument("--out", required=True, help="raw data and summary")
    parser.add_argument("--cgroup-mount", required=True, help="where cgroup2 is mounted")
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--ready-timeout", type=float, default=60)
    parser.add_argument("--modes", default="native,curl")
    args = parser.parse_args()
    args.berth, args.hello = map(os.path.abspath, (args.berth, args.hello))
    for path in (args.berth, args.hello, args.curl):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"{path}: missing (make release examples; curl: make setup)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    results = [measure(args, mode) for mode in args.modes.split(",")]
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"results": results, "seconds": time.monotonic() - began}, f, indent=1)
    text = report(args, results)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text)
    print()
    print(text, end="")
    print(f"raw data: {args.out}/ (took {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
