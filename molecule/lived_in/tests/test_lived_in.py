"""The full flow on two lived-in test hosts: one engine as the approved VPS runs it, one with
--userns-remap=default. Both hold the lived-in fixture (tests/lived_in/lived_in.py), recorded by
prepare.yml before the attestation: its objects' inspect documents and every object the engine
held. The attestation must be READY on both, change no fixture object's configuration, keep
the fixture's secret out of the bundle, and leave nothing of the run inside the host.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import (
    EPHEMERAL,
    PROBE_IMAGE_LABEL,
    PROJECT,
    RUN_ID_LABEL,
    RUN_ROOT,
    STATE,
    inner,
    inner_json,
    record,
    run_playbook,
)

# The fixture's own canonical form: the lists the engine orders at random (a container's
# .Mounts) sorted, so an untouched object compares equal.
sys.path.insert(0, str(PROJECT / "tests" / "lived_in"))
import lived_in

READY = "SANDBOX_ATTESTED_READY"


@pytest.fixture
def fixture_record(name) -> dict:
    """What prepare.yml recorded on this host: the fixture's state, its objects' inspect
    documents and every object ID the engine held before the attestation."""
    return json.loads((STATE / ("lived-in-%s.json" % name)).read_text())


@pytest.fixture
def bundle(name) -> Path:
    bundles = sorted((EPHEMERAL / "evidence" / name).iterdir())
    assert len(bundles) == 1, bundles
    return bundles[0]


def ref_of(document: dict) -> str:
    return document.get("Id") or document["Name"]


def test_the_engine_runs_as_the_platform_says(host, pinned, bundle):
    facts = json.loads((bundle / "engine" / "facts.json").read_text())
    remapped = "name=userns" in facts["security_options"]
    assert remapped == (pinned["userns_remap"] == "default")
    if remapped:
        # The engine names its remapped root at the end of its root directory; dockerd made the
        # dockremap user and its subordinate range there at its first start.
        root = facts["docker_root_dir"].rsplit("/", 1)[-1]
        uid, gid = (int(part) for part in root.split("."))
        subuid = host.file("/etc/subuid").content_string.split()
        subgid = host.file("/etc/subgid").content_string.split()
        assert "dockremap:%d:65536" % uid in subuid and "dockremap:%d:65536" % gid in subgid
        record(**{"%s_remap" % pinned["name"]: {
            "docker_root_dir": facts["docker_root_dir"], "subuid": subuid, "subgid": subgid,
            "out_owner_workload": [uid + 65532, gid + 65532], "out_owner_root": [uid, gid]}})
    else:
        assert facts["docker_root_dir"] == "/var/lib/docker"


def test_the_bundle_verified_ready_during_the_run(bundle, name):
    verdict = json.loads((bundle / "verification" / "verdict.json").read_text())
    # The fixture's crash loop and health checks go on during the run: listed as host activity.
    activity = [item for finding in verdict["findings"] if finding["name"] == "non_mutation"
                for item in finding["extra"].get("host_activity", [])]
    record(**{"%s_status_during_run" % name: verdict["status"],
              "%s_reasons" % name: verdict["reasons"],
              "%s_host_activity" % name: [
                  "%s %s: %s" % (a.get("kind"), a.get("name"), a.get("reason"))
                  for a in activity],
              "%s_rows" % name: {str(row["row"]): row["result"] for row in verdict["rows"]}})
    assert verdict["status"] == READY, verdict["reasons"]
    assert verdict["gate"]["state"] == "UNBLOCKED"
    assert {row["result"] for row in verdict["rows"]} == {"PASS"}


def test_the_verifier_says_ready_on_the_pinned_host(bundle, name, tmp_path):
    proc = run_playbook(PROJECT / "playbooks" / "verify.yml", "-e",
                        json.dumps({"sandbox_attest_bundle": str(bundle),
                                    "sandbox_attest_verification_dest":
                                        str(tmp_path / "verification")}))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict = json.loads((tmp_path / "verification" / "verdict.json").read_text())
    assert verdict["status"] == READY, verdict["reasons"]
    record(**{"%s_status_verify_yml" % name: verdict["status"]})


def test_every_fixture_object_is_unchanged(host, fixture_record, name):
    roles = {obj["id"].removeprefix("sha256:"): obj["role"]
             for obj in fixture_record["state"]["objects"]}
    changed, lifecycle = [], {}
    for kind, recorded in fixture_record["inspect"].items():
        now = {ref_of(doc): doc for doc in
               inner_json(host, kind, "inspect", *(ref_of(doc) for doc in recorded))}
        for before in recorded:
            ref = ref_of(before)
            assert ref in now, "%s %s is gone" % (kind, ref)
            after = now[ref]
            role = roles.get(ref.removeprefix("sha256:"), "?")
            if lived_in.canonicalize(kind, before) != lived_in.canonicalize(kind, after):
                lifecycle.setdefault(role, 0)
                lifecycle[role] += 1
            # Only what the engine's own lifecycle changes may differ (issue 10's acceptance).
            settled = (lived_in.settled(kind, role, before), lived_in.settled(kind, role, after))
            if settled[0] != settled[1]:
                changed.append("%s %s (%s): %s" % (kind, role, ref[:19],
                                                   lived_in.differing_keys(*settled)))
    assert not changed, changed
    # The crash loop went on meanwhile: its lifecycle, not the run's.
    crash = next(o["id"] for o in fixture_record["state"]["objects"] if o["role"] == "crash-loop")
    before = next(d for d in fixture_record["inspect"]["container"] if d["Id"] == crash)
    restarts = int(inner(host, "inspect", "--format", "{{.RestartCount}}", crash).strip())
    assert restarts >= before["RestartCount"]
    record(**{"%s_fixture" % name: fixture_record["state"]["counts"],
              "%s_lifecycle_changes" % name: lifecycle,
              "%s_crash_loop_restarts" % name: [before["RestartCount"], restarts]})


def test_the_fixture_secret_is_in_no_bundle_file(bundle, fixture_record):
    secret = fixture_record["state"]["secret"]["value"].encode()
    files = [path for path in bundle.rglob("*") if path.is_file()]
    assert files
    assert not [str(path) for path in files if secret in path.read_bytes()]


def test_nothing_of_the_run_left_inside_the_host(host, fixture_record, bundle):
    held = fixture_record["held"]
    run = json.loads((bundle / "run.json").read_text())
    assert set(inner(host, "ps", "--all", "--quiet", "--no-trunc").split()) == set(
        held["container"])
    assert set(inner(host, "network", "ls", "--quiet", "--no-trunc").split()) == set(
        held["network"])
    assert set(inner(host, "volume", "ls", "--quiet").split()) == set(held["volume"])
    # Only the probe image may have been added: a labelled cache, kept by design.
    images = set(inner(host, "image", "ls", "--all", "--quiet", "--no-trunc").split())
    assert images - set(held["image"]) == {run["image_id"]}
    assert set(held["image"]) <= images
    probe_images = inner(host, "image", "ls", "--quiet", "--no-trunc", "--filter",
                         "label=%s" % PROBE_IMAGE_LABEL).split()
    assert probe_images == [run["image_id"]]
    assert not inner(host, "ps", "--all", "--quiet", "--filter", "label=%s" % RUN_ID_LABEL)
    run_root = host.file(RUN_ROOT)
    assert not run_root.exists or run_root.listdir() == []
