# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a bundle directory once, safely, into memory.

The bundle came back from a host the verifier does not trust (the sandbox itself wrote into
out/), so the walk never follows a link, never opens anything but a regular file, and is
bounded. Every later check works on the bytes read here: what is hashed is what is parsed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import (
    IDENTITIES_DIR,
    IDENTITY_FILES,
    MANIFEST,
    TOP_FILES,
    VERIFICATION_DIR,
    file_kind,
    identity_path,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import parse_json

# Bounds: a real bundle is a few hundred KiB; these only stop a hostile tree from exhausting
# the controller.
MAX_ENTRIES = 4096
MAX_DEPTH = 12
MAX_PARSE_BYTES = 32 * 1024 * 1024
_CHUNK = 1024 * 1024

KIND_FILE = "file"
KIND_DIR = "dir"
KIND_LINK = "link"
KIND_OTHER = "other"


@dataclass(frozen=True)
class Entry:
    """One directory entry of the bundle, as lstat saw it."""

    path: str
    kind: str
    size: int = 0
    nlink: int = 1
    sha256: str | None = None
    data: bytes | None = None


@dataclass
class Bundle:
    root: str
    entries: dict[str, Entry] = field(default_factory=dict)
    walk_errors: list[str] = field(default_factory=list)

    def regular(self, path: str) -> Entry | None:
        entry = self.entries.get(path)
        if entry is None or entry.kind != KIND_FILE:
            return None
        return entry

    def data(self, path: str) -> bytes | None:
        entry = self.regular(path)
        return None if entry is None else entry.data

    def identity_dirs(self) -> list[str]:
        prefix = IDENTITIES_DIR + "/"
        names = set()
        for path, entry in self.entries.items():
            if path.startswith(prefix):
                name = path[len(prefix):].split("/", 1)[0]
                if name and (entry.kind == KIND_DIR or "/" in path[len(prefix):]):
                    names.add(name)
        return sorted(names)


@dataclass
class Evidence:
    """The bundle plus every known file parsed (or the reason it could not be)."""

    bundle: Bundle
    docs: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def doc(self, path: str) -> Any:
        return self.docs.get(path)

    def identity_doc(self, identity: str, name: str) -> Any:
        return self.docs.get(identity_path(identity, name))

    def identities(self) -> list[str]:
        return self.bundle.identity_dirs()


def _read_regular(dir_fd: int, name: str, expect: os.stat_result) -> tuple[str, bytes | None]:
    """Hash a regular file opened without following links; keep its bytes when small."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        # The entry may have been swapped between lstat and open: insist on the same inode.
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (expect.st_dev, expect.st_ino):
            raise OSError("entry changed while reading")
        digest = hashlib.sha256()
        kept: list[bytes] | None = []
        total = 0
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
            if kept is not None:
                if total > MAX_PARSE_BYTES:
                    kept = None
                else:
                    kept.append(chunk)
        return digest.hexdigest(), (b"".join(kept) if kept is not None else None)
    finally:
        os.close(fd)


def _walk(bundle: Bundle, dir_fd: int, prefix: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        bundle.walk_errors.append("%s: nested deeper than %d levels" % (prefix or ".", MAX_DEPTH))
        return
    for name in sorted(os.listdir(dir_fd)):
        if len(bundle.entries) >= MAX_ENTRIES:
            bundle.walk_errors.append("more than %d entries: walk stopped" % MAX_ENTRIES)
            return
        path = prefix + name
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            bundle.entries[path] = Entry(path, KIND_LINK)
        elif stat.S_ISDIR(st.st_mode):
            bundle.entries[path] = Entry(path, KIND_DIR)
            if depth == 0 and name == VERIFICATION_DIR:
                # The verifier's own output, excluded from the evidence by name
                # (docs/evidence-bundle.md).
                continue
            sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            try:
                _walk(bundle, sub, path + "/", depth + 1)
            finally:
                os.close(sub)
        elif stat.S_ISREG(st.st_mode):
            try:
                digest, data = _read_regular(dir_fd, name, st)
            except OSError as exc:
                bundle.walk_errors.append("%s: unreadable (%s)" % (path, exc.strerror or exc))
                bundle.entries[path] = Entry(path, KIND_OTHER, size=st.st_size)
                continue
            bundle.entries[path] = Entry(path, KIND_FILE, st.st_size, st.st_nlink, digest, data)
        else:
            bundle.entries[path] = Entry(path, KIND_OTHER, size=st.st_size)


def read_bundle(root: str) -> Bundle:
    """Walk `root` (which the caller named, so it alone may be reached through a link)."""
    bundle = Bundle(root=root)
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        bundle.walk_errors.append("bundle directory unreadable: %s" % (exc.strerror or exc))
        return bundle
    try:
        _walk(bundle, fd, "", 0)
    except OSError as exc:
        bundle.walk_errors.append("walk failed: %s" % (exc.strerror or exc))
    finally:
        os.close(fd)
    return bundle


def _parse_json(data: bytes) -> Any:
    return parse_json(data.decode("utf-8"))


def _parse_jsonl(data: bytes) -> list[Any]:
    lines = data.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for number, line in enumerate(lines, 1):
        try:
            out.append(parse_json(line))
        except ValueError as exc:
            raise ValueError("line %d: %s" % (number, exc)) from None
    return out


def _load(evidence: Evidence, path: str, kind: str) -> None:
    entry = evidence.bundle.entries.get(path)
    if entry is None:
        return
    if entry.kind != KIND_FILE:
        evidence.errors[path] = "not a regular file (%s)" % entry.kind
        return
    if entry.data is None:
        evidence.errors[path] = "larger than %d bytes" % MAX_PARSE_BYTES
        return
    try:
        if kind == "json":
            evidence.docs[path] = _parse_json(entry.data)
        elif kind == "jsonl":
            evidence.docs[path] = _parse_jsonl(entry.data)
        else:
            evidence.docs[path] = entry.data
    except (ValueError, UnicodeDecodeError) as exc:
        what = "JSON lines" if kind == "jsonl" else "JSON"
        evidence.errors[path] = "not valid %s: %s" % (what, exc)


def load_evidence(bundle: Bundle) -> Evidence:
    """Parse every file the format knows; unknown files are left to the integrity check."""
    evidence = Evidence(bundle=bundle)
    for path in (MANIFEST, *TOP_FILES):
        _load(evidence, path, file_kind(path))
    for identity in bundle.identity_dirs():
        for name in IDENTITY_FILES:
            path = identity_path(identity, name)
            _load(evidence, path, file_kind(path))
    return evidence
