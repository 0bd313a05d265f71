#!/bin/sh
# Runs inside a Podman test host, as root (copied in by tests/podman/snapshot-measure.sh and
# by tests/integration/podman_host.py for the decoy test in `make test`). Makes the decoy
# objects of issue 18's snapshot tests, one of each shape a snapshot template must survive, and
# prints nothing but podman's errors:
#   images      an imported image without labels or tags (runs `sleep`), and an imported image
#               with a label and two tags
#   containers  running with several mounts and a secret in its environment; running with a
#               health check; created without labels; exited; two running in one pod
#   pods        one without an infra container (an infra container needs a pause image from a
#               registry), holding two containers
#   networks    one with a member, one without (labelled)
#   volumes     one labelled, one not
# The secret's value is $1 (the caller greps every output for it).
#   snapshot-decoys.sh SECRET
set -eu
secret=$1
work=$(mktemp -d)
# A root filesystem of sleep and true with the C library they need (Debian bookworm: /bin and
# /lib64 are links into /usr).
mkdir -p "$work/root/usr/bin" "$work/root/usr/lib/x86_64-linux-gnu" "$work/root/usr/lib64"
cp /usr/bin/sleep /usr/bin/true "$work/root/usr/bin/"
cp /lib/x86_64-linux-gnu/libc.so.6 "$work/root/usr/lib/x86_64-linux-gnu/"
cp /lib64/ld-linux-x86-64.so.2 "$work/root/usr/lib64/"
ln -s usr/bin "$work/root/bin"
ln -s usr/lib64 "$work/root/lib64"
ln -s usr/lib "$work/root/lib"
plain=$(tar -C "$work/root" -c . | podman import --quiet -)
echo decoy >"$work/root/decoy"
tagged=$(tar -C "$work/root" -c . | podman import --quiet --change 'LABEL decoy.kind=tagged' - decoy/tagged:one)
podman tag "$tagged" decoy/tagged:two
rm -rf "$work"

mkdir -p /srv/decoy/a /srv/decoy/b
podman volume create --label decoy.kind=labelled decoy-vol-labelled >/dev/null
podman volume create decoy-vol-plain >/dev/null
podman network create --label decoy.kind=empty decoy-net-empty >/dev/null
podman network create decoy-net-members >/dev/null

podman run -d --name decoy-mounts --label decoy.kind=mounts --network none \
  --env "DECOY_SECRET=$secret" \
  -v decoy-vol-labelled:/data -v /srv/decoy/a:/a:ro \
  --mount type=bind,source=/srv/decoy/b,destination=/b \
  --mount type=tmpfs,destination=/scratch \
  -v decoy-vol-plain:/plain "$plain" sleep infinity >/dev/null
podman run -d --name decoy-health --label decoy.kind=health --network decoy-net-members \
  --health-cmd 'true --health' --health-interval 0 "$plain" sleep infinity >/dev/null
podman create --name decoy-nolabels --network none "$plain" sleep infinity >/dev/null
podman run --name decoy-exited --label decoy.kind=exited --network none "$plain" true
podman pod create --infra=false --name decoy-pod --label decoy.kind=pod >/dev/null
podman run -d --pod decoy-pod --name decoy-pod-one --label decoy.kind=pod-member "$plain" \
  sleep infinity >/dev/null
podman run -d --pod decoy-pod --name decoy-pod-two --label decoy.kind=pod-member "$plain" \
  sleep infinity >/dev/null
