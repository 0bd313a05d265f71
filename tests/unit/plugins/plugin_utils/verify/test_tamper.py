"""Every tamper class: none is READY, each names its finding, none crashes.

Two kinds: a consistent forgery edits the evidence model before the manifest is computed (so
only the semantic checks can catch it); a naive edit changes files after (integrity catches it).
Each case also renders and writes all five outputs, which must not crash either.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _seccomp
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    write_outputs,
)

WORKLOAD = "identities/workload/"


def _host_config(model: eb.EvidenceModel, identity: str = "root") -> dict[str, Any]:
    return model.inspect(identity)["HostConfig"]


def _set_opt(model: eb.EvidenceModel, index: int, value: str) -> None:
    for identity in ("workload", "root"):
        _host_config(model, identity)["SecurityOpt"][index] = value


def _third_mount(model: eb.EvidenceModel) -> None:
    container = model.inspect("root")
    container["HostConfig"]["Mounts"].append(
        {"Type": "bind", "Source": "/var/run/docker.sock", "Target": "/var/run/docker.sock"})
    container["Mounts"].append({"Type": "bind", "Source": "/var/run/docker.sock",
                                "Destination": "/var/run/docker.sock", "Mode": "", "RW": True,
                                "Propagation": "rprivate"})


def _seccomp_allowing_ptrace(model: eb.EvidenceModel) -> None:
    profile = _seccomp.seccomp_profile("targeted-deny")
    for rule in profile["syscalls"]:
        if "ptrace" in rule["names"] and rule["action"] != "SCMP_ACT_ALLOW":
            rule["names"].remove("ptrace")
        elif rule["action"] == "SCMP_ACT_ALLOW" and "read" in rule["names"]:
            rule["names"].append("ptrace")
    _set_opt(model, 1, "seccomp=" + json.dumps(profile))


def _network_bridge(model: eb.EvidenceModel) -> None:
    container = model.inspect("workload")
    container["HostConfig"]["NetworkMode"] = "bridge"
    container["NetworkSettings"]["Networks"] = {"bridge": {"NetworkID": "a" * 64}}


def _errno_flipped(model: eb.EvidenceModel) -> None:
    model.observation("root", "PR-FS-RO-IN", "open_write").update(ret=3, errno=None)


def _errno_changed(model: eb.EvidenceModel) -> None:
    # A socket that is there answers EACCES to uid 65532: not the ENOENT of "no socket".
    model.observation("workload", "PR-SOCK-DOCKER", "unix_connect",
                      "/var/run/docker.sock")["errno"] = "EACCES"


def _pre_existing_changed(model: eb.EvidenceModel) -> None:
    after = model.docs["snapshots/after.json"]["containers"][0]
    after.update(state="exited", restart_count=1)
    model.docs["engine/events.jsonl"].append({
        "time_nano": eb.BASE_NANO + 30_000_000, "type": "container", "action": "die",
        "id": after["id"], "name": "postgres"})


def _probe_line_removed(model: eb.EvidenceModel) -> None:
    model.drop_probe("root", "PR-PTRACE-1")


# name -> (edit of the model, expected finding, expected status)
FORGERIES: dict[str, tuple[Callable[[eb.EvidenceModel], None], str, str]] = {
    "probe line removed": (_probe_line_removed, "probes", STATUS_FAILED),
    "errno flipped to success": (_errno_flipped, "probes", STATUS_FAILED),
    "errno changed": (_errno_changed, "probes", STATUS_FAILED),
    "privileged": (lambda m: _host_config(m).update(Privileged=True), "profile", STATUS_FAILED),
    "network bridge": (_network_bridge, "profile", STATUS_FAILED),
    "CapAdd": (lambda m: _host_config(m).update(CapAdd=["SYS_ADMIN"]), "profile", STATUS_FAILED),
    "a third mount": (_third_mount, "profile", STATUS_FAILED),
    "seccomp unconfined": (lambda m: _set_opt(m, 1, "seccomp=unconfined"), "profile",
                           STATUS_FAILED),
    "no-new-privileges=false": (lambda m: _set_opt(m, 0, "no-new-privileges=false"), "profile",
                                STATUS_FAILED),
    "cgroupns host": (lambda m: _host_config(m).update(CgroupnsMode="host"), "profile",
                      STATUS_FAILED),
    "a different seccomp JSON": (_seccomp_allowing_ptrace, "profile", STATUS_FAILED),
    "pre-existing object changed": (_pre_existing_changed, "non_mutation", STATUS_PARTIAL),
}


@pytest.mark.parametrize("case", sorted(FORGERIES))
def test_consistent_forgery(case: str, model, write_bundle, verify, tmp_path) -> None:
    edit, finding, status = FORGERIES[case]
    edit(model)
    bundle = write_bundle(model)
    verdict = verify(bundle)
    assert verdict.status == status != STATUS_READY
    assert finding in verdict.failed_finding_names()
    assert verdict.reasons
    assert "integrity" not in verdict.failed_finding_names()
    assert set(write_outputs(verdict, bundle, str(tmp_path / "out"))) == {
        "verdict.json", "report.md", "statement.intoto.json", "vsa.intoto.json", "junit.xml"}


def _edit_file(root: str) -> None:
    path = os.path.join(root, WORKLOAD, "probe.jsonl")
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data.replace(b'"EROFS"', b'"EACCES"', 1))


def _remove_file(root: str) -> None:
    os.unlink(os.path.join(root, "identities/root/inspect.json"))


def _add_file(root: str) -> None:
    with open(os.path.join(root, WORKLOAD, "out", "evil"), "wb") as handle:
        handle.write(b"planted\n")


def _link_file(root: str) -> None:
    path = os.path.join(root, WORKLOAD, "inspect.json")
    os.replace(path, path + ".orig")
    outside = os.path.join(os.path.dirname(root), "outside.json")
    os.replace(path + ".orig", outside)
    os.symlink(outside, path)


def _link_to_host_file(root: str) -> None:
    path = os.path.join(root, WORKLOAD, "stderr.txt")
    os.unlink(path)
    os.symlink("/etc/passwd", path)


def _manifest_entry(root: str, name: str) -> None:
    """Give the manifest an entry of zeros for `name` (edited, or out of the tree)."""
    path = os.path.join(root, "manifest.json")
    with open(path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    manifest["files"][name] = "0" * 64
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)


def _edit_manifest(root: str) -> None:
    _manifest_entry(root, "run.json")


def _manifest_out_of_tree(root: str) -> None:
    _manifest_entry(root, "../outside.json")


def _manifest_garbage(root: str) -> None:
    with open(os.path.join(root, "manifest.json"), "wb") as handle:
        handle.write(b"\xff\xfe not json")


def _remove_probe_line_naively(root: str) -> None:
    path = os.path.join(root, "identities/root/probe.jsonl")
    with open(path, encoding="utf-8") as handle:
        lines = [line for line in handle if '"PR-PTRACE-1"' not in line]
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(lines)


def _fifo(root: str) -> None:
    os.mkfifo(os.path.join(root, WORKLOAD, "fifo"))


def _hard_link(root: str) -> None:
    os.link(os.path.join(root, "run.json"), os.path.join(os.path.dirname(root), "run-copy"))


NAIVE_EDITS: dict[str, Callable[[str], None]] = {
    "a file edited": _edit_file,
    "a file missing": _remove_file,
    "a file added": _add_file,
    "a file replaced by a link": _link_file,
    "a file replaced by a link to a host file": _link_to_host_file,
    "the manifest edited": _edit_manifest,
    "the manifest names a path out of the tree": _manifest_out_of_tree,
    "the manifest garbage": _manifest_garbage,
    "a probe line removed": _remove_probe_line_naively,
    "a FIFO planted": _fifo,
    "a hard link": _hard_link,
}


@pytest.mark.parametrize("case", sorted(NAIVE_EDITS))
def test_naive_edit_fails_integrity(case: str, bundle, verify, tmp_path) -> None:
    NAIVE_EDITS[case](bundle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED
    assert "integrity" in verdict.failed_finding_names()
    write_outputs(verdict, bundle, str(tmp_path / "out"))


def test_a_file_added_and_manifested_is_not_of_the_format(bundle, verify) -> None:
    _add_file(bundle)
    eb.write_manifest(bundle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED
    # Not of the format, and not a file the venue stated.
    assert verdict.failed_finding_names() == ["schema", "signature"]


def test_a_linked_file_is_never_read(bundle, verify) -> None:
    _link_file(bundle)
    verdict = verify(bundle)
    profile = verdict.finding("profile")
    workload = [c for c in profile.checks if c.identity == "workload"]
    assert workload and all(c.outcome == "missing" for c in workload)


def test_venue_mismatch_is_partial(bundle, verify) -> None:
    other = "sha256:" + "ab" * 32
    verdict = verify(bundle, approved_venues={eb.HOST: {"fingerprint": other,
                                                        "host_key": eb.host_key()[1]}})
    assert verdict.status == STATUS_PARTIAL
    assert verdict.failed_finding_names() == ["venue"]
    assert verdict.reasons == ["venue fingerprint mismatch"]


def test_a_forged_verdict_field_is_ignored(model, write_bundle, verify) -> None:
    line = model.probe("root", "PR-PTRACE-1")
    line["obs"][1].update(ret=0, errno=None, verdict="PASS")
    line["verdict"] = "PASS"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert next(r for r in verdict.rows if r.row == 36).result == "FAIL"
