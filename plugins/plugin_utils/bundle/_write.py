# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write an evidence bundle on the controller: the files, then manifest.json over them.

A bundle is evidence: it is written once into a new directory and never overwritten. Paths come
from the playbook, not from the sandbox, and are still checked to stay inside the bundle.
"""

from __future__ import annotations

import hashlib
import os
import posixpath

from ansible_collections.sandbox.attest.plugins.module_utils._json import pretty
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import (
    MANIFEST,
    MANIFEST_FORMAT,
    VERIFICATION_DIR,
)


class BundleWriteError(ValueError):
    """The bundle cannot be written as asked."""


def check_relpath(relpath: str) -> str:
    norm = posixpath.normpath(relpath)
    if (not relpath or relpath.startswith("/") or norm != relpath or norm.startswith("../")
            or norm == ".." or norm == MANIFEST or norm.split("/")[0] == VERIFICATION_DIR):
        raise BundleWriteError("invalid bundle path %r" % relpath)
    return norm


def manifest_of(files: dict[str, bytes]) -> dict:
    return {"format": MANIFEST_FORMAT, "algorithm": "sha256",
            "files": {path: hashlib.sha256(data).hexdigest()
                      for path, data in sorted(files.items())}}


def write_bundle(dest: str, files: dict[str, bytes]) -> dict:
    """Write files and manifest.json into dest, which must not exist yet (or be empty)."""
    if not os.path.isabs(dest):
        raise BundleWriteError("the bundle destination must be absolute, got %r" % dest)
    if os.path.lexists(dest) and (os.path.islink(dest) or not os.path.isdir(dest)
                                  or os.listdir(dest)):
        raise BundleWriteError("%s exists and is not an empty directory: evidence is never "
                               "overwritten" % dest)
    os.makedirs(dest, mode=0o755, exist_ok=True)
    manifest = manifest_of(files)
    for path, data in files.items():
        target = os.path.join(dest, *path.split("/"))
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    manifest_bytes = pretty(manifest)
    with open(os.path.join(dest, MANIFEST), "xb") as handle:
        handle.write(manifest_bytes)
    return {"files": len(files), "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest()}
