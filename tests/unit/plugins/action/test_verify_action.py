"""The verify action plugin: options, results, misuse, check mode, and no connection."""

from __future__ import annotations

import os
from typing import Any
from unittest.mock import MagicMock

import evidence_builder as eb
import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.sandbox.attest.plugins.action.verify import ActionModule


def _action(args: dict[str, Any], check_mode: bool = False) -> tuple[ActionModule, MagicMock]:
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    task.action = "sandbox.attest.verify"
    connection = MagicMock()
    connection._shell.tmpdir = "/nonexistent"
    action = ActionModule(task, connection, MagicMock(), loader=None, templar=None,
                          shared_loader_obj=None)
    action._load_name = "sandbox.attest.verify"
    return action, connection


def _args(bundle: str, probe_path: str, **extra: Any) -> dict[str, Any]:
    args = {"bundle": bundle, "probe_path": probe_path,
            "approved_venues": {eb.HOST: {"fingerprint": eb.FINGERPRINT,
                                          "host_key": eb.host_key()[1]}}}
    args.update(extra)
    return args


def test_ready_bundle(bundle, probe_path, probe_image_module) -> None:
    action, connection = _action(_args(bundle, probe_path))
    result = action.run(task_vars={})
    assert not result.get("failed")
    assert result["status"] == "SANDBOX_ATTESTED_READY"
    assert result["gate"] == "UNBLOCKED" and result["gate_name"] == "B4′"
    assert result["reasons"] == [] and result["findings"] == []
    assert [row["row"] for row in result["rows"]] == list(range(24, 38))
    assert result["host"] == eb.HOST and result["run_id"] == eb.RUN_ID
    assert result["written"] is True and result["changed"] is False
    assert all(os.path.isfile(path) for path in result["outputs"].values())
    # Controller-side only: nothing was asked of the connection.
    assert ActionModule._requires_connection is False
    for method in ("exec_command", "put_file", "fetch_file", "_connect"):
        getattr(connection, method).assert_not_called()


def test_rehearsal_is_partial_not_failed(bundle, probe_path, probe_image_module) -> None:
    action, dummy = _action(_args(bundle, probe_path, approved_venues={},
                                  rehearsal_venues=[eb.HOST]))
    result = action.run(task_vars={})
    assert not result.get("failed")
    assert result["status"] == "SANDBOX_ATTESTATION_PARTIAL"
    assert result["reasons"] == ["rehearsal venue"]
    assert result["findings"] == ["venue"]
    assert result["finding_outcomes"]["venue"] == "partial"


def test_a_failed_status_is_returned_not_failed(bundle, probe_path, probe_image_module) -> None:
    os.unlink(os.path.join(bundle, "run.json"))
    action, dummy = _action(_args(bundle, probe_path))
    result = action.run(task_vars={})
    assert not result.get("failed")
    assert result["status"] == "SANDBOX_ATTESTATION_FAILED"
    assert "integrity" in result["findings"]


def test_check_mode_writes_nothing(bundle, probe_path, probe_image_module) -> None:
    action, dummy = _action(_args(bundle, probe_path), check_mode=True)
    result = action.run(task_vars={})
    assert result["status"] == "SANDBOX_ATTESTED_READY"
    assert result["written"] is False
    assert not os.path.exists(os.path.join(bundle, "verification"))


def test_dest_option(bundle, probe_path, probe_image_module, tmp_path) -> None:
    dest = str(tmp_path / "elsewhere")
    action, dummy = _action(_args(bundle, probe_path, dest=dest))
    result = action.run(task_vars={})
    assert result["outputs"]["verdict.json"] == os.path.join(dest, "verdict.json")
    assert not os.path.exists(os.path.join(bundle, "verification"))


def test_host_option(bundle, probe_path, probe_image_module) -> None:
    action, dummy = _action(_args(bundle, probe_path, host="vps2"))
    result = action.run(task_vars={})
    assert result["host"] == "vps2"
    assert result["status"] == "SANDBOX_ATTESTATION_PARTIAL"


def test_missing_bundle_is_misuse(tmp_path, probe_path) -> None:
    action, dummy = _action(_args(str(tmp_path / "nope"), probe_path))
    result = action.run(task_vars={})
    assert result["failed"] is True and "not a directory" in result["msg"]


def test_malformed_venues_are_misuse(bundle, probe_path) -> None:
    action, dummy = _action(_args(bundle, probe_path,
                                  approved_venues={eb.HOST: {"fingerprint": 1}}))
    result = action.run(task_vars={})
    assert result["failed"] is True and "fingerprint" in result["msg"]


def test_unusable_matrix_is_misuse(bundle, probe_path, tmp_path) -> None:
    (tmp_path / "bad.yml").write_text("rows: []\n", encoding="utf-8")
    action, dummy = _action(_args(bundle, probe_path, matrix_file=str(tmp_path / "bad.yml")))
    result = action.run(task_vars={})
    assert result["failed"] is True and "no rows" in result["msg"]


def test_unwritable_dest_is_misuse(bundle, probe_path, probe_image_module, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    action, dummy = _action(_args(bundle, probe_path, dest=str(blocker / "sub")))
    result = action.run(task_vars={})
    assert result["failed"] is True and "cannot write" in result["msg"]


def test_unknown_option_is_rejected(bundle, probe_path) -> None:
    action, dummy = _action(_args(bundle, probe_path, bogus=1))
    with pytest.raises(AnsibleActionFail):
        action.run(task_vars={})


def _encrypted_key(tmp_path, passphrase: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = tmp_path / "vsa-key.pem"
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode())))
    path.chmod(0o600)
    return str(path)


def test_a_signing_key_adds_the_envelope(bundle, probe_path, probe_image_module,
                                         tmp_path) -> None:
    passphrase = "pass-%s" % os.urandom(8).hex()
    key = _encrypted_key(tmp_path, passphrase)
    action, dummy = _action(_args(bundle, probe_path, vsa_signing_key=key,
                                  vsa_signing_key_passphrase=passphrase))
    result = action.run(task_vars={})
    assert not result.get("failed"), result.get("msg")
    assert os.path.isfile(result["outputs"]["vsa.dsse.json"])
    assert len(result["vsa_keyid"]) == 64
    with open(result["outputs"]["vsa.dsse.json"], encoding="utf-8") as handle:
        assert result["vsa_keyid"] in handle.read()
    # Neither the passphrase nor the key file's path is in what the task returns.
    assert passphrase not in repr(result) and key not in repr(result)


def test_without_a_key_there_is_no_envelope_nor_keyid(bundle, probe_path,
                                                      probe_image_module) -> None:
    action, dummy = _action(_args(bundle, probe_path))
    result = action.run(task_vars={})
    assert "vsa.dsse.json" not in result["outputs"] and "vsa_keyid" not in result
    assert not os.path.exists(os.path.join(bundle, "verification", "vsa.dsse.json"))


def test_check_mode_names_the_envelope_and_writes_nothing(bundle, probe_path, probe_image_module,
                                                          tmp_path) -> None:
    passphrase = os.urandom(8).hex()
    key = _encrypted_key(tmp_path, passphrase)
    action, dummy = _action(_args(bundle, probe_path, vsa_signing_key=key,
                                  vsa_signing_key_passphrase=passphrase), check_mode=True)
    result = action.run(task_vars={})
    assert result["written"] is False and "vsa.dsse.json" in result["outputs"]
    assert not os.path.exists(os.path.join(bundle, "verification"))


@pytest.mark.parametrize("passphrase, message", [
    (None, "is encrypted: set sandbox_attest_vsa_signing_key_passphrase"),
    ("wrong-one", "cannot be loaded: a wrong passphrase"),
])
def test_an_unusable_key_is_misuse_and_leaves_the_earlier_outputs(
        bundle, probe_path, probe_image_module, tmp_path, passphrase, message) -> None:
    action, dummy = _action(_args(bundle, probe_path))
    earlier = action.run(task_vars={})["outputs"]
    key = _encrypted_key(tmp_path, "right-one")
    action, dummy = _action(_args(bundle, probe_path, vsa_signing_key=key,
                                  vsa_signing_key_passphrase=passphrase))
    result = action.run(task_vars={})
    assert result["failed"] is True and message in result["msg"]
    assert "wrong-one" not in result["msg"]
    assert all(os.path.isfile(path) for path in earlier.values())
