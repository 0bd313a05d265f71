"""The docs-only module's DOCUMENTATION matches the action plugin's argument spec."""

from __future__ import annotations

import yaml

from ansible_collections.sandbox.attest.plugins.modules import verify as module
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._argument_spec import (
    ARGUMENT_SPEC,
)

DOC = yaml.safe_load(module.DOCUMENTATION)
KEYS = ("type", "required", "default", "elements", "choices")


def _normal(spec: dict) -> dict:
    out = {key: spec[key] for key in KEYS if key in spec}
    out.setdefault("required", False)
    return out


def test_same_options() -> None:
    assert set(DOC["options"]) == set(ARGUMENT_SPEC)


def test_same_types_defaults_and_requirements() -> None:
    for name, spec in ARGUMENT_SPEC.items():
        assert _normal(DOC["options"][name]) == _normal(spec), name


def test_every_option_is_described() -> None:
    for name, doc in DOC["options"].items():
        assert doc.get("description"), name


def test_examples_and_return_parse() -> None:
    examples = yaml.safe_load(module.EXAMPLES)
    assert all("sandbox.attest.verify" in task or "ansible.builtin.assert" in task
               for task in examples)
    returned = yaml.safe_load(module.RETURN)
    assert {"status", "gate", "gate_name", "reasons", "rows", "findings", "outputs"} <= set(
        returned)


def test_examples_use_documented_options_only() -> None:
    for task in yaml.safe_load(module.EXAMPLES):
        options = task.get("sandbox.attest.verify")
        if options:
            assert set(options) <= set(ARGUMENT_SPEC)


def test_the_module_is_documentation_only() -> None:
    names = {name for name in vars(module) if not name.startswith("__")}
    assert names <= {"DOCUMENTATION", "EXAMPLES", "RETURN", "annotations"}
