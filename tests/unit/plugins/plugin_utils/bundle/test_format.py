"""The bundle format is written once: its files, names and numbers, as docs/evidence-bundle.md
describes them."""

from __future__ import annotations

import os
import re

from ansible_collections.sandbox.attest.plugins.module_utils import _bundle_format
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle import _format as bundle

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "docs",
                   "evidence-bundle.md")


def _documented_tree() -> str:
    with open(DOC, encoding="utf-8") as handle:
        return handle.read().split("```", 2)[1]


def test_every_file_of_the_format_is_in_the_documented_tree() -> None:
    tree = _documented_tree()
    for path in (bundle.MANIFEST, *bundle.TOP_FILES):
        assert re.search(r"^\s+%s\s" % re.escape(path), tree, re.MULTILINE), path
    assert "%s/<identity>/" % bundle.IDENTITIES_DIR in tree
    for name in bundle.KNOWN_IDENTITY_FILES:
        assert re.search(r"^\s+%s\s" % re.escape(name), tree, re.MULTILINE), name
    assert re.search(r"^\s+%s/\s" % bundle.VERIFICATION_DIR, tree, re.MULTILINE)


def test_known_paths_and_how_each_file_is_read() -> None:
    paths = bundle.known_paths(["workload", "root"])
    assert len(paths) == 1 + len(bundle.TOP_FILES) + len(bundle.SIGNATURE_FILES) + 2 * len(
        bundle.KNOWN_IDENTITY_FILES)
    # Podman's OCI spec is a file of the format; the schema says which runtime's bundle has it.
    assert bundle.KNOWN_IDENTITY_FILES == (*bundle.IDENTITY_FILES, bundle.OCI_SPEC)
    assert "identities/root/out/%s" % _bundle_format.FETCH_NAME in paths
    kinds = {path: bundle.file_kind(path) for path in paths}
    assert {path for path, kind in kinds.items() if kind == "jsonl"} == {
        bundle.ENGINE_EVENTS, "identities/workload/probe.jsonl", "identities/root/probe.jsonl"}
    assert {path for path, kind in kinds.items() if kind == "bytes"} == {
        "identities/%s/%s" % (identity, name) for identity in ("workload", "root")
        for name in ("stderr.txt", "out/%s" % _bundle_format.FETCH_NAME)} | {bundle.STATEMENT_SIG}


def test_the_documented_run_id_format_and_fetch_bound_are_the_module_utils_ones() -> None:
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    assert "Run ids match `%s`." % _bundle_format.RUN_ID_PATTERN.pattern in text
    assert '"method": "%s"' % bundle.VENUE_METHOD in text
