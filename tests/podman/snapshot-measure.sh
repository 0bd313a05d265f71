#!/usr/bin/env bash
# Issue 18, NOT wired into `make test`: the podman snapshot (module_utils/_snapshot, runtime
# "podman") measured against real podman in one Podman test host.
#
#   flock -s /tmp/attest-bench.lock tests/podman/snapshot-measure.sh [CAPTURE_DIR]
#
# Builds (or finds cached) the Podman test-host image, starts ONE host from it (no network),
# loads the probe image with `podman load`, makes the decoys of tests/podman/snapshot-decoys.sh
# with a random secret, then, with Python 3 of the host and the collection's module_utils:
# - (CAPTURE_DIR given) the templates' raw output per kind, the list outputs and a removed
#   container's inspect answer, for tests/unit/data/podman-snapshot;
# - the snapshot taken 10 times: per object the number of distinct records (one each is the
#   pass), the snapshot's time;
# - a container removed between list and inspect: the batch still reads the others;
# - a new container's configuration digest created, started, stopped and started again;
# - the secret looked for in every snapshot's JSON (it must be in none).
# The host is removed by its ID at the end, whatever happened; the cached image stays.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
label=sandbox.attest.test=podman-snapshot
capture="${1:-}"
repeats=10

log() { printf 'podman-snapshot: %s\n' "$*" >&2; }
# shellcheck source=tests/podman/test-host.sh
. "$root/tests/podman/test-host.sh"

# The decoys need no more than the profile runs of measure.sh: the same host (test-host.sh).
podman_host_session snapshot "$label"
secret="decoy-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
podman_host_wait podman info
podman_host_module_utils "$work"
docker cp "$work/probe-image.tar" "$host:/tmp/probe-image.tar"
docker cp "$root/tests/podman/snapshot-decoys.sh" "$host:/usr/local/sbin/snapshot-decoys.sh"
docker cp "$root/tests/podman/snapshot_in_host.py" "$host:/usr/local/sbin/snapshot_in_host.py"
in_host podman load -q -i /tmp/probe-image.tar >/dev/null 2>&1
in_host snapshot-decoys.sh "$secret" 2>&1 | grep -v 'level=warning' >&2 || true
tool() { in_host env PYTHONPATH=/opt/attest python3 /usr/local/sbin/snapshot_in_host.py "$@"; }

if [ -n "$capture" ]; then
  tool capture /tmp/capture
  docker cp "$host:/tmp/capture/." "$capture/"
  printf '%s\n' "$secret" >"$capture/secret"
  log "captured into $capture"
fi

started=$(date +%s%N)
result="$(tool repeat "$repeats")"
log "repeat $repeats: $result ($((($(date +%s%N) - started) / 1000000)) ms with python start-up)"
printf '%s\n' "$result"

# The secret in no snapshot (the whole JSON of one, as engine_snapshot would return it).
# shellcheck disable=SC2016  # expanded by the host's sh
if in_host env PYTHONPATH=/opt/attest python3 -c '
import json, sys
from ansible_collections.sandbox.attest.plugins.module_utils import _snapshot
print(json.dumps(_snapshot.take_snapshot("podman", "x", "podman")))' | grep -qF "$secret"; then
  log "FAIL: the decoy secret is in the snapshot"
  exit 1
fi
log "the decoy secret is in no snapshot"

vanished="$(tool vanished /tmp/capture)"
log "vanished: $vanished"
printf '%s\n' "$vanished"
if [ -n "$capture" ]; then docker cp "$host:/tmp/capture/vanished-stderr.txt" "$capture/"; fi

# A container's configuration digest through its lifecycle (after the repeats: it is removed).
lifecycle="$(tool lifecycle)"
log "lifecycle: $lifecycle"
printf '%s\n' "$lifecycle"
