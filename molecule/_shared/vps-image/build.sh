#!/usr/bin/env bash
# Build (or find cached) the "VPS" image the Molecule test hosts are made from: a Debian root
# filesystem from Debian's packages (debootstrap), customised offline, made an image with
# `docker import`. No registry is involved.
#
#   molecule/_shared/vps-image/build.sh            # prints the image reference on stdout
#   molecule/_shared/vps-image/build.sh --ref      # only the reference the recipe gives
#
# The image is a cache: its tag and its label sandbox.attest.test.recipe carry a digest of this
# recipe (this script, the package list, the overlay files), so a warm run finds it and builds
# nothing; a changed recipe builds a new image and removes our superseded ones (by ID, only
# when no container uses them). The image stays on the engine between runs, on purpose.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
suite=bookworm
mirror="${SANDBOX_ATTEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
label=sandbox.attest.test
repository=sandbox-attest-test/vps

log() { printf 'vps-image: %s\n' "$*" >&2; }

# The digest covers what decides the image's content: the suite, this script, the package
# list and every overlay file (path, executable bit, bytes). Not the mirror: any Debian mirror
# serves the same suite.
recipe_digest() {
  (
    cd "$here"
    printf 'suite %s\n' "$suite"
    sha256sum build.sh packages
    find rootfs -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' file; do
      if [ -x "$file" ]; then mode=x; else mode=-; fi
      printf '%s %s %s\n' "$mode" "$(sha256sum <"$file" | cut -d' ' -f1)" "$file"
    done
  ) | sha256sum | cut -d' ' -f1
}

digest="$(recipe_digest)"
ref="$repository:${digest:0:16}"
if [ "${1:-}" = "--ref" ]; then
  printf '%s\n' "$ref"
  exit 0
fi

cached_digest() {
  docker image inspect --format "{{ index .Config.Labels \"$label.recipe\" }}" "$ref" 2>/dev/null || true
}

# One build at a time on this machine; a second caller waits, then finds the cache.
lock_dir="${XDG_CACHE_HOME:-$here/../../../.cache}"
mkdir -p "$lock_dir"
exec 9>"$lock_dir/vps-image.lock"
flock 9

if [ "$(cached_digest)" = "$digest" ]; then
  log "cached: $ref"
  printf '%s\n' "$ref"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "building the image needs root (debootstrap, chroot)"
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap (Debian's package)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

started=$(date +%s)
root="$(mktemp -d /tmp/sandbox-attest-vps.XXXXXX)"
trap 'rm -rf --one-file-system "$root"' EXIT
include="$(grep -v '^#' "$here/packages" | grep -v '^$' | paste -sd, -)"
log "debootstrap $suite ($include) into $root"
debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 30 "$root.log" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"

# The login user of the test hosts: key-only (password field '*', not locked), sudo via the
# overlay's sudoers entry.
chroot "$root" useradd --create-home --shell /bin/bash attest
chroot "$root" usermod --password '*' attest
cp -a "$here/rootfs/." "$root/"
chown -R 0:0 "$root/etc/ssh/sshd_config.d" "$root/etc/sudoers.d" "$root/usr/local/sbin"
chmod 0644 "$root/etc/ssh/sshd_config.d/test-host.conf"
chmod 0440 "$root/etc/sudoers.d/attest"
chmod 0755 "$root/usr/local/sbin/test-host-init"

# Nothing that identifies a host may be baked into the image: each host makes its own at boot.
rm -f "$root"/etc/ssh/ssh_host_* "$root/etc/docker/key.json" "$root/var/lib/dbus/machine-id"
: >"$root/etc/machine-id"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log

log "importing"
tar -C "$root" --numeric-owner -c . | docker import \
  --change "LABEL $label=vps-image" \
  --change "LABEL $label.recipe=$digest" \
  --change 'CMD ["/usr/local/sbin/test-host-init"]' \
  - "$ref" >/dev/null
[ "$(cached_digest)" = "$digest" ] || { log "import did not produce $ref"; exit 1; }
log "built $ref in $(($(date +%s) - started)) s"

# Our superseded images (label vps-image, another recipe digest), by ID, unless in use.
docker image ls -q --no-trunc --filter "label=$label=vps-image" | sort -u | while read -r image; do
  old="$(docker image inspect --format "{{ index .Config.Labels \"$label.recipe\" }}" "$image")"
  if [ "$old" != "$digest" ] && [ -z "$(docker ps -aq --filter "ancestor=$image")" ]; then
    log "removing superseded $image"
    docker image rm "$image" >/dev/null || true
  fi
done
printf '%s\n' "$ref"
