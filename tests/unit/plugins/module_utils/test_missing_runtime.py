"""A runtime that is not there to use is refused as the seed's class "missing runtime": its CLI
absent, or its engine not answering. Real processes: the CLI this machine has, pointed at a
socket nobody listens on, and a CLI path that does not exist."""

from __future__ import annotations

import shutil

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    EngineError,
    MissingRuntime,
    engine_answers,
)


def test_an_absent_cli_is_a_missing_runtime(tmp_path) -> None:
    with pytest.raises(MissingRuntime, match=r"^missing runtime: engine CLI .* not found"):
        engine_answers(str(tmp_path / "no-such-dir" / "docker"))


def test_an_engine_that_does_not_answer_is_a_missing_runtime(tmp_path, monkeypatch) -> None:
    assert shutil.which("docker"), "the docker CLI is part of the test machine (.ci/run)"
    monkeypatch.setenv("DOCKER_HOST", "unix://%s" % (tmp_path / "nobody-listens.sock"))
    with pytest.raises(MissingRuntime, match=r"^missing runtime: the engine does not answer"):
        engine_answers("docker")


def test_a_missing_runtime_is_still_an_engine_error() -> None:
    # Every caller that handles EngineError (preflight, snapshots, cleanup) handles it too.
    assert issubclass(MissingRuntime, EngineError)
