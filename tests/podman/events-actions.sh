#!/bin/sh
# Runs inside a Podman test host, as root (tests/podman/events-measure.sh copies it in; not part
# of `make test`). The actions whose events issue 18's event slice measures, each object made
# here and removed here by its ID or name; prints nothing but podman's errors:
#   image      `podman load` of the probe archive; `podman import` (a root filesystem of sleep,
#              true, false and sh from the host's own files: no registry) with a tag, `podman
#              tag`, and at the end `podman rmi` of a tag and of the image
#   volume     create, remove;  network  create, connect, disconnect, remove
#   pod        create (no infra: no pause image here), start with a member, stop, remove
#   container  create, start, `podman exec` (a command holding the secret), `podman exec -d`,
#              a health check run twice by `podman healthcheck run` (one passing, one failing),
#              a crash loop under --restart on-failure:2, stop, `podman restart`, kill, remove
# The secret's value is $1 (the caller greps every output for it).
#   events-actions.sh SECRET
set -u
secret=$1
podman load -q -i /tmp/probe-image.tar >/dev/null
work=$(mktemp -d)
mkdir -p "$work/root/usr/bin" "$work/root/usr/lib/x86_64-linux-gnu" "$work/root/usr/lib64"
cp /usr/bin/sleep /usr/bin/true /usr/bin/false "$work/root/usr/bin/"
cp /bin/dash "$work/root/usr/bin/sh"
cp /lib/x86_64-linux-gnu/libc.so.6 "$work/root/usr/lib/x86_64-linux-gnu/"
cp /lib64/ld-linux-x86-64.so.2 "$work/root/usr/lib64/"
ln -s usr/bin "$work/root/bin"
ln -s usr/lib64 "$work/root/lib64"
ln -s usr/lib "$work/root/lib"
img=$(tar -C "$work/root" -c . | podman import --quiet - events/plain:one)
rm -rf "$work"
podman tag "$img" events/plain:two
podman volume create events-vol >/dev/null
podman network create events-net >/dev/null
podman pod create --infra=false --name events-pod >/dev/null
c=$(podman create --name events-c --label events.kind=exec-target --network events-net \
  -v events-vol:/data \
  --env "EVENTS_SECRET=$secret" "$img" sleep infinity)
podman start "$c" >/dev/null
podman exec "$c" sh -c "echo $secret >/dev/null"
podman exec -d "$c" sleep 1
podman network connect podman "$c"
podman network disconnect podman "$c"
h=$(podman run -d --name events-health --network none \
  --health-cmd "true --health $secret" --health-interval 0 "$img" sleep infinity)
podman healthcheck run "$h" >/dev/null
hf=$(podman run -d --name events-health-fail --network none --health-cmd false \
  --health-interval 0 "$img" sleep infinity)
podman healthcheck run "$hf" >/dev/null
r=$(podman run -d --name events-restart --network none --restart on-failure:2 "$img" false)
podman create --pod events-pod --name events-pod-one --network none "$img" sleep infinity >/dev/null
podman pod start events-pod >/dev/null
sleep 2  # the crash loop's two restarts
podman pod stop -t 0 events-pod >/dev/null
podman stop -t 0 "$c" >/dev/null
podman restart -t 0 "$h" >/dev/null
podman kill "$h" >/dev/null
podman rm -f "$c" "$h" "$hf" "$r" events-pod-one >/dev/null
podman pod rm -f events-pod >/dev/null
podman network rm events-net >/dev/null
podman volume rm events-vol >/dev/null
podman rmi events/plain:two >/dev/null
podman rmi -f "$img" >/dev/null
