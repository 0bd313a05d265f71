"""The sealed layout's snapshots: engine_snapshot's JSON text, or the parsed object."""

from __future__ import annotations

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_layout import (
    LayoutError,
    snapshot_document,
)
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical_text

SNAPSHOT = {"format": 3, "containers": [], "networks": [], "volumes": [], "images": []}


def test_the_text_engine_snapshot_returns_is_the_snapshot():
    assert snapshot_document("snapshot_before", canonical_text(SNAPSHOT)) == SNAPSHOT
    assert snapshot_document("snapshot_before", SNAPSHOT) == SNAPSHOT


@pytest.mark.parametrize("value, named", [
    ("{not json", "snapshot_after is not JSON text"),
    ("[1, 2]", "snapshot_after is not a snapshot (a JSON object): list"),
    (7, "snapshot_after is not a snapshot (a JSON object): int"),
])
def test_anything_else_is_refused_naming_the_argument(value, named):
    with pytest.raises(LayoutError, match=named.replace("(", r"\(").replace(")", r"\)")):
        snapshot_document("snapshot_after", value)
