"""The evidence mutation test (issue 12): every single-leaf edit of a READY bundle is caught.

The base is the builder's READY bundle (real captured probe and engine output, see
tests/unit/data/README.md). Every leaf of every JSON evidence file and probe line is edited
one at a time (tests/unit/evidence_mutations.py), the manifest recomputed by the collection's
bundle writer, and the bundle verified in-process. None may be READY except the leaves
data/mutation-allowed.yml names, each with its reason, and those at most 15 % of the leaves.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from typing import Any

import evidence_builder as eb
import evidence_mutations as em
import yaml

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._write import (
    write_bundle as write_files,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._provenance import (
    shipped_artifacts,
)

ALLOWED_PATH = os.path.join(os.path.dirname(__file__), "data", "mutation-allowed.yml")
MAX_ALLOWED_SHARE = 0.15

# PENDING: the inspect documents' closed-world check is another change of issue 12 (the
# inspect field data and findings/_profile.py). Until it lands, an edit of inspect.json may
# still be READY: such results are counted and printed as "pending", not as failures. That
# change removes this set (and names its allowed inspect fields in its own data, or here in
# data/mutation-allowed.yml by exact leaf path, e.g. "identities/root/inspect.json[0].Id").
# SANDBOX_ATTEST_MUTATION_REPORT=1 prints every edit that verified READY, pending ones too.
PENDING_INSPECT_FILES = frozenset({
    "identities/workload/inspect.json",
    "identities/root/inspect.json",
})


def _allowed() -> dict[str, str]:
    with open(ALLOWED_PATH, encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["allowed"] or {})


def _files(root: str) -> dict[str, bytes]:
    files = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root).replace(os.sep, "/")] = handle.read()
    return files


def _report(counts: Counter, leaves: int, allowed: int, pending: int) -> str:
    share = allowed / leaves if leaves else 0.0
    return ("evidence mutation test: %d mutations of %d leaves; FAILED %d, PARTIAL %d, "
            "READY %d (allowed %d = %.1f %% of the leaves, pending inspect.json %d)"
            % (sum(counts.values()), leaves, counts[STATUS_FAILED], counts[STATUS_PARTIAL],
               counts[STATUS_READY], allowed, 100 * share, pending))


def test_no_single_leaf_edit_is_ready(bundle: str, verify: Any, probe_path: str, tmp_path: Any,
                                      capsys: Any) -> None:
    assert verify(bundle).status == STATUS_READY
    base = _files(bundle)
    # The shipped digests once, not per bundle: the edits are of the evidence, not the probe.
    shipped, problem = shipped_artifacts(probe_path)
    assert shipped is not None, problem
    allowed = _allowed()
    counts: Counter = Counter()
    leaves = set()
    ready_allowed = set()
    ready_pending = []
    escaped = []
    for number, mutation in enumerate(em.mutations(base)):
        leaves.add(mutation.leaf)
        scratch = os.path.join(str(tmp_path), "m%d" % number)
        root = os.path.join(scratch, eb.HOST, eb.RUN_ID)
        write_files(root, em.apply(base, mutation))
        status = verify(root, shipped=shipped).status
        shutil.rmtree(scratch)
        counts[status] += 1
        if status != STATUS_READY:
            continue
        if mutation.leaf in allowed:
            ready_allowed.add(mutation.leaf)
        elif mutation.file in PENDING_INSPECT_FILES:
            ready_pending.append(mutation)
        else:
            escaped.append(mutation)
    with capsys.disabled():
        print("\n" + _report(counts, len(leaves), len(ready_allowed), len(ready_pending)))
        if os.environ.get("SANDBOX_ATTEST_MUTATION_REPORT") == "1":
            for mutation in [*ready_pending, *escaped]:
                print("READY: %s %s" % (mutation.leaf, mutation.kind))
    stale = sorted(set(allowed) - leaves)
    assert not stale, "mutation-allowed.yml names leaves the bundle does not have: %s" % stale
    assert len(allowed) <= MAX_ALLOWED_SHARE * len(leaves)
    assert not escaped, "%d edits verified READY:\n%s" % (len(escaped), "\n".join(
        "%s %s" % (m.leaf, m.kind) for m in escaped))
