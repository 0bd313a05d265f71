"""Finding "signature" (issue 17): the venue's statement, signed with its SSH host key, checked
against the inventory's pin with ssh-keygen -Y verify. Real keys (ssh-keygen), real signatures."""

from __future__ import annotations

import json
import os
import shutil

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _venue_signature as signing
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings import _signature
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._venue import (
    VenueError,
    parse_venues,
)


def _files(root: str) -> list[str]:
    found = []
    for directory, _dirs, names in os.walk(root):
        for name in names:
            found.append(os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/"))
    return sorted(p for p in found if p != "manifest.json")


def _flip(root: str, path: str, offset: int) -> None:
    target = os.path.join(root, *path.split("/"))
    with open(target, "rb") as handle:
        data = bytearray(handle.read())
    data[offset] ^= 0x01
    with open(target, "wb") as handle:
        handle.write(bytes(data))


def test_a_signed_bundle_of_the_pinned_key_is_ready(bundle, verify) -> None:
    verdict = verify(bundle)
    assert verdict.status == STATUS_READY, verdict.reasons
    finding = verdict.finding("signature")
    assert finding.extra["verified"] is True and finding.extra["signed"] is True
    statement = json.loads(open(os.path.join(bundle, signing.STATEMENT), "rb").read())
    # Every file but the manifest and the signature is stated.
    assert sorted(statement["files"]) == [p for p in _files(bundle)
                                          if not p.startswith("signature/")]
    assert statement["namespace"] == signing.NAMESPACE


def test_one_byte_changed_anywhere_with_the_manifest_recomputed_is_failed(
        model, write_bundle, verify, tmp_path) -> None:
    """Every file of a signed bundle, its first, middle and last byte: FAILED each time."""
    base = write_bundle(model)
    cases = 0
    for path in _files(base):
        size = os.path.getsize(os.path.join(base, *path.split("/")))
        for offset in sorted({0, size // 2, size - 1} if size else set()):
            root = str(tmp_path / ("c%d" % cases) / eb.HOST / eb.RUN_ID)
            shutil.copytree(base, root)
            _flip(root, path, offset)
            eb.write_manifest(root)
            verdict = verify(root)
            assert verdict.status == STATUS_FAILED, (path, offset, verdict.reasons)
            assert verdict.finding("signature").outcome == "fail", (path, offset)
            cases += 1
    assert cases >= 3 * 15


def test_a_bundle_signed_by_another_host_key_is_failed(model, write_bundle, verify) -> None:
    root = write_bundle(model)
    eb.sign_bundle(root, key="another-host")
    eb.write_manifest(root)
    verdict = verify(root)
    assert verdict.status == STATUS_FAILED
    assert _signature.REASON_OTHER_KEY in verdict.reasons


def test_another_keys_signature_under_the_pinned_keys_name_is_failed(bundle, verify) -> None:
    """The statement claims the pinned key; the signature is another key's."""
    statement = open(os.path.join(bundle, signing.STATEMENT), "rb").read()
    other = signing.sign(statement, eb.host_key("another-host")[0])
    with open(os.path.join(bundle, signing.STATEMENT_SIG), "wb") as handle:
        handle.write(other)
    eb.write_manifest(bundle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED
    assert _signature.REASON_BAD_SIGNATURE in verdict.reasons


def test_an_unsigned_bundle_is_partial_with_the_venues_reason(model, write_bundle,
                                                              verify) -> None:
    root = write_bundle(model)
    eb.sign_bundle(root, key=None)
    eb.write_manifest(root)
    verdict = verify(root)
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == ["unsigned evidence: no host key pinned for this venue"]


def test_no_host_key_pinned_is_partial(bundle, verify) -> None:
    verdict = verify(bundle, approved_venues={eb.HOST: {"fingerprint": eb.FINGERPRINT}})
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == [_signature.REASON_NO_HOST_KEY]


def test_a_bundle_of_manifest_format_1_is_partial_unsigned(bundle, verify) -> None:
    shutil.rmtree(os.path.join(bundle, signing.SIGNATURE_DIR))
    eb.write_manifest(bundle)
    path = os.path.join(bundle, "manifest.json")
    manifest = json.load(open(path, encoding="utf-8"))
    manifest["format"] = 1
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == ["unsigned evidence: bundle format 1 predates the venue's signature"]


def test_a_rehearsal_venue_keeps_its_single_reason_signed_or_not(
        model, write_bundle, verify) -> None:
    for key in ("venue", None):
        root = write_bundle(model)
        eb.sign_bundle(root, key=key)
        eb.write_manifest(root)
        verdict = verify(root, rehearsal=[eb.HOST])
        assert verdict.status == STATUS_PARTIAL
        assert verdict.reasons == ["rehearsal venue"]
        assert verdict.finding("signature").extra["signed"] is (key is not None)


def test_a_rehearsal_bundle_relabelled_as_the_approved_host_is_not_ready(
        model, write_bundle, verify) -> None:
    """A local (rehearsal) run is unsigned: relabelled with the approved host's name and
    fingerprint and the manifest recomputed, it still lacks the pinned key's signature."""
    model.host = "local"
    model.docs["run.json"]["inventory_hostname"] = "local"
    root = write_bundle(model)
    eb.sign_bundle(root, key=None)
    eb.write_manifest(root)
    assert verify(root, rehearsal=["local"], host="local").reasons == ["rehearsal venue"]
    for path, key, value in (("run.json", "inventory_hostname", eb.HOST),
                             ("venue.json", "fingerprint", eb.FINGERPRINT)):
        document = json.load(open(os.path.join(root, path), encoding="utf-8"))
        document[key] = value
        with open(os.path.join(root, path), "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
    eb.write_manifest(root)
    verdict = verify(root)
    assert verdict.status != STATUS_READY
    assert verdict.finding("signature").outcome == "fail"
    # Even with the statement rewritten to match (still unsigned): PARTIAL, unsigned.
    eb.sign_bundle(root, key=None)
    eb.write_manifest(root)
    verdict = verify(root)
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == ["unsigned evidence: no host key pinned for this venue"]


def test_a_file_left_out_of_the_statement_is_failed(bundle, verify) -> None:
    path = os.path.join(bundle, signing.STATEMENT)
    statement = json.load(open(path, encoding="utf-8"))
    del statement["files"]["identities/root/stderr.txt"]
    data = (json.dumps(statement, indent=2, sort_keys=True) + "\n").encode()
    with open(path, "wb") as handle:
        handle.write(data)
    with open(path + ".sig", "wb") as handle:
        handle.write(signing.sign(data, eb.host_key()[0]))
    eb.write_manifest(bundle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED
    assert ("signature: identities/root/stderr.txt is not in the venue's statement"
            in verdict.reasons)


def test_the_statement_must_be_of_this_run_and_venue(model, write_bundle, verify) -> None:
    root = write_bundle(model)
    statement = json.loads(open(os.path.join(root, signing.STATEMENT), "rb").read())
    for key, value in (("run_id", "20261128T223131Z-00000000"),
                       ("venue_fingerprint", "sha256:" + "1" * 64),
                       ("namespace", "file")):
        edited = dict(statement, **{key: value})
        data = (json.dumps(edited, indent=2, sort_keys=True) + "\n").encode()
        with open(os.path.join(root, signing.STATEMENT), "wb") as handle:
            handle.write(data)
        with open(os.path.join(root, signing.STATEMENT_SIG), "wb") as handle:
            handle.write(signing.sign(data, eb.host_key()[0]))
        eb.write_manifest(root)
        verdict = verify(root)
        assert verdict.status == STATUS_FAILED, key


@pytest.mark.parametrize("pin", [
    "ssh-ed25519", "ssh-dss AAAAB3NzaC1kc3MAAACBA", "ssh-ed25519 not*base64",
    "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIEjjjoGq+kFpwU8W8sBEcNMC76ujhtsebdl5MqgaND9K",
    "ssh-ed25519 AAAA\nssh-ed25519 AAAA", 42])
def test_a_malformed_pin_is_refused(pin) -> None:
    with pytest.raises(VenueError, match="host_key"):
        parse_venues({"h": {"fingerprint": None, "host_key": pin}}, [])


def test_the_pin_keeps_type_and_key_and_drops_the_comment() -> None:
    pin = eb.host_key()[1]
    assert signing.parse_pin(pin + " root@venue\n") == pin
