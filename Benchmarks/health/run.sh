#!/bin/sh
# make bench-health: what health probes cost berth. 50 hello-http services with a probe every
# second, run twice under the release berth, one stack after the other in the same run:
#
#   native  x-berth.probe {http: ..., interval: 1s, timeout: 1s}: berth's own HTTP GET on its
#           event loop, no process per probe — the figure users get
#   curl    healthcheck [CMD, /usr/bin/curl, -fsS, ...], interval 1s, timeout 1s: one process per
#           probe, spawned into the service's leaf, waited for and reaped by berth
#
# Once all 50 are healthy and after a 5 s settle, a 60 s window measures berth's own CPU% and RSS
# (median, max), the CPU of the services' leaves (with curl: the probes themselves), the
# machine's CPU% and the number of probes. Needs root (cgroups) and a cgroup v2 hierarchy. Raw
# data: Benchmarks/out/health/. Takes ~2.5 minutes. Everything started is stopped, and the
# scratch directory and cgroups removed, even on failure. Arguments go to
# Benchmarks/health/bench.py (for a quick look: --window 10).
set -eu
berth=${BERTH:-.build/release/berth}
hello=examples/bin/hello-http
out=Benchmarks/out/health

if [ "$(id -u)" != 0 ]; then
    echo "bench-health: needs root (it creates cgroups)" >&2
    exit 1
fi
for tool in python3 /usr/bin/curl; do
    command -v "$tool" >/dev/null || { echo "bench-health: $tool is missing (make setup)" >&2; exit 1; }
done
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    cgroup_mount=/sys/fs/cgroup
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    cgroup_mount=/sys/fs/cgroup/unified
else
    echo "bench-health: no cgroup v2 hierarchy on this host" >&2
    exit 1
fi

work=$(mktemp -d /tmp/berth-bench-health.XXXXXX)
bench_pid=
cleanup() {
    # bench.py stops each berth it started (SIGTERM); whatever is left after it ended,
    # Benchmarks/run/cleanup.py kills, from the pids and cgroups bench.py recorded in $work.
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
# In the background, so that a signal to this script runs its trap at once.
python3 Benchmarks/health/bench.py --berth "$berth" --hello "$hello" --work "$work" --out "$out" \
    --cgroup-mount "$cgroup_mount" "$@" &
bench_pid=$!
status=0
wait "$bench_pid" || status=$?
bench_pid=
exit "$status"
