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
    KNOWN_IDENTITY_FILES,
    MANIFEST,
    RUN,
    SIGNATURE_FILES,
    TOP_FILES,
    VERIFICATION_DIR,
    file_kind,
    identity_path,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._bounds import (
    FILE_MAX_VALUES,
    MAX_DEPTH,
    MAX_ENTRIES,
    TOTAL_MAX_BYTES,
    TOTAL_MAX_VALUES,
    max_bytes,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_vocabulary import (
    VOCABULARIES,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    parse_json_counted,
)

_CHUNK = 1024 * 1024

KIND_FILE = "file"
KIND_DIR = "dir"
KIND_LINK = "link"
KIND_OTHER = "other"

# The runtimes the verifier judges: those with event words (_event_vocabulary.py), which also
# have static checks (findings/_profile.py RUNTIME_CHECKS) and engine entries
# (data/inspect-fields.yml; tests/unit test_profile_runtimes holds the three together); a runtime
# the profile renders (module_utils/_profile.PROFILE_RUNTIMES) joins them only then.
JUDGED_RUNTIMES = tuple(VOCABULARIES)


@dataclass(frozen=True)
class Entry:
    """One directory entry of the bundle, as lstat saw it."""

    path: str
    kind: str
    size: int = 0
    nlink: int = 1
    sha256: str | None = None
    data: bytes | None = None
    # Why the verifier did not read this entry (over a bound, a name that is not UTF-8), or None.
    refused: str | None = None


@dataclass
class Bundle:
    root: str
    entries: dict[str, Entry] = field(default_factory=dict)
    walk_errors: list[str] = field(default_factory=list)
    # Bytes of regular files read or hashed so far (TOTAL_MAX_BYTES bounds it).
    bytes_read: int = 0

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
    # JSON values parsed so far (TOTAL_MAX_VALUES bounds them).
    values: int = 0

    def doc(self, path: str) -> Any:
        return self.docs.get(path)

    def identity_doc(self, identity: str, name: str) -> Any:
        return self.docs.get(identity_path(identity, name))

    def identities(self) -> list[str]:
        return self.bundle.identity_dirs()

    def runtime(self) -> str:
        """The runtime run.json names, one of JUDGED_RUNTIMES; docker when it names none of
        them (the schema reports that), so a bundle is judged by one runtime's rules."""
        run = self.doc(RUN)
        runtime = run.get("runtime") if isinstance(run, dict) else None
        return runtime if runtime in JUDGED_RUNTIMES else "docker"


def _is_known(path: str) -> bool:
    """Whether the format names this path (its bytes are kept to be parsed); by shape, since the
    identity directories are not all known while the walk runs."""
    if path == MANIFEST or path in TOP_FILES or path in SIGNATURE_FILES:
        return True
    parts = path.split("/", 2)
    return len(parts) == 3 and parts[0] == IDENTITIES_DIR and parts[2] in KNOWN_IDENTITY_FILES


def _read_regular(dir_fd: int, name: str, expect: os.stat_result, limit: int,
                  keep: bool) -> tuple[str, bytes | None]:
    """Hash a regular file opened without following links, reading at most `limit` bytes; keep
    its bytes when asked. OSError when it is not the file lstat saw, or outgrew the bound."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        # The entry may have been swapped between lstat and open: insist on the same inode.
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (expect.st_dev, expect.st_ino):
            raise OSError("entry changed while reading")
        digest = hashlib.sha256()
        kept: list[bytes] = []
        total = 0
        while True:
            # One byte past the bound tells a file that grew after lstat from one that did not.
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise OSError("grew past %d bytes while read" % limit)
            digest.update(chunk)
            if keep:
                kept.append(chunk)
        return digest.hexdigest(), (b"".join(kept) if keep else None)
    finally:
        os.close(fd)


def _printable_name(name: str) -> str:
    """A directory entry's name as text that is valid UTF-8 (os.listdir gives undecodable bytes
    as lone surrogates, which no output can carry)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _regular_entry(bundle: Bundle, dir_fd: int, name: str, path: str,
                   st: os.stat_result) -> Entry:
    """A regular file's entry: refused from its metadata alone when over a bound, else read."""
    known = _is_known(path)
    limit = max_bytes(path, known)
    if st.st_size > limit:
        return Entry(path, KIND_FILE, st.st_size, st.st_nlink, refused="%d bytes, more than "
                     "the %d the verifier reads of this file" % (st.st_size, limit))
    if bundle.bytes_read + st.st_size > TOTAL_MAX_BYTES:
        return Entry(path, KIND_FILE, st.st_size, st.st_nlink, refused="the bundle's files "
                     "exceed the %d bytes in all the verifier reads" % TOTAL_MAX_BYTES)
    bundle.bytes_read += st.st_size
    try:
        digest, data = _read_regular(dir_fd, name, st, limit, keep=known)
    except OSError as exc:
        return Entry(path, KIND_FILE, st.st_size, st.st_nlink,
                     refused="unreadable (%s)" % (exc.strerror or exc))
    return Entry(path, KIND_FILE, st.st_size, st.st_nlink, digest, data)


def _walk(bundle: Bundle, dir_fd: int, prefix: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        bundle.walk_errors.append("%s: nested deeper than %d levels" % (prefix or ".", MAX_DEPTH))
        return
    for name in sorted(os.listdir(dir_fd)):
        if len(bundle.entries) >= MAX_ENTRIES:
            bundle.walk_errors.append("more than %d entries: walk stopped" % MAX_ENTRIES)
            return
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            path = prefix + _printable_name(name)
            bundle.entries[path] = Entry(path, KIND_OTHER, refused="its name is not UTF-8")
            continue
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
            bundle.entries[path] = _regular_entry(bundle, dir_fd, name, path, st)
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


def _bounded(values: int, limit: int) -> None:
    if values > limit:
        raise ValueError("more JSON values than the verifier judges (%d a file, %d in all)"
                         % (FILE_MAX_VALUES, TOTAL_MAX_VALUES))


def _parse_json(data: bytes, limit: int) -> tuple[Any, int]:
    document, values = parse_json_counted(data.decode("utf-8"), limit)
    _bounded(values, limit)
    return document, values


def _parse_jsonl(data: bytes, limit: int) -> tuple[list[Any], int]:
    # Each line is at least one value: a file of more lines than values allowed is refused
    # before one is parsed.
    _bounded(data.count(b"\n"), limit)
    lines = data.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    values = 0
    for number, line in enumerate(lines, 1):
        try:
            document, count = parse_json_counted(line, limit - values)
        except ValueError as exc:
            raise ValueError("line %d: %s" % (number, exc)) from None
        values += count
        _bounded(values, limit)
        out.append(document)
    return out, values


def _load(evidence: Evidence, path: str, kind: str) -> None:
    entry = evidence.bundle.entries.get(path)
    if entry is None:
        return
    if entry.kind != KIND_FILE:
        evidence.errors[path] = "not a regular file (%s)" % entry.kind
        return
    if entry.data is None:
        evidence.errors[path] = "not read: %s" % (entry.refused or "no bytes kept")
        return
    if kind == "bytes":
        evidence.docs[path] = entry.data
        return
    limit = min(FILE_MAX_VALUES, TOTAL_MAX_VALUES - evidence.values)
    try:
        if kind == "json":
            document, values = _parse_json(entry.data, limit)
        else:
            document, values = _parse_jsonl(entry.data, limit)
    except (ValueError, UnicodeDecodeError) as exc:
        what = "JSON lines" if kind == "jsonl" else "JSON"
        evidence.errors[path] = "not valid %s: %s" % (what, exc)
        return
    evidence.values += values
    evidence.docs[path] = document


def load_evidence(bundle: Bundle) -> Evidence:
    """Parse every file the format knows; unknown files are left to the integrity check."""
    evidence = Evidence(bundle=bundle)
    for path in (MANIFEST, *TOP_FILES, *SIGNATURE_FILES):
        _load(evidence, path, file_kind(path))
    for identity in bundle.identity_dirs():
        for name in KNOWN_IDENTITY_FILES:
            path = identity_path(identity, name)
            _load(evidence, path, file_kind(path))
    return evidence
