"""One rule for a run root (_profile.check_run_root), whoever reads it: settings_check, the
operator packet, engine_facts and the run directory accept and refuse the same roots, with the
same words naming the problem."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _profile, _run_dir
from ansible_collections.sandbox.attest.plugins.modules import engine_facts
from ansible_collections.sandbox.attest.plugins.plugin_utils._settings import (
    SettingsError,
    check_settings,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.packet import _render

ACCEPTED = [
    _profile.DEFAULT_RUN_ROOT,
    "/srv/attest",
    "/a",
    "/srv/sandbox-attest.d/runs",
    "/opt/x_y-1.2/.hidden/...",
]
REFUSED = [
    ("relative/root", "is relative"),
    ("~/runs", "is relative"),
    ("/", "is / itself"),
    ("//", "is / itself"),
    ("/.", "has a '.' component"),
    ("/var/./lib", "has a '.' component"),
    ("/var/lib/../tmp", "has a '..' component"),
    ("/..", "has a '..' component"),
    ("/var//lib", "has an empty component"),
    ("//var/lib", "has an empty component"),
    ("/var/lib/", "ends with '/'"),
    ("/var/lib/it's", "has the component \"it's\""),
    ("/var/lib/a b", "has the component 'a b'"),
    ("/var/lib/$(reboot)", "has the component '\\$\\(reboot\\)'"),
    ("/var/lib/caf\u00e9", "of other characters than letters"),
    ("/var/lib/tab\there", "of other characters than letters"),
    (7, "is not a string"),
]


@pytest.mark.parametrize("root", ACCEPTED)
def test_the_rule_accepts_a_root_unchanged(root: str) -> None:
    assert _profile.run_root_problem(root) is None
    assert _profile.check_run_root(root) == root


@pytest.mark.parametrize("root, words", [*REFUSED, ("", "is empty"), (None, "is not a string")])
def test_the_rule_names_the_problem_and_itself(root: Any, words: str) -> None:
    with pytest.raises(_profile.ProfileError, match=words) as caught:
        _profile.check_run_root(root)
    assert "run root %r " % (root,) in str(caught.value)
    assert _profile.RUN_ROOT_RULE in str(caught.value)


# settings_check (controller, before anything is created).

def _settings(tmp_path, root: Any):
    return check_settings({"run_root": root, "evidence_root": str(tmp_path / "evidence")}, [])


@pytest.mark.parametrize("root", ACCEPTED)
def test_settings_check_accepts(tmp_path, root: str) -> None:
    assert _settings(tmp_path, root).run_root == root


@pytest.mark.parametrize("root, words", REFUSED)
def test_settings_check_refuses(tmp_path, root: Any, words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        _settings(tmp_path, root)


# The operator packet (its sh holds the root in single quotes).

def _packet(root: Any) -> _render.PacketSettings:
    return _render.check_settings(_render.PacketSettings(
        host="vps1", collection_version="0.1.0", run_root=root))


@pytest.mark.parametrize("root", ACCEPTED)
def test_the_packet_accepts(root: str) -> None:
    assert _packet(root).run_root == root


@pytest.mark.parametrize("root, words", REFUSED)
def test_the_packet_refuses(root: Any, words: str) -> None:
    with pytest.raises(_render.PacketError, match=words):
        _packet(root)


# engine_facts (target, preflight): refused before the engine is asked anything.

class _Failed(Exception):
    pass


class _Reached(Exception):
    pass


def _engine_facts(monkeypatch: pytest.MonkeyPatch, root: Any) -> None:
    class StandIn:
        def __init__(self, argument_spec: dict, **_kwargs: Any) -> None:
            self.params = {name: option.get("default") for name, option in argument_spec.items()}
            self.params["run_root"] = root

        def fail_json(self, msg: str, **_kwargs: Any) -> None:
            raise _Failed(msg)

    def reached(*_args: Any, **_kwargs: Any) -> None:
        raise _Reached

    monkeypatch.setattr(engine_facts, "AnsibleModule", StandIn)
    monkeypatch.setattr(engine_facts, "engine_answers", reached)
    engine_facts.main()


@pytest.mark.parametrize("root", ACCEPTED)
def test_engine_facts_accepts(monkeypatch: pytest.MonkeyPatch, root: str) -> None:
    with pytest.raises(_Reached):
        _engine_facts(monkeypatch, root)


@pytest.mark.parametrize("root, words", REFUSED)
def test_engine_facts_refuses(monkeypatch: pytest.MonkeyPatch, root: Any, words: str) -> None:
    with pytest.raises(_Failed, match=words):
        _engine_facts(monkeypatch, root)


# The run directory (sandbox_run, run_output, run_cleanup).

@pytest.mark.parametrize("root", ACCEPTED)
def test_the_run_directory_accepts(root: str) -> None:
    assert _run_dir.check_run_root(root) == root


@pytest.mark.parametrize("root, words", REFUSED)
def test_the_run_directory_refuses(root: Any, words: str) -> None:
    with pytest.raises(_run_dir.RunDirError, match=words):
        _run_dir.check_run_root(root)
