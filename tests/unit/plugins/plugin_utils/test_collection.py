"""A missing probe is explained to whoever holds this copy: a clone, an installed tarball, or a
caller who named another binary; each message says it once and names one next step."""

from __future__ import annotations

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils import _collection
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import read_probe


def test_installed_collection_is_told_to_use_a_complete_tarball(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(_collection, "PROBE_PATH", str(tmp_path / "files" / "sandbox-probe"))
    monkeypatch.setattr(_collection, "installed", lambda: True)
    with pytest.raises(FileNotFoundError) as caught:
        read_probe(_collection.PROBE_PATH)
    message = str(caught.value)
    assert "installed sandbox.attest has no probe" in message and "`make build`" in message
    assert "make setup" not in message and message.count(_collection.PROBE_PATH) == 1


def test_clone_is_told_to_run_make_setup(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(_collection, "PROBE_PATH", str(tmp_path / "files" / "sandbox-probe"))
    monkeypatch.setattr(_collection, "installed", lambda: False)
    message = _collection.missing_probe(_collection.PROBE_PATH, "No such file or directory")
    assert message.endswith("run `make setup` in this clone")


def test_another_probe_path_names_the_option(tmp_path) -> None:
    message = _collection.missing_probe(str(tmp_path / "hang"), "No such file or directory")
    assert "point probe_path at a readable binary" in message and "make" not in message
