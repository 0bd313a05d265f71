"""Leftovers of earlier runs are found by run id, never by name; a run's containers by label."""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.module_utils import _leftovers

OLD = "20261128T223131Z-1a2b3c4d"
NOW = "20261129T182400Z-0123abcd"


def test_leftovers_are_other_runs_objects_and_directories(tmp_path) -> None:
    for name in (OLD, NOW, "not-a-run", "sandbox-attest-" + OLD):
        (tmp_path / name).mkdir()
    snapshot = {
        "containers": [
            {"id": "c1", "name": "old", "run_id": OLD},
            {"id": "c2", "name": "mine", "run_id": NOW},
            {"id": "c3", "name": "sandbox-attest-lookalike", "run_id": None},
        ],
        "volumes": [{"name": "v1", "run_id": OLD}, {"name": "v2", "run_id": None}],
    }
    found = _leftovers.find_leftovers(snapshot, str(tmp_path), NOW)
    assert found == [
        {"kind": "container", "ref": "c1", "name": "old", "run_id": OLD},
        {"kind": "volume", "ref": "v1", "name": "v1", "run_id": OLD},
        {"kind": "run_directory", "ref": str(tmp_path / OLD), "name": OLD, "run_id": OLD},
    ]
    assert _leftovers.leftover_run_ids(found) == [OLD]
    assert _leftovers.find_leftovers(snapshot, str(tmp_path / "absent"), None)[-1]["ref"] == "v1"


def test_a_runs_containers_are_those_whose_label_reads_back(engine) -> None:
    engine.write("ps", "c1\nc2\nc3\n")
    engine.write("label-c1", OLD + "\n")
    engine.write("label-c2", OLD + "-not\n")  # a filter that matched too much
    assert _leftovers.run_containers(engine.cli, OLD) == ["c1"]
    assert _leftovers.remove_commands("docker", ["c1"]) == [
        ["docker", "rm", "--force", "--volumes", "c1"]]
