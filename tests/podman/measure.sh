#!/usr/bin/env bash
# Groundwork for issue 18, NOT wired into `make test` (nor any Makefile target): one command
# that reproduces the Podman measurements of docs/podman-facts.md.
#
#   tests/podman/measure.sh [KEEP_DIR]
#
# Builds (or finds cached) the Podman test-host image (molecule/_shared/vps-image-podman),
# starts ONE test host from it on no network (--network none: nothing here needs one), loads
# the collection's deterministic probe image archive with `podman load`, runs the probe set
# for both identities under the profile's argv translated to podman (probe_podman.py), judges
# the lines against the docker expectations with the verifier's own code, and records
# `podman info`, `podman inspect`, events and what `podman rm` leaves behind. The host is
# removed by its ID at the end, whatever happened; the cached image stays (as build.sh's does).
# Run it under the bench lock: flock -s /tmp/attest-bench.lock tests/podman/measure.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
python="$root/.venv/bin/python"
tool="$root/tests/podman/probe_podman.py"
label=sandbox.attest.test=podman-groundwork
keep="${1:-}"

log() { printf 'podman-measure: %s\n' "$*" >&2; }
# shellcheck source=tests/podman/test-host.sh
. "$root/tests/podman/test-host.sh"

# The host's privileges and why: tests/podman/test-host.sh.
podman_host_session measure "$label"
podman_host_wait test -s /etc/ssh/ssh_host_ed25519_key.pub
docker cp "$work/." "$host:/measure/"
docker cp "$root/tests/podman/in-host.sh" "$host:/usr/local/sbin/in-host.sh"

facts="$work/facts"
mkdir -p "$facts"
in_host podman --version >"$facts/version" 2>&1
in_host podman info --format json >"$facts/info.json" 2>"$facts/info.err" || true
in_host sh -c 'podman load -i /measure/probe-image.tar' >"$facts/load" 2>&1
in_host podman image inspect "$("$python" -c 'import json,sys;print(json.load(open(sys.argv[1]))["image_id"])' "$work/plan.json")" \
  >"$facts/image-inspect.json" 2>&1 || true

# Decoys: one object of each kind Podman has, made before the runs, so the snapshots show
# their JSON shapes and that the runs leave them as they were.
in_host sh -c "podman volume create decoy-volume && podman network create decoy-net &&
  podman pod create --infra=false --name decoy-pod &&
  podman create --name decoy-container --network none $(printf %q "$("$python" -c 'import json,sys;print(json.load(open(sys.argv[1]))["image_id"])' "$work/plan.json")")" \
  >"$facts/decoys" 2>&1 || true
snapshot() {
  # shellcheck disable=SC2016  # expanded by the host's sh
  in_host sh -c 'for what in "ps -a" images "volume ls" "network ls" "pod ps"; do
    printf "## podman %s --format json\n" "$what"; podman $what --format json 2>/dev/null; done'
}
snapshot >"$facts/snapshot-before"

run_case() {  # case identity variant (probe_podman.py translate's words)
  local case=$1 identity=$2 uid gid run_dir
  "$python" "$tool" translate "$work" "$identity" "$3" >"$work/argv.$case"
  docker cp "$work/argv.$case" "$host:/measure/argv.$case"
  uid=$("$python" -c 'import json,sys;print(json.load(open(sys.argv[1]))["identities"][sys.argv[2]]["uid"])' "$work/plan.json" "$identity")
  gid=$uid
  run_dir=$("$python" -c 'import json,sys;print(json.load(open(sys.argv[1]))["identities"][sys.argv[2]]["paths"]["run_dir"])' "$work/plan.json" "$identity")
  if in_host in-host.sh "/measure/argv.$case" "/measure/out/$case" "$uid" "$gid" "$run_dir" \
      "$identity" /measure 2>"$work/err.$case"; then
    log "$case: ran"
  else
    log "$case: $(tail -n 3 "$work/err.$case")"
  fi
  docker cp "$host:/measure/out/$case" "$work/$case" 2>/dev/null || true
}

# The profile as translated (no --ulimit: measured not needed here), both shipped seccomp
# profiles, Podman's own default seccomp profile, Podman's default --read-only-tmpfs, the
# ulimits of platform-facts, and --dns kept (refused by podman 4.3 with --network none).
for identity in workload root; do
  run_case "$identity.base" "$identity" ""
  run_case "$identity.default-deny" "$identity" seccomp=default-deny
  run_case "$identity.podman-seccomp" "$identity" seccomp=podman-default
  run_case "$identity.ro-tmpfs" "$identity" ro-tmpfs
  run_case "$identity.ulimits" "$identity" ulimits
done
# The profile's --network none runs made no firewall rule (before any weakening below).
in_host sh -c 'iptables-save' >"$facts/iptables-after-profile-runs" 2>&1 || true
run_case workload.keep-dns workload keep-dns

# The single weakenings of tests/integration/test_probe_observations.py, under Podman.
run_case root.w-bridge root drop=--network,add=--network=podman
run_case workload.w-bridge workload drop=--network,add=--network=podman
run_case root.w-writable-root root drop-flag=--read-only
run_case root.w-cap-sys-admin root add=--cap-add=SYS_ADMIN
run_case workload.w-cap-sys-admin workload add=--cap-add=SYS_ADMIN
run_case root.w-seccomp-unconfined root seccomp=unconfined
run_case root.w-dac-podman-seccomp root seccomp=podman-default,add=--cap-add=DAC_READ_SEARCH
run_case root.w-dac-unconfined root seccomp=unconfined,add=--cap-add=DAC_READ_SEARCH
run_case root.w-dac-shipped root add=--cap-add=DAC_READ_SEARCH

# What a bridge network leaves behind (netavark's chains; the w-bridge cases made some already).
in_host sh -c "podman run --rm --network podman $(printf %q "$("$python" -c 'import json,sys;print(json.load(open(sys.argv[1]))["image_id"])' "$work/plan.json")") >/dev/null 2>&1; iptables-save" \
  >"$facts/iptables-after-bridge" 2>&1 || true
snapshot >"$facts/snapshot-after"
in_host cat /run/libpod/events/events.log >"$facts/events.log" 2>&1 || true
in_host sh -c 'podman ps -a --format json; podman volume ls -q; podman network ls; podman pod ls' \
  >"$facts/left-after-rm" 2>&1 || true
in_host sh -c 'ls /var/lib/containers/storage/vfs/dir | wc -l; ls /run/libpod /var/lib/containers/storage' >"$facts/storage-after-rm" 2>&1 || true

# Judged against the docker expectations: every line that is not PASS is a difference issue 18
# must model (docs/podman-facts.md); the exit status says only that the runs were made.
"$python" "$tool" judge "$work" >"$work/judged" || true
cat "$work/judged"
