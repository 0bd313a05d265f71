#!/usr/bin/env bash
# Run Molecule for this collection with every home it writes inside the repository's .cache/ or
# /tmp (the SSH control sockets: below), never in ~ (ANSIBLE_HOME also holds Molecule's ephemeral directories), and with the
# shared base config:
#   molecule/run.sh test --all
#   molecule/run.sh test --scenario-name preflight
#   molecule/run.sh converge -s attest; molecule/run.sh login -s attest; molecule/run.sh destroy -s attest
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cache="$root/.cache/molecule"
# HOME too: whatever still defaults to ~ (ansible's SSH control sockets, testinfra's) lands
# here. OpenSSH reads ~/.ssh from the passwd entry, but with a pinned UserKnownHostsFile and
# strict checking it writes nothing there.
export HOME="$cache/home"
mkdir -p "$HOME"
export ANSIBLE_HOME="$cache/ansible-home"
# SSH control sockets live under /tmp, in a directory named after a short hash of this clone's
# path: a Unix socket's path has at most 107 bytes, and OpenSSH adds a 17-byte suffix to the
# 40-character %C while it makes the master. Under .cache/ a clone path of 21 characters was
# already too long ("unix_listener: ... too long for Unix domain socket").
sockets="/tmp/sandbox-attest-$(printf %s "$root" | sha256sum | cut -c1-8)"
[ -d "$sockets" ] || mkdir -m 0700 "$sockets"
export ANSIBLE_SSH_CONTROL_PATH_DIR="$sockets/cp"
export ANSIBLE_LOCAL_TEMP="$cache/ansible-local-tmp"
# Used on the runner (local tasks) and inside the test hosts: a temporary directory on both.
export ANSIBLE_REMOTE_TMP="/tmp/sandbox-attest-molecule/ansible-remote-tmp"
export XDG_CACHE_HOME="$cache/xdg-cache"
export XDG_CONFIG_HOME="$cache/xdg-config"
export XDG_DATA_HOME="$cache/xdg-data"
export XDG_STATE_HOME="$cache/xdg-state"
export MOLECULE_GLOB="molecule/*/molecule.yml"
export PYTHONDONTWRITEBYTECODE=1
# Plain logs when not on a terminal (CI).
[ -t 1 ] || export NO_COLOR=1 ANSIBLE_NOCOLOR=1
unset MOLECULE_EPHEMERAL_DIRECTORY ANSIBLE_CONFIG
export PATH="$root/.venv/bin:$PATH"
# The runner reaches the test hosts with OpenSSH's client; a bare machine may lack it.
if ! command -v ssh >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client >/dev/null
  else
    echo "molecule/run.sh: ssh and ssh-keygen (OpenSSH client) are needed" >&2
    exit 2
  fi
fi
if [ ! -e "$root/collections/ansible_collections/sandbox/attest" ]; then
  echo "molecule/run.sh: the collection link is missing: run \`make setup\` (or \`make link\`)" >&2
  exit 2
fi
exec molecule --base-config molecule/_shared/base.yml "$@"
