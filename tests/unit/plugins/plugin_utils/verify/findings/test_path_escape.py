"""Row 31 (no path escape) binds PR-FS-ESC-2's observations (issue 14): each attempt the
probe records under a weakening that opens an escape makes the row FAIL."""

from __future__ import annotations

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    ROW_FAIL,
    ROW_PASS,
    STATUS_FAILED,
    STATUS_READY,
)


def _row_31(verdict):
    return next(row for row in verdict.rows if row.row == 31)


def test_the_hardened_capture_passes_row_31(model, write_bundle, verify) -> None:
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY
    assert _row_31(verdict).result == ROW_PASS


def test_an_open_by_handle_makes_row_31_fail(model, write_bundle, verify) -> None:
    # What root observed with --cap-add DAC_READ_SEARCH and seccomp=unconfined (measured,
    # docs/path-escape-facts.md): the handle of /out opened.
    opened = model.observation("root", "PR-FS-ESC-2", "open_by_handle_at")
    opened.update(ret=4, errno=None, detail="opened; fstat and closed only",
                  dev_ino=opened["bind_dev_ino"])
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert _row_31(verdict).result == ROW_FAIL


def test_a_permitted_open_by_handle_that_decoded_nothing_fails_too(model, write_bundle,
                                                                   verify) -> None:
    # The engine's default seccomp profile with CAP_DAC_READ_SEARCH: permitted, ESTALE.
    model.observation("root", "PR-FS-ESC-2", "open_by_handle_at")["errno"] = "ESTALE"
    assert _row_31(verify(write_bundle(model))).result == ROW_FAIL


@pytest.mark.parametrize("op,target", [("open_dotdot", "/in/.."), ("open_dotdot", "/out/.."),
                                       ("open_link", "/out/.probe-link")])
def test_a_path_ending_outside_the_containers_root_fails(model, write_bundle, verify, op: str,
                                                         target: str) -> None:
    model.observation("workload", "PR-FS-ESC-2", op, target)["dev_ino"] = "254:0:10011021"
    verdict = verify(write_bundle(model))
    assert _row_31(verdict).result == ROW_FAIL
    check = next(c for c in verdict.finding("probes").checks
                 if c.identity == "workload" and c.id == "PR-FS-ESC-2")
    assert "expected 0:1560:1335496 (root_dev_ino)" in check.message


def test_a_link_that_could_not_be_planted_is_contained(model, write_bundle, verify) -> None:
    # default-deny allows no symlink: the plant fails and the open finds nothing.
    model.observation("root", "PR-FS-ESC-2", "symlink").update(ret=-1, errno="EPERM")
    model.observation("root", "PR-FS-ESC-2", "open_link").update(
        ret=-1, errno="ENOENT", detail="", dev_ino=None)
    assert _row_31(verify(write_bundle(model))).result == ROW_PASS


def test_the_old_write_through_dotdot_is_no_longer_evidence(model, write_bundle,
                                                            verify) -> None:
    line = model.probe("root", "PR-FS-ESC-2")
    line["obs"] = [{"op": "open_write", "target": "/out/../etc/.probe-escape", "ret": -1,
                    "errno": "EROFS", "detail": ""}]
    assert _row_31(verify(write_bundle(model))).result == ROW_FAIL


def test_the_capture_is_the_hardened_measurement() -> None:
    # The fixture's line is the probe's own output (tests/unit/data/README.md): every attempt.
    lines = eb.probe_lines("root", "0" * 64, "0" * 64)
    ops = [o["op"] for o in next(line for line in lines if line["probe"] == "PR-FS-ESC-2")["obs"]]
    assert ops == ["open_dotdot", "open_dotdot", "symlink", "open_link", "name_to_handle_at",
                   "open_by_handle_at"]
