# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "engine_facts": is the engine one the expectations data models?

The expectations were measured on particular engines (data/expectations.yml, runtimes.<runtime>
.engine: cgroups, architecture, security options; the API version and OCI runtime are judged by
finding "inspect_fields", whose data is keyed by them). A fact outside what the data lists is an
engine the verifier cannot judge: PARTIAL, "engine not modelled", never READY. An engine that
reports no seccomp support cannot have run the profile (a seccomp profile) at all: FAIL.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    runtime_data,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_dict, dig, short

REASON_NOT_MODELLED = "engine not modelled"
FACTS = "engine/facts.json"


def _option_problem(option: Any, known: dict[str, Any]) -> str | None:
    parts = dict(part.split("=", 1) if "=" in part else (part, "")
                 for part in str(option).split(","))
    name = parts.pop("name", None)
    if name not in known:
        return "security option %s" % short(option, 80)
    for key, value in parts.items():
        if value not in as_dict(known[name]).get(key, []):
            return "security option %s" % short(option, 80)
    return None


def unmodelled(facts: Any, engine: dict[str, Any]) -> list[str]:
    """The facts outside what the data models, in words."""
    problems = []
    for key, values in engine.items():
        if key == "security_options":
            continue
        if str(dig(facts, key)) not in [str(value) for value in values]:
            problems.append("%s %s" % (key, short(dig(facts, key), 60)))
    options = dig(facts, "security_options")
    options = options if isinstance(options, list) else []
    known = as_dict(engine.get("security_options"))
    problems += [problem for problem in (_option_problem(o, known) for o in options) if problem]
    return problems


def check_engine_facts(evidence: Evidence, expectations: dict[str, Any]) -> Finding:
    finding = Finding("engine_facts")
    facts = evidence.doc(FACTS)
    runtime = dig(evidence.doc("run.json"), "runtime")
    engine = as_dict(runtime_data(expectations, str(runtime)).get("engine"))
    options = dig(facts, "security_options")
    options = options if isinstance(options, list) else []
    names = [dict(p.split("=", 1) for p in str(o).split(",") if "=" in p).get("name")
             for o in options]
    if "seccomp" not in names or len(set(map(str, options))) != len(options):
        finding.add(Check("seccomp_support", FAIL, "the engine reports %s: a seccomp profile "
                          "needs seccomp, once" % short(options, 120), refs=(FACTS,)))
    problems = unmodelled(facts, engine)
    if not engine or problems:
        finding.add(Check("modelled", PARTIAL, "%s: %s" % (
            REASON_NOT_MODELLED, "; ".join(problems) or "no engine data for %s" % short(runtime)),
            expected="an engine the expectations data lists", observed="; ".join(problems),
            refs=(FACTS,)))
    if not finding.checks:
        finding.add(Check("modelled", PASS, "an engine the expectations data models",
                          refs=(FACTS,)))
    return finding
