"""engine_events' one read of a window under Podman: until must be seconds.nanoseconds (the
read is cut by each line's time, not by Podman), refused otherwise before any engine call."""

from __future__ import annotations

import time

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils._snapshot import ns_of_text, ns_text
from ansible_collections.sandbox.attest.plugins.modules.engine_events import read_window


@pytest.mark.parametrize("until", ["2026-11-28T22:31:40Z", "1764369100.1234567891", "-5", "",
                                   "12.ab", "1e9"])
def test_podman_refuses_an_until_it_cannot_apply(until: str) -> None:
    with pytest.raises(ValueError, match=r"seconds\.nanoseconds"):
        read_window("/nonexistent/podman", "0", until, "podman")


def test_podman_refuses_to_wait_long_for_until() -> None:
    with pytest.raises(ValueError, match="more than 60 s"):
        read_window("/nonexistent/podman", "0", "%d" % (time.time() + 3600), "podman")


def test_podman_applies_until_to_each_line(tmp_path) -> None:
    # A stand-in podman whose log holds one event before until and one after it.
    cli = tmp_path / "podman"
    cli.write_text('#!/bin/sh\nprintf \'%s\\n\' \'{"time_nano":1000000000}\' '
                   '\'{"time_nano":3000000000}\'\n')
    cli.chmod(0o755)
    assert read_window(str(cli), "0", "2", "podman") == ['{"time_nano":1000000000}']
    assert read_window(str(cli), "0", "2.000000001", "podman") == ['{"time_nano":1000000000}']
    assert len(read_window(str(cli), "0", "3", "podman")) == 2


def test_ns_text_reads_back() -> None:
    for ns in (0, 1, 999_999_999, 1_764_369_100_123_456_789):
        assert ns_of_text(ns_text(ns)) == ns
    assert ns_of_text("12") == 12 * 10**9 and ns_of_text("12.5") == 12_500_000_000
