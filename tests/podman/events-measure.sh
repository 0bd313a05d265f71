#!/usr/bin/env bash
# Issue 18, NOT wired into `make test`: Podman's event log of a run window (module_utils
# _snapshot/_event_follow with runtime "podman") measured against real podman in one Podman
# test host.
#
#   flock -s /tmp/attest-bench.lock tests/podman/events-measure.sh [CAPTURE_DIR]
#
# Builds (or finds cached) the Podman test-host image, starts ONE host from it (no network),
# then, with Python 3 of the host and the collection's module_utils (tests/podman/
# events_in_host.py):
# - window: a follower from the window's opening, the actions of tests/podman/events-actions.sh
#   (with a random secret in an exec's command, a health command and an environment value),
#   the window read once; prints the scrubbed records and their counts, whether follower and
#   read agree, whether the secret is anywhere (with CAPTURE_DIR: the captures of
#   tests/unit/data/podman-events);
# - latency: how long after an action its event is read from a live stream;
# - until: what `podman events --until` prints with the close past or just ahead.
# The host is removed by its ID at the end, whatever happened; the cached image stays.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
label=sandbox.attest.test=podman-events
capture="${1:-}"

log() { printf 'podman-events: %s\n' "$*" >&2; }
# shellcheck source=tests/podman/test-host.sh
. "$root/tests/podman/test-host.sh"

podman_host_session events "$label"
secret="events-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
podman_host_wait podman info
log "event logger: $(in_host podman info --format '{{.Host.EventLogger}}' 2>/dev/null)"

podman_host_module_utils "$work"
docker cp "$work/probe-image.tar" "$host:/tmp/probe-image.tar"
docker cp "$root/tests/podman/events-actions.sh" "$host:/usr/local/sbin/events-actions.sh"
docker cp "$root/tests/podman/events_in_host.py" "$host:/usr/local/sbin/events_in_host.py"
tool() { in_host env PYTHONPATH=/opt/attest python3 /usr/local/sbin/events_in_host.py "$@"; }

started=$(date +%s%N)
result="$(tool window /usr/local/sbin/events-actions.sh "$secret" ${capture:+/tmp/capture})"
log "window read in $((($(date +%s%N) - started) / 1000000)) ms (actions included)"
printf '%s\n' "$result"
if printf '%s' "$result" | grep -qF "$secret"; then
  log "FAIL: the secret is in the event records"
  exit 1
fi
log "the secret is in no record"
if [ -n "$capture" ]; then
  docker cp "$host:/tmp/capture/." "$capture/"
  printf '%s\n' "$secret" >"$capture/secret"
  log "captured into $capture"
fi

latency="$(tool latency 10)"
log "latency: $latency"
printf '%s\n' "$latency"
until="$(tool until)"
log "until: $until"
printf '%s\n' "$until"
