"""The main job, for real: a rehearsal attestation of the local engine through the playbook."""

from __future__ import annotations

import hashlib
import json
import os
import uuid

from harness import (
    ROOT,
    bundles_under,
    docker,
    engine_objects,
    exists,
    inspect,
    run_containers,
    run_dirs,
    run_playbook,
)

from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import (
    build_probe_image,
    read_probe,
)

PROBE_IMAGE = build_probe_image(read_probe(os.path.join(ROOT, "files", "sandbox-probe")))


def bundle_files(bundle: str) -> dict[str, bytes]:
    found = {}
    for top, dirs, files in os.walk(bundle):
        rel_top = os.path.relpath(top, bundle)
        if rel_top.split(os.sep)[0] == "verification":
            dirs[:] = []
            continue
        for name in files:
            rel = os.path.normpath(os.path.join(rel_top, name)).replace(os.sep, "/")
            with open(os.path.join(top, name), "rb") as handle:
                found[rel] = handle.read()
    return found


def remove_probe_image_if_unused() -> None:
    """Start from an engine without the probe image, so the first run must load it."""
    if exists(PROBE_IMAGE.image_id):
        users = docker("ps", "-aq", "--filter", "ancestor=%s" % PROBE_IMAGE.image_id).split()
        assert not users, "containers still use the probe image: %s" % users
        docker("rmi", PROBE_IMAGE.image_id)


def image_loads(bundle: str) -> list[dict]:
    with open(os.path.join(bundle, "engine", "events.jsonl"), encoding="utf-8") as handle:
        events = [json.loads(line) for line in handle if line.strip()]
    return [e for e in events if e["type"] == "image" and e["action"] == "load"]


def test_rehearsal_attestation_end_to_end(tmp_path, decoys, decoy_image) -> None:
    secret = "s3cr3t-%s" % uuid.uuid4().hex
    decoy = decoys("container", "--env", "DB_PASSWORD=%s" % secret, "--restart",
                   "unless-stopped", "--label", "password=%s" % secret, decoy_image)
    docker("start", decoy)
    remove_probe_image_if_unused()
    before, dirs_before = engine_objects(), run_dirs()
    evidence = tmp_path / "evidence"

    first = run_playbook("attest.yml", "inventories/local", str(tmp_path),
                         "-e", "sandbox_attest_evidence_root=%s" % evidence)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    [bundle] = bundles_under(str(evidence))

    # Every file of the bundle matches manifest.json, and the manifest lists every file.
    files = bundle_files(bundle)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["files"] == {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}
    for required in ("run.json", "venue.json", "engine/facts.json", "engine/events.jsonl",
                     "profile/profile.json", "profile/seccomp.json", "snapshots/before.json",
                     "snapshots/after.json"):
        assert required in files
    for identity in ("workload", "root"):
        for name in ("argv.json", "result.json", "probe.jsonl", "inspect.json", "fetch.json",
                     "out/ok"):
            assert "identities/%s/%s" % (identity, name) in files

    # The decoy's secret (environment and label) is nowhere in the evidence.
    for path, data in files.items():
        assert secret.encode() not in data, path
    assert inspect(decoy)["State"]["Running"]

    # Nothing of the run is left; the probe image stays as the only new object.
    after = engine_objects()
    for kind in ("containers", "networks", "volumes"):
        assert after[kind] - before[kind] == set(), kind
    # Other work on a shared engine may add images; none of the new ones may be of this run.
    new_images = after["images"] - before["images"]
    assert PROBE_IMAGE.image_id in new_images
    for image in new_images - {PROBE_IMAGE.image_id}:
        assert "sandbox.attest.probe-image" not in (inspect(image)["Config"]["Labels"] or {})
    assert run_dirs() == dirs_before and not run_containers()
    assert len(image_loads(bundle)) == 1

    # The image ID computed on the controller is the one the engine reports after loading.
    assert inspect(PROBE_IMAGE.image_id)["Id"] == PROBE_IMAGE.image_id
    run = json.loads(files["run.json"])
    assert run["image_id"] == PROBE_IMAGE.image_id
    assert json.loads(files["identities/root/inspect.json"])[0]["Image"] == PROBE_IMAGE.image_id

    # A second run uses the cached image: no load event in its window.
    second = run_playbook("attest.yml", "inventories/local", str(tmp_path),
                          "-e", "sandbox_attest_evidence_root=%s" % evidence)
    assert second.returncode == 0, second.stdout[-4000:]
    newest = bundles_under(str(evidence))[-1]
    assert newest != bundle and image_loads(newest) == []
    assert engine_objects()["containers"] - before["containers"] == set()
