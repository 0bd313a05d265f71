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
import re
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


# A surrogate escape in the text: only then can a parsed string hold a lone surrogate (json
# joins a valid pair into one character).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _values(document: Any, depth_limit: int, check_text: bool, stop: int | None) -> int:
    """How many values the document holds (every object, array, scalar and key), counted until
    past `stop`; ValueError when it nests deeper than depth_limit or (check_text) holds a string
    no UTF-8 can carry."""
    stack = [(document, 1)]
    count = 0
    while stack:
        if stop is not None and count > stop:
            return count
        node, depth = stack.pop()
        count += 1
        if isinstance(node, dict | list):
            if depth > depth_limit:
                raise ValueError("nested deeper than %d levels" % depth_limit)
            if isinstance(node, dict):
                count += len(node)
                if check_text:
                    for key in node:
                        _utf8(key)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
        elif check_text and isinstance(node, str):
            _utf8(node)
    return count


def _utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a lone surrogate in the string %s" % ascii(text[:40])) from None


def parse_json_counted(text: str, stop: int | None = None) -> tuple[Any, int]:
    """json.loads for hostile input: (document, number of values, counted until past `stop`; the
    document is then not checked whole, and the caller refuses it). ValueError (never
    RecursionError) for anything that is not plain JSON within MAX_JSON_DEPTH levels: NaN and
    Infinity are refused, and so is a lone surrogate (RFC 8259 section 8.2: no UTF-8 carries it,
    so no output could repeat it)."""
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("nested too deeply to parse") from None
    return document, _values(document, MAX_JSON_DEPTH, bool(_SURROGATE_ESCAPE.search(text)), stop)


def parse_json(text: str) -> Any:
    """parse_json_counted's document."""
    return parse_json_counted(text)[0]
