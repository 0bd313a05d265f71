"""The attestation on an engine that holds what real hosts hold (tests/lived_in/): images
without labels or without any configuration, containers in every state, crash-looping and
health-checked ones, a compose project, shared namespaces, many mounts, a secret."""

from __future__ import annotations

import json
import subprocess

from harness import bundles_under, docker, run_playbook, verify_bundle
from lived_in import canonical_inspect, differing_keys, settled
from test_attest_local import bundle_files
from test_packet import assert_nothing_left, render, row_results, run_script

from ansible_collections.sandbox.attest.plugins.module_utils import _snapshot
from ansible_collections.sandbox.attest.plugins.plugin_utils.packet import _render

ROWS = list(range(24, 38))


def _documents(state: dict) -> dict[str, dict]:
    """Every fixture object's inspect document without what the engine's own lifecycle changes
    (lived_in.settled): a run that left the object alone leaves this equal."""
    return {"%s %s %s" % (obj["kind"], obj["role"], obj["id"]):
            settled(obj["kind"], obj["role"], canonical_inspect(obj["id"], obj["kind"]))
            for obj in state["objects"]}


def _sh_snapshot(tmp_path, batch: int | None = None) -> dict:
    """The operator packet's snapshot function, run on this engine (with INSPECT_BATCH set to
    batch when given)."""
    packet = _render.render_packet(b"\x7fELF stand-in\n", _render.PacketSettings(
        host="local", collection_version="0.1.0"))
    body = packet.files[_render.SCRIPT_NAME].decode().rstrip("\n").rsplit("\n", 1)[0]
    definitions = tmp_path / "definitions.sh"
    definitions.write_text(body + "\n")
    out = tmp_path / "snapshot.json"
    batch_setting = "INSPECT_BATCH=%d; " % batch if batch else ""
    proc = subprocess.run(["sh", "-c", '. "$0"; %sWORK=$(mktemp -d); snapshot "$1"; '
                           'rm -rf -- "$WORK"' % batch_setting, str(definitions), str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


def _by_key(snapshot: dict) -> dict[str, dict]:
    return {"%s %s" % (kind, obj.get("id") or obj.get("name")): obj
            for kind in ("containers", "networks", "volumes", "images")
            for obj in snapshot[kind]}


def test_both_paths_snapshot_every_object_with_the_same_digests(lived_in_host, tmp_path) -> None:
    python = _snapshot.take_snapshot("docker", "2026-11-29T00:00:00Z")
    shell = _sh_snapshot(tmp_path)
    assert python["format"] == shell["format"] == _snapshot.SNAPSHOT_FORMAT
    ours, theirs = _by_key(python), _by_key(shell)
    for obj in lived_in_host["objects"]:
        kind = obj["kind"] + "s"
        key = "%s %s" % (kind, obj["id"])
        assert key in ours and key in theirs, obj
        for field in ("config_sha256", "health_cmd_sha256", "tags", "probe_image", "driver"):
            assert ours[key].get(field) == theirs[key].get(field), (obj, field)
    health = {o["role"]: ours["containers %s" % o["id"]]["health_cmd_sha256"]
              for o in lived_in_host["objects"] if o["kind"] == "container"}
    assert health["healthy"] and health["unhealthy"] and health["healthy"] != health["unhealthy"]
    assert health["created"] is None
    # .Mounts comes in a varying order: the digest of the many-mount container never varies.
    binds = next(o["id"] for o in lived_in_host["objects"] if o["role"] == "binds-tmpfs")
    digests = set()
    for dummy in range(10):
        containers = _snapshot.snapshot_kind("docker", "container")[0]
        digests.add(next(c["config_sha256"] for c in containers if c["id"] == binds))
    assert len(digests) == 1
    mounts = json.loads(docker("inspect", binds))[0]["Mounts"]
    assert len(mounts) >= 6, "the fixture's many-mount container"


STABLE_FIELDS = ("config_sha256", "health_cmd_sha256", "tags", "probe_image", "driver", "name")


def _stable(snapshot: dict) -> dict:
    """Every object's fields that no engine lifecycle changes (the crash loop's restart count
    and a network's members may change between two snapshots), and what vanished."""
    stable = {key: {field: obj.get(field) for field in STABLE_FIELDS}
              for key, obj in _by_key(snapshot).items()}
    return {"objects": stable, "vanished": snapshot["vanished"]}


def test_a_snapshot_read_in_batches_is_the_snapshot_read_at_once(lived_in_host, tmp_path,
                                                                 monkeypatch) -> None:
    """A host with many objects is inspected in several calls at the same time
    (_snapshot.batches): with batches of 3 objects (the fixture's ~14 containers in four calls)
    both paths give what one call per kind gives."""
    monkeypatch.setattr(_snapshot, "INSPECT_BATCH", 100_000)
    at_once = _stable(_snapshot.take_snapshot("docker", "2026-11-29T00:00:00Z"))
    monkeypatch.setattr(_snapshot, "INSPECT_BATCH", 3)
    containers = [o for o in lived_in_host["objects"] if o["kind"] == "container"]
    assert len(_snapshot.batches([o["id"] for o in containers])) == _snapshot.INSPECT_CALLS_MAX
    batched = _stable(_snapshot.take_snapshot("docker", "2026-11-29T00:00:00Z"))
    assert batched == at_once
    assert _stable(_sh_snapshot(tmp_path, batch=3)) == at_once
    assert _stable(_sh_snapshot(tmp_path, batch=100_000)) == at_once


def _verify_rehearsal(tmp_path, bundle: str) -> dict:
    verdict = verify_bundle(tmp_path, bundle)
    assert verdict["status"] == "SANDBOX_ATTESTATION_PARTIAL", verdict["reasons"]
    assert verdict["reasons"] == ["rehearsal venue"]
    assert row_results(verdict) == {row: "PASS" for row in ROWS}
    return verdict


def _assert_untouched(state: dict, before: dict[str, dict], bundle: str) -> None:
    after = _documents(state)
    changed = {key: differing_keys(before[key], after.get(key, {}))
               for key in before if after.get(key) != before[key]}
    assert not changed, changed
    files = bundle_files(bundle)
    secret = state["secret"]["value"].encode()
    for path, data in files.items():
        assert secret not in data, path
    run = json.loads(files["run.json"])
    assert_nothing_left(run["run_id"])


def test_the_attestation_on_a_lived_in_host(lived_in_host, tmp_path) -> None:
    before = _documents(lived_in_host)
    evidence = tmp_path / "evidence"
    result = run_playbook("attest.yml", "inventories/local", str(tmp_path),
                          "-e", "sandbox_attest_evidence_root=%s" % evidence)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    [bundle] = bundles_under(str(evidence))
    _verify_rehearsal(tmp_path, bundle)
    _assert_untouched(lived_in_host, before, bundle)
    # The log was followed (module_utils/_event_follow.py): what came from the replay counted.
    files = bundle_files(bundle)
    replayed = json.loads(files["run.json"])["events_replayed"]
    assert 0 <= replayed <= len(files["engine/events.jsonl"].splitlines())


def test_the_operator_packet_on_a_lived_in_host(lived_in_host, tmp_path) -> None:
    before = _documents(lived_in_host)
    dummy, packet = render(tmp_path)
    out = tmp_path / "out"
    result = run_script(packet, str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [bundle] = bundles_under(str(out))
    _verify_rehearsal(tmp_path, bundle)
    _assert_untouched(lived_in_host, before, bundle)
