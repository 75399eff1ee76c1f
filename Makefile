# berth — see README.md. `make demo` sets up a fresh machine and runs the main job;
# `make test` runs every test.
SWIFT      ?= swift
BERTH      := .build/debug/berth
BERTH_REL  := .build/release/berth
DEMO_SECONDS ?= 20

# Debian packages the project needs: C toolchain and libraries for the spawn path and the
# examples (libseccomp compiles seccomp profiles; libcap checks berth's capability table in
# tests), reference tools for the benchmarks, a Prometheus parser for tests, and the VM suite's
# machine (qemu, Debian's kernel, a static busybox, cpio, the sqlite3 CLI for its checkers).
PACKAGES := build-essential libsqlite3-dev libseccomp-dev libcap-dev time curl python3 python3-prometheus-client \
            hyperfine docker-compose crun bubblewrap \
            qemu-system-x86 linux-image-amd64 busybox-static cpio sqlite3 \
            supervisor s6 nginx wrk

.PHONY: all setup build release examples test test-vm demo bench-config bench-run bench-health bench-spawn bench-deploy clean

all: build

## setup: install the Debian packages the project needs (quiet when they are there already)
setup:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

## build: the berth binary (debug) and the example programs
build: examples
	$(SWIFT) build

## release: an optimized berth with the Swift runtime linked in (one file to copy to a server)
release:
	$(SWIFT) build -c release --static-swift-stdlib --product berth

examples:
	@$(MAKE) -s -C examples

## test: every test (unit, integration, CLI), then the VM suite
test: build
	$(SWIFT) test
	@$(MAKE) --no-print-directory test-vm

## test-vm: boots a cgroup v2 VM (qemu) per scenario group, berth as PID 1 (Tests/vm/run.py)
test-vm: setup
	python3 Tests/vm/run.py

## demo: set up, build, check the demo stack's budget, then run it for 20 seconds
demo: setup build
	@echo "== berth config --services -f stacks/demo.yml (start order)"
	@$(BERTH) config --services -f stacks/demo.yml
	@echo; echo "== berth budget -f stacks/demo.yml"
	@$(BERTH) budget -f stacks/demo.yml
	@echo; echo "== berth up -f stacks/demo.yml (stopped with SIGTERM after $(DEMO_SECONDS) s)"
	@state=$$(mktemp -d); \
	timeout -s TERM --foreground $(DEMO_SECONDS) $(BERTH) up -f stacks/demo.yml --state-dir $$state --allow-unenforced --attach; \
	echo; echo "== history: $$state/berth.db, logs: $$state/logs/"; ls -l $$state/logs

## bench-config: `berth config` on a generated 500-service stack, with its anchor
bench-config: setup release
	@Benchmarks/config/run.sh

## bench-run: spawn and restart latency, RSS and idle CPU of `berth up`, next to supervisord
## and s6 running the same services (root; ~5 minutes)
bench-run: setup release examples
	$(SWIFT) build -c release --static-swift-stdlib --product berth-bench-spawn
	@Benchmarks/run/run.sh

## bench-health: berth's CPU% and RSS with 50 services probed every second, native HTTP probes
## and CMD curl probes one after the other in one run (root; ~2.5 minutes)
bench-health: setup release examples
	@Benchmarks/health/run.sh

## bench-spawn: spawn latency with full confinement (leaf, seccomp, capabilities, user) next to
## the bare spawn, `crun run` of a minimal bundle and bwrap, in one run (root)
bench-spawn: setup
	$(SWIFT) build -c release --static-swift-stdlib --product berth-bench-spawn
	@Benchmarks/spawn/run.sh
## bench-deploy: failed requests and switch time of 20 `berth deploy`s under wrk, close-per-request
## and keep-alive clients, next to 20 plain `nginx -s reload`s in the same run (root; ~2 minutes).
## berth is not on the request path, so its debug build is used.
bench-deploy: setup build
	@Benchmarks/deploy/run.sh

clean:
	$(SWIFT) package clean
	@$(MAKE) -s -C examples clean
	rm -rf Benchmarks/out
