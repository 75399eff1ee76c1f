#!/bin/sh
# make bench-config: `berth config` on a generated 500-service stack, next to the anchor
# measured in the same run: docker-compose (Debian's, the Compose v1 Python tool) printing the
# same stack with `docker-compose config` (plus an `image:` per service, which Compose v1 requires). Reports median wall time (hyperfine) and peak RSS
# (GNU time, the median of 5 runs). Goal for berth: under 150 ms and 30 MiB.
set -eu
berth=${BERTH:-.build/release/berth}
out=Benchmarks/out
mkdir -p "$out"
stack="$out/bench-500.yml"
anchor_stack="$out/bench-500-compose.yml"
python3 Benchmarks/config/generate.py 500 > "$stack"
python3 Benchmarks/config/generate.py 500 --image > "$anchor_stack"
lines=$(wc -l < "$stack")
echo "stack: $stack (500 services, $lines lines)"

hyperfine --warmup 3 --runs 30 --style basic --export-json "$out/config-hyperfine.json" \
    -n "berth config" "$berth config -f $stack" \
    -n "docker-compose config (anchor)" "docker-compose -f $anchor_stack config" > "$out/config-hyperfine.txt" 2>&1 || {
        cat "$out/config-hyperfine.txt"; exit 1; }

peak_rss() {  # median of 5 peak RSS readings, in KiB
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -n 1
    done | sort -n | sed -n 3p
}
berth_rss=$(peak_rss "$berth" config -f "$stack")
compose_rss=$(peak_rss docker-compose -f "$anchor_stack" config)

python3 - "$out/config-hyperfine.json" "$berth_rss" "$compose_rss" <<'PY'
import json, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
berth, compose = runs["berth config"], runs["docker-compose config (anchor)"]
rss = {"berth config": int(sys.argv[2]), "docker-compose config (anchor)": int(sys.argv[3])}
print(f"{'':34} {'median':>10} {'min':>10} {'max':>10} {'peak RSS':>10}")
for name, r in (("berth config", berth), ("docker-compose config (anchor)", compose)):
    print(f"{name:34} {r['median']*1000:8.1f}ms {r['min']*1000:8.1f}ms {r['max']*1000:8.1f}ms {rss[name]/1024:7.1f}MiB")
print(f"berth is {compose['median']/berth['median']:.1f}x faster than the anchor; goal: < 150 ms and < 30 MiB: "
      + ("met" if berth['median'] < 0.150 and rss['berth config'] < 30 * 1024 else "NOT met"))
PY
