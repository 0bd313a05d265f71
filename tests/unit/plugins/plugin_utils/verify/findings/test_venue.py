"""Finding "venue" and the inventory's venue data."""

from __future__ import annotations

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _facts
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._venue import (
    REASON_OLD_METHOD,
    VenueError,
    parse_venues,
)


def test_parse_venues() -> None:
    venues = parse_venues({"a": {"fingerprint": eb.FINGERPRINT}, "b": {"fingerprint": None},
                           "c": None}, ["local"])
    assert venues.approved == {"a": eb.FINGERPRINT, "b": None, "c": None}
    assert venues.rehearsal == frozenset({"local"})


@pytest.mark.parametrize(("approved", "rehearsal"), [
    (["a"], []),
    ({"a": {"fingerprint": "abc"}}, []),
    ({"a": {"fingerprint": "sha256:" + "A" * 64}}, []),
    ({}, "local"),
])
def test_malformed_venues_are_misuse(approved, rehearsal) -> None:
    with pytest.raises(VenueError):
        parse_venues(approved, rehearsal)


def test_verified_as_another_host_is_partial(bundle, verify) -> None:
    verdict = verify(bundle, host="vps2",
                     approved_venues={"vps2": {"fingerprint": eb.FINGERPRINT}})
    assert verdict.status == STATUS_PARTIAL
    assert any("another host" in reason for reason in verdict.reasons)


def test_host_defaults_to_run_json(bundle, verify) -> None:
    verdict = verify(bundle)
    assert verdict.status == STATUS_READY
    assert verdict.finding("venue").extra["host"] == eb.HOST


def test_no_fingerprint_is_partial(model, write_bundle, verify) -> None:
    model.docs["venue.json"]["fingerprint"] = None
    verdict = verify(write_bundle(model))
    assert verdict.status != STATUS_READY
    assert "no venue fingerprint in the evidence" in verdict.reasons


OTHER_ENGINE = "AAAA:" + eb.ENGINE_ID[5:]


def _other_engine(model) -> None:
    for path in ("venue.json", "engine/facts.json"):
        model.docs[path]["engine_id"] = OTHER_ENGINE


def test_an_engine_id_changed_consistently_with_the_pinned_fingerprint_is_failed(
        model, write_bundle, verify) -> None:
    # venue.json and the facts agree on another engine, the fingerprint is the pinned one: it
    # no longer follows from the machine-id's digest and that engine ID.
    _other_engine(model)
    pinned = {eb.HOST: {"fingerprint": eb.FINGERPRINT}}
    verdict = verify(write_bundle(model), approved_venues=pinned)
    assert verdict.status == STATUS_FAILED
    assert verdict.finding("venue").outcome == "fail"


def test_an_engine_id_changed_with_its_fingerprint_recomputed_misses_the_pin(
        model, write_bundle, verify) -> None:
    _other_engine(model)
    model.docs["venue.json"]["fingerprint"] = _facts.fingerprint_of(eb.MACHINE_SHA, OTHER_ENGINE)
    pinned = {eb.HOST: {"fingerprint": eb.FINGERPRINT}}
    verdict = verify(write_bundle(model), approved_venues=pinned)
    assert verdict.status == STATUS_PARTIAL
    assert "venue fingerprint mismatch" in verdict.reasons


def test_an_engine_id_changed_consistently_is_caught_by_its_pin(
        model, write_bundle, verify) -> None:
    _other_engine(model)
    pinned = {eb.HOST: {"fingerprint": eb.FINGERPRINT, "engine_id": eb.ENGINE_ID,
                        "host_key": eb.host_key()[1]}}
    verdict = verify(write_bundle(model), approved_venues=pinned)
    assert verdict.status != STATUS_READY
    assert "venue engine ID mismatch" in verdict.reasons


def test_a_fingerprint_of_the_earlier_method_is_never_ready(model, write_bundle, verify) -> None:
    venue = model.docs["venue.json"]
    del venue["machine_id_sha256"]
    venue["method"] = "sha256(machine-id LF engine-id LF)"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert REASON_OLD_METHOD in verdict.reasons


def test_the_pinned_engine_id_of_the_bundle_is_ready(bundle, verify) -> None:
    pinned = {eb.HOST: {"fingerprint": eb.FINGERPRINT, "engine_id": eb.ENGINE_ID,
                        "host_key": eb.host_key()[1]}}
    assert verify(bundle, approved_venues=pinned).status == STATUS_READY
