#!/bin/sh
# Runs inside a Podman test host, as root (copied in by tests/podman/measure.sh and by
# tests/integration/podman_host.py, for test_podman_probes.py in `make test`). One probe run:
# the run directory as the collection lays it out, the container created from the argv in
# ARGV_FILE (one argument per line), started, waited for, its logs `podman inspect` and the OCI
# spec kept in OUT_DIR, then removed by its ID.
#   in-host.sh ARGV_FILE OUT_DIR UID GID RUN_DIR IDENTITY SECCOMP_DIR
set -eu
argv_file=$1 out_dir=$2 uid=$3 gid=$4 run_dir=$5 identity=$6 seccomp_dir=$7

mkdir -p "$out_dir" "$run_dir/$identity/in" "$run_dir/$identity/out"
chown "$uid:$gid" "$run_dir/$identity/out"
chmod 0700 "$run_dir/$identity/out"
: >"$run_dir/empty.env"
cp "$seccomp_dir"/seccomp-*.json "$run_dir/"

set --
while IFS= read -r arg; do set -- "$@" "$arg"; done <"$argv_file"
printf '%s\n' "$*" >"$out_dir/argv"
if ! cid=$("$@" 2>"$out_dir/create.err"); then
  echo "create failed: $(cat "$out_dir/create.err")" >&2
  exit 1
fi
printf '%s\n' "$cid" >"$out_dir/cid"
podman start "$cid" >/dev/null 2>"$out_dir/start.err" || echo "start failed: $(cat "$out_dir/start.err")" >&2
timeout 60 podman wait "$cid" >"$out_dir/exit_code" 2>&1 || true
podman logs "$cid" >"$out_dir/probe.jsonl" 2>"$out_dir/probe.stderr" || true
podman inspect "$cid" >"$out_dir/inspect.json" 2>&1 || true
# The OCI runtime spec Podman gave crun: masked/read-only paths, rlimits, namespaces and the
# seccomp filter are there and not in `podman inspect` (measured).
cp "$(podman inspect --format '{{.OCIConfigPath}}' "$cid")" "$out_dir/oci-config.json" 2>/dev/null || true
podman rm --force --volumes "$cid" >/dev/null 2>&1 || true
rm -rf "${run_dir:?}/${identity:?}"
