# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "integrity": every file of the bundle against manifest.json.

Classes of violation: missing (listed, absent), extra (present, unlisted), changed (digest
differs), linked (a symlink, or a hard link shared with something else), not regular (FIFO,
socket, device) and out-of-tree (a manifest path that is absolute, has `..`, or points into
verification/). Integrity catches corruption and naive edits; it cannot catch a consistent
forgery (docs/architecture.md, trust model).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import (
    MANIFEST,
    VERIFICATION_DIR,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    KIND_DIR,
    KIND_FILE,
    KIND_LINK,
    Bundle,
    Evidence,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import dig


def _fail(check_id: str, message: str, **kwargs: Any) -> Check:
    # The prefix makes each reason in the verdict say which finding it comes from.
    return Check(check_id, FAIL, "integrity: " + message, **kwargs)


def path_problem(path: str) -> str | None:
    """Why a manifest key cannot name a file inside the bundle, or None."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return "not a relative POSIX path"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' component"
    if path == MANIFEST:
        return "the manifest cannot list itself"
    if parts[0] == VERIFICATION_DIR:
        return "verification/ is not evidence"
    return None


def _linked_ancestor(bundle: Bundle, path: str) -> str | None:
    parts = path.split("/")
    for end in range(1, len(parts)):
        prefix = "/".join(parts[:end])
        entry = bundle.entries.get(prefix)
        if entry is not None and entry.kind == KIND_LINK:
            return prefix
    return None


def bad_files(finding: Finding) -> set[str]:
    """Paths whose content cannot be trusted after this finding (used by the matrix)."""
    bad: set[str] = set()
    for check in finding.checks:
        if check.outcome == FAIL:
            bad.update(check.refs)
    return bad


def check_integrity(evidence: Evidence) -> Finding:
    finding = Finding("integrity")
    bundle = evidence.bundle
    for error in bundle.walk_errors:
        finding.add(_fail("walk", "bundle walk: %s" % error))
    # An entry the walk did not read (over a bound, a name that is not UTF-8): nothing in it can
    # be shown to match, and nothing else is said about it.
    unread = {path: entry for path, entry in bundle.entries.items() if entry.refused}
    for path, entry in sorted(unread.items()):
        finding.add(_fail("unread", "%s: not read: %s" % (path, entry.refused), refs=(path,)))

    manifest = evidence.doc(MANIFEST)
    files = dig(manifest, "files")
    if not isinstance(files, dict) or dig(manifest, "algorithm") != "sha256":
        reason = evidence.errors.get(MANIFEST) or (
            "absent" if MANIFEST not in bundle.entries else "no sha256 file list")
        finding.add(_fail("manifest", "manifest.json unusable: %s" % reason,
                          refs=(MANIFEST,)))
        files = {}
    elif bundle.entries.get(MANIFEST) is not None and bundle.entries[MANIFEST].kind != KIND_FILE:
        finding.add(_fail("linked", "manifest.json is not a regular file", refs=(MANIFEST,)))

    for path in sorted(files):
        expected = files[path]
        problem = path_problem(path) if isinstance(path, str) else "not a string"
        if problem:
            finding.add(_fail("out_of_tree", "manifest lists %r: %s" % (path, problem),
                              refs=(MANIFEST,)))
            continue
        entry = bundle.entries.get(path)
        linked = _linked_ancestor(bundle, path)
        if path in unread:
            continue
        if linked:
            finding.add(_fail("linked", "%s: reached through the link %s" % (path, linked),
                              refs=(path,)))
        elif entry is None:
            finding.add(_fail("missing", "%s: listed in the manifest, absent" % path,
                              refs=(path,)))
        elif entry.kind == KIND_LINK:
            finding.add(_fail("linked", "%s: a symbolic link, not a file" % path,
                              refs=(path,)))
        elif entry.kind != KIND_FILE:
            finding.add(_fail("not_regular", "%s: not a regular file (%s)"
                              % (path, entry.kind), refs=(path,)))
        elif entry.nlink != 1:
            finding.add(_fail("linked", "%s: a hard link (%d names)" % (path, entry.nlink),
                              refs=(path,)))
        elif entry.sha256 != expected:
            finding.add(_fail("changed", "%s: sha256 %s, manifest says %s"
                              % (path, entry.sha256, expected), refs=(path,),
                              expected=str(expected), observed=str(entry.sha256)))

    for path, entry in sorted(bundle.entries.items()):
        if path == MANIFEST or (entry.kind == KIND_DIR and path == VERIFICATION_DIR):
            continue
        if path in files or path in unread:
            continue
        if entry.kind == KIND_LINK:
            finding.add(_fail("linked", "%s: a symbolic link the manifest does not list"
                              % path, refs=(path,)))
        elif entry.kind == KIND_FILE:
            finding.add(_fail("extra", "%s: present, not in the manifest" % path,
                              refs=(path,)))
        elif entry.kind != KIND_DIR:
            finding.add(_fail("not_regular", "%s: not a regular file (%s)"
                              % (path, entry.kind), refs=(path,)))

    if not finding.checks:
        finding.add(Check("manifest", PASS, "all %d files match manifest.json" % len(files),
                          refs=(MANIFEST,)))
    return finding
