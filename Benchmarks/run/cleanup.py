#!/usr/bin/env python3
"""run.sh's exit trap: kills whatever bench.py started that is still there — each recorded
supervisor and everything below it — and removes the cgroups it recorded. Quiet when there is
nothing to do (bench.py normally stops everything itself).

usage: cleanup.py WORK    (reads WORK/pids: "pid starttime label", WORK/cgroups: one path a line)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402


def main():
    work = sys.argv[1]
    recorded = {}
    try:
        with open(os.path.join(work, "pids")) as f:
            for line in f:
                pid, start, label = line.split(maxsplit=2)
                recorded[int(pid)] = (int(start), label.strip())
    except FileNotFoundError:
        pass
    table = procs.all_processes()
    doomed = {}
    for pid, (start, label) in recorded.items():
        if procs.alive(pid, start):
            doomed[pid] = start
            below = procs.descendants(pid, table)
            doomed.update({child: info[3] for child, info in below.items()})
            print(f"cleanup: killing {label} (pid {pid}) and {len(below)} processes below it", file=sys.stderr)
    # All at once, after collecting: a killed parent's children would otherwise move to init.
    procs.kill_all(doomed)
    procs.wait_gone(doomed, 5)

    try:
        with open(os.path.join(work, "cgroups")) as f:
            cgroups = [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        cgroups = []
    for path in cgroups:
        if os.path.isdir(path):
            print(f"cleanup: removing cgroup {path}", file=sys.stderr)
            procs.remove_cgroup_tree(path)
            if os.path.isdir(path):
                print(f"cleanup: could not remove {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
