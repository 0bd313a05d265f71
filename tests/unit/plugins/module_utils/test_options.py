"""The shared argument-spec pieces: the profile's own values, fresh for every module."""

from __future__ import annotations

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _options, _profile


def test_pieces_come_from_the_profile() -> None:
    assert _options.RUN_ROOT["run_root"]["default"] == _profile.DEFAULT_RUN_ROOT
    assert _options.SECCOMP_PROFILE["seccomp_profile"]["choices"] == list(
        _profile.SECCOMP_PROFILES)
    assert _options.IDENTITY["identity"]["choices"] == list(_profile.IDENTITIES)
    assert set(_options.LIMITS["limits"]["options"]) == set(_profile.LIMIT_BOUNDS)


def test_each_spec_is_a_fresh_copy() -> None:
    spec = _options.argument_spec(_options.LIMITS, own=dict(type="int"))
    spec["limits"]["options"]["pids"]["type"] = "str"
    assert _options.LIMITS["limits"]["options"]["pids"]["type"] == "int"
    assert list(spec) == ["limits", "own"]


def test_an_option_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="engine_cli"):
        _options.argument_spec(_options.ENGINE_CLI, engine_cli=dict(type="str"))
