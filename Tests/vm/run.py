#!/usr/bin/env python3
"""berth's VM test suite: proves on a real cgroup v2 machine what the hybrid dev/CI hosts cannot.

Each scenario group (Tests/vm/scenarios/<group>/) is booted once in a qemu VM with Debian's
kernel and an initramfs whose /init execs `berth up` as PID 1 on the group's stack.yml. The
checker services print `BERTH-VM {json}` lines, which berth relays to the serial console; this
script collects them, compares them with the checks it expects, and exits 0 only if every
expected check passed.

    python3 Tests/vm/run.py                 # build, boot every group, report
    python3 Tests/vm/run.py cpu pid1        # only these groups
    python3 Tests/vm/run.py --no-build      # reuse the built berth and examples

Consoles go to Tests/vm/out/<group>.log. Standard library only.
"""

import argparse
import concurrent.futures
import gzip
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VM = ROOT / "Tests" / "vm"
SCENARIOS = VM / "scenarios"
OUT = VM / "out"
BERTH = ROOT / ".build" / "release" / "berth"
EXAMPLES = ROOT / "examples" / "bin"
# Shared fixtures next to the repository (Docker's seccomp profile, read in place).
FIXTURES = ROOT.parent / "shared" / "fixtures"
BUSYBOX = Path("/bin/busybox")
SQLITE3 = Path("/usr/bin/sqlite3")

# The guest: the project's reference small VPS (512 MiB, 2 vCPUs), nothing but the kernel and
# berth as PID 1. loglevel=3 keeps kernel warnings (the OOM reports) from being interleaved
# with the result lines on the console.
MEMORY_MB = 512
CPUS = 2
KERNEL_APPEND = "console=ttyS0 quiet loglevel=3 panic=-1"

INIT = """#!/bin/sh
# berth becomes PID 1: it mounts /proc, /sys, /dev, /run and cgroup2 itself, runs the stack and
# powers the machine off when the stack is down.
export PATH=/bin:/usr/bin
exec /bin/berth up -f /stack.yml --state-dir /run/berth --attach --no-color
"""


@dataclass
class Group:
    """One boot: a stack, its checker scripts, the example programs it runs, what it must report."""

    name: str
    examples: list
    expected: dict  # scenario -> [check names]
    timeout: int  # seconds from qemu start to power-off
    # More files for the guest: (path in the guest, source on the host, mode). The group's
    # directory's etc/ and profiles/ go to /etc and /profiles by themselves.
    files: tuple = ()


GROUPS = [
    Group(
        name="cpu",
        examples=["spin"],
        expected={"cpu": ["quota_usage", "quota_throttled", "weight_ratio"]},
        timeout=150,
    ),
    Group(
        name="pid1",
        examples=["crasher", "doublefork"],
        expected={
            "pid1": ["orphan_reparented", "no_zombies", "stop_order", "stop_within_grace",
                     "powered_off_after_sigterm"],
            "restart_storm": ["backoff_doubles", "run_count", "rss_stable", "neighbours_untouched"],
        },
        timeout=200,
    ),
    Group(
        name="limits",
        examples=["memhog", "forkbomb"],
        expected={
            "layout": ["supervisor_leaf", "service_leaves", "subtree_control", "no_inner_processes",
                       "limits_match"],
            "memory": ["oom_killed_runs", "restart_policy", "oom_events_agree", "neighbour_untouched"],
            "pids": ["pids_bounded", "forks_fail_eagain", "neighbour_untouched", "berth_still_starts",
                     "ended_cleanly", "leaf_empty_after_stop"],
        },
        timeout=200,
    ),
    Group(
        name="confinement",
        examples=["probe"],
        expected={
            "confinement": ["builtin_profile", "docker_profile", "unconfined", "errno_profiles", "kill_process",
                            "root_capabilities", "dropped_capabilities", "nonroot_ambient", "port80",
                            "setuid_under_no_new_privs"],
        },
        timeout=200,
        files=(
            ("profiles/docker-default.json", FIXTURES / "seccomp" / "docker-default.json", 0o644),
            # The probe again, setuid root (the archive's files belong to root).
            ("bin/setuid-probe", EXAMPLES / "probe", 0o4755),
        ),
    ),
]


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------

def run(cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)


def build():
    # --product berth: building every product would also link GRDB's dynamic library, which
    # cannot be linked with --static-swift-stdlib.
    run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "berth"])
    run(["make", "-s", "-C", "examples"])


def shared_libraries(binary):
    """The absolute paths ldd lists for a dynamic binary (the loader included)."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    paths = []
    for line in out.splitlines():
        match = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if match:
            paths.append(match.group(1))
    return paths


class Cpio:
    """A newc archive, written directly (no staging tree, no root needed for modes)."""

    def __init__(self):
        self.parts = []
        self.inode = 1000
        self.dirs = set()

    def _entry(self, name, mode, data=b"", nlink=1):
        self.inode += 1
        name_bytes = name.encode() + b"\0"
        header = "070701" + "".join(f"{v:08X}" for v in (
            self.inode, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0))
        self.parts.append(header.encode() + name_bytes)
        self.parts.append(b"\0" * (-(110 + len(name_bytes)) % 4))
        self.parts.append(data)
        self.parts.append(b"\0" * (-len(data) % 4))

    def directory(self, path):
        path = path.strip("/")
        if not path or path in self.dirs:
            return
        self.directory(os.path.dirname(path))
        self.dirs.add(path)
        self._entry(path, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, path, data, mode=0o755):
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFREG | mode, data)

    def copy(self, source, path=None, mode=0o755):
        self.file(path or str(source), Path(source).read_bytes(), mode)

    def symlink(self, path, target):
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def gzip(self):
        self._entry("TRAILER!!!", 0)
        return gzip.compress(b"".join(self.parts), compresslevel=1)


def base_archive():
    """What every group boots with: busybox, berth and its libraries, sqlite3, shared scripts."""
    archive = Cpio()
    for directory in ["proc", "sys", "dev", "run", "tmp", "etc", "root"]:
        archive.directory(directory)
    archive.file("init", INIT.encode())
    archive.copy(BUSYBOX, "bin/busybox")
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet not in ("busybox",):
            archive.symlink(f"bin/{applet}", "busybox")
    stripped = OUT / "berth.stripped"
    subprocess.run(["strip", "-o", str(stripped), str(BERTH)], check=True)
    archive.copy(stripped, "bin/berth")
    archive.copy(SQLITE3, "usr/bin/sqlite3")
    libraries = sorted(set(shared_libraries(BERTH)) | set(shared_libraries(SQLITE3)))
    for library in libraries:
        archive.copy(library, library, mode=0o755)
    for script in sorted((SCENARIOS / "common").iterdir()):
        archive.copy(script, f"checks/{script.name}")
    return archive.gzip()


def group_archive(group):
    archive = Cpio()
    directory = SCENARIOS / group.name
    archive.copy(directory / "stack.yml", "stack.yml", mode=0o644)
    for script in sorted(directory.glob("*.sh")):
        archive.copy(script, f"checks/{script.name}")
    for program in group.examples:
        archive.copy(EXAMPLES / program, f"bin/{program}")
    for subdirectory in ["etc", "profiles"]:
        for path in sorted((directory / subdirectory).glob("*")) if (directory / subdirectory).is_dir() else []:
            archive.copy(path, f"{subdirectory}/{path.name}", mode=0o644)
    for guest, source, mode in group.files:
        archive.copy(source, guest, mode=mode)
    return archive.gzip()


# ---------------------------------------------------------------------------------------------
# Booting
# ---------------------------------------------------------------------------------------------

def kernel():
    kernels = sorted(Path("/boot").glob("vmlinuz-*"))
    if not kernels:
        sys.exit("no kernel in /boot: run `make setup` (linux-image-amd64)")
    return kernels[-1]


KVM = ["-accel", "kvm", "-cpu", "host"]
TCG = ["-accel", "tcg", "-cpu", "max"]


def accelerator():
    """KVM only if /dev/kvm opens and a probe guest boots and powers off with it; else TCG.

    (On the project's hosts /dev/kvm exists but qemu aborts with `-cpu host` at once, and the
    guest hangs without arch-capabilities: software emulation it is.) BERTH_VM_ACCEL overrides.
    """
    if os.environ.get("BERTH_VM_ACCEL"):
        return os.environ["BERTH_VM_ACCEL"].split()
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError:
        return TCG
    probe = Cpio()
    probe.copy(BUSYBOX, "bin/busybox")
    for applet in ["sh", "echo", "poweroff"]:
        probe.symlink(f"bin/{applet}", "busybox")
    probe.file("init", b"#!/bin/sh\necho BERTH-VM-PROBE-OK\npoweroff -f\n")
    path = OUT / "kvm-probe.cpio.gz"
    path.write_bytes(probe.gzip())
    try:
        result = subprocess.run(
            ["qemu-system-x86_64", *KVM, "-m", "256", "-smp", "1", "-kernel", str(kernel()),
             "-initrd", str(path), "-append", "console=ttyS0 quiet panic=-1",
             "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        works = result.returncode == 0 and b"BERTH-VM-PROBE-OK" in result.stdout
    except subprocess.TimeoutExpired:
        works = False
    return KVM if works else TCG


@dataclass
class Boot:
    group: Group
    lines: list  # (host seconds since start, text)
    returncode: int
    seconds: float
    timed_out: bool


def boot(group, initrd, accel):
    log_path = OUT / f"{group.name}.log"
    # The serial console on qemu's stdout (read line by line), no display, no monitor; the
    # guest's power-off ends qemu (-no-reboot).
    cmd = ["qemu-system-x86_64", *accel, "-m", str(MEMORY_MB), "-smp", str(CPUS),
           "-kernel", str(kernel()), "-initrd", str(initrd), "-append", KERNEL_APPEND,
           "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]
    started = time.monotonic()
    lines = []
    process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)

    def reader():
        with open(log_path, "wb") as log:
            for raw in process.stdout:
                log.write(raw)
                log.flush()
                text = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
                lines.append((time.monotonic() - started, text))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    timed_out = False
    try:
        process.wait(timeout=group.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        process.kill()
        process.wait()
    thread.join(timeout=5)
    return Boot(group, lines, process.returncode, time.monotonic() - started, timed_out)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

RESULT = re.compile(r"^(?:(?P<service>[\w.-]+)\s*\|\s)?BERTH-VM (?P<json>\{.*\})\s*$")


@dataclass
class Check:
    group: str
    scenario: str
    check: str
    ok: bool
    detail: str
    measured: dict
    source: str = "guest"


def parse(boot_result):
    checks, problems = [], []
    for _, text in boot_result.lines:
        if "BERTH-VM" not in text:
            continue
        match = RESULT.match(text.strip())
        if not match:
            problems.append(f"unparsable result line: {text!r}")
            continue
        try:
            data = json.loads(match.group("json"))
        except json.JSONDecodeError as error:
            problems.append(f"bad JSON in result line ({error}): {text!r}")
            continue
        checks.append(Check(boot_result.group.name, str(data.get("scenario")), str(data.get("check")),
                            data.get("ok") is True, str(data.get("detail", "")), data.get("measured") or {}))
    return checks, problems


def host_checks(boot_result):
    """What only the host can see: the guest powered itself off, in time, after the stop."""
    group = boot_result.group.name
    texts = [t for _, t in boot_result.lines]
    panicked = any("Kernel panic" in t for t in texts)
    # panic=-1 reboots at once on a panic, which -no-reboot also turns into qemu exiting 0: a
    # power-off is qemu ending by itself after the kernel's "reboot: Power down", with no panic.
    powered_off = (not boot_result.timed_out and boot_result.returncode == 0 and not panicked
                   and any("reboot: Power down" in t for t in texts))
    down = next((s for s, t in boot_result.lines if " is down: " in t), None)
    measured = {"boot_to_poweroff_s": round(boot_result.seconds, 1)}
    if down is not None:
        measured["down_to_exit_s"] = round(boot_result.seconds - down, 2)
    if boot_result.timed_out:
        detail = f"qemu still running after {boot_result.group.timeout} s: killed"
    elif boot_result.returncode != 0:
        detail = f"qemu exited with {boot_result.returncode}"
    elif panicked:
        detail = f"the kernel panicked (PID 1 died?) after {boot_result.seconds:.1f} s"
    elif not powered_off:
        detail = f"qemu exited after {boot_result.seconds:.1f} s without the kernel's power-down line"
    else:
        detail = f"qemu exited by itself after {boot_result.seconds:.1f} s"
    checks = [Check(group, "vm", f"{group}_powered_off", powered_off, detail, measured, "host")]
    if group == "pid1":
        stop_line = next((t for t in texts if "stopping the stack (signal SIGTERM)" in t), None)
        ok = powered_off and stop_line is not None and down is not None
        detail = ("SIGTERM to PID 1 stopped the stack, and the VM powered off" if ok else
                  f"stop line seen: {stop_line is not None}, down line seen: {down is not None}, {detail}")
        checks.append(Check(group, "pid1", "powered_off_after_sigterm", ok, detail, measured, "host"))
    return checks


def tail(boot_result, count=40):
    return [t for _, t in boot_result.lines[-count:]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("groups", nargs="*", help="groups to boot (default: all)")
    parser.add_argument("--no-build", action="store_true", help="reuse the built berth and examples")
    parser.add_argument("--jobs", type=int, default=2, help="VMs at once (default 2: the host has 2 cores)")
    args = parser.parse_args()

    began = time.monotonic()
    names = [g.name for g in GROUPS]
    unknown = [g for g in args.groups if g not in names]
    if unknown:
        sys.exit(f"unknown group(s) {unknown}; groups: {names}")
    groups = [g for g in GROUPS if not args.groups or g.name in args.groups]

    OUT.mkdir(parents=True, exist_ok=True)
    if not args.no_build:
        build()
    for tool in ["qemu-system-x86_64", "strip", "ldd"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run `make setup`")
    accel = accelerator()
    base = base_archive()
    initrds = {}
    for group in groups:
        # The kernel unpacks concatenated archives in order: the group's files over the base.
        path = OUT / f"{group.name}.cpio.gz"
        path.write_bytes(base + group_archive(group))
        initrds[group.name] = path
    print(f"initramfs: {len(base) // (1 << 20)} MiB base; booting {', '.join(g.name for g in groups)} "
          f"({args.jobs} at a time, {' '.join(accel)})", flush=True)

    boots = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(boot, g, initrds[g.name], accel): g for g in groups}
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            boots[result.group.name] = result
            print(f"  {result.group.name}: {'timed out' if result.timed_out else 'powered off'} "
                  f"after {result.seconds:.1f} s", flush=True)

    failures = 0
    rows = []
    for group in groups:
        result = boots[group.name]
        checks, problems = parse(result)
        checks += host_checks(result)
        seen = {}
        for check in checks:
            seen.setdefault((check.scenario, check.check), []).append(check)
        group_failed = bool(problems) or result.timed_out
        print(f"\n== {group.name} (console: {(OUT / (group.name + '.log')).relative_to(ROOT)})")
        for problem in problems:
            print(f"  FAIL  {problem}")
            failures += 1
        expected = [(s, c) for s, cs in group.expected.items() for c in cs]
        expected.append(("vm", f"{group.name}_powered_off"))
        for scenario, name in expected:
            found = seen.get((scenario, name))
            if not found:
                print(f"  FAIL  {scenario}/{name}: no result (the checker never reported it)")
                rows.append((group.name, scenario, name, "MISSING", ""))
                failures += 1
                group_failed = True
                continue
            for check in found:
                verdict = "PASS" if check.ok else "FAIL"
                print(f"  {verdict}  {scenario}/{name}: {check.detail}")
                if check.measured:
                    print(f"        measured: {json.dumps(check.measured, sort_keys=True)}")
                rows.append((group.name, scenario, name, verdict, check.measured))
                if not check.ok:
                    failures += 1
                    group_failed = True
        for key, extra in seen.items():
            if key not in expected:
                for check in extra:
                    print(f"  {'PASS' if check.ok else 'FAIL'}  {key[0]}/{key[1]} (unexpected): {check.detail}")
                    if not check.ok:
                        failures += 1
                        group_failed = True
        if group_failed:
            print(f"  -- last 40 console lines of {group.name}:")
            for line in tail(result):
                print(f"  | {line}")

    print("\n== summary")
    widths = [max(len(str(r[i])) for r in rows + [("group", "scenario", "check", "result")]) for i in range(4)]
    for row in [("group", "scenario", "check", "result")] + rows:
        print("  " + "  ".join(str(row[i]).ljust(widths[i]) for i in range(4)).rstrip())
    total = sum(len(cs) for g in groups for cs in g.expected.values()) + len(groups)
    passed = sum(1 for r in rows if r[3] == "PASS")
    print(f"\n{total} checks expected, {time.monotonic() - began:.0f} s wall time")
    print(f"vm: {passed} passed, {failures} failed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
