# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit-test set-up: FQCN imports from a clone, and evidence bundle fixtures."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO_ROOT, "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "sandbox", "attest")

# `make link` creates this untracked link; a bare `pytest` from a fresh clone does the same so
# `ansible_collections.sandbox.attest...` imports resolve to this tree.
if not os.path.lexists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink("../../..", LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

import evidence_builder  # noqa: E402 - needs the path set above


@pytest.fixture
def probe_image_module() -> types.ModuleType:
    """The module whose digests the verifier computes for the shipped probe."""
    from ansible_collections.sandbox.attest.plugins.plugin_utils import _probe_image
    return _probe_image


@pytest.fixture
def probe_path(tmp_path: Any) -> str:
    path = tmp_path / "sandbox-probe"
    path.write_bytes(evidence_builder.FAKE_PROBE)
    return str(path)


@pytest.fixture
def digests(probe_image_module: types.ModuleType, probe_path: str) -> tuple[str, str]:
    """(image ID, probe sha256) of the stand-in probe, as the verifier will compute them."""
    module = probe_image_module
    return module.probe_image_id(probe_path), module.probe_sha256(probe_path)


@pytest.fixture
def model(probe_path: str, digests: tuple[str, str]) -> evidence_builder.EvidenceModel:
    return evidence_builder.make_model(probe_path, digests[0], digests[1])


@pytest.fixture
def churn_model(probe_path: str, digests: tuple[str, str]) -> evidence_builder.EvidenceModel:
    """The builder's bundle with a real busy host's snapshots and events (churn_capture)."""
    import churn_capture
    return churn_capture.make_churn_model(probe_path, digests[0], digests[1])


@pytest.fixture
def write_bundle(tmp_path: Any) -> Callable[[evidence_builder.EvidenceModel], str]:
    counter = {"n": 0}

    def write(model: evidence_builder.EvidenceModel) -> str:
        counter["n"] += 1
        root = tmp_path / ("bundle%d" % counter["n"]) / model.host / model.run_id
        root.mkdir(parents=True)
        return evidence_builder.write(model, str(root))
    return write


@pytest.fixture
def bundle(model: evidence_builder.EvidenceModel,
           write_bundle: Callable[[evidence_builder.EvidenceModel], str]) -> str:
    return write_bundle(model)


@pytest.fixture
def approved() -> dict[str, Any]:
    return {evidence_builder.HOST: {"fingerprint": evidence_builder.FINGERPRINT,
                                    "host_key": evidence_builder.host_key()[1]}}


@pytest.fixture
def verify(probe_path: str, approved: dict[str, Any], probe_image_module: types.ModuleType):
    """verify(bundle_dir, **overrides) -> Verdict, with the inventory of an approved vps1."""
    from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verifier import (
        Options,
        verify_bundle,
    )
    from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._venue import (
        parse_venues,
    )

    def run(bundle_dir: str, *, approved_venues: Any = None, rehearsal: Any = None,
            host: str | None = None, **options: Any):
        venues = parse_venues(approved if approved_venues is None else approved_venues,
                              rehearsal or [])
        options.setdefault("probe_path", probe_path)
        options.setdefault("now", "2026-11-28T23:00:00Z")
        return verify_bundle(bundle_dir, Options(venues=venues, host=host, **options))
    return run
