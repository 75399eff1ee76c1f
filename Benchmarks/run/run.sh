#!/bin/sh
# make bench-run: berth's spawn and restart latency, RSS and idle CPU, in one run, next to the
# anchors measured in the same run: supervisord and s6-svscan supervising the same services.
#
#   1. spawn    /bin/true through berth's Spawner into a cgroup v2 leaf (clone3), 1000 times:
#               median and p99 of spawn→exec confirmed and spawn→reaped; anchors: the fork
#               fallback, no cgroup, posix_spawn; then all four 30 times, 50 ms apart, as a
#               restart meets them (Benchmarks/SpawnBench)
#   2. restart  examples/bin/stamp (runs 1.2 s, exits 0) under each supervisor with "restart
#               always": next start − previous exit, as the service's own CLOCK_MONOTONIC
#               stamps; ~30 restarts each; reported raw and without the supervisor's own wait
#   3. idle     50 `/bin/sleep 1000000` services under each, side by side; after a 5 s settle,
#               RSS and CPU% (Δ utime+stime ÷ 60 s) of the supervisors' own processes
#
# Goals for berth: spawn < 2 ms median, restart < 5 ms median, RSS < 15 MiB, idle CPU < 0.5%.
# Needs root (cgroups) and a cgroup v2 hierarchy. Raw data: Benchmarks/out/run/. Takes ~5 min.
# Everything started is stopped, and the scratch directory and cgroups removed, even on failure.
# Arguments go to Benchmarks/run/bench.py (for a quick look: --restarts 3 --window 10).
set -eu
berth=${BERTH:-.build/release/berth}
spawn_bench=${SPAWN_BENCH:-.build/release/berth-bench-spawn}
stamp=examples/bin/stamp
out=Benchmarks/out/run

if [ "$(id -u)" != 0 ]; then
    echo "bench-run: needs root (it creates cgroups and runs supervisors)" >&2
    exit 1
fi
for tool in supervisord s6-svscan s6-svscanctl python3; do
    command -v "$tool" >/dev/null || { echo "bench-run: $tool is missing (make setup)" >&2; exit 1; }
done
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    cgroup_mount=/sys/fs/cgroup
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    cgroup_mount=/sys/fs/cgroup/unified
else
    echo "bench-run: no cgroup v2 hierarchy on this host" >&2
    exit 1
fi

work=$(mktemp -d /tmp/berth-bench-run.XXXXXX)
bench_pid=
cleanup() {
    # bench.py stops what it started when it is told to (SIGTERM); whatever is left after it
    # ended, cleanup.py kills, from the pids and cgroups bench.py recorded in $work.
    if [ -n "$bench_pid" ]; then
        kill -TERM "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    python3 Benchmarks/run/cleanup.py "$work" || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$out"
mkdir -p "$out"
# In the background, so that a signal to this script runs its trap at once instead of after
# bench.py is done.
python3 Benchmarks/run/bench.py --berth "$berth" --spawn-bench "$spawn_bench" --stamp "$stamp" \
    --work "$work" --out "$out" --cgroup-mount "$cgroup_mount" "$@" &
bench_pid=$!
status=0
wait "$bench_pid" || status=$?
bench_pid=
exit "$status"
