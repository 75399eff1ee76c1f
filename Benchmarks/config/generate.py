#!/usr/bin/env python3
"""Writes a compose stack of N services (default 500) for `make bench-config`.

With --image, each service also names an image: Compose v1 (the anchor) refuses services
without one, and berth refuses services with one; otherwise the two files are the same.

Each service looks like a real one: a command, an environment, limits and reservations, a
health check or a probe, a restart policy, labels, and dependencies on a few earlier services.
"""
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
with_image = "--image" in sys.argv
count = int(args[0]) if args else 500
out = ["services:"]
for i in range(count):
    name = f"svc{i:03d}"
    out += [
        f"  {name}:",
        *(["    image: debian:12"] if with_image else []),
        f"    command: /usr/bin/env python3 -m http.server {8000 + i} --bind 127.0.0.1",
        "    working_dir: /srv/app",
        "    environment:",
        f"      SERVICE_NAME: {name}",
        f"      PORT: \"{8000 + i}\"",
        "      LOG_LEVEL: ${LOG_LEVEL:-info}",
        "      DATABASE_URL: postgres://app@127.0.0.1:5432/app",
        "      FEATURE_FLAGS: a,b,c",
        "    restart: unless-stopped",
        "    stop_grace_period: 15s",
        "    pids_limit: 64",
        "    deploy:",
        "      resources:",
        f"        limits: {{memory: {64 + i % 4 * 32}m, cpus: \"0.5\"}}",
        "        reservations: {memory: 32m, cpus: \"0.05\"}",
        "    labels:",
        "      team: platform",
        f"      tier: tier{i % 3}",
    ]
    if i % 2 == 0:
        out += [
            "    healthcheck:",
            f"      test: [\"CMD\", \"/usr/bin/curl\", \"-fsS\", \"http://127.0.0.1:{8000 + i}/\"]",
            "      interval: 10s",
            "      timeout: 2s",
            "      retries: 3",
        ]
    else:
        out += [
            "    x-berth:",
            f"      probe: {{http: \"http://127.0.0.1:{8000 + i}/\", interval: 10s}}",
        ]
    deps = [f"svc{j:03d}" for j in (i - 1, i - 7, i - 31) if j >= 0]
    if deps:
        out.append("    depends_on:")
        for dep in deps:
            out.append(f"      {dep}: {{condition: service_started}}")
print("\n".join(out))
