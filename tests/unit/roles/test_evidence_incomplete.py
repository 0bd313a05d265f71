"""The evidence role's `incomplete` entry point, as a play's rescue calls it, on localhost."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
RUN_ID = "20261129T182400Z-0123abcd"
PREFLIGHT = {"run_id": RUN_ID, "fingerprint": "sha256:" + "f" * 64,
             "facts": {"engine_id": "E"}, "snapshot_before": {"containers": []}}


def _play(name: str, failing_task: dict, evidence_root: str, **inputs: object) -> dict:
    return {
        "name": name, "hosts": "all", "connection": "local", "gather_facts": False,
        "tasks": [{"block": [failing_task], "rescue": [
            {"name": "Keep what was gathered", "ansible.builtin.import_role": {
                "name": "sandbox.attest.evidence", "tasks_from": "incomplete"},
             "vars": {"evidence_root": evidence_root, "evidence_preflight": PREFLIGHT,
                      "evidence_failed_task": "{{ ansible_failed_task.name }}",
                      "evidence_failed_result": "{{ ansible_failed_result }}", **inputs}},
            {"name": "Keep the published result", "ansible.builtin.copy": {
                "content": "{{ evidence_incomplete_result | to_json }}",
                "dest": evidence_root + "/published.json", "mode": "0644"}},
        ]}],
    }


def test_the_record_names_the_cause_and_keeps_what_was_gathered(tmp_path) -> None:
    runs = [{"item": "workload", "failed": True, "msg": "the workload run failed"}]
    plays = [
        _play("A loop", {"name": "Loop", "ansible.builtin.fail": {"msg": "{{ item }} broke"},
                         "loop": ["a", "b", "c"], "when": "item != 'a'"},
              str(tmp_path / "loop"), evidence_gathered_runs=runs,
              evidence_probe_image={"image_id": "sha256:" + "a" * 64}),
        _play("One task", {"name": "Single", "ansible.builtin.fail": {"msg": "alone"}},
              str(tmp_path / "single")),
    ]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(plays))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_HOME=str(tmp_path / "home"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               ANSIBLE_NOCOLOR="1")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run(
        [playbook, "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % sys.executable,
         str(tmp_path / "play.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]

    path = tmp_path / "loop" / "localhost" / (RUN_ID + ".incomplete.json")
    record = json.loads(path.read_text())
    assert record == {
        "run_id": RUN_ID, "failed_task": "Loop", "message": "b broke; c broke",
        "venue_fingerprint": PREFLIGHT["fingerprint"], "engine_facts": PREFLIGHT["facts"],
        "snapshot_before": PREFLIGHT["snapshot_before"],
        "probe_image": {"image_id": "sha256:" + "a" * 64}, "runs": runs}
    assert oct(path.stat().st_mode & 0o777) == "0o644"

    single = json.loads((tmp_path / "single" / "localhost" / (RUN_ID + ".incomplete.json"))
                        .read_text())
    assert (single["failed_task"], single["message"]) == ("Single", "alone")
    assert (single["probe_image"], single["runs"]) == ({}, [])
    published = [json.loads((tmp_path / name / "published.json").read_text())
                 for name in ("loop", "single")]
    assert published == [{"path": str(path), "message": "b broke; c broke"},
                         {"path": str(tmp_path / "single" / "localhost" /
                                      (RUN_ID + ".incomplete.json")), "message": "alone"}]
