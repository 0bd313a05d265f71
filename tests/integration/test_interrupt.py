"""Ctrl-C during an attestation: the run's own cleanup removes what it made, nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from harness import (
    docker,
    inspect,
    run_containers,
    run_dirs,
)
from test_touch_nothing import start_hanging_attestation


def test_sigint_midway_leaves_nothing_of_the_run(tmp_path, decoys, decoy_image) -> None:
    decoy = decoys("container", "--restart", "unless-stopped", decoy_image)
    docker("start", decoy)
    decoy_before = inspect(decoy)
    dirs_before, containers_before = run_dirs(), set(run_containers())
    play = start_hanging_attestation(tmp_path, subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and set(run_containers()) == containers_before:
            time.sleep(0.2)
        assert set(run_containers()) != containers_before, "the probe container never started"
        assert run_dirs() != dirs_before
        os.killpg(play.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends
        output, dummy = play.communicate(timeout=300)
    finally:
        if play.poll() is None:
            os.killpg(play.pid, signal.SIGKILL)
            play.wait()
    text = output.decode("utf-8", "replace")
    assert play.returncode == 99, text[-3000:]  # Ansible's "User interrupted execution"
    assert "sandbox.attest: cleanup done" in text, text[-3000:]
    assert set(run_containers()) == containers_before
    assert run_dirs() == dirs_before
    after = inspect(decoy)
    assert after == decoy_before and after["State"]["Running"]
