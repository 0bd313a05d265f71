"""A real Podman bundle (tests/unit/data/podman-bundle: the roles with runtime podman on the
Molecule Podman host) judged by the verifier (issue 18): READY with the host's pins, every row
PASS, and each edit of what Podman's evidence says - its OCI spec above all, which only Podman
bundles carry - fails a finding. The edits are made to the parsed evidence and judged by the
profile and inspect_fields findings directly: a bundle edited on disk fails its manifest and
signature first, which would hide what these findings say."""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    load_expectations,
    load_inspect_fields,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_log import may_be_cut
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    Evidence,
    load_evidence,
    read_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import PARTIAL, PASS
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verifier import (
    Options,
    verify_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._inspect_fields import (  # noqa: E501
    check_inspect_fields,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._non_mutation import (
    check_non_mutation,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._profile import (
    check_profile,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._venue import (
    parse_venues,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    render_outputs,
)

BUNDLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "podman-bundle")
# A little after the run, so that the bundle's age is no reason.
NOW = "2026-11-30T16:40:00Z"
# The Molecule host's pins as create.yml wrote them (tests/unit/data/README.md).
HOST = "vps"
FINGERPRINT = "sha256:2c75bb883de494149bc622fc42b30cee1d2307ca655d05b4bd2e22ab644ff544"
HOST_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPKHtRTv0Dmv6BMlHceFnfD4KqESBSC3Xj0d/"
            "QKRzaWt")
SPEC = "identities/workload/oci-spec.json"
EVENTS = "engine/events.jsonl"
INSPECT = "identities/workload/inspect.json"


def _verdict(approved: dict[str, Any]) -> dict:
    options = Options(now=NOW, host=HOST, venues=parse_venues(approved, []))
    return json.loads(render_outputs(verify_bundle(BUNDLE, options))["verdict.json"])


def test_ready_when_pinned_with_every_row_pass() -> None:
    verdict = _verdict({HOST: {"fingerprint": FINGERPRINT, "host_key": HOST_KEY}})
    assert verdict["status"] == "SANDBOX_ATTESTED_READY", verdict["reasons"]
    assert {row["row"]: row["result"] for row in verdict["rows"]} == {
        row: "PASS" for row in range(24, 38)}


def test_unpinned_it_is_not_ready_and_says_why() -> None:
    assert _verdict({})["reasons"] == ["unapproved venue"]


def test_a_venue_pinned_for_its_docker_engine_is_not_ready_for_podman() -> None:
    # The fingerprint binds the engine ID (podman:<graph root>): the same machine pinned with
    # its Docker engine is another venue.
    verdict = _verdict({HOST: {"fingerprint": "sha256:" + "0" * 64, "host_key": HOST_KEY}})
    assert verdict["status"] != "SANDBOX_ATTESTED_READY"


@pytest.fixture(scope="module")
def pristine() -> Evidence:
    return load_evidence(read_bundle(BUNDLE))


@pytest.fixture(scope="module")
def data() -> tuple[dict[str, Any], dict[str, Any]]:
    return load_expectations().document, load_inspect_fields().document


def _failed(evidence: Evidence, data: tuple[dict[str, Any], dict[str, Any]]) -> set[str]:
    expectations, fields = data
    identities = ["workload", "root"]
    checks = [*check_profile(evidence, expectations, identities).checks,
              *check_inspect_fields(evidence, identities, fields).checks]
    return {check.id for check in checks if check.outcome != PASS}


def _edited(pristine: Evidence, path: str, edit: Any) -> Evidence:
    evidence = copy.copy(pristine)
    evidence.docs = dict(pristine.docs)
    document = copy.deepcopy(pristine.docs[path])
    edit(document[0] if path.endswith("inspect.json") else document)
    evidence.docs[path] = document
    return evidence


def test_the_pristine_evidence_passes_both_findings(pristine, data) -> None:
    assert _failed(pristine, data) == set()


@pytest.mark.parametrize(("what", "edit", "failing"), [
    ("a prestart hook", lambda s: s.update(hooks={"prestart": [{"path": "/bin/sh"}]}),
     {"spec_closed_world"}),
    ("CAP_SYS_ADMIN effective", lambda s: s["process"]["capabilities"].update(
        effective=["CAP_SYS_ADMIN"]), {"cap_drop_all", "spec_closed_world"}),
    ("ptrace allowed", lambda s: s["linux"]["seccomp"]["syscalls"][0]["names"].append("ptrace"),
     {"seccomp_shipped", "seccomp_denies_ptrace", "spec_closed_world"}),
    ("/proc/kcore unmasked", lambda s: s["linux"]["maskedPaths"].remove("/proc/kcore"),
     {"masked_paths", "spec_closed_world"}),
    ("/in writable", lambda s: next(m for m in s["mounts"] if m["destination"] == "/in")[
        "options"].__setitem__(0, "rw"), {"bind_in_ro", "spec_closed_world"}),
    ("the host's network namespace", lambda s: s["linux"]["namespaces"][1].update(
        path="/proc/1/ns/net"), {"no_host_namespaces", "spec_closed_world"}),
    ("a resolv.conf", lambda s: s["mounts"].append(
        {"destination": "/etc/resolv.conf", "type": "bind", "source": "/etc/resolv.conf",
         "options": ["ro", "rbind"]}), {"dns_loopback", "binds_exact", "spec_closed_world"}),
    ("the root writable", lambda s: s["root"].update(readonly=False),
     {"readonly_rootfs", "spec_closed_world"}),
    ("no pids ceiling", lambda s: s["linux"]["resources"]["pids"].update(limit=0),
     {"limits", "spec_closed_world"}),
    # Row 31 holds by itself, not by the closed world alone: any mount beside the profile's.
    ("an overlay of /etc", lambda s: s["mounts"].append(
        {"destination": "/host", "type": "overlay", "source": "overlay",
         "options": ["lowerdir=/etc"]}), {"binds_exact", "spec_closed_world"}),
    ("a writable sysfs", lambda s: s["mounts"].append(
        {"destination": "/hsys", "type": "sysfs", "source": "sysfs", "options": ["rw"]}),
     {"binds_exact", "spec_closed_world"}),
])
def test_each_weakening_in_the_oci_spec_fails(pristine, data, what, edit, failing) -> None:
    assert _failed(_edited(pristine, SPEC, edit), data) == failing, what


def test_a_pre_existing_images_events_are_its_own_under_podman(pristine) -> None:
    # Podman names an image in its events by bare hex; the snapshots list sha256:<hex>. A
    # pre-existing image tagged and untagged in the window is a change, as under Docker.
    events = [dict(e) for e in pristine.docs[EVENTS]]
    image = next(i for i in pristine.docs["snapshots/before.json"]["images"]
                 if not i["probe_image"])
    when = events[1]["time_nano"]
    for action in ("tag", "untag"):
        events.insert(1, {"action": action, "command_sha256": None, "container": None,
                          "exec_id": None, "id": image["id"].split(":", 1)[1],
                          "name": "evil/x:1", "time_nano": when, "type": "image"})
    evidence = copy.copy(pristine)
    evidence.docs = {**pristine.docs, EVENTS: events}
    checks = check_non_mutation(evidence, ["workload", "root"]).checks
    assert [c.id for c in checks if c.outcome == PARTIAL] == ["pre_existing"]
    assert check_non_mutation(pristine, ["workload", "root"]).checks[-1].outcome == PASS


def test_the_probe_images_load_is_the_runs_own(pristine) -> None:
    # Podman logs a load by the archive's path alone: the automated path's is in the run's
    # directory; another tenant's archive of the same name is not this run's load.
    events = [dict(e) for e in pristine.docs[EVENTS]]
    assert events[0]["action"] == "loadfromarchive"
    events[0]["name"] = "/home/mallory/probe-image.tar"
    evidence = copy.copy(pristine)
    evidence.docs = {**pristine.docs, EVENTS: events}
    checks = check_non_mutation(evidence, ["workload", "root"]).checks
    assert "probe_image_events" in [c.id for c in checks if c.outcome == PARTIAL]


def test_a_long_podman_log_is_not_read_as_cut(pristine) -> None:
    # Docker replays its last 256 events; Podman's read of its event file has no such limit
    # (docs/podman-facts.md section 12): 256 replayed events are no sign of a loss there.
    evidence = copy.copy(pristine)
    events = pristine.docs[EVENTS] * 30
    evidence.docs = {**pristine.docs, EVENTS: events,
                     "run.json": {**pristine.docs["run.json"], "events_replayed": len(events)}}
    assert not may_be_cut(evidence)
    evidence.docs["run.json"] = {**evidence.docs["run.json"], "runtime": "docker"}
    assert may_be_cut(evidence)


def test_another_cgroup_manager_is_an_engine_not_modelled(pristine, data) -> None:
    # The spec's cgroupsPath is derived for cgroupfs on cgroup v1 (measured): a systemd host
    # (its facts, its inspect documents and its specs all say so) is "engine not modelled"
    # (PARTIAL), not a departure (FAILED).
    evidence = copy.copy(pristine)
    evidence.docs = {**pristine.docs, "engine/facts.json": {
        **pristine.docs["engine/facts.json"], "cgroup_driver": "systemd"}}
    for identity in ("workload", "root"):
        inspect = copy.deepcopy(pristine.docs["identities/%s/inspect.json" % identity])
        inspect[0]["HostConfig"]["CgroupManager"] = "systemd"
        spec = copy.deepcopy(pristine.docs["identities/%s/oci-spec.json" % identity])
        spec["linux"]["cgroupsPath"] = "machine.slice:libpod:" + inspect[0]["Id"]
        evidence.docs["identities/%s/inspect.json" % identity] = inspect
        evidence.docs["identities/%s/oci-spec.json" % identity] = spec
    checks = check_inspect_fields(evidence, ["workload", "root"], data[1]).checks
    assert {c.id for c in checks if c.outcome != PASS} == {"engine_modelled"}
    assert "cgroup_driver 'systemd'" in next(c.message for c in checks
                                             if c.id == "engine_modelled")


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a scalar, or to a list as a whole."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    else:
        yield path


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        document = document[key]
    document[path[-1]] = value


def _not_isolation(fields: dict[str, Any], path: str) -> set[tuple[str, ...]]:
    entry = fields["engines"]["podman"]["4.3.1"]
    named = {**entry["spec_not_isolation"]} if path == SPEC else {
        **fields["not_isolation"], **entry["not_isolation"]}
    return {tuple(key.replace("~1", "/") for key in pointer.split("/")[1:]) for pointer in named}


@pytest.mark.parametrize("path", [SPEC, INSPECT])
def test_every_field_of_podmans_documents_is_read(pristine, data, path) -> None:
    """A mutation of each field, one at a time, fails a check: nothing is left unread but what
    data/inspect-fields.yml names as not bearing on isolation (times, a manifest digest), or as
    judged by another check (the environment, by env's predicates)."""
    document = pristine.docs[path]
    document = document[0] if path == INSPECT else document
    leaves = list(_leaves(document))
    assert len(leaves) > (150 if path == INSPECT else 30)
    unread = []
    for leaf in leaves:
        def edit(doc: Any, leaf: tuple[Any, ...] = leaf) -> None:
            _set(doc, leaf, "mutant")
        if not _failed(_edited(pristine, path, edit), data):
            unread.append(leaf)
    assert set(unread) <= _not_isolation(data[1], path)


def test_the_schema_refuses_a_podman_bundle_without_its_spec_or_as_docker(tmp_path) -> None:
    # Edited on disk: the schema names both (the manifest fails too, which is no matter here).
    copy_dir = tmp_path / "bundle"
    shutil.copytree(BUNDLE, copy_dir)
    os.remove(copy_dir / SPEC)
    run = json.loads((copy_dir / "run.json").read_text())
    options = Options(now=NOW)
    reasons = json.loads(render_outputs(verify_bundle(str(copy_dir), options))[
        "verdict.json"])["reasons"]
    assert "schema: identities/workload/: 'oci_spec' is a required property" in reasons
    # Called Docker's, the same evidence lacks what Docker's inspect has, and has what a
    # Docker bundle must not (the spec, Podman's facts and snapshot fields).
    run["runtime"] = "docker"
    (copy_dir / "run.json").write_text(json.dumps(run))
    reasons = json.loads(render_outputs(verify_bundle(str(copy_dir), options))[
        "verdict.json"])["reasons"]
    assert "schema: identities/root/inspect.json/0/HostConfig: 'MaskedPaths' is a required " \
        "property" in reasons
    assert any(r.startswith("schema: identities/root/: False schema does not allow {")
               for r in reasons), reasons
    assert "schema: snapshots/before.json: False schema does not allow 'podman'" in reasons
