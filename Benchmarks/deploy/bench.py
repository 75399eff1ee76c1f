#!/usr/bin/env python3
"""make bench-deploy: failed requests and switch time of `berth deploy` under load.

One stack: nginx (supervised, 2 workers, Debian's defaults otherwise: keepalive_timeout 75s)
in front of examples/hello-http as the blue-green service `web`. Five phases of N switches
each (default 20, one every --every seconds), each under its own wrk run:

  anchor  close      plain `nginx -s reload` (nothing changes), wrk -H "Connection: close"
  anchor  keepalive  plain `nginx -s reload`, wrk with keep-alive connections
  berth   close      `berth deploy web --format json` (blue → green → blue ...), Connection: close
  berth   keepalive  `berth deploy web`, keep-alive connections
  berth   keepalive  the same with nginx's `keepalive_timeout 0` (every answer closes its
                     connection): the setting that removes the reload race, at its price

Failed requests = wrk's socket errors (connect, read, write, timeout) + non-2xx/3xx answers.
Switch time = the deploy's switch_ms (green healthy → the proxy serves green and no old nginx
worker accepts); for the anchor, `nginx -s reload` sent → every old worker is shutting down
(the same end point, measured the same way). Reported, never asserted.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workers(master):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if ppid == master and "worker process" in title:
            found.append((int(entry), title))
    return found


def wrk(port, seconds, keepalive, out):
    args = ["wrk", "-t", "2", "-c", "8", "-d", f"{seconds}s", "--latency"]
    if not keepalive:
        args += ["-H", "Connection: close"]
    args.append(f"http://127.0.0.1:{port}/")
    return subprocess.Popen(args, stdout=open(out, "w"), stderr=subprocess.STDOUT)


def parse_wrk(path):
    text = open(path).read()
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    socket_errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    detail = "none"
    if m:
        socket_errors = sum(int(x) for x in m.groups())
        detail = f"connect {m.group(1)}, read {m.group(2)}, write {m.group(3)}, timeout {m.group(4)}"
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    non2xx = int(m.group(1)) if m else 0
    return requests, socket_errors, non2xx, detail


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--berth", default=".build/debug/berth")
    parser.add_argument("--hello", default="examples/bin/hello-http")
    parser.add_argument("--switches", type=int, default=20)
    parser.add_argument("--every", type=float, default=1.0)
    parser.add_argument("--out", default="Benchmarks/out/deploy")
    opts = parser.parse_args()
    berth = os.path.abspath(opts.berth)
    hello = os.path.abspath(opts.hello)
    os.makedirs(opts.out, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="berth-bench-deploy-")
    proxy_port, blue, green = free_port(), free_port(), free_port()
    os.makedirs(scratch + "/tmp")
    def nginx_conf(keepalive_timeout="75s"):
        return f"""daemon off;
worker_processes 2;
pid {scratch}/nginx.pid;
error_log {scratch}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_timeout {keepalive_timeout};
    client_body_temp_path {scratch}/tmp;
    proxy_temp_path {scratch}/tmp;
    include {scratch}/upstreams.conf;
    server {{
        listen 127.0.0.1:{proxy_port};
        location / {{
            proxy_pass http://web;
            proxy_hide_header X-Berth-Color;
            add_header X-Berth-Color $berth_web_color always;
        }}
    }}
}}
"""

    with open(scratch + "/nginx.conf", "w") as f:
        f.write(nginx_conf())
    project = "benchdeploy"
    stack = scratch + "/stack.yml"
    with open(stack, "w") as f:
        f.write(f"""name: {project}
services:
  proxy:
    command: [/usr/sbin/nginx, -c, {scratch}/nginx.conf, -e, {scratch}/error.log]
    x-berth:
      proxy: {{kind: nginx, upstreams: upstreams.conf, listen: "127.0.0.1:{proxy_port}"}}
  web:
    command: [{hello}]
    x-berth:
      deploy: {{strategy: blue-green, ports: [{blue}, {green}], proxy: proxy, health: /up, drain: 10s}}
""")
    common = ["-f", stack, "--run-dir", scratch + "/run"]
    up = subprocess.Popen([berth, "up", *common, "--state-dir", scratch + "/state", "--allow-unenforced", "--no-attach"],
                          stdout=open(opts.out + "/berth-up.log", "w"), stderr=subprocess.STDOUT)
    results = []
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", proxy_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)
        duration = int(opts.switches * opts.every + 4)
        master = int(open(scratch + "/nginx.pid").read())

        def anchor_switch():
            old = {pid for pid, _ in workers(master)}
            start = time.monotonic()
            subprocess.run(["/usr/sbin/nginx", "-c", scratch + "/nginx.conf", "-e", scratch + "/error.log", "-s", "reload"],
                           check=True, capture_output=True)
            while True:
                current = dict(workers(master))
                if all(pid not in current or "shutting down" in current[pid] for pid in old):
                    return (time.monotonic() - start) * 1000
                if time.monotonic() - start > 5:
                    return None
                time.sleep(0.002)

        def berth_switch(log):
            run = subprocess.run([berth, "deploy", *common, "--format", "json", "web"], capture_output=True, text=True)
            log.write(run.stdout)
            result = [json.loads(line) for line in run.stdout.splitlines() if '"result"' in line]
            if run.returncode != 0 or not result or result[-1].get("outcome") != "deployed":
                raise SystemExit(f"berth deploy failed: {run.stdout}{run.stderr}")
            return result[-1]["switch_ms"]

        phases = [("anchor", False, "75s"), ("anchor", True, "75s"), ("berth", False, "75s"), ("berth", True, "75s"),
                  ("berth", True, "0")]
        for name, keepalive, keepalive_timeout in phases:
            kind = ("keepalive" if keepalive else "close") + ("" if keepalive_timeout == "75s" else f" (nginx keepalive_timeout {keepalive_timeout})")
            if keepalive_timeout != "75s":
                # The variant: nginx answers every request with Connection: close, so no client
                # connection is ever idle at a reload.
                with open(scratch + "/nginx.conf", "w") as f:
                    f.write(nginx_conf(keepalive_timeout))
                subprocess.run(["/usr/sbin/nginx", "-c", scratch + "/nginx.conf", "-e", scratch + "/error.log", "-s", "reload"],
                               check=True, capture_output=True)
                time.sleep(2)
            slug = kind.split(" ")[0] + ("-kt0" if keepalive_timeout != "75s" else "")
            out = f"{opts.out}/wrk-{name}-{slug}.txt"
            load = wrk(proxy_port, duration, keepalive, out)
            time.sleep(2)
            switches = []
            with open(f"{opts.out}/deploys-{name}-{slug}.jsonl", "w") as log:
                for _ in range(opts.switches):
                    began = time.monotonic()
                    switches.append(anchor_switch() if name == "anchor" else berth_switch(log))
                    time.sleep(max(0, opts.every - (time.monotonic() - began)))
            load.wait()
            requests, socket_errors, non2xx, detail = parse_wrk(out)
            switches = [s for s in switches if s is not None]
            results.append((name, kind, requests, socket_errors, non2xx, detail, switches))
    finally:
        subprocess.run([berth, "down", *common], capture_output=True)
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            up.kill()

    lines = [f"bench-deploy: {opts.switches} switches per phase, one every {opts.every:g}s, under wrk -t2 -c8",
             f"nginx {subprocess.run(['/usr/sbin/nginx', '-v'], capture_output=True, text=True).stderr.strip()}, "
             f"worker_processes 2, keepalive_timeout 75s (default); app examples/hello-http; {os.cpu_count()} CPUs",
             "",
             f"{'switch by':<22} {'clients':<11} {'requests':>9} {'failed':>7} {'socket err':>10} {'non-2xx':>8}  "
             f"{'switch median':>13} {'max':>7}  socket errors"]
    for name, kind, requests, socket_errors, non2xx, detail, switches in results:
        label = "nginx -s reload" if name == "anchor" else "berth deploy"
        median = f"{statistics.median(switches):.0f} ms" if switches else "-"
        top = f"{max(switches):.0f} ms" if switches else "-"
        if len(kind) > 11:
            lines.append(f"{label:<22} {kind}")
            kind = ""
        lines.append(f"{label:<22} {kind:<11} {requests:>9} {socket_errors + non2xx:>7} {socket_errors:>10} {non2xx:>8}  "
                     f"{median:>13} {top:>7}  {detail}")
    lines += ["",
              "switch: berth = green healthy -> proxy answers green and every old nginx worker stopped accepting;",
              "        anchor = nginx -s reload sent -> every old worker shutting down (same end point).",
              f"raw: {opts.out}/ (wrk output, deploy JSON lines)"]
    report = "\n".join(lines) + "\n"
    print(report, end="")
    with open(opts.out + "/report.txt", "w") as f:
        f.write(report)


if __name__ == "__main__":
    main()
