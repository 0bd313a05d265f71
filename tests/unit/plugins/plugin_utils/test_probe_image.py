"""The probe image archive is byte-for-byte deterministic and its ID is sha256 of its config."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import (
    build_probe_image,
)

PROBE = b"\x7fELF fake probe bytes"


def members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: (tar.extractfile(m).read() if m.isfile() else b"") for m in tar}


def test_archive_is_deterministic() -> None:
    assert build_probe_image(PROBE).archive == build_probe_image(PROBE).archive


def test_image_id_is_sha256_of_config() -> None:
    image = build_probe_image(PROBE, "x86_64")
    files = members(image.archive)
    manifest = json.loads(files["manifest.json"])
    config = files[manifest[0]["Config"]]
    assert image.image_id == "sha256:" + hashlib.sha256(config).hexdigest()
    assert manifest[0]["RepoTags"] == [image.tag]
    layer = files[manifest[0]["Layers"][0]]
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    assert json.loads(config)["rootfs"]["diff_ids"] == [diff_id]


def test_layer_holds_probe_and_passwd_only() -> None:
    image = build_probe_image(PROBE)
    layer = members(image.archive)[json.loads(members(image.archive)["manifest.json"])[0]
                                   ["Layers"][0]]
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        entries = {m.name: m for m in tar}
    assert entries["sandbox-probe"].mode == 0o755 and entries["sandbox-probe"].mtime == 0
    assert {m.uid for m in entries.values()} == {0}
    assert b"65532" in tar_bytes(layer, "etc/passwd")
    assert not [n for n in entries if n.startswith(("bin", "usr", "sbin"))]
    assert image.probe_sha256 == hashlib.sha256(PROBE).hexdigest()


def tar_bytes(layer: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        return tar.extractfile(name).read()


def test_another_probe_is_another_image() -> None:
    assert build_probe_image(PROBE).image_id != build_probe_image(PROBE + b"!").image_id
