"""Every table keyed by runtime names exactly the runtimes the profile renders for
(_profile.PROFILE_RUNTIMES), and the modules' runtime option offers exactly those: adding a
runtime to one place and not the others fails here, not on a target."""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.module_utils import (
    _engine,
    _options,
    _profile,
    _snapshot,
)


def test_every_runtime_table_has_the_profiles_runtimes() -> None:
    runtimes = set(_profile.PROFILE_RUNTIMES)
    tables = {
        "_engine.VERSION_FORMATS": _engine.VERSION_FORMATS,
        "_snapshot.KINDS_OF": _snapshot.KINDS_OF,
        "_snapshot.EVENT_TEMPLATES": _snapshot.EVENT_TEMPLATES,
        "_snapshot._COMMANDS": _snapshot._COMMANDS,  # pylint: disable=protected-access
        "_snapshot._TAGS": _snapshot._TAGS,  # pylint: disable=protected-access
    }
    assert {name: set(table) for name, table in tables.items()} == {
        name: runtimes for name in tables}
    assert _options.RUNTIME["runtime"]["choices"] == list(_profile.PROFILE_RUNTIMES)
    assert _options.RUNTIME["runtime"]["default"] == "docker"
