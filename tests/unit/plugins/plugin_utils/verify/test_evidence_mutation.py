"""The evidence mutation test (issue 12): every single-leaf edit of a READY bundle is caught.

The base is the builder's READY bundle (real captured probe and engine output, see
tests/unit/data/README.md). Every leaf of every JSON evidence file and probe line is edited
one at a time (tests/unit/evidence_mutations.py), the venue's statement signed again with the
venue's key (a consistent forgery by whoever holds it: only the semantic checks can catch it)
and the manifest recomputed by the collection's bundle writer, and the bundle verified
in-process. None may be READY except the leaves data/mutation-allowed.yml names, each with its
reason, and the inspect documents' fields the verifier's data/inspect-fields.yml names as not
bearing on isolation (with theirs); together at
most 15 % of the leaves.

A second base is a busy host's run window (tests/unit/churn_capture.py: real snapshots and
events of a lived-in host, with health checks, a crash loop and the probe image's load), mutated
over its churn-bearing documents (snapshots and event log) as tests/unit/busy_sample.py selects,
against data/mutation-allowed-busy.yml, within the same 15 %.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from typing import Any

import busy_sample
import churn_capture
import evidence_builder as eb
import evidence_mutations as em
import yaml

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._write import (
    write_bundle as write_files,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    load_inspect_fields,
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
BUSY_ALLOWED_PATH = os.path.join(os.path.dirname(__file__), "data", "mutation-allowed-busy.yml")
MAX_ALLOWED_SHARE = 0.15

INSPECT_FILES = frozenset({
    "identities/workload/inspect.json",
    "identities/root/inspect.json",
})


def _not_isolation() -> tuple[str, ...]:
    """The inspect document's fields named as not bearing on isolation, each with its reason, in
    the verifier's own data (data/inspect-fields.yml not_isolation): JSON pointers."""
    return tuple(load_inspect_fields().document["not_isolation"])


def _inspect_pointer(mutation: Any) -> str | None:
    """The JSON pointer, inside the container document, of an inspect.json leaf."""
    if mutation.file not in INSPECT_FILES or mutation.path[:1] != (0,):
        return None
    return "".join("/%s" % str(step).replace("~", "~0").replace("/", "~1")
                   for step in mutation.path[1:])


def _named_not_isolation(mutation: Any, pointers: tuple[str, ...]) -> bool:
    pointer = _inspect_pointer(mutation)
    return pointer is not None and any(
        pointer == named or pointer.startswith(named + "/") for named in pointers)


def _allowed(path: str = ALLOWED_PATH) -> dict[str, str]:
    with open(path, encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["allowed"] or {})


def _files(root: str) -> dict[str, bytes]:
    files = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root).replace(os.sep, "/")] = handle.read()
    return files


def _report(counts: Counter, leaves: int, allowed: int, inspect: int,
            base: str = "evidence mutation test") -> str:
    share = (allowed + inspect) / leaves if leaves else 0.0
    return ("%s: %d mutations of %d leaves; FAILED %d, PARTIAL %d, "
            "READY %d (allowed %d: %d named here, %d inspect.json leaves under "
            "inspect-fields.yml's not_isolation; %.1f %% of the leaves)"
            % (base, sum(counts.values()), leaves, counts[STATUS_FAILED], counts[STATUS_PARTIAL],
               counts[STATUS_READY], allowed + inspect, allowed, inspect, 100 * share))


def _followed(model: Any) -> Any:
    """The automated path's run.json counts the events that came from the engine's replay
    (module_utils/_event_follow.py): here all of them, as for a log read once."""
    model.docs["run.json"]["events_replayed"] = len(model.docs["engine/events.jsonl"])
    return model


def test_no_single_leaf_edit_is_ready(model: Any, write_bundle: Any, verify: Any,
                                      probe_path: str, tmp_path: Any, capsys: Any) -> None:
    bundle = write_bundle(_followed(model))
    assert verify(bundle).status == STATUS_READY
    base = _files(bundle)
    # The shipped digests once, not per bundle: the edits are of the evidence, not the probe.
    shipped, problem = shipped_artifacts(probe_path)
    assert shipped is not None, problem
    allowed = _allowed()
    counts: Counter = Counter()
    leaves = set()
    ready_allowed = set()
    ready_inspect = set()
    escaped = []
    pointers = _not_isolation()
    for number, mutation in enumerate(em.mutations(base)):
        leaves.add(mutation.leaf)
        scratch = os.path.join(str(tmp_path), "m%d" % number)
        root = os.path.join(scratch, eb.HOST, eb.RUN_ID)
        write_files(root, eb.resealed(em.apply(base, mutation)))
        status = verify(root, shipped=shipped).status
        shutil.rmtree(scratch)
        counts[status] += 1
        if status != STATUS_READY:
            continue
        if mutation.leaf in allowed:
            ready_allowed.add(mutation.leaf)
        elif _named_not_isolation(mutation, pointers):
            ready_inspect.add(mutation.leaf)
        else:
            escaped.append(mutation)
    with capsys.disabled():
        print("\n" + _report(counts, len(leaves), len(ready_allowed), len(ready_inspect)))
        if os.environ.get("SANDBOX_ATTEST_MUTATION_REPORT") == "1":
            for mutation in escaped:
                print("READY: %s %s" % (mutation.leaf, mutation.kind))
    stale = sorted(set(allowed) - leaves)
    assert not stale, "mutation-allowed.yml names leaves the bundle does not have: %s" % stale
    assert len(allowed) + len(ready_inspect) <= MAX_ALLOWED_SHARE * len(leaves)
    assert not escaped, "%d edits verified READY:\n%s" % (len(escaped), "\n".join(
        "%s %s" % (m.leaf, m.kind) for m in escaped))


def test_no_single_leaf_edit_of_a_busy_window_is_ready(churn_model, write_bundle, verify,
                                                       probe_path: str, tmp_path: Any,
                                                       capsys: Any) -> None:
    bundle = write_bundle(_followed(churn_model))
    assert verify(bundle).status == STATUS_READY
    base = _files(bundle)
    shipped, problem = shipped_artifacts(probe_path)
    assert shipped is not None, problem
    allowed = _allowed(BUSY_ALLOWED_PATH)
    selected = busy_sample.selection(base)
    counts: Counter = Counter()
    leaves = set()
    ready_allowed = set()
    escaped = []
    for number, mutation in enumerate(m for m in em.mutations(base) if selected(m)):
        leaves.add(mutation.leaf)
        scratch = os.path.join(str(tmp_path), "b%d" % number)
        write_files(os.path.join(scratch, eb.HOST, eb.RUN_ID),
                    eb.resealed(em.apply(base, mutation)))
        status = verify(os.path.join(scratch, eb.HOST, eb.RUN_ID), shipped=shipped).status
        shutil.rmtree(scratch)
        counts[status] += 1
        if status != STATUS_READY:
            continue
        if mutation.leaf in allowed:
            ready_allowed.add(mutation.leaf)
        else:
            escaped.append(mutation)
    with capsys.disabled():
        title = "busy-window mutation test (%s)" % churn_capture.RUN_ID
        print("\n" + _report(counts, len(leaves), len(ready_allowed), 0, title))
        if os.environ.get("SANDBOX_ATTEST_MUTATION_REPORT") == "1":
            for mutation in escaped:
                print("READY: %s %s" % (mutation.leaf, mutation.kind))
    stale = sorted(set(allowed) - leaves)
    assert not stale, "mutation-allowed-busy.yml names leaves the test does not edit: %s" % stale
    assert len(allowed) <= MAX_ALLOWED_SHARE * len(leaves)
    assert not escaped, "%d edits verified READY:\n%s" % (len(escaped), "\n".join(
        "%s %s" % (m.leaf, m.kind) for m in escaped))
