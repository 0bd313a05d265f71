#!/usr/bin/env bash
# Build (or find cached) the bubblewrap variant of the test-host image: a host with bubblewrap
# and no container engine at all (issue 19). Same recipe script as the Docker VPS
# (../vps-image/build.sh), this directory's package list and overlay; prints the image
# reference on stdout (`--ref`: only the reference).
#
# Why a wrapper and not a `--variant` option of build.sh: build.sh's own bytes are part of the
# Docker VPS image's recipe digest, so any edit to it would rebuild every Docker test host.
# Until the two recipes are folded into one script (one rebuild, a lead's decision), this runs
# build.sh from a staging directory with only its two names changed: the repository
# (sandbox-attest-test/vps-bwrap) and the label value (vps-image-bwrap) that build.sh's
# clean-up of superseded images filters by, so neither variant's build removes the other's image.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
shared="$here/../vps-image"
stage="$(mktemp -d /tmp/sandbox-attest-vps-bwrap.XXXXXX)"
trap 'rm -rf --one-file-system "$stage"' EXIT

sed -e 's|^repository=sandbox-attest-test/vps$|repository=sandbox-attest-test/vps-bwrap|' \
  -e 's|=vps-image"|=vps-image-bwrap"|g' "$shared/build.sh" >"$stage/build.sh"
# Each name must have been found (a changed build.sh must fail here, not build a clash).
if [ "$(grep -c '^repository=sandbox-attest-test/vps-bwrap$' "$stage/build.sh")" != 1 ] ||
  [ "$(grep -c '=vps-image-bwrap"' "$stage/build.sh")" != 2 ] ||
  [ "$(grep -c '=vps-image"' "$stage/build.sh")" != 0 ]; then
  printf 'vps-image-bwrap: %s no longer has the names this wrapper changes\n' "$shared/build.sh" >&2
  exit 1
fi
chmod 0755 "$stage/build.sh"
cp "$here/packages" "$stage/packages"
cp -a "$here/rootfs" "$stage/rootfs"
XDG_CACHE_HOME="${XDG_CACHE_HOME:-$here/../../../.cache}" "$stage/build.sh" "$@"
