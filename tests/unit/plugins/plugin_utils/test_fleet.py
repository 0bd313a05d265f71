"""The fleet summary: one entry per host, whatever happened to it, rendered three ways."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils import _fleet

NOW = "2026-11-30T05:00:00Z"
READY = "SANDBOX_ATTESTED_READY"


def _verdict_file(tmp_path, name: str, results: dict[int, str]) -> str:
    path = tmp_path / name / "verification" / "verdict.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"status": "x", "rows": [
        {"row": row, "result": result, "reasons": [] if result == "PASS" else ["why %d" % row]}
        for row, result in results.items()]}))
    return str(path)


def _fleet_of_four(tmp_path) -> dict:
    records = {
        "vps1": {"pin": "sha256:aa", "venue_kind": "approved", "run_id": "R1",
                 "fingerprint": "sha256:aa"},
        "vps2": {"pin": "sha256:bb", "venue_kind": "approved", "run_id": "R2",
                 "fingerprint": "sha256:bb"},
        "stranger": {"pin": "", "venue_kind": "unlisted",
                     "failure": "Refuse a host that is neither an approved nor a rehearsal venue: "
                                "stranger is not listed"},
        "stopped": {"pin": "sha256:cc", "venue_kind": "approved",
                    "failure": "Read engine facts: the engine does not answer"},
    }
    verdicts = {
        "vps1": {"run_id": "R1", "status": READY, "gate": "B4' UNBLOCKED", "reasons": [],
                 "bundle": str(tmp_path / "vps1"),
                 "verdict": _verdict_file(tmp_path, "vps1", {24: "PASS", 25: "PASS"})},
        "vps2": {"run_id": "R2", "status": "SANDBOX_ATTESTATION_FAILED", "gate": "B4' BLOCKED",
                 "reasons": ["row 25 FAIL"], "bundle": str(tmp_path / "vps2"),
                 "verdict": _verdict_file(tmp_path, "vps2", {24: "PASS", 25: "FAIL"})},
    }
    return _fleet.summarise(records, verdicts, NOW)


def test_every_host_has_one_entry_with_its_own_status_and_reason(tmp_path) -> None:
    summary = _fleet_of_four(tmp_path)
    hosts = {h["host"]: h for h in summary["hosts"]}
    assert [h["host"] for h in summary["hosts"]] == ["stopped", "stranger", "vps1", "vps2"]
    assert (summary["hosts_total"], summary["hosts_ready"]) == (4, 1)
    assert hosts["vps1"]["status"] == READY and hosts["vps1"]["rows_not_pass"] == []
    assert hosts["vps1"]["evidence"] == str(tmp_path / "vps1")
    assert hosts["vps2"]["rows_not_pass"] == [25]
    assert hosts["stranger"]["outcome"] == "refused"
    assert hosts["stranger"]["status"] == _fleet.NOT_ATTESTED
    assert hosts["stranger"]["evidence"] is None
    assert "neither an approved nor a rehearsal venue" in hosts["stranger"]["reasons"][0]
    assert "refused before anything was created" in hosts["stranger"]["reasons"][1]
    assert hosts["stopped"]["outcome"] == "refused"
    assert hosts["stopped"]["pinned_fingerprint"] == "sha256:cc"
    assert summary["status_counts"] == {_fleet.NOT_ATTESTED: 2, READY: 1,
                                        "SANDBOX_ATTESTATION_FAILED": 1}


def test_a_summary_is_made_when_every_host_failed_or_was_unreachable() -> None:
    records = {"a": {"pin": "", "unreachable": True, "failure": "unreachable: timed out"},
               "b": {"pin": "p", "run_id": "R", "failure": "Probe image failed: boom",
                     "incomplete": "/e/b/R"}}
    summary = _fleet.summarise(records, {}, NOW)
    hosts = {h["host"]: h for h in summary["hosts"]}
    assert hosts["a"]["outcome"] == "unreachable"
    assert hosts["a"]["reasons"] == ["unreachable: timed out",
                                     "no evidence bundle: the host could not be reached"]
    # A run that failed after creating something kept what it gathered: that is its evidence.
    assert hosts["b"]["outcome"] == "failed" and hosts["b"]["evidence"] == "/e/b/R"
    assert summary["hosts_ready"] == 0


def test_an_unreadable_verdict_is_a_reason_never_a_pass(tmp_path) -> None:
    bad = tmp_path / "verdict.json"
    bad.write_text("{not json")
    entry = _fleet.host_entry("h", {}, {"status": READY, "verdict": str(bad), "bundle": "/b"})
    assert entry["rows"] == []
    assert any("is not JSON" in r for r in entry["reasons"])
    with pytest.raises(_fleet.FleetError, match="no list of rows"):
        bad.write_text(json.dumps({"rows": [{"row": "24"}]}))
        _fleet.read_verdict_rows(str(bad))
    with pytest.raises(_fleet.FleetError, match="cannot read the verdict"):
        _fleet.read_verdict_rows(str(tmp_path / "missing.json"))


def test_verdicts_must_be_a_mapping() -> None:
    with pytest.raises(_fleet.FleetError, match="not a mapping"):
        _fleet.summarise({}, ["vps1"], NOW)  # type: ignore[arg-type]


def test_junit_has_one_case_per_host_and_row(tmp_path) -> None:
    summary = _fleet_of_four(tmp_path)
    suites = ET.fromstring(_fleet.render_junit(summary, [24, 25, 26]))  # noqa: S314 - ours
    by_host = {s.get("name"): s for s in suites.findall("testsuite")}
    # Verified hosts have their verdict's rows; a host without a verdict fails every matrix row.
    assert [c.get("name") for c in by_host["vps1"]] == ["row 24", "row 25"]
    assert by_host["vps1"].get("failures") == "0"
    assert by_host["vps2"].get("failures") == "1"
    assert by_host["vps2"].find("testcase[@name='row 25']/failure").get("message") == \
        "FAIL: why 25"
    assert by_host["stranger"].get("tests") == "3" and by_host["stranger"].get("failures") == "3"
    assert "refused" in by_host["stranger"].find("testcase/failure").get("message")


def test_markdown_has_a_row_per_host_and_keeps_cells_on_one_line(tmp_path) -> None:
    summary = _fleet_of_four(tmp_path)
    summary["hosts"][1]["reasons"] = ["a | b\nc"]
    text = _fleet.render_markdown(summary)
    table = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(table) == 1 + 4
    assert "a \\| b c" in text
    assert "| vps2 | SANDBOX_ATTESTATION_FAILED | verified | 25 | approved | sha256:bb |" in text


def test_outputs_are_written_atomically_under_an_absolute_dir(tmp_path) -> None:
    summary = _fleet.summarise({"a": {"pin": ""}}, {}, NOW)
    written = _fleet.write_outputs(str(tmp_path / "fleet"), _fleet.render_outputs(summary, [24]))
    assert sorted(written) == sorted(_fleet.OUTPUT_NAMES)
    assert json.loads((tmp_path / "fleet" / "fleet.json").read_text())["hosts"][0]["outcome"] \
        == "not_verified"
    assert sorted(os.listdir(tmp_path / "fleet")) == sorted(_fleet.OUTPUT_NAMES)
    with pytest.raises(_fleet.FleetError, match="absolute path"):
        _fleet.write_outputs("fleet", {})


def test_the_shipped_matrix_gives_the_junit_rows() -> None:
    assert _fleet.matrix_rows() == list(range(24, 38))
    assert _fleet.matrix_rows("/nonexistent/matrix.yml") == []
