#!/bin/sh
# make bench-deploy: 20 blue-green switches by `berth deploy` while wrk drives the proxy, next to
# 20 plain `nginx -s reload`s in the same run (the anchor), each with close-per-request and with
# keep-alive clients; failed requests and switch time (see Benchmarks/deploy/bench.py). Needs
# root (cgroups), nginx and wrk. Raw data and the report: Benchmarks/out/deploy/. ~2 minutes.
# Arguments go to bench.py (for a quick look: --switches 5).
set -eu
if [ "$(id -u)" != 0 ]; then
    echo "bench-deploy: needs root (it creates cgroups)" >&2
    exit 1
fi
for tool in python3 wrk /usr/sbin/nginx; do
    command -v "$tool" >/dev/null || { echo "bench-deploy: $tool is missing (make setup)" >&2; exit 1; }
done
exec python3 Benchmarks/deploy/bench.py --berth "${BERTH:-.build/debug/berth}" "$@"
