"""The matrix data file: DESIGN's rows 24-37, and every check it binds exists."""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import load_matrix
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._cross_checks import (
    CROSS_CHECKS,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    PROBE_ORDER,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._profile import (
    STATIC_CHECKS,
)

MATRIX = load_matrix().document
ROWS = {row["row"]: row for row in MATRIX["rows"]}

# DESIGN.md, "Default binding of the matrix": row -> probes.
DESIGN_PROBES = {
    24: ["PR-NET-2"], 25: ["PR-NET-1"], 26: ["PR-SOCK-1"],
    27: ["PR-NET-1", "PR-NET-2", "PR-SOCK-1", "PR-NETIF-1"], 28: ["PR-ENV-1"],
    29: ["PR-FS-RO-IN"], 30: ["PR-FS-ESC-1"], 31: ["PR-FS-ESC-2"], 32: ["PR-FS-OUT-OK"],
    33: ["PR-EXEC-1"], 34: ["PR-MOUNT-1", "PR-USERNS-1"], 35: ["PR-SOCK-DOCKER"],
    36: ["PR-PTRACE-1"], 37: ["PR-CAPS-1", "PR-NNP-1", "PR-SECCOMP-1", "PR-PIDS-1"],
}


def test_rows_24_to_37_with_designs_probes() -> None:
    assert sorted(ROWS) == list(range(24, 38))
    for number, probes in DESIGN_PROBES.items():
        assert ROWS[number]["probes"] == probes, number


def test_only_27_is_the_seeds() -> None:
    assert [n for n, row in ROWS.items() if row["meaning_source"] == "seed"] == [27]
    assert all(row["meaning_source"] in ("seed", "project") for row in ROWS.values())


def test_every_bound_check_exists_and_every_probe_is_bound() -> None:
    bound_probes = {p for row in ROWS.values() for p in row["probes"]}
    assert bound_probes == set(PROBE_ORDER)
    for row in ROWS.values():
        assert set(row["static_checks"]) <= set(STATIC_CHECKS), row["row"]
        assert set(row["cross_checks"]) <= set(CROSS_CHECKS) | {"xc_out_ok"}, row["row"]
        assert row["fix"] and row["meaning"] and row["boundary"]


def test_report_says_where_meanings_come_from(bundle, verify) -> None:
    from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._report import (
        render_report,
    )

    report = render_report(verify(bundle))
    assert "row(s) #27 come from the seed" in report
    assert "#24, #25, #26, #28" in report


def test_a_team_matrix_file_is_used(bundle, verify, tmp_path) -> None:
    (tmp_path / "rev4.yml").write_text(
        "format: 1\nmatrix: rev4\nrows:\n  - row: 27\n    boundary: egress\n"
        "    meaning_source: seed\n    meaning: m\n    probes: [PR-NET-2]\n"
        "    static_checks: []\n    cross_checks: []\n    fix: f\n", encoding="utf-8")
    verdict = verify(bundle, matrix_path=str(tmp_path / "rev4.yml"))
    assert [row.row for row in verdict.rows] == [27]
    assert verdict.status == "SANDBOX_ATTESTED_READY"
