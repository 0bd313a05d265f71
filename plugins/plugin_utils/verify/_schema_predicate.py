# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A JSON Schema compiled into a yes/no predicate: "certainly valid", or "ask jsonschema".

jsonschema walks a document node by node through its generic keyword machinery: on a bundle
from a host with 1,000 objects that was 0.2 s of a 0.25 s verification (measured with the
snapshots' 1,000 records each), and it grows with every object the host holds. The predicate
answers the common case, a valid bundle, in a few milliseconds; whenever it says no, the
finding runs jsonschema, whose errors are the ones reported. So the predicate may be stricter
than the schema, never looser: each keyword below is implemented at least as strictly as
Draft 2020-12 defines it (a float where an integer is asked, or an array of non-strings under
uniqueItems, is "ask jsonschema", not "valid"), and a schema using any keyword not listed here
compiles to None: no predicate, jsonschema alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[Any], bool]

# Keywords that only annotate or hold definitions: no effect on validity.
_ANNOTATIONS = frozenset(("$schema", "$id", "$comment", "$defs", "title", "description",
                          "examples", "default"))
_DEFS_PREFIX = "#/$defs/"


class Unsupported(Exception):
    """The schema uses something this compiler does not implement."""


def _type_of(value: Any) -> str | None:
    """The JSON type of a parsed value, with bool apart from the numbers; None for anything the
    JSON parser does not make (never certainly valid)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


def _has_type(value: Any, name: str) -> bool:
    found = _type_of(value)
    return found == name or (name == "number" and found == "integer")


def json_equal(one: Any, two: Any) -> bool:
    """JSON equality as jsonschema's `equal`: booleans are not numbers, 1 equals 1.0."""
    kind_one, kind_two = _type_of(one), _type_of(two)
    if kind_one is None or kind_two is None:
        return False
    numbers = ("integer", "number")
    if kind_one in numbers and kind_two in numbers:
        return one == two
    if kind_one != kind_two:
        return False
    if kind_one == "array":
        return len(one) == len(two) and all(json_equal(one[i], two[i]) for i in range(len(one)))
    if kind_one == "object":
        return one.keys() == two.keys() and all(json_equal(one[k], two[k]) for k in one)
    return one == two


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Predicate] = {}

    def ref(self, target: str) -> Predicate:
        if not target.startswith(_DEFS_PREFIX) or "/" in target[len(_DEFS_PREFIX):]:
            raise Unsupported("$ref %s" % target)
        name = target[len(_DEFS_PREFIX):]
        if name not in self.refs:
            definitions = self.root.get("$defs", {})
            if name not in definitions:
                raise Unsupported("$ref %s: no such definition" % target)
            holder: list[Predicate] = []

            # Registered before compiling, so a recursive definition refers to itself; it
            # reads holder at call time, when the compiled predicate is there.
            def deferred(value: Any) -> bool:
                return holder[0](value)
            self.refs[name] = deferred
            holder.append(self.compile(definitions[name]))
        return self.refs[name]

    def compile(self, schema: Any) -> Predicate:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            raise Unsupported("a schema that is neither an object nor a boolean")
        checks: list[Predicate] = []
        for keyword, argument in schema.items():
            if keyword in _ANNOTATIONS or keyword in ("then", "else"):
                continue
            if keyword == "properties" or keyword == "additionalProperties":
                if keyword == "properties" or "properties" not in schema:
                    checks.append(self._properties(schema))
                continue
            build = getattr(self, "_kw_" + keyword.lstrip("$"), None)
            if build is None:
                raise Unsupported(keyword)
            checks.append(build(argument, schema))
        return lambda value: all(check(value) for check in checks)

    def _properties(self, schema: dict[str, Any]) -> Predicate:
        named = {key: self.compile(sub) for key, sub in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        other = self.compile(extra)

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                rule = named.get(key, other)
                if not rule(item):
                    return False
            return True
        return check

    # One builder per keyword: (argument, the schema holding it) -> predicate.
    def _kw_ref(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return self.ref(argument)

    def _kw_type(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        names = argument if isinstance(argument, list) else [argument]
        return lambda value: any(_has_type(value, name) for name in names)

    def _kw_const(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return lambda value: json_equal(value, argument)

    def _kw_enum(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return lambda value: any(json_equal(value, option) for option in argument)

    def _kw_required(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return lambda value: not isinstance(value, dict) or all(key in value for key in argument)

    def _kw_pattern(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        compiled = re.compile(argument)
        return lambda value: not isinstance(value, str) or compiled.search(value) is not None

    def _kw_minLength(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return lambda value: not isinstance(value, str) or len(value) >= argument

    def _kw_maxLength(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return lambda value: not isinstance(value, str) or len(value) <= argument

    def _kw_minimum(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        # As jsonschema words it (not below), so NaN, which the JSON parser accepts, is
        # answered the same way: exact even under `not`.
        return lambda value: (not _has_type(value, "number")) or not value < argument

    def _kw_items(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        item = self.compile(argument)
        return lambda value: not isinstance(value, list) or all(item(x) for x in value)

    def _kw_minItems(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return lambda value: not isinstance(value, list) or len(value) >= argument

    def _kw_maxItems(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return lambda value: not isinstance(value, list) or len(value) <= argument

    def _kw_uniqueItems(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        if argument is not True:
            return lambda value: True

        # Strings only: a set tells their uniqueness exactly; anything else is jsonschema's.
        def check(value: Any) -> bool:
            if not isinstance(value, list):
                return True
            return (all(isinstance(x, str) for x in value)
                    and len(set(value)) == len(value))
        return check

    def _kw_minProperties(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        return lambda value: not isinstance(value, dict) or len(value) >= argument

    def _kw_propertyNames(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        name = self.compile(argument)
        return lambda value: not isinstance(value, dict) or all(name(key) for key in value)

    def _kw_anyOf(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        options = [self.compile(sub) for sub in argument]
        return lambda value: any(option(value) for option in options)

    def _kw_allOf(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        parts = [self.compile(sub) for sub in argument]
        return lambda value: all(part(value) for part in parts)

    def _kw_not(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        inner = self.compile(argument)
        return lambda value: not inner(value)

    def _kw_if(self, argument: Any, schema: dict[str, Any]) -> Predicate:
        condition = self.compile(argument)
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))
        return lambda value: then(value) if condition(value) else otherwise(value)


def compile_predicate(schema: dict[str, Any]) -> Predicate | None:
    """The schema's predicate, or None when it uses a keyword this compiler does not know.

    `not` and `if` make a "no" of the inner schema count as a "yes": those inner schemas must be
    exact, not merely strict. Every keyword here is exact but `integer` for a float equal to an
    integer and `uniqueItems` over non-strings; a schema holding those under `not` or `if` is
    compiled to None too."""
    try:
        _check_exact_under_negation(schema, negated=False)
        return _Compiler(schema).compile(schema)
    except Unsupported:
        return None


def _check_exact_under_negation(schema: Any, negated: bool) -> None:
    if isinstance(schema, list):
        for item in schema:
            _check_exact_under_negation(item, negated)
        return
    if not isinstance(schema, dict):
        return
    if negated and ("uniqueItems" in schema or "$ref" in schema or _asks_integer(schema)):
        raise Unsupported("a strict keyword under not/if")
    for keyword, argument in schema.items():
        if keyword in ("enum", "const", "required"):
            continue
        inner = negated or keyword in ("not", "if")
        if keyword in ("properties", "$defs"):
            for sub in argument.values():
                _check_exact_under_negation(sub, inner)
        else:
            _check_exact_under_negation(argument, inner)


def _asks_integer(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)
