"""Finding "run_times": ordered, inside the run window, not after the verification (issue 12)."""

from __future__ import annotations

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_READY,
)


def _times_fail(verdict) -> str:
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "run_times", "times"), verdict.reasons
    return verdict.finding("run_times").checks[0].message


def test_finished_before_started(model, write_bundle, verify) -> None:
    model.docs["identities/root/result.json"]["finished_at"] = "2026-11-28T22:31:32Z"
    assert "before root started_at" in _times_fail(verify(write_bundle(model)))


def test_the_run_window_closed_before_it_opened(model, write_bundle, verify) -> None:
    model.docs["run.json"]["finished_at"] = "2026-11-28T22:31:30Z"
    assert "before started_at" in _times_fail(verify(write_bundle(model)))


@pytest.mark.parametrize("year", ["1970", "9999"])
def test_a_year_no_run_of_this_format_had(year: str, model, write_bundle, verify) -> None:
    # The whole bundle moved consistently to another year: still no run's window.
    key = "started_at" if year == "1970" else "finished_at"
    model.docs["run.json"][key] = year + model.docs["run.json"][key][4:]
    _times_fail(verify(write_bundle(model)))


def test_after_the_verification_beyond_the_clock_skew(model, write_bundle, verify) -> None:
    bundle = write_bundle(model)
    assert verify(bundle, now="2026-11-28T22:31:36Z").status == STATUS_READY
    assert verify(bundle, now="2026-11-28T22:27:00Z").status == STATUS_READY  # 276 s ahead
    assert "clock-skew" in _times_fail(verify(bundle, now="2026-11-28T22:20:00Z"))


def test_an_event_outside_the_window(model, write_bundle, verify) -> None:
    model.docs["engine/events.jsonl"][0]["time_nano"] = 0
    assert "outside the run window" in _times_fail(verify(write_bundle(model)))


def test_a_snapshot_taken_outside_the_window(model, write_bundle, verify) -> None:
    model.docs["snapshots/after.json"]["taken_at"] = "2026-11-28T22:31:40Z"
    _times_fail(verify(write_bundle(model)))
