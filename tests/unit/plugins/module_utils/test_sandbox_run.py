"""One identity's run: the plan from the profile, and the container's life, every command kept."""

from __future__ import annotations

import re

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _profile, _sandbox_run
from ansible_collections.sandbox.attest.plugins.module_utils._engine import EngineError

RUN_ID = "20261129T182400Z-0123abcd"
IMAGE_ID = "sha256:" + "ab" * 32
STAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")


def test_a_run_creates_starts_waits_reads_and_removes(engine) -> None:
    run = _sandbox_run.Run(engine.cli, timeout_s=20)
    run.execute([engine.cli, "create", "--name", "x", IMAGE_ID])
    assert [argv[1:] for argv in run.commands] == [
        ["create", "--name", "x", IMAGE_ID],
        ["start", "c0ffee"], ["wait", "c0ffee"], ["logs", "c0ffee"], ["inspect", "c0ffee"],
        ["rm", "--force", "--volumes", "c0ffee"],
        ["container", "inspect", "--format", "{{.Id}}", "c0ffee"],
    ]
    assert run.commands == _sandbox_run.recorded_commands(
        [engine.cli, "create", "--name", "x", IMAGE_ID], "c0ffee", timed_out=False)
    result = run.result
    assert result["container_id"] == "c0ffee" and result["removed"] is True
    assert (result["exit_code"], result["timed_out"]) == (0, False)
    assert (result["stdout"], result["stderr"]) == ("probe output", "probe errors")
    assert result["inspect"] == [{"Id": "c0ffee"}]
    assert STAMP.match(result["started_at"]) and STAMP.match(result["finished_at"])


def test_the_time_bound_kills_and_is_recorded(engine) -> None:
    engine.write("hang")
    run = _sandbox_run.Run(engine.cli, timeout_s=1)
    run.execute([engine.cli, "create"])
    assert (run.result["timed_out"], run.result["exit_code"]) == (True, 137)
    assert [engine.cli, "kill", "c0ffee"] in run.commands
    assert run.commands == _sandbox_run.recorded_commands([engine.cli, "create"], "c0ffee",
                                                          timed_out=True)
    assert run.result["removed"] is True


def test_output_is_capped(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sandbox_run, "STDOUT_CAP", 5)
    monkeypatch.setattr(_sandbox_run, "STDERR_CAP", 3)
    run = _sandbox_run.Run(engine.cli, timeout_s=20)
    run.execute([engine.cli, "create"])
    assert (run.result["stdout"], run.result["stderr"]) == ("probe", "pro")


def test_a_container_that_stays_fails_the_run(engine) -> None:
    engine.write("stuck")
    run = _sandbox_run.Run(engine.cli, timeout_s=20)
    with pytest.raises(EngineError, match="could not remove container c0ffee"):
        run.execute([engine.cli, "create"])
    assert run.result["removed"] is False


def test_the_plan_is_the_profiles() -> None:
    limits = _profile.resolve_limits({"pids": 32})
    argv, seccomp_text, common = _sandbox_run.run_plan(
        "docker", RUN_ID, "workload", IMAGE_ID, "/srv/runs", "default-deny", limits, (7, 8))
    paths = _profile.run_paths("/srv/runs", RUN_ID, "workload", "default-deny")
    assert argv == _profile.create_argv("docker", RUN_ID, "workload", IMAGE_ID, paths, limits)
    assert common["argv"] is argv and common["run_dir"] == "/srv/runs/" + RUN_ID
    assert common["out_owner"] == {"uid": 7, "gid": 8}
    assert common["container_name"] == _profile.container_name(RUN_ID, "workload")
    assert common["profile"] == _profile.profile_document("default-deny", limits)
    assert common["seccomp_json"] == seccomp_text
    assert _sandbox_run.run_files("default-deny", seccomp_text) == {
        "empty.env": b"", "seccomp-default-deny.json": seccomp_text.encode("ascii")}


def test_check_mode_shows_the_commands_after_create() -> None:
    assert [argv[1] for argv in _sandbox_run.follow_up("docker", "<id>")] == [
        "start", "wait", "logs", "inspect", "rm"]


@pytest.mark.parametrize("image_id,refused", [
    (IMAGE_ID, False), ("sha256:abc", True), ("md5:" + "ab" * 34, True)])
def test_image_id_form(image_id: str, refused: bool) -> None:
    assert bool(_sandbox_run.check_image_id(image_id)) is refused


def test_the_remap_is_read_from_the_engine(engine) -> None:
    engine.write("info", '{"security_options": ["name=seccomp"], "docker_root_dir": "/x"}')
    assert _sandbox_run.engine_remap(engine.cli) is None
    engine.write("info", '{"security_options": ["name=userns"], '
                         '"docker_root_dir": "/var/lib/docker/165536.165536"}')
    assert _sandbox_run.engine_remap(engine.cli) == {"uid": 165536, "gid": 165536}
    for text in ("not json", "[]"):
        engine.write("info", text)
        with pytest.raises(EngineError):
            _sandbox_run.engine_remap(engine.cli)
