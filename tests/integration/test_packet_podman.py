"""The operator packet under rootful Podman (issue 18, item 4): rendered by playbooks/packet.yml
with the venue's `sandbox_attest_runtime: podman`, copied into a Podman test host (Podman 4.3,
vfs, cgroupfs, file events, no Docker, no Python used, `--network none`) and run there as an
operator would (`sh attest.sh OUT` as root); its bundle brought back and judged by
playbooks/verify.yml as the roles' Podman bundle is (tests/unit/data/podman-bundle):

- the same files, run.json, facts and profile shape as the roles' bundle, the facts and the
  fingerprint those of the product's own engine_facts module in the same host, and the
  snapshot the product's module_utils snapshot of the same host;
- unpinned: PARTIAL with the one reason "unapproved venue"; pinned with the fingerprint and the
  host key the bundle's own venue.json and statement carry: READY, every row PASS;
- the host's Podman objects (decoys of every kind) unchanged, no iptables rule added, nothing
  of the run left (containers, run directory, scratch, partial bundle).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import tempfile
import time

import pytest
from harness import docker, run_playbook, verify_bundle
from podman_host import PodmanHost
from test_touch_nothing import hanging_probe

ROWS = list(range(24, 38))
VENUE = "podman-venue"
OUT = "/root/evidence"
ROLES_BUNDLE = os.path.join(os.path.dirname(__file__), "..", "unit", "data", "podman-bundle")
PODMAN = {"engine_cli": "podman", "runtime": "podman"}
KINDS = ("containers", "pods", "networks", "volumes", "images")
RUN_LINE = re.compile(r"\(run ([0-9]{8}T[0-9]{6}Z-[0-9a-f]{8})\)")


@pytest.fixture(scope="module")
def host(podman_host: PodmanHost) -> PodmanHost:
    return podman_host


def host_key(host: PodmanHost) -> str:
    """The host's public SSH host key as an inventory pins it: `<type> <base64>`."""
    pub = host.exec("ssh-keygen", "-y", "-f", "/etc/ssh/ssh_host_ed25519_key").stdout.decode()
    return " ".join(pub.split()[:2])


def render(tmp_path, key: str, *extra: str) -> str:
    """The packet, rendered by playbooks/packet.yml from an inventory naming the venue with its
    runtime and pinned host key, as a reviewer would."""
    inventory = tmp_path / "venues.ini"
    inventory.write_text('[approved_venues]\n%s sandbox_attest_runtime=podman '
                         'sandbox_attest_venue_host_key="%s"\n' % (VENUE, key))
    dest = tmp_path / "packets"
    result = run_playbook("packet.yml", str(inventory), str(tmp_path),
                          "-e", "sandbox_attest_venue=%s" % VENUE,
                          "-e", "sandbox_attest_packet_dest=%s" % dest, *extra)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "runtime podman: the script drives podman" in result.stdout
    [packet] = [p for p in os.listdir(dest) if not p.endswith(".tar.gz")]
    return str(dest / packet)


def run_packet(host: PodmanHost, packet: str) -> tuple[subprocess.CompletedProcess, float]:
    """Copy the packet into the host and run its script there as root, as an operator would."""
    name = os.path.basename(packet)
    host.exec("rm", "-rf", "/root/" + name)
    docker("cp", packet, "%s:/root/%s" % (host.id, name))
    started = time.monotonic()
    ran = host.exec("sh", "/root/%s/attest.sh" % name, OUT, check=False, timeout=300)
    return ran, time.monotonic() - started


def fetch_bundle(host: PodmanHost, tmp_path, run_id: str) -> str:
    dest = tempfile.mkdtemp(prefix="bundle-", dir=str(tmp_path))
    docker("cp", "%s:%s/%s/%s" % (host.id, OUT, VENUE, run_id), dest)
    return os.path.join(dest, run_id)


def verify(tmp_path, bundle: str, inventory_text: str) -> dict:
    """verify.yml with an inventory of this text (the venue pinned or not)."""
    inventory = tmp_path / ("verify-%s.ini" % secrets.token_hex(4))
    inventory.write_text(inventory_text)
    return verify_bundle(tmp_path, bundle, str(inventory))


def read_json(path: str):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def bundle_files(bundle: str) -> set[str]:
    return {os.path.relpath(os.path.join(d, n), bundle)
            for d, dummy, names in os.walk(bundle) for n in names
            if not os.path.relpath(d, bundle).startswith("verification")}


def objects(snapshot: dict) -> dict[str, list]:
    return {kind: snapshot[kind] for kind in KINDS}


def leftovers(host: PodmanHost, run_id: str) -> dict[str, str]:
    """Whatever of this run is still in the host: containers by label or name, its run
    directory, scratch directories, an incomplete bundle."""
    return {
        "labelled": host.exec("podman", "ps", "-aq", "--filter",
                              "label=sandbox.attest.run-id=%s" % run_id).stdout.decode().strip(),
        "named": host.exec("podman", "ps", "-aq", "--filter",
                           "name=%s" % run_id).stdout.decode().strip(),
        "run dir": host.exec("sh", "-c", "ls -d /var/lib/sandbox-attest/%s 2>/dev/null || :"
                             % run_id).stdout.decode().strip(),
        "scratch": host.exec("sh", "-c", "ls -d /dev/shm/sandbox-attest-packet.* /tmp/sandbox-"
                             "attest-packet.* 2>/dev/null || :").stdout.decode().strip(),
        "partial": host.exec("sh", "-c", "ls -a %s/%s | grep partial || :"
                             % (OUT, VENUE)).stdout.decode().strip(),
    }


def test_a_podman_packet_bundle_verifies_like_the_roles_bundle(host: PodmanHost,
                                                               tmp_path) -> None:
    secret = "decoy-secret-%s" % secrets.token_hex(8)
    host.make_decoys(secret)
    # The probe image absent, as on a venue that never ran the packet: the script loads it.
    host.exec("podman", "rmi", host.probe.image_id)
    key = host_key(host)
    packet = render(tmp_path, key)

    before, rules_before = host.snapshot(), host.iptables_rules()
    ran, seconds = run_packet(host, packet)
    output = ran.stdout.decode(errors="replace")
    assert ran.returncode == 0, output[-3000:] + ran.stderr.decode(errors="replace")[-3000:]
    after, rules_after = host.snapshot(), host.iptables_rules()
    run_id = json.loads(host.exec("sh", "-c", "cat %s/%s/*/run.json" % (OUT, VENUE)).stdout)[
        "run_id"]
    print("podman packet: run %s in %.2f s" % (run_id, seconds))
    assert "signed with the host key" in output

    # Nothing of the run is left; the host's own objects are as they were (the probe image,
    # loaded by the run, is the one addition), and no iptables rule came.
    assert leftovers(host, run_id) == dict.fromkeys(
        ("labelled", "named", "run dir", "scratch", "partial"), "")
    snap_before, snap_after = json.loads(before), json.loads(after)
    for kind in ("containers", "pods", "networks", "volumes"):
        assert snap_after[kind] == snap_before[kind], kind
    added = [i for i in snap_after["images"] if i not in snap_before["images"]]
    assert [i["id"] for i in added] == [host.probe.image_id] and added[0]["probe_image"]
    assert [i for i in snap_before["images"] if i not in snap_after["images"]] == []
    assert rules_after == rules_before
    assert secret in host.exec("podman", "inspect", "decoy-mounts").stdout.decode()

    bundle = fetch_bundle(host, tmp_path, run_id)
    # The same shape as the roles' Podman bundle: files, run.json, facts and profile keys.
    assert bundle_files(bundle) == bundle_files(ROLES_BUNDLE)
    run = read_json(os.path.join(bundle, "run.json"))
    roles_run = read_json(os.path.join(ROLES_BUNDLE, "run.json"))
    assert run["runtime"] == "podman" and run["producer"]["path"] == "packet"
    assert set(run) == set(roles_run) - {"events_replayed"}
    assert set(run["producer"]) == set(roles_run["producer"]) | {"packet_format"}
    facts = read_json(os.path.join(bundle, "engine", "facts.json"))
    assert set(facts) == set(read_json(os.path.join(ROLES_BUNDLE, "engine", "facts.json")))
    assert read_json(os.path.join(bundle, "profile", "profile.json")) == read_json(
        os.path.join(ROLES_BUNDLE, "profile", "profile.json"))
    # One source for each fact: the product's own module and snapshot in the same host.
    module = host.module("engine_facts", run_root="/var/lib/sandbox-attest", **PODMAN)
    assert facts == module["facts"]
    venue = read_json(os.path.join(bundle, "venue.json"))
    assert venue["fingerprint"] == module["fingerprint"]
    assert venue["engine_id"] == "podman:/var/lib/containers/storage"
    packet_before = read_json(os.path.join(bundle, "snapshots", "before.json"))
    assert objects(packet_before) == objects(snap_before)
    assert packet_before["runtime"] == "podman"
    assert secret not in json.dumps(packet_before) and secret not in before
    for identity in ("workload", "root"):
        result = read_json(os.path.join(bundle, "identities", identity, "result.json"))
        assert result["removed"] is True and result["commands"][0][:2] == ["podman", "create"]
        spec = read_json(os.path.join(bundle, "identities", identity, "oci-spec.json"))
        assert spec["process"]["user"]["uid"] == (65532 if identity == "workload" else 0)
    events = [json.loads(line) for line in open(os.path.join(bundle, "engine", "events.jsonl"),
                                                encoding="utf-8")]
    loads = [e for e in events if e["action"] == "loadfromarchive"]
    assert len(loads) == 1 and loads[0]["name"].endswith("/probe-image.tar")

    # Verified as the roles' bundle is: unpinned, only the venue is missing.
    unpinned = verify(tmp_path, bundle, "[approved_venues]\n")
    print("unpinned:", unpinned["status"], unpinned["reasons"])
    assert unpinned["status"] == "SANDBOX_ATTESTATION_PARTIAL"
    assert unpinned["reasons"] == ["unapproved venue"]
    assert {row["row"]: row["result"] for row in unpinned["rows"]} == dict.fromkeys(ROWS, "PASS")
    assert "Produced by the **operator packet**" in unpinned["report"]
    assert "is the one this collection renders" in unpinned["report"]
    # Pinned with the fingerprint and host key the bundle's own venue.json and statement carry.
    statement = read_json(os.path.join(bundle, "signature", "statement.json"))
    assert statement["host_key"] == key and statement["unsigned_reason"] is None
    pinned = verify(tmp_path, bundle, '[approved_venues]\n%s sandbox_attest_venue_fingerprint=%s '
                    'sandbox_attest_venue_host_key="%s"\n'
                    % (VENUE, venue["fingerprint"], statement["host_key"]))
    print("pinned:", pinned["status"], pinned["reasons"])
    assert pinned["status"] == "SANDBOX_ATTESTED_READY", pinned["reasons"]
    assert {row["row"]: row["result"] for row in pinned["rows"]} == dict.fromkeys(ROWS, "PASS")


def test_a_second_run_finds_the_probe_image_cached_and_leaves_nothing(host: PodmanHost,
                                                                      tmp_path) -> None:
    packet = render(tmp_path, host_key(host))
    before = host.snapshot()
    ran, seconds = run_packet(host, packet)
    output = ran.stdout.decode(errors="replace")
    assert ran.returncode == 0, output[-3000:] + ran.stderr.decode(errors="replace")[-3000:]
    print("podman packet, image cached: %.2f s" % seconds)
    assert "present (a cache kept between runs)" in output
    run_ids = host.exec("ls", "%s/%s" % (OUT, VENUE)).stdout.decode().split()
    run_id = sorted(run_ids)[-1]
    assert objects(json.loads(host.snapshot())) == objects(json.loads(before))
    assert leftovers(host, run_id) == dict.fromkeys(
        ("labelled", "named", "run dir", "scratch", "partial"), "")
    bundle = fetch_bundle(host, tmp_path, run_id)
    events = [json.loads(line) for line in open(os.path.join(bundle, "engine", "events.jsonl"),
                                                encoding="utf-8")]
    assert not [e for e in events if e["type"] == "image"]
    unpinned = verify(tmp_path, bundle, "[approved_venues]\n")
    assert unpinned["reasons"] == ["unapproved venue"]


def test_sigint_while_the_probe_runs_leaves_nothing_under_podman(
        host: PodmanHost, tmp_path) -> None:
    # A probe that hangs, so the run is caught with its container running; the script is
    # started in the host as a job of its own and sent SIGINT, as Ctrl-C would.
    packet = render(tmp_path, "", "-e", "packet_probe_path=%s" % hanging_probe(tmp_path))
    name = os.path.basename(packet)
    docker("cp", packet, "%s:/root/%s" % (host.id, name))
    before = objects(json.loads(host.snapshot()))
    docker("exec", "-d", host.id, "sh", "-c", "echo $$ > /root/sigint.pid; exec sh "
           "/root/%s/attest.sh /root/sigint-out > /root/sigint.log 2>&1" % name)
    run_id, log = None, ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        log = host.exec("sh", "-c", "cat /root/sigint.log 2>/dev/null || :").stdout.decode()
        found = RUN_LINE.search(log)
        if found:
            run_id = found.group(1)
            if host.exec("podman", "ps", "-q", "--filter", "status=running", "--filter",
                         "label=sandbox.attest.run-id=%s" % run_id).stdout.strip():
                break
        time.sleep(0.1)
    assert run_id, log
    assert host.exec("ls", "/var/lib/sandbox-attest/%s" % run_id, check=False).returncode == 0
    sent = time.monotonic()
    host.exec("sh", "-c", "kill -INT $(cat /root/sigint.pid)")
    while host.exec("sh", "-c", "kill -0 $(cat /root/sigint.pid)", check=False).returncode == 0:
        assert time.monotonic() - sent < 120, "the script did not end after SIGINT"
        time.sleep(0.1)
    print("podman packet: SIGINT to exit %.2f s" % (time.monotonic() - sent))
    log = host.exec("cat", "/root/sigint.log").stdout.decode()
    assert "interrupted (INT): removing what this run created" in log, log[-3000:]
    assert "removed container" in log and "removed the run directory" in log, log[-3000:]
    assert leftovers(host, run_id) == dict.fromkeys(
        ("labelled", "named", "run dir", "scratch", "partial"), "")
    assert host.exec("ls", "/root/sigint-out", check=False).returncode != 0, "output left"
    after = objects(json.loads(host.snapshot()))
    for kind in ("containers", "pods", "networks", "volumes"):
        assert after[kind] == before[kind], kind
    # The hanging probe's image is the one addition: a labelled cache; this test's, so removed.
    added = [i for i in after["images"] if i not in before["images"]]
    assert len(added) <= 1 and all(i["probe_image"] for i in added)
    for image in added:
        host.exec("podman", "rmi", image["id"])
