# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expectations data (data/expectations.yml): selection and predicate evaluation.

Selection picks the list of items for one probe under one runtime, identity and host security
module. Evaluation says whether one observation satisfies one item; it never looks at any
verdict the input may carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.module_utils._facts import security_modules
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    as_list,
    dig,
    is_loopback,
    short,
)

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DEV_INO = re.compile(r"^[0-9]+:[0-9]+:[0-9]+$")

# What every observation carries (docs/probe-output.md); any other key must be one the
# expectation names (`fields`, or the environment's keys and values), else it is unexplained.
OBSERVATION_KEYS = frozenset({"op", "target", "ret", "errno", "detail"})
ENVIRONMENT_KEYS = frozenset({"keys", "values"})
# A denial is exactly this return value with an errno (ret >= 0 with an errno is no denial).
DENIED_RET = -1


PROFILE = "profile/profile.json"


def profile_limits(profile_doc: Any) -> tuple[dict[str, int] | None, str | None]:
    """(The limits profile/profile.json gives, within the profile's bounds, or None; why not).
    Every limit the probes and the inspect document are judged by comes from here."""
    limits = dig(profile_doc, "limits")
    if not isinstance(limits, dict):
        return None, "%s has no limits" % PROFILE
    try:
        resolved = _profile.resolve_limits(
            {key: value for key, value in limits.items() if key in _profile.LIMIT_BOUNDS})
    except _profile.ProfileError as exc:
        return None, "%s: %s" % (PROFILE, exc)
    missing = [key for key in ("pids", "memory_mb", "cpus_milli", "tmpfs_tmp_mb")
               if key not in limits]
    if missing:
        return None, "%s limits lack %s" % (PROFILE, ", ".join(missing))
    return resolved, None


@dataclass(frozen=True)
class Context:
    """Values some predicates compare with, taken from the static evidence."""

    container_hostname: str | None
    container_id: str | None
    limits: dict[str, int]
    environment: dict[str, Any]
    # The resolvers the profile gives the container (profile/profile.json dns).
    dns: list[str] | None = None


def security_module(facts: Any) -> str:
    """The host security module the engine reports in its security options (e.g.
    `name=apparmor`): selinux, apparmor or none."""
    options = dig(facts, "security_options")
    names = security_modules(options if isinstance(options, list) else [])
    if "selinux" in names:
        return "selinux"
    if "apparmor" in names:
        return "apparmor"
    return "none"


def runtime_data(expectations: dict[str, Any], runtime: str) -> dict[str, Any]:
    return as_dict(dig(expectations, "runtimes", runtime))


def probe_items(expectations: dict[str, Any], runtime: str, identity: str, module: str,
                probe: str) -> list[dict[str, Any]] | None:
    """The items for `probe`, most specific layer winning; None when the probe has none."""
    data = runtime_data(expectations, runtime)
    items = dig(data, "probes", probe)
    for layer in (dig(data, "identities", identity), dig(data, "security_modules", module)):
        override = dig(layer, "probes", probe)
        if override is not None:
            items = override
    if items is None:
        return None
    return [item for item in as_list(items) if isinstance(item, dict)]


def probe_ids(expectations: dict[str, Any], runtime: str) -> list[str]:
    return list(as_dict(dig(runtime_data(expectations, runtime), "probes")))


def environment(expectations: dict[str, Any], runtime: str, identity: str) -> dict[str, Any]:
    """Injected key -> predicate, with the identity's overrides applied."""
    data = runtime_data(expectations, runtime)
    merged = dict(as_dict(data.get("environment")))
    merged.update(as_dict(dig(data, "identities", identity, "environment")))
    return merged


def _field(observation: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    current: Any = observation
    for step in dotted.split("."):
        if not isinstance(current, dict) or step not in current:
            return False, None
        current = current[step]
    return True, current


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def predicate(pred: dict[str, Any], present: bool, value: Any, ctx: Context) -> str | None:
    """None when `value` satisfies `pred`, else why not."""
    if not present:
        return None if pred.get("optional") else "absent"
    if value is None and pred.get("optional"):
        return None
    for name, arg in pred.items():
        if name == "optional":
            continue
        if name == "equals":
            # bool is an int in Python: 1 must not equal true.
            if value != arg or isinstance(value, bool) != isinstance(arg, bool):
                return "%s, expected %s" % (short(value), short(arg))
        elif name == "one_of":
            if value not in as_list(arg) or isinstance(value, bool):
                return "%s, expected one of %s" % (short(value), short(arg))
        elif name == "subset_of":
            if not isinstance(value, list) or not set(map(str, value)) <= set(map(str, arg)):
                extra = sorted(set(map(str, as_list(value))) - set(map(str, arg)))
                return "unexpected %s" % short(extra if isinstance(value, list) else value)
        elif name == "loopback_only":
            if not isinstance(value, list) or not value or not all(map(is_loopback, value)):
                return "%s, expected loopback addresses only" % short(value)
        elif name == "hex_zero":
            try:
                zero = isinstance(value, str) and int(value, 16) == 0
            except ValueError:
                zero = False
            if not zero:
                return "%s, expected 0" % short(value)
        elif name == "dev_ino_text":
            # "major:minor:inode", as the probe prints where a path ended (PR-FS-ESC-2)
            if not isinstance(value, str) or not _DEV_INO.match(value):
                return "%s, expected major:minor:inode" % short(value)
        elif name == "hex_digest":
            if not isinstance(value, str) or not _HEX64.match(value):
                return "%s, expected a sha256 hex digest" % short(value)
        elif name == "min":
            if not _is_int(value) or value < arg:
                return "%s, expected >= %s" % (short(value), arg)
        elif name == "less_than_limit":
            limit = ctx.limits.get(str(arg))
            if not _is_int(limit):
                return "no %s limit to compare with" % arg
            if not _is_int(value) or value >= limit:
                return "%s, expected < %s limit %d" % (short(value), arg, limit)
        elif name == "equals_context":
            expected = getattr(ctx, str(arg), None)
            if expected is None:
                return "no %s to compare with" % arg
            if value != expected:
                return "%s, expected %s (%s)" % (short(value), short(expected), arg)
        else:
            return "unknown predicate %r in the expectations" % name
    return None


def _environment_problems(observation: dict[str, Any], ctx: Context) -> list[str]:
    problems = []
    keys = observation.get("keys")
    values = observation.get("values")
    if not isinstance(keys, list) or not isinstance(values, dict):
        return ["keys/values absent"]
    allowed = set(ctx.environment)
    extra = sorted(str(key) for key in keys if key not in allowed)
    if extra:
        problems.append("keys beyond the runtime's injected set: %s" % ", ".join(extra))
    # The runtime injects every one of its keys: one missing means another environment.
    missing = sorted(str(key) for key in allowed if key not in keys)
    if missing:
        problems.append("injected keys missing: %s" % ", ".join(missing))
    if len(set(map(str, keys))) != len(keys) or set(map(str, keys)) != set(map(str, values)):
        problems.append("keys %s do not name the values %s" % (short(keys), short(sorted(values))))
    for key, pred in ctx.environment.items():
        if key not in keys:
            continue
        why = predicate(as_dict(pred), key in values, values.get(key), ctx)
        if why:
            problems.append("%s=%s" % (key, why))
    return problems


def _equals_field_problem(pred: dict[str, Any], observation: dict[str, Any],
                          value: Any) -> str | None:
    """`equals_field: KEY`: the value equals another key of the same observation, which must
    be present and not null (PR-FS-ESC-2: where `..` ended is the container's root)."""
    if "equals_field" not in pred:
        return None
    other_key = str(pred["equals_field"])
    present, other = _field(observation, other_key)
    if not present or other is None:
        return "no %s to compare with" % other_key
    if value != other:
        return "%s, expected %s (%s)" % (short(value), short(other), other_key)
    return None


def expectation_problems(expect: dict[str, Any], observation: dict[str, Any],
                         ctx: Context) -> list[str]:
    """Why `observation` does not meet one `expect` shape (empty list: it does)."""
    problems: list[str] = []
    ret = observation.get("ret")
    errno = observation.get("errno")
    if not _is_int(ret):
        return ["ret is not an integer"]
    if expect.get("ok") is True and (ret < 0 or errno is not None):
        problems.append("failed with %s, expected success" % (errno or "ret=%d" % ret))
    if "errno" in expect:
        allowed = as_list(expect["errno"])
        if ret >= 0 and errno is None:
            problems.append("succeeded (ret=%d), expected %s" % (ret, "|".join(allowed)))
        elif errno not in allowed:
            problems.append("errno %s, expected %s" % (errno, "|".join(allowed)))
        elif ret != DENIED_RET:
            problems.append("ret=%d with %s: a denial returns %d" % (ret, errno, DENIED_RET))
    if "ret" in expect and ret != expect["ret"]:
        problems.append("ret=%d, expected %s" % (ret, expect["ret"]))
    if "ret_is" in expect and ret != observation.get(str(expect["ret_is"])):
        # The call's return value is a count the observation also reports (bytes written).
        problems.append("ret=%d, expected %s=%s" % (ret, expect["ret_is"],
                                                    short(observation.get(str(expect["ret_is"])))))
    for dotted, pred in as_dict(expect.get("fields")).items():
        present, value = _field(observation, dotted)
        why = _equals_field_problem(as_dict(pred), observation, value) or predicate(
            {name: arg for name, arg in as_dict(pred).items() if name != "equals_field"},
            present, value, ctx)
        if why:
            problems.append("%s %s" % (dotted, why))
    if expect.get("environment") == "injected":
        problems.extend(_environment_problems(observation, ctx))
    problems.extend(_unexplained_keys(expect, observation))
    return problems


def _unexplained_keys(expect: dict[str, Any], observation: dict[str, Any]) -> list[str]:
    """Keys the expectation does not name: the observation says more than was asked."""
    named = set(OBSERVATION_KEYS) | {dotted.split(".", 1)[0]
                                     for dotted in as_dict(expect.get("fields"))}
    if expect.get("environment") == "injected":
        named |= ENVIRONMENT_KEYS
    extra = sorted(str(key) for key in observation if key not in named)
    return ["unexpected fields %s" % ", ".join(extra)] if extra else []


def describe_expect(item: dict[str, Any]) -> str:
    """Human text for the report's "expected" column."""
    shapes = [as_dict(item.get("expect"))] if "expect" in item else [
        as_dict(shape) for shape in as_list(item.get("expect_any"))]
    texts = []
    for shape in shapes:
        parts = []
        if shape.get("ok"):
            parts.append("succeeds")
        if "errno" in shape:
            parts.append("|".join(map(str, as_list(shape["errno"]))))
        if "ret" in shape:
            parts.append("ret=%s" % shape["ret"])
        for dotted, pred in as_dict(shape.get("fields")).items():
            parts.append("%s %s" % (dotted, ",".join(
                "%s=%s" % (k, v) if k != "optional" else "optional"
                for k, v in as_dict(pred).items())))
        if shape.get("environment") == "injected":
            parts.append("env keys within the injected set")
        texts.append(" ".join(parts))
    where = item.get("target") or item.get("target_class") or "*"
    return "%s %s: %s" % (item.get("op"), where, " or ".join(texts))


def describe_observation(observation: Any) -> str:
    if not isinstance(observation, dict):
        return short(observation)
    ret = observation.get("ret")
    errno = observation.get("errno")
    text = ("ok (ret=%s)" % ret) if errno is None and _is_int(ret) and ret >= 0 else (
        "%s (ret=%s)" % (errno, ret))
    extras = {k: v for k, v in observation.items()
              if k not in ("op", "target", "ret", "errno", "detail", "verdict")}
    if extras:
        text += " " + ", ".join("%s=%s" % (k, short(v, 60)) for k, v in sorted(extras.items()))
    return text
