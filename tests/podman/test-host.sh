# shellcheck shell=bash
# Sourced by the Podman measurement scripts (measure.sh, snapshot-measure.sh,
# events-measure.sh), and read by tests/integration/podman_host.py for the image and
# PODMAN_HOST_OPTIONS: one Podman test host, started from the cached image and removed by its
# ID. Expects $root (the repository) and sets $host.

# The host's privileges (docs/podman-facts.md, "Privileges of the test host"). The least that
# runs the profile is the engine's default capabilities plus SYS_ADMIN and NET_ADMIN, no
# seccomp filter and writable /proc/sys. But Podman silently leaves out any --cap-add its own
# process lacks (measured: DAC_READ_SEARCH vanished from CapAdd), so the weakenings need every
# capability the engine can give: all but SYS_RESOURCE, as the Docker test hosts.
: "${root:?test-host.sh needs \$root, the repository}"
PODMAN_HOST_OPTIONS=(--init --network none --cap-add ALL --cap-drop SYS_RESOURCE
  --security-opt seccomp=unconfined --security-opt systempaths=unconfined)
host=""

# The image, built once or found cached; another script may build it at the same time.
podman_host_image() {
  flock /tmp/sandbox-attest-podman-build.lock "$root/molecule/_shared/vps-image-podman/build.sh"
}

# podman_host_start LABEL IMAGE: create, then start: a host that fails to start is still known
# by its ID and removed by podman_host_remove.
podman_host_start() {
  host="$(docker create "${PODMAN_HOST_OPTIONS[@]}" --label "$1" "$2")"
  docker start "$host" >/dev/null
}

in_host() { docker exec "$host" "$@"; }

# podman_host_wait COMMAND...: until COMMAND succeeds in the host (30 s at most).
podman_host_wait() {
  local tries
  for tries in $(seq 1 30); do
    in_host "$@" >/dev/null 2>&1 && return 0
    [ "$tries" -lt 30 ] && sleep 1
  done
  return 1
}

podman_host_remove() {
  if [ -n "$host" ]; then docker rm --force --volumes "$host" >/dev/null || true; fi
}

# podman_host_session NAME LABEL: what every measurement script starts with - the cached image
# ($image), a work directory ($work) holding the collection's plan (probe_podman.py prepare),
# and a started host labelled LABEL ($host). At exit the host is removed by its ID and the work
# directory with it, copied first to $keep when the script set one.
podman_host_session() {
  image="$(podman_host_image)"
  work="$(mktemp -d "/tmp/sandbox-attest-podman-$1.XXXXXX")"
  trap podman_host_session_end EXIT
  "$root/.venv/bin/python" "$root/tests/podman/probe_podman.py" prepare "$work"
  podman_host_start "$2" "$image"
  printf 'podman-%s: test host %s from %s\n' "$1" "${host:0:12}" "$image" >&2
}

podman_host_session_end() {
  podman_host_remove
  if [ -n "${keep:-}" ]; then mkdir -p "$keep" && cp -a "$work/." "$keep/"; fi
  rm -rf --one-file-system "$work"
}

# podman_host_module_utils WORK: the collection's module_utils importable in the host
# (PYTHONPATH=/opt/attest), copied through WORK.
podman_host_module_utils() {
  mkdir -p "$1/pkg/ansible_collections/sandbox/attest/plugins"
  cp -a "$root/plugins/module_utils" "$1/pkg/ansible_collections/sandbox/attest/plugins/"
  docker cp "$1/pkg" "$host:/opt/attest"
}
