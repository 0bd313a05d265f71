#!/usr/bin/env bash
# Groundwork for issue 18, NOT wired into `make test`: the privileges a Podman test host needs
# (docs/podman-facts.md, "Privileges of the test host"). For each variant of the outer
# container's options, one host from the Podman test-host image, one profile run as uid 65532,
# one line of outcome; every host is removed by its ID.
#   flock -s /tmp/attest-bench.lock tests/podman/privileges.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
python="$root/.venv/bin/python"
tool="$root/tests/podman/probe_podman.py"
label=sandbox.attest.test=podman-groundwork
image="$("$root/molecule/_shared/vps-image-podman/build.sh")"
work="$(mktemp -d /tmp/sandbox-attest-podman-privileges.XXXXXX)"
host=""
cleanup() {
  if [ -n "$host" ]; then docker rm --force --volumes "$host" >/dev/null || true; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
"$python" "$tool" prepare "$work"
"$python" "$tool" translate "$work" workload "" >"$work/argv"
run_dir=$("$python" -c 'import json,sys;print(json.load(open(sys.argv[1]))["identities"]["workload"]["paths"]["run_dir"])' "$work/plan.json")

try() {  # name, then the outer container's options
  local name=$1 outcome
  shift
  if ! host="$(docker create --init --network none --label "$label" "$@" "$image" 2>&1)"; then
    printf '%-34s docker create refused: %s\n' "$name" "$host"; host=""; return
  fi
  if ! outcome="$(docker start "$host" 2>&1 >/dev/null)"; then
    printf '%-34s host does not start: %s\n' "$name" "$(printf '%s' "$outcome" | tail -c 160)"
  else
    sleep 2
    if [ "$(docker inspect --format '{{.State.Running}}' "$host")" != true ]; then
      outcome="host exited: $(docker logs "$host" 2>&1 | head -n 1)"
    else
      docker cp "$work/." "$host:/measure/" >/dev/null
      docker cp "$root/tests/podman/in-host.sh" "$host:/usr/local/sbin/in-host.sh" >/dev/null
      outcome="$(docker exec "$host" sh -c "${PRE:-true}; podman load -q -i /measure/probe-image.tar >/dev/null 2>&1 || echo 'podman load failed;'
        in-host.sh /measure/argv /measure/out 65532 65532 '$run_dir' workload /measure 2>&1 | tail -c 200
        echo \"probe lines: \$(cat /measure/out/probe.jsonl 2>/dev/null | grep -c '^{')\"" 2>&1 | tr '\n' ' ')"
    fi
    printf '%-34s %s\n' "$name" "$outcome"
  fi
  docker rm --force --volumes "$host" >/dev/null
  host=""
}

full=(--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined
  --security-opt apparmor=unconfined --security-opt systempaths=unconfined
  --device-cgroup-rule 'a *:* rwm')
try "Docker VPS recipe" "${full[@]}"
try "without device-cgroup-rule" "${full[@]:0:10}"
try "without apparmor=unconfined" "${full[@]:0:6}" "${full[@]:8}"
try "without seccomp=unconfined" "${full[@]:0:4}" "${full[@]:6}"
PRE='mkdir -p /etc/containers/containers.conf.d; printf "[containers]\nkeyring = false\n" >/etc/containers/containers.conf.d/k.conf' \
  try "same, keyring = false" "${full[@]:0:4}" "${full[@]:6}"
try "without systempaths=unconfined" "${full[@]:0:8}" "${full[@]:10}"
try "default caps + SYS_ADMIN" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
  --security-opt systempaths=unconfined
try "default caps + SYS_ADMIN, NET_ADMIN" --cap-add SYS_ADMIN --cap-add NET_ADMIN \
  --security-opt seccomp=unconfined --security-opt systempaths=unconfined
try "--privileged" --privileged
try "nothing added"
