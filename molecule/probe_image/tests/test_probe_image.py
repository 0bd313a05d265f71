"""probe_image over SSH: the image arrives as the archive the runner assembled, nowhere else."""

from __future__ import annotations

import hashlib

from conftest import (
    PROBE_IMAGE_LABEL,
    PROJECT,
    RUN_ROOT,
    assert_decoys_unchanged,
    inner,
    inner_json,
)


def test_the_image_was_loaded_over_ssh_with_the_known_id(host, result):
    probe_image = result("probe_image_result")
    assert probe_image["was_present"] is False  # prepare proved the engine had no probe image
    assert probe_image["load_command"][:2] == ["docker", "load"]
    image = inner_json(host, "image", "inspect", probe_image["image_id"])[0]
    assert image["Id"] == probe_image["image_id"]
    assert image["Config"]["Labels"][PROBE_IMAGE_LABEL] == "true"
    assert image["Config"]["Labels"]["sandbox.attest.probe-sha256"] == probe_image["probe_sha256"]
    assert inner(host, "image", "ls", "--quiet", "--no-trunc", "--filter",
                 "label=%s" % PROBE_IMAGE_LABEL).split() == [probe_image["image_id"]]


def test_the_probe_is_the_shipped_one(result):
    shipped = hashlib.sha256((PROJECT / "files" / "sandbox-probe").read_bytes()).hexdigest()
    assert result("probe_image_result")["probe_sha256"] == shipped


def test_the_archive_was_staged_root_only_in_the_run_directory(host, result):
    run_id = result("preflight_result")["run_id"]
    root = host.file(RUN_ROOT)
    assert root.is_directory and root.uid == 0 and root.mode == 0o700
    run_dir = host.file("%s/%s" % (RUN_ROOT, run_id))
    assert run_dir.is_directory and run_dir.uid == 0 and run_dir.mode == 0o700
    assert run_dir.listdir() == ["probe-image.tar"]
    archive = host.file("%s/%s/probe-image.tar" % (RUN_ROOT, run_id))
    assert archive.uid == 0 and archive.mode == 0o600 and archive.size > 0


def test_only_the_probe_image_was_added(host, decoys_recorded, result):
    assert_decoys_unchanged(host, decoys_recorded)
    images = set(inner(host, "image", "ls", "--all", "--quiet", "--no-trunc").split())
    assert images == {decoys_recorded["images"][0]["Id"], result("probe_image_result")["image_id"]}
    assert inner(host, "ps", "--all", "--quiet", "--filter", "label=sandbox.attest.run-id") == ""
