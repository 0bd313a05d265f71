"""The safe read copies regular files of expected names only, and never leaves the directory."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils._safe_read import (
    SafeReadError,
    read_expected,
)


def test_regular_expected_file_is_copied(tmp_path) -> None:
    (tmp_path / "ok").write_bytes(b"sandbox-attest ok x\n")
    copied, refused = read_expected(str(tmp_path), ("ok",), 4096, 10)
    assert refused == []
    assert copied[0]["name"] == "ok" and copied[0]["data"] == b"sandbox-attest ok x\n"


def test_hostile_entries_are_refused_with_reasons(tmp_path) -> None:
    secret = tmp_path.parent / "host-secret"
    secret.write_text("do not copy")
    os.symlink(str(secret), str(tmp_path / "ok"))
    os.mkfifo(str(tmp_path / "fifo"))
    (tmp_path / "big").write_bytes(b"x" * 5000)
    (tmp_path / os.fsdecode(b"odd\xff\nname")).write_text("x")
    copied, refused = read_expected(str(tmp_path), ("ok", "fifo", "big"), 4096, 100)
    reasons = {r["name"]: r["reason"] for r in refused}
    assert copied == []
    assert reasons["ok"] == "symlink"
    assert reasons["fifo"] == "not a regular file"
    assert reasons["big"].startswith("too large")
    assert reasons["odd\\xff\\nname"] == "unexpected name"


def test_entry_count_is_bounded_and_cannot_hide_the_expected_file(tmp_path) -> None:
    for i in range(500):
        (tmp_path / ("f%03d" % i)).write_text("x")
    (tmp_path / "ok").write_text("fine\n")
    copied, refused = read_expected(str(tmp_path), ("ok",), 10, 5)
    assert [c["name"] for c in copied] == ["ok"]
    assert len(refused) <= 6 and refused[-1]["reason"].startswith("too many entries")


def test_a_linked_directory_is_not_followed(tmp_path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "ok").write_text("x")
    os.symlink(str(real), str(tmp_path / "out"))
    with pytest.raises(SafeReadError):
        read_expected(str(tmp_path / "out"), ("ok",), 10, 5)
