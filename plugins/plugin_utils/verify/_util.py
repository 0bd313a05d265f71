# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers shared by the check modules: tolerant lookups and evidence references.

Evidence may be malformed in any way; every lookup here returns a default instead of raising,
so a check reports what it could not find rather than crashing the verifier.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

# Evidence is hostile input: no legitimate bundle document nests deeper than this, and a bound
# here keeps every recursive reader after the parser (the JSON Schema validator among them) safe.
MAX_JSON_DEPTH = 64


def dig(value: Any, *path: str | int, default: Any = None) -> Any:
    """value[path[0]][path[1]]... or `default` as soon as a step does not exist."""
    current = value
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return default
            current = current[step]
        else:
            if not isinstance(current, dict) or step not in current:
                return default
            current = current[step]
    return current


def as_list(value: Any) -> list[Any]:
    """None and an absent list are the same thing in an inspect document."""
    return list(value) if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def ref(path: str, pointer: str = "") -> str:
    """An evidence reference: a bundle path, optionally with a JSON pointer or a probe ID."""
    return path + ("#" + pointer if pointer else "")


def inspect_doc(evidence_doc: Any) -> dict[str, Any] | None:
    """The container object of an inspect document (a one-element array), or None."""
    if isinstance(evidence_doc, list) and len(evidence_doc) == 1 and isinstance(
            evidence_doc[0], dict):
        return evidence_doc[0]
    return None


def is_loopback(address: Any) -> bool:
    """Parsed, never prefix-matched: "127.evil" is not loopback, "::1" is."""
    if not isinstance(address, str):
        return False
    text = address.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    if "%" in text:
        text = text.split("%", 1)[0]
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def target_host(target: Any) -> str:
    """The address part of "host:port" / "[v6]:port" targets."""
    if not isinstance(target, str):
        return ""
    if target.startswith("["):
        return target[1:target.index("]")] if "]" in target else target
    if target.count(":") == 1:
        return target.rsplit(":", 1)[0]
    return target


def short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _no_constant(name: str) -> Any:
    raise ValueError("%s is not JSON" % name)


def _depth_exceeds(document: Any, limit: int) -> bool:
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def parse_json(text: str) -> Any:
    """json.loads for hostile input: ValueError (never RecursionError) for anything that is not
    plain JSON within MAX_JSON_DEPTH levels; NaN and Infinity are refused."""
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("nested too deeply to parse") from None
    if _depth_exceeds(document, MAX_JSON_DEPTH):
        raise ValueError("nested deeper than %d levels" % MAX_JSON_DEPTH)
    return document
