"""Golden outputs: a bundle, a packet and a verification rendered from fixed inputs, compared
byte for byte (by sha256) with what they were when this file was written. A move of the code
must keep every digest; a change of behaviour regenerates them on purpose, says so in the
changelog, and (for the packet) moves the packet format version:

    SANDBOX_ATTEST_GOLDEN_REGEN=1 .venv/bin/pytest tests/unit/test_golden.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_layout import layout
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._write import manifest_of
from ansible_collections.sandbox.attest.plugins.plugin_utils.packet._render import (
    PacketSettings,
    render_packet,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    render_outputs,
)

GOLDEN = os.path.join(os.path.dirname(__file__), "data", "golden")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGEN = os.environ.get("SANDBOX_ATTEST_GOLDEN_REGEN") == "1"
PROBE = b"\x7fELF golden stand-in probe\n"
CID = {"workload": "a" * 64, "root": "b" * 64}


def _digests(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}


def _compare(name: str, found: dict[str, str]) -> None:
    path = os.path.join(GOLDEN, name + ".json")
    if REGEN:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(found, handle, indent=2, sort_keys=True)
            handle.write("\n")
    with open(path, encoding="utf-8") as handle:
        assert found == json.load(handle)


def _identity(identity: str) -> dict[str, Any]:
    argv = ["docker", "create", "--name", "sandbox-attest-x-%s" % identity, "--user",
            "65532:65532" if identity == "workload" else "0:0", "sha256:" + "c" * 64]
    content = b"written by the probe\n"
    return {"identity": identity, "run": {
        "argv": argv, "container_id": CID[identity],
        "container_name": "sandbox-attest-x-%s" % identity, "exit_code": 0,
        "timed_out": False, "started_at": "2026-11-28T22:31:32Z",
        "finished_at": "2026-11-28T22:31:33Z", "removed": True,
        "commands": [argv, ["docker", "start", CID[identity]]],
        "stdout": '{"probe":"META"}\n{"probe":"END"}\n', "stderr": "",
        "inspect": [{"Id": CID[identity], "HostConfig": {"ReadonlyRootfs": True}}],
        "profile": {"format": 1, "name": "hardened-v1",
                    "limits": {"pids": 64, "timeout_s": 60}},
        "seccomp_json": '{"defaultAction":"SCMP_ACT_ERRNO"}'},
        "output": {"copied": [{"name": "ok", "bytes": len(content),
                               "sha256": hashlib.sha256(content).hexdigest(),
                               "content_b64": base64.b64encode(content).decode()}],
                   "refused": []}}


def test_a_bundle_from_fixed_inputs() -> None:
    run = {"run_id": "20261128T223131Z-1a2b3c4d", "inventory_hostname": "vps1",
           "seccomp_profile": "targeted-deny", "image_id": "sha256:" + "c" * 64,
           "probe_sha256": "d" * 64, "started_at": "2026-11-28T22:31:31Z",
           "finished_at": "2026-11-28T22:31:36Z"}
    snapshot = {"format": 2, "taken_at": "2026-11-28T22:31:31Z", "containers": [],
                "networks": [], "volumes": [], "images": [], "vanished": []}
    files = layout(run, {"fingerprint": "sha256:" + "e" * 64, "machine_id_sha256": "d" * 64,
                         "engine_id": "ABCD:EFGH"},
                   {"format": 1, "engine_id": "ABCD:EFGH", "api_version": "1.41"},
                   snapshot, snapshot, [{"time_nano": 1, "type": "container",
                                         "action": "create", "id": CID["workload"],
                                         "name": "x", "container": None, "exec_id": None,
                                         "command_sha256": None}],
                   [_identity("workload"), _identity("root")],
                   {"path": "automated", "collection_version": "0.1.0"})
    found = _digests(files)
    found["manifest.json (as a document)"] = hashlib.sha256(
        json.dumps(manifest_of(files), sort_keys=True).encode()).hexdigest()
    _compare("bundle", found)


@pytest.mark.parametrize("seccomp", ["targeted-deny", "default-deny"])
def test_a_packet_from_fixed_inputs(seccomp: str) -> None:
    packet = render_packet(PROBE, PacketSettings(host="vps1", collection_version="0.1.0",
                                                 seccomp_profile=seccomp))
    found = _digests(packet.files)
    found["(tarball)"] = hashlib.sha256(packet.tarball()).hexdigest()
    found["(name)"] = packet.name
    _compare("packet-" + seccomp, found)


def test_a_verification_from_fixed_inputs(model, write_bundle, verify, tmp_path) -> None:
    bundle = write_bundle(model)
    rendered = render_outputs(verify(bundle))
    # The bundle and the stand-in probe live in the test's temporary directory; the data files
    # in the clone, wherever it is.
    places = [(str(tmp_path), "<tmp>"), (ROOT, "<clone>")]
    found = {}
    for name, data in rendered.items():
        for place, stand_in in places:
            data = data.replace(place.encode(), stand_in.encode())
        found[name] = data
    found = _digests(found)
    _compare("verification", found)
