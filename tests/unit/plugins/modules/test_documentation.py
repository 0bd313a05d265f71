"""Every module's DOCUMENTATION, doc fragments expanded, says what its argument spec does.

Target modules: the argument_spec their main() gives AnsibleModule. Documentation-only modules
of controller-side actions: the action plugin's ARGUMENT_SPEC. The documentation is read as
ansible-doc renders it (`ansible-doc -j`), so the fragments are expanded by Ansible itself.
"""

from __future__ import annotations

import glob
import importlib
import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml

from ansible_collections.sandbox.attest.plugins.module_utils._profile import LIMIT_BOUNDS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
PACKAGE = "ansible_collections.sandbox.attest.plugins"
MODULES = sorted(os.path.basename(path)[:-3]
                 for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
                 if not os.path.basename(path).startswith("_"))
KEYS = ("type", "required", "default", "choices", "elements")


class _Captured(Exception):
    """Raised by the stand-in AnsibleModule once it has seen the module's arguments."""


@pytest.fixture(scope="module")
def documentation() -> dict[str, dict]:
    """Each module's documentation with its fragments expanded, by one ansible-doc call."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"))
    ansible_doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    proc = subprocess.run(
        [ansible_doc, "-j", "-t", "module", *("sandbox.attest.%s" % name for name in MODULES)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120)
    rendered = json.loads(proc.stdout)
    missing = [name for name in MODULES if "sandbox.attest.%s" % name not in rendered]
    assert not missing, "ansible-doc rendered no documentation for %s: %s" % (
        missing, proc.stderr)
    return {name: rendered["sandbox.attest.%s" % name]["doc"] for name in MODULES}


def argument_spec_of(name: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    module = importlib.import_module("%s.modules.%s" % (PACKAGE, name))
    if not hasattr(module, "main"):  # documentation only: the action plugin holds the spec
        return importlib.import_module("%s.action.%s" % (PACKAGE, name)).ARGUMENT_SPEC
    seen: dict[str, Any] = {}

    def stand_in(**kwargs: Any) -> None:
        seen.update(kwargs)
        raise _Captured

    monkeypatch.setattr(module, "AnsibleModule", stand_in)
    with pytest.raises(_Captured):
        module.main()
    return seen["argument_spec"]


def _normal(option: dict) -> dict:
    out = {key: option[key] for key in KEYS if option.get(key) is not None}
    out.setdefault("type", "str")
    out.setdefault("required", False)
    return out


def _compare(documented: dict, spec: dict, where: str) -> list[str]:
    problems = []
    if set(documented) != set(spec):
        problems.append("%s: documented %s, accepted %s" % (
            where, sorted(documented), sorted(spec)))
    for name in sorted(set(documented) & set(spec)):
        doc, accepted = documented[name], spec[name]
        if _normal(doc) != _normal(accepted):
            problems.append("%s.%s: documented %s, accepted %s" % (
                where, name, _normal(doc), _normal(accepted)))
        if not doc.get("description"):
            problems.append("%s.%s: no description" % (where, name))
        if doc.get("suboptions") or accepted.get("options"):
            problems += _compare(doc.get("suboptions") or {}, accepted.get("options") or {},
                                 "%s.%s" % (where, name))
    return problems


@pytest.mark.parametrize("name", MODULES)
def test_documentation_matches_the_argument_spec(name: str, documentation: dict,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert _compare(documentation[name].get("options") or {},
                    argument_spec_of(name, monkeypatch), name) == []


@pytest.mark.parametrize("name", MODULES)
def test_examples_use_documented_options_only(name: str, documentation: dict) -> None:
    module = importlib.import_module("%s.modules.%s" % (PACKAGE, name))
    options = set(documentation[name].get("options") or {})
    used = [task["sandbox.attest.%s" % name] or {} for task in yaml.safe_load(module.EXAMPLES)
            if "sandbox.attest.%s" % name in task]
    assert used, "no example of %s" % name
    for arguments in used:
        assert set(arguments) <= options


def _bound_descriptions() -> list[tuple[str, str, str]]:
    """(where, limit, description) of every place that states a limit's bounds."""
    from ansible_collections.sandbox.attest.plugins.doc_fragments.options import (
        ModuleDocFragment,
    )
    found = [("doc fragment", name, option["description"]) for name, option in yaml.safe_load(
        ModuleDocFragment.LIMITS)["options"]["limits"]["suboptions"].items()]
    with open(os.path.join(ROOT, "roles", "sandbox_run", "meta", "argument_specs.yml"),
              encoding="utf-8") as handle:
        role = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    found += [("role sandbox_run", name, option["description"]) for name, option in
              role["sandbox_run_limits"]["options"].items()]
    return found


@pytest.mark.parametrize("where,limit,description", _bound_descriptions())
def test_documented_limit_bounds_are_the_profiles(where: str, limit: str,
                                                  description: str) -> None:
    bounds = re.search(r"\(([0-9]+)-([0-9]+)\)", description)
    assert bounds, "%s states no bounds for %s" % (where, limit)
    assert (int(bounds.group(1)), int(bounds.group(2))) == LIMIT_BOUNDS[limit], where


@pytest.mark.parametrize("name", MODULES)
def test_return_values_are_documented_whole(name: str) -> None:
    module = importlib.import_module("%s.modules.%s" % (PACKAGE, name))
    returned = yaml.safe_load(module.RETURN)
    assert returned
    for key, value in returned.items():
        assert value.get("description") and value.get("returned") and value.get("type"), key


@pytest.mark.parametrize("name", MODULES)
def test_an_action_plugin_means_a_documentation_only_module(name: str) -> None:
    module = importlib.import_module("%s.modules.%s" % (PACKAGE, name))
    has_action = os.path.exists(os.path.join(ROOT, "plugins", "action", name + ".py"))
    names = {item for item in vars(module) if not item.startswith("__")}
    if has_action:
        assert names <= {"DOCUMENTATION", "EXAMPLES", "RETURN", "annotations"}
    else:
        assert "main" in names
