#!/bin/sh
# make bench-spawn: the spawn latency of a fully confined service next to the bare spawn, and
# next to `crun run` of a minimal bundle and `bwrap`, in one run (Benchmarks/SpawnBench with
# --confinement; what each series measures is described there).
#
#   berth    /bin/true through berth's Spawner into a cgroup v2 leaf (clone3), 1000 times each:
#            bare; + Docker's 14 capabilities and no_new_privs; + the built-in seccomp filter;
#            full (user nobody with an ambient NET_BIND_SERVICE): median and p99 of
#            spawn→exec confirmed and spawn→reaped; posix_spawn as the usual anchor
#   crun     `crun run` of a bundle whose rootfs is busybox-static (/bin/true), built here in a
#            scratch directory from `crun spec`, 200 times: spawn→reaped of crun itself
#   bwrap    bubblewrap with its own pid, ipc and uts namespaces running /bin/true, 200 times
#
# Goals: confinement adds under 1 ms to the median spawn; berth's confined spawn under a tenth
# of crun's. Output: Benchmarks/out/spawn/ (table.txt, samples.json). Needs root.
#
# On a hybrid cgroup host (the project's dev machines) crun 1.8 refuses to run at all ("cgroups
# in hybrid mode not supported, drop all controllers from cgroupv2"), so everything runs in a
# private mount namespace where the host's cgroup2 hierarchy (the one berth uses there,
# /sys/fs/cgroup/unified) is mounted at /sys/fs/cgroup: berth's leaf and crun's cgroup are then
# made in the same hierarchy.
set -eu
spawn_bench=${SPAWN_BENCH:-.build/release/berth-bench-spawn}
out=Benchmarks/out/spawn

if [ "$(id -u)" != 0 ]; then
    echo "bench-spawn: needs root (it creates cgroups and containers)" >&2
    exit 1
fi
for tool in crun bwrap python3 unshare; do
    command -v "$tool" >/dev/null || { echo "bench-spawn: $tool is missing (make setup)" >&2; exit 1; }
done
busybox=/bin/busybox  # busybox-static: the bundle's rootfs holds nothing else
[ -x "$busybox" ] || { echo "bench-spawn: $busybox is missing (make setup: busybox-static)" >&2; exit 1; }
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    hybrid=no
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    hybrid=yes
else
    echo "bench-spawn: no cgroup v2 hierarchy on this host" >&2
    exit 1
fi

work=$(mktemp -d /tmp/berth-bench-spawn.XXXXXX)
cleanup() {
    # crun deletes each container after `run`; whatever a failed run left is deleted here.
    for id in $(crun --root "$work/crun" list -q 2>/dev/null); do
        crun --root "$work/crun" delete -f "$id" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The minimal bundle: busybox-static as the whole rootfs, /bin/true as the process.
bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin" "$work/crun"
cp "$busybox" "$bundle/rootfs/bin/busybox"
ln -s busybox "$bundle/rootfs/bin/true"
(cd "$bundle" && crun spec)
# The spec's default device rules make crun load a BPF device program, for which it raises
# RLIMIT_MEMLOCK; that needs CAP_SYS_RESOURCE, which root lacks on these machines. Without
# them (and without the RLIMIT_NOFILE rule, for the same reason) crun runs, and does a little
# less work than it normally would.
python3 - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["process"]["args"] = ["/bin/true"]
config["process"]["terminal"] = False
config["process"].pop("rlimits", None)
config["root"] = {"path": "rootfs", "readonly": True}
config["linux"].pop("resources", None)
json.dump(config, open(path, "w"), indent=1)
PY

rm -rf "$out"
mkdir -p "$out"
set -- "$spawn_bench" --confinement --crun-bundle "$bundle" --crun-root "$work/crun" --bwrap "$(command -v bwrap)" \
    --json "$out/samples.json" "$@"
{
    echo "host: $(uname -r), $(nproc) CPUs; crun $(crun --version | head -n 1 | awk '{print $3}'), bwrap $(bwrap --version | awk '{print $2}'); hybrid cgroup host: $hybrid"
    if [ "$hybrid" = yes ]; then
        unshare --mount --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "$@"
    else
        "$@"
    fi
} | tee "$out/table.txt"
