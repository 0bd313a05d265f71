# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe image as a deterministic docker-archive, assembled on the controller.

`docker build` leaves several unlabelled image IDs behind; a hand-assembled archive loads as
exactly one image whose ID is the sha256 of its config bytes, so the ID is known before the
run, printed by --check, pinned by the verifier and identical on every host. Every byte here
is fixed: mtimes, owners, modes, entry order, the config's `created`.
"""

from __future__ import annotations

import hashlib
import io
import platform
import tarfile
from dataclasses import dataclass

from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical
from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    IDENTITIES,
    LABEL_PROBE_IMAGE,
    WORKLOAD_IDENTITY,
    probe_image_tag,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._collection import missing_probe

PROBE_PATH_IN_IMAGE = "sandbox-probe"
EPOCH = "1970-01-01T00:00:00Z"
_WORKLOAD = IDENTITIES[WORKLOAD_IDENTITY]
PASSWD = (
    "root:x:0:0:root:/:/sbin/nologin\n"
    "sandbox:x:%(uid)d:%(gid)d:sandbox workload:/nonexistent:/sbin/nologin\n" % _WORKLOAD
)
GROUP = "root:x:0:\nsandbox:x:%(gid)d:\n" % _WORKLOAD
# Mount points exist in the image so the read-only root filesystem needs no change at start.
DIRECTORIES = (("dev", 0o755), ("etc", 0o755), ("in", 0o755), ("out", 0o755),
               ("proc", 0o555), ("sys", 0o555), ("tmp", 0o1777))
_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class ProbeImage:
    image_id: str
    probe_sha256: str
    tag: str
    archive: bytes

    @property
    def archive_sha256(self) -> str:
        return hashlib.sha256(self.archive).hexdigest()


def fixed_tar_info(name: str, mode: int, size: int = 0,
                   kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    """A tar entry with every varying field fixed (mtime 0, root owner, no names)."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _tar(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _layer(probe: bytes) -> bytes:
    entries: list[tuple[tarfile.TarInfo, bytes | None]] = []
    for name, mode in DIRECTORIES:
        entries.append((fixed_tar_info(name + "/", mode, kind=tarfile.DIRTYPE), None))
        if name == "etc":
            for fname, text in (("etc/group", GROUP), ("etc/passwd", PASSWD)):
                data = text.encode("ascii")
                entries.append((fixed_tar_info(fname, 0o644, len(data)), data))
    entries.append((fixed_tar_info(PROBE_PATH_IN_IMAGE, 0o755, len(probe)), probe))
    return _tar(entries)


def image_architecture(machine: str | None = None) -> str:
    machine = machine or platform.machine()
    return _ARCHITECTURES.get(machine.lower(), machine.lower())


def image_config(probe_sha: str) -> dict:
    """The image's run configuration (its config's "config"): what a container of it inherits,
    so the verifier derives the inspect document's Entrypoint, WorkingDir and labels from it."""
    return {
        "User": "%(uid)d:%(gid)d" % _WORKLOAD,
        "Entrypoint": ["/" + PROBE_PATH_IN_IMAGE],
        "WorkingDir": "/",
        "Labels": {LABEL_PROBE_IMAGE: "true", "sandbox.attest.probe-sha256": probe_sha},
    }


def build_probe_image(probe: bytes, architecture: str | None = None) -> ProbeImage:
    probe_sha = hashlib.sha256(probe).hexdigest()
    layer = _layer(probe)
    diff_id = hashlib.sha256(layer).hexdigest()
    config = canonical({
        "architecture": image_architecture(architecture),
        "os": "linux",
        "created": EPOCH,
        "config": image_config(probe_sha),
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
        "history": [{"created": EPOCH, "created_by": "sandbox.attest probe image"}],
    })
    config_hex = hashlib.sha256(config).hexdigest()
    tag = probe_image_tag(config_hex)
    manifest = canonical([{"Config": config_hex + ".json", "RepoTags": [tag],
                           "Layers": [diff_id + "/layer.tar"]}])
    archive = _tar([
        (fixed_tar_info(diff_id + "/", 0o755, kind=tarfile.DIRTYPE), None),
        (fixed_tar_info(diff_id + "/layer.tar", 0o644, len(layer)), layer),
        (fixed_tar_info(config_hex + ".json", 0o644, len(config)), config),
        (fixed_tar_info("manifest.json", 0o644, len(manifest)), manifest),
    ])
    return ProbeImage(image_id="sha256:" + config_hex, probe_sha256=probe_sha, tag=tag,
                      archive=archive)


def read_probe(probe_path: str) -> bytes:
    try:
        with open(probe_path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise FileNotFoundError(missing_probe(probe_path, exc.strerror or str(exc))) from exc


def probe_sha256(probe_path: str) -> str:
    return hashlib.sha256(read_probe(probe_path)).hexdigest()


def probe_image_id(probe_path: str, architecture: str | None = None) -> str:
    return build_probe_image(read_probe(probe_path), architecture).image_id
