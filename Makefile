# sandbox.attest — set-up, probe build, tests and linters.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROBE := files/sandbox-probe
PROBE_SRC := src/probe/sandbox_probe.c
COLLECTION_LINK := collections/ansible_collections/sandbox/attest
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/.cache/ansible/tmp

.PHONY: setup venv probe seccomp-bpf link tools build test unit integration lint sanity molecule clean

setup: venv probe link tools seccomp-bpf

# Debian tools the tests use: shellcheck checks the operator packet's script.
tools:
	@if ! command -v shellcheck >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; \
	  else echo "shellcheck is missing and cannot be installed here (need root and apt-get)" >&2; exit 1; fi; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt

# The probe is built once, here, never at run time. musl gives a small static binary; gcc
# -static is the fallback where musl-tools cannot be installed.
probe: $(PROBE)
$(PROBE): $(PROBE_SRC)
	@if ! command -v musl-gcc >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null; fi
	@if command -v musl-gcc >/dev/null 2>&1; then CC="musl-gcc"; else CC="gcc"; echo "musl-gcc not found: falling back to gcc -static"; fi; \
	  $$CC -static -Os -Wall -Wextra -Werror -o $@.tmp $< && strip $@.tmp && mv $@.tmp $@
	@sha256sum $@

# The collection tarball, with the probe inside: built here, checked in the tarball (a static
# ELF, the same bytes as files/), and deleted again if it is not there. A plain
# `ansible-galaxy collection build` would pack files/ without the probe. Where it lands:
# make build BUILD_DIR=DIR (default build/). On a fresh clone it makes the venv first (ansible-galaxy).
BUILD_DIR ?= build
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD_DIR)/sandbox-attest-$(VERSION).tar.gz
build: venv probe seccomp-bpf
	@[ "$$(head -c 4 $(PROBE) | od -An -c | tr -d ' ')" = '177ELF' ] || { \
	  echo "make build: $(PROBE) is not an ELF binary: refusing to build a tarball without the probe" >&2; exit 1; }
	@mkdir -p $(BUILD_DIR) && rm -f $(TARBALL)
	$(BIN)/ansible-galaxy collection build --output-path $(BUILD_DIR) .
	@if [ "$$(tar -xOzf $(TARBALL) files/sandbox-probe 2>/dev/null | sha256sum)" != "$$(sha256sum < $(PROBE))" ]; then \
	  rm -f $(TARBALL); echo "make build: the tarball does not hold $(PROBE): removed it" >&2; exit 1; fi
	@echo "$(TARBALL): $$(tar -tzf $(TARBALL) | grep -vc '/$$') files, $$(stat -c %s $(TARBALL)) bytes, probe sha256 $$(sha256sum < $(PROBE) | cut -c1-64)"

# The shipped seccomp profiles compiled to BPF per architecture, for bubblewrap's --seccomp FD
# (docs/bwrap-facts.md): built once, here, never on a target. Debian's python3-seccomp is
# libseccomp's own binding, so the compiler runs under Debian's python3; the venv renders the
# profiles from module_utils/_seccomp (their one source).
SYSTEM_PYTHON ?= /usr/bin/python3
SECCOMP_BPF := files/seccomp/manifest.json
seccomp-bpf: $(SECCOMP_BPF)
$(SECCOMP_BPF): plugins/module_utils/_seccomp.py plugins/module_utils/_profile.py src/seccomp/compile_bpf.py src/seccomp/profiles_json.py | venv link
	@if ! $(SYSTEM_PYTHON) -c 'import seccomp' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-seccomp >/dev/null; \
	  else echo "python3-seccomp is missing and cannot be installed here (need root and apt-get)" >&2; exit 1; fi; fi
	@profiles=$$(mktemp) && trap 'rm -f "$$profiles"' EXIT && \
	  $(BIN)/python src/seccomp/profiles_json.py >"$$profiles" && \
	  $(SYSTEM_PYTHON) src/seccomp/compile_bpf.py "$$profiles" files/seccomp

link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../.. $(COLLECTION_LINK)

test: lint sanity unit integration molecule

# ansible-test sanity on a copy of the tracked tree (see tests/sanity/run.sh).
sanity:
	bash tests/sanity/run.sh

unit:
	$(BIN)/pytest -q tests/unit

integration: setup
	$(BIN)/pytest -q tests/integration

# Molecule: each role, and the full flow (playbooks/attest.yml), over SSH on test hosts of their
# own: docker-in-docker containers of a VPS image built offline from Debian's packages and
# cached by its recipe digest (kept on the engine as the cache). Every home Molecule writes is
# under .cache/molecule/ or /tmp (molecule/run.sh). One scenario: make molecule SCENARIO=attest
molecule: setup
	@start=$$(date +%s); molecule/_shared/vps-image/build.sh >/dev/null; \
	  echo "molecule: VPS image ready in $$(( $$(date +%s) - start )) s"
	molecule/run.sh test --no-command-borders $(if $(SCENARIO),--scenario-name $(SCENARIO),--all)

lint:
	$(BIN)/ruff check plugins tests bench molecule
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint -q

clean:
	rm -rf $(VENV) .cache $(PROBE) $(COLLECTION_LINK)
