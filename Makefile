# berth — see README.md. `make demo` sets up a fresh machine and runs the main job;
# `make test` runs every test.
SWIFT      ?= swift
BERTH      := .build/debug/berth
BERTH_REL  := .build/release/berth

# Debian packages the project needs: C toolchain and libraries for the spawn path and the
# examples, reference tools for the benchmarks, a Prometheus parser for tests.
PACKAGES := build-essential libsqlite3-dev time curl python3 python3-prometheus-client \
            hyperfine docker-compose

.PHONY: all setup build release examples test demo bench-config clean

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
	$(SWIFT) build -c release --static-swift-stdlib

examples:
	@$(MAKE) -s -C examples

## test: every test (unit, integration, CLI)
test: build
	$(SWIFT) test

## demo: set up, build, and show what berth makes of the demo stack and a reference stack
demo: setup build
	@echo "== berth config --services -f stacks/demo.yml (start order)"
	@$(BERTH) config --services -f stacks/demo.yml
	@echo; echo "== berth config -f stacks/demo.yml"
	@$(BERTH) config -f stacks/demo.yml
	@echo; echo "== berth budget -f stacks/demo.yml --host cgroups/vps-512m.yml"
	@$(BERTH) budget -f stacks/demo.yml --host cgroups/vps-512m.yml
	@echo; echo "== berth budget -f stacks/django-vps.yml (the reference 512 MiB VPS)"
	@$(BERTH) budget -f stacks/django-vps.yml

## bench-config: `berth config` on a generated 500-service stack, with its anchor
bench-config: setup release
	@Benchmarks/config/run.sh

clean:
	$(SWIFT) package clean
	@$(MAKE) -s -C examples clean
	rm -rf Benchmarks/out
