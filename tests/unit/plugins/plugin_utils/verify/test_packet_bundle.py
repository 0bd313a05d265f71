"""A packet bundle is verified exactly as an automated one, and says which packet made it: the
packet's digest is re-rendered from the settings the bundle records; an edited script's argv
or a weakened inspect document is FAILED with the row and the departure named."""

from __future__ import annotations

import json

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.packet._render import PACKET_FORMAT
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._profile import (
    argv_departures,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._report import (
    render_report,
)


@pytest.fixture
def packet_model(probe_path, digests) -> eb.EvidenceModel:
    return eb.make_model(probe_path, *digests, path="packet")


def checks(verdict, finding: str, check_id: str) -> list:
    return [c for c in verdict.finding(finding).checks if c.id == check_id]


def rows(verdict) -> dict[int, str]:
    return {row.row: row.result for row in verdict.rows}


def edit_argv(model: eb.EvidenceModel, identity: str, edit) -> None:
    """What an operator who edited the script leaves: argv.json and result.json agree."""
    argv = edit(list(model.docs["identities/%s/argv.json" % identity]))
    model.docs["identities/%s/argv.json" % identity] = argv
    model.docs["identities/%s/result.json" % identity]["commands"][0] = argv


def test_a_packet_bundle_of_the_rendered_packet_is_ready_and_says_so(packet_model, write_bundle,
                                                                     verify) -> None:
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_READY and verdict.reasons == []
    [digest] = checks(verdict, "provenance", "packet_digest")
    [rendered] = checks(verdict, "provenance", "packet_rendered")
    assert digest.outcome == rendered.outcome == "pass"
    assert "is the one this collection renders for venue vps1" in rendered.message
    report = render_report(verdict)
    assert "Produced by the **operator packet**" in report
    assert "PASS: packet %s is the one" % packet_model.docs["run.json"]["producer"][
        "packet_sha256"][:16] in report
    assert "PASS: root: argv is the profile's rendering" in report


def test_default_deny_packet_and_tuned_limits_are_rendered_too(probe_path, digests,
                                                               write_bundle, verify) -> None:
    model = eb.make_model(probe_path, *digests, path="packet", seccomp_name="default-deny")
    assert verify(write_bundle(model)).status == STATUS_READY
    # A packet rendered with other limits records them in profile.json and in its argv.
    limits = _profile.resolve_limits({"pids": 128, "timeout_s": 30})
    model.docs["profile/profile.json"]["limits"] = limits
    for identity in _profile.IDENTITIES:
        paths = _profile.run_paths(eb.RUN_ROOT, model.run_id, identity, "default-deny")
        argv = _profile.create_argv("docker", model.run_id, identity, model.image_id, paths,
                                    limits)
        model.docs["identities/%s/argv.json" % identity] = argv
        model.docs["identities/%s/result.json" % identity]["commands"][0] = argv
        model.docs["identities/%s/result.json" % identity]["timeout_s"] = 30
        model.inspect(identity)["HostConfig"]["PidsLimit"] = 128
    model.docs["run.json"]["producer"]["packet_sha256"] = eb.packet_digest(
        probe_path, seccomp_name="default-deny", limits=limits)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons


@pytest.mark.parametrize("digest", ["", "abc", "A" * 64, None, 7])
def test_a_packet_bundle_without_a_well_formed_digest_is_failed(packet_model, write_bundle,
                                                                verify, digest) -> None:
    packet_model.docs["run.json"]["producer"]["packet_sha256"] = digest
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_FAILED
    [check] = checks(verdict, "provenance", "packet_digest")
    assert check.outcome == "fail" and "without a well-formed packet digest" in check.message


def test_a_bundle_of_an_edited_packet_is_failed(packet_model, write_bundle, verify) -> None:
    # Everything else is consistent: the operator edited the packet and its SHA256SUMS.
    packet_model.docs["run.json"]["producer"]["packet_sha256"] = eb.sha256(b"edited packet")
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_FAILED
    [check] = checks(verdict, "provenance", "packet_rendered")
    assert check.outcome == "fail" and "the packet was edited" in check.message
    assert check.message in verdict.reasons


def test_a_packet_claiming_settings_no_packet_has_is_failed(packet_model, write_bundle,
                                                            verify) -> None:
    packet_model.docs["run.json"]["inventory_hostname"] = "not a venue/name"
    verdict = verify(write_bundle(packet_model), host="not a venue/name",
                     approved_venues={"not a venue/name": {"fingerprint": eb.FINGERPRINT}})
    [check] = checks(verdict, "provenance", "packet_rendered")
    assert check.outcome == "fail" and "no packet this collection renders" in check.message


def test_a_packet_of_another_release_of_this_format_is_re_rendered_with_its_version(
        probe_path, packet_model, write_bundle, verify) -> None:
    # The packet format pins every other byte: the release's version is one more setting. The
    # packet is the one 0.0.9 renders, yet that release's checks may differ from this one's:
    # never READY, and the reason names the release to verify it with (issue 12).
    packet_model.docs["run.json"]["producer"]["collection_version"] = "0.0.9"
    packet_model.docs["run.json"]["producer"]["packet_sha256"] = eb.packet_digest(
        probe_path, version="0.0.9")
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_PARTIAL, verdict.reasons
    [check] = checks(verdict, "provenance", "packet_rendered")
    assert check.outcome == "pass" and "collection 0.0.9" in check.message
    [release] = checks(verdict, "provenance", "packet_release")
    assert release.outcome == "partial"
    assert "verify it with sandbox.attest 0.0.9" in release.message
    # The digest of the 0.1.0 packet under the name of 0.0.9: not the packet it claims.
    packet_model.docs["run.json"]["producer"]["packet_sha256"] = eb.packet_digest(probe_path)
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_FAILED
    [check] = checks(verdict, "provenance", "packet_rendered")
    assert check.outcome == "fail" and "the packet was edited" in check.message


@pytest.mark.parametrize("recorded", [PACKET_FORMAT + 1, None])
@pytest.mark.parametrize("edited", [False, True])
def test_a_packet_of_another_format_is_partial_and_names_the_release_to_verify_it_with(
        packet_model, write_bundle, verify, recorded, edited) -> None:
    producer = packet_model.docs["run.json"]["producer"]
    if recorded is None:  # a packet rendered before packet formats were recorded: format 0
        del producer["packet_format"]
    else:
        producer["packet_format"] = recorded
    if edited:  # this verifier cannot tell an edited packet of another format from an honest one
        producer["packet_sha256"] = eb.sha256(b"packet of another format")
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_PARTIAL
    [check] = checks(verdict, "provenance", "packet_format")
    number = 0 if recorded is None else recorded
    assert check.outcome == "partial"
    assert check.message.startswith("packet format %d" % number)
    assert "verify it with a sandbox.attest release whose packet format is %d" % number \
        in check.message
    assert "this verifier renders packet format %d" % PACKET_FORMAT in check.message
    assert check.message in verdict.reasons
    assert not checks(verdict, "provenance", "packet_rendered")
    assert "packet format %d" % number in render_report(verdict)


def test_an_edited_packet_of_this_format_is_failed_and_its_format_passes(
        packet_model, write_bundle, verify) -> None:
    packet_model.docs["run.json"]["producer"]["packet_sha256"] = eb.sha256(b"edited packet")
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_FAILED
    [check] = checks(verdict, "provenance", "packet_format")
    assert check.outcome == "pass" and check.observed == str(PACKET_FORMAT)
    assert checks(verdict, "provenance", "packet_rendered")[0].outcome == "fail"


@pytest.mark.parametrize("recorded", ["1", True, 0, None, 1.5])
def test_a_malformed_packet_format_is_failed(packet_model, write_bundle, verify,
                                             recorded) -> None:
    packet_model.docs["run.json"]["producer"]["packet_format"] = recorded
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_FAILED
    [check] = checks(verdict, "provenance", "packet_format")
    assert check.outcome == "fail" and "names no packet format" in check.message


@pytest.mark.parametrize(("field", "value", "said"), [
    ("packet_format", PACKET_FORMAT, "names a packet format"),
    ("packet_sha256", eb.sha256(b"packet"), ""),
])
def test_an_automated_bundle_naming_a_packet_is_failed(model, write_bundle, verify, field,
                                                       value, said) -> None:
    model.docs["run.json"]["producer"][field] = value
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    [check] = checks(verdict, "provenance", "producer")
    assert check.outcome == "fail" and said in check.message


def test_an_automated_bundle_has_no_packet_checks(bundle, verify) -> None:
    verdict = verify(bundle)
    assert verdict.status == STATUS_READY
    assert not [c for c in verdict.finding("provenance").checks
                if c.id in ("producer", "packet_digest", "packet_rendered")]


def _drop_read_only(argv: list[str]) -> list[str]:
    return [word for word in argv if word != "--read-only"]


def _add_cap(argv: list[str]) -> list[str]:
    index = argv.index("ALL") + 1
    return [*argv[:index], "--cap-add", "SYS_ADMIN", *argv[index:]]


def _unconfined(argv: list[str]) -> list[str]:
    return ["seccomp=unconfined" if word.startswith("seccomp=") else word for word in argv]


def _extra_mount(argv: list[str]) -> list[str]:
    return [*argv[:-1], "--mount", "type=bind,source=/etc,target=/host-etc,readonly", argv[-1]]


def _weaken_inspect(model: eb.EvidenceModel, identity: str, weakening: str) -> None:
    """The engine's view of the weakened run, as docker inspect reports it."""
    container = model.inspect(identity)
    host = container["HostConfig"]
    if weakening == "read_only":
        host["ReadonlyRootfs"] = False
    elif weakening == "cap_add":
        host["CapAdd"] = ["CAP_SYS_ADMIN"]
    elif weakening == "unconfined":
        host["SecurityOpt"] = ["no-new-privileges=true", "seccomp=unconfined"]
    else:
        mount = {"Type": "bind", "Source": "/etc", "Target": "/host-etc", "ReadOnly": True}
        host["Mounts"] = [*host["Mounts"], mount]
        container["Mounts"] = [*container["Mounts"], {
            "Type": "bind", "Source": "/etc", "Destination": "/host-etc", "Mode": "",
            "RW": False, "Propagation": "rprivate"}]


@pytest.mark.parametrize("weakening, edit, row, departure", [
    ("read_only", _drop_read_only, 30, "removed `--read-only`"),
    ("cap_add", _add_cap, 26, "added `--cap-add SYS_ADMIN`"),
    ("unconfined", _unconfined, 36, "`--security-opt seccomp=unconfined` instead of "
                                    "`--security-opt seccomp="),
    ("mount", _extra_mount, 31,
     "added `--mount type=bind,source=/etc,target=/host-etc,readonly`"),
])
def test_an_edited_script_is_failed_with_the_row_and_the_departure_named(
        probe_path, digests, write_bundle, verify, weakening, edit, row, departure) -> None:
    model = eb.make_model(probe_path, *digests, path="packet")
    for identity in _profile.IDENTITIES:
        edit_argv(model, identity, edit)
        _weaken_inspect(model, identity, weakening)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert rows(verdict)[row] == "FAIL"
    named = [reason for reason in verdict.reasons if "argv departs" in reason]
    assert len(named) == 2 and all(departure in reason for reason in named), named
    assert any(reason.startswith("row %d FAIL" % row) for reason in verdict.reasons)


def test_a_script_that_records_the_profile_but_runs_weaker_is_failed_by_inspect(
        packet_model, write_bundle, verify) -> None:
    # argv.json says the profile's argv; the engine says a capability was added.
    packet_model.inspect("root")["HostConfig"]["CapAdd"] = ["CAP_SYS_ADMIN"]
    verdict = verify(write_bundle(packet_model))
    assert verdict.status == STATUS_FAILED
    assert rows(verdict)[26] == "FAIL" and rows(verdict)[34] == "FAIL"
    assert all(c.outcome == "pass" for c in checks(verdict, "profile", "argv_rendered"))
    assert any("no_cap_add on root" in reason for reason in verdict.reasons)


def test_argv_departures_name_each_flag() -> None:
    paths = _profile.run_paths("/r", eb.RUN_ID, "root", "targeted-deny")
    expected = _profile.create_argv("docker", eb.RUN_ID, "root", "sha256:" + "a" * 64, paths,
                                    _profile.resolve_limits())
    assert argv_departures(expected, expected) == []
    assert argv_departures(_drop_read_only(expected), expected) == ["removed `--read-only`"]
    weakened = [word for word in expected if word != "--cap-drop" and word != "ALL"]
    assert argv_departures(weakened, expected) == ["removed `--cap-drop ALL`"]
    network = ["host" if word == "none" else word for word in expected]
    assert argv_departures(network, expected) == [
        "`--network host` instead of `--network none`"]
    both = _add_cap(_drop_read_only(expected))
    assert argv_departures(both, expected) == ["removed `--read-only`",
                                               "added `--cap-add SYS_ADMIN`"]


def _move_run_root(model: eb.EvidenceModel, run_root: str) -> None:
    """A packet rendered with another run root: its argv and the engine's view name it."""
    for identity in _profile.IDENTITIES:
        paths = _profile.run_paths(run_root, model.run_id, identity, model.seccomp_name)
        argv = _profile.create_argv("docker", model.run_id, identity, model.image_id, paths,
                                    _profile.resolve_limits())
        model.docs["identities/%s/argv.json" % identity] = argv
        model.docs["identities/%s/result.json" % identity]["commands"][0] = argv
        text = json.dumps(model.docs["identities/%s/inspect.json" % identity])
        model.docs["identities/%s/inspect.json" % identity] = json.loads(
            text.replace(eb.RUN_ROOT + "/", run_root + "/"))


def test_the_run_root_is_read_from_the_argv_to_re_render_the_packet(
        probe_path, digests, write_bundle, verify) -> None:
    model = eb.make_model(probe_path, *digests, path="packet")
    _move_run_root(model, "/srv/attest")
    # Rendered for the default run root, run with another: not the packet these settings give.
    verdict = verify(write_bundle(model))
    [check] = checks(verdict, "provenance", "packet_rendered")
    assert check.outcome == "fail" and "run root /srv/attest" in check.message
    model.docs["run.json"]["producer"]["packet_sha256"] = eb.packet_digest(
        probe_path, run_root="/srv/attest")
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons
    assert checks(verdict, "provenance", "packet_rendered")[0].outcome == "pass"
