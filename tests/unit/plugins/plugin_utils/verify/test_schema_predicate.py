"""The compiled schema predicate never says "valid" where jsonschema finds an error.

Generated cases: every node of real bundles' composed documents (the builder's clean bundle and
one with a busy host's snapshots and events) replaced by a value of every JSON type, every
object key dropped and an extra key added; then every keyword the predicate implements, alone,
against a pool of values. A "yes" of the predicate must be jsonschema's "valid"; where the
keyword is exact, the two answers are the same, so the fast path is used, not merely safe.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import load_schema
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    load_evidence,
    read_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._schema_predicate import (
    compile_predicate,
    json_equal,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._schema import compose

# 1.0 is an integer to JSON Schema and not to the predicate (stricter, on purpose): it is
# checked for soundness only.
REPLACEMENTS: tuple[Any, ...] = (None, True, 0, -1, 1.5, "", "x", [], ["x", "x"], {})
INEXACT = (1.0,)
# The roles' bundle from a Podman test host (tests/unit/data/README.md).
PODMAN_BUNDLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "podman-bundle")
# Where the predicate says no, jsonschema's answer is checked on every EXACT_EVERY-th edit: a
# "no" is never wrong (jsonschema decides then), it only costs time, and jsonschema is the
# slow part of this test.
EXACT_EVERY = 7


def _resolved(schema: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and set(node) == {"$ref"}:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _child_schema(schema: dict[str, Any], node: Any, key: Any) -> Any:
    """The schema of a child as far as plain properties/items say: True where nothing
    constrains it, None where combinators make it uncertain (then every node below is edited)."""
    root = node is schema
    node = _resolved(schema, node)
    # The root's if/then/else (each runtime's rules over several files) is judged on whole
    # documents: _check_all's edits of the document's and the identities' keys.
    if node is None or not isinstance(node, dict) or any(
            k in node for k in ("allOf", "anyOf", "if", "not", "$ref") if not root):
        return None
    if isinstance(key, int):
        return _resolved(schema, node.get("items", True))
    if key in node.get("properties", {}):
        return _resolved(schema, node["properties"][key])
    return _resolved(schema, node.get("additionalProperties", True))


def _nodes(schema: dict[str, Any], node_schema: Any, value: Any,
           path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every node's path the schema says something about; of a list, its first two items only
    (the items share one schema); below a node the schema leaves free (an inspect document's
    fields the verifier does not read), that node alone."""
    yield path
    if node_schema is True:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(schema, _child_schema(schema, node_schema, key), item,
                              (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            yield from _nodes(schema, _child_schema(schema, node_schema, index), item,
                              (*path, index))


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.copy(document)
    out[path[0]] = _replaced(document[path[0]], path[1:], value)
    return out


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _variants(schema: dict[str, Any], document: Any) -> Iterator[tuple[str, Any, bool]]:
    """(what was done, the edited document, whether the predicate is exact for it)."""
    for path in _nodes(schema, schema, document):
        node = _get(document, path)
        for value in REPLACEMENTS + INEXACT:
            yield "%s = %r" % (path, value), _replaced(document, path, value), value not in INEXACT
        if isinstance(node, dict):
            for key in node:
                edited = {k: v for k, v in node.items() if k != key}
                yield "%s drop %s" % (path, key), _replaced(document, path, edited), True
            yield "%s add key" % (path,), _replaced(document, path, {**node, "mutant": 1}), True


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema().document


def _composed(root: str) -> dict[str, Any]:
    return compose(load_evidence(read_bundle(root)))


def _unit_schema(schema: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    """The schema of the document at path, its references resolving as in the whole."""
    node: Any = schema
    for step in path:
        node = _child_schema(schema, node, step)
    return {"$schema": schema["$schema"], "$id": schema["$id"], "$defs": schema["$defs"], **node}


def _check_edits(schema: dict[str, Any], document: Any) -> int:
    predicate = compile_predicate(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert predicate is not None, "the schema no longer compiles: the fast path is gone"
    assert predicate(document) and validator.is_valid(document)
    count = 0
    for what, edited, exact in _variants(schema, document):
        count += 1
        if predicate(edited):
            assert validator.is_valid(edited), "predicate said valid: %s" % what
        elif exact and count % EXACT_EVERY == 0:
            assert not validator.is_valid(edited), "predicate refused a valid edit: %s" % what
    return count


def _trimmed(value: Any) -> Any:
    """The document with every list cut to its first three items (every item of a list shares
    one schema; three keep argv's minimum): each edit is then checked on a small document."""
    if isinstance(value, dict):
        return {key: _trimmed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trimmed(item) for item in value[:3]]
    return value


def _units(document: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """Where the document is cut for editing: each top-level property, and each identity's
    each file (the identities' own keys are edited as a whole, below)."""
    for key, value in document.items():
        if key == "identities":
            for identity, files in value.items():
                yield from ((key, identity, name) for name in files)
        else:
            yield (key,)


def _check_all(schema: dict[str, Any], document: dict[str, Any]) -> int:
    """Each unit's edits against its own schema: the rest of the document is unchanged and
    valid, so the whole is valid exactly when the edited unit is. Then the keys of the document
    and of its identities dropped and added, against the whole schema."""
    predicate = compile_predicate(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert predicate is not None and predicate(document)
    count = sum(_check_edits(_unit_schema(schema, path), _trimmed(_get(document, path)))
                for path in _units(document))
    holders = [()] + [("identities",)] + [("identities", name) for name in document["identities"]]
    for path in holders:
        node = _get(document, path)
        for edited in [{k: v for k, v in node.items() if k != key} for key in node] + [
                {**node, "mutant": 1}]:
            whole = _replaced(document, path, edited)
            assert predicate(whole) == validator.is_valid(whole), (path, sorted(edited))
            count += 1
    return count


def test_every_edit_of_a_clean_bundle(schema, bundle) -> None:
    assert _check_all(schema, _composed(bundle)) > 3000


def test_every_edit_of_a_busy_hosts_bundle(schema, churn_model, write_bundle) -> None:
    assert _check_all(schema, _composed(write_bundle(churn_model))) > 3000


def test_every_edit_of_a_podman_bundle(schema) -> None:
    assert _check_all(schema, _composed(PODMAN_BUNDLE)) > 3000


KEYWORD_SCHEMAS: tuple[dict[str, Any], ...] = (
    {"type": "integer"}, {"type": "number"}, {"type": ["string", "null"]}, {"type": "boolean"},
    {"type": "array"}, {"type": "object"}, {"const": 1}, {"const": True}, {"const": [1, "x"]},
    {"enum": ["x", 0, None]}, {"required": ["k"]}, {"pattern": "^x"}, {"pattern": "y"},
    {"minLength": 1}, {"maxLength": 1}, {"minimum": 0}, {"items": {"type": "string"}},
    {"minItems": 1}, {"maxItems": 1}, {"uniqueItems": True}, {"minProperties": 1},
    {"propertyNames": {"enum": ["k"]}}, {"anyOf": [{"type": "string"}, {"minimum": 5}]},
    {"allOf": [{"type": "integer"}, {"minimum": 5}]}, {"not": {"type": "string"}},
    {"not": {"minimum": 0}}, {"not": {"enum": [1, "x"]}},
    {"properties": {"k": {"type": "integer"}}, "additionalProperties": False},
    {"additionalProperties": {"type": "string"}},
    {"if": {"properties": {"k": {"const": 1}}}, "then": {"required": ["j"]},
     "else": {"not": {"required": ["j"]}}},
)
POOL: tuple[Any, ...] = (None, True, False, 0, 1, -3, 5, 1.5, 1.0, float("nan"), float("inf"),
                         "", "x", "xy", "y", [],
                         [1, "x"], ["x", "x"], ["x", "y"], [1, 1.0], [True, 1], {}, {"k": 1},
                         {"k": "1"}, {"j": 1}, {"k": 1, "j": 2}, {"z": "s"})


@pytest.mark.parametrize("keyword_schema", KEYWORD_SCHEMAS, ids=lambda s: str(s)[:40])
def test_each_keyword_against_jsonschema(keyword_schema) -> None:
    predicate = compile_predicate(keyword_schema)
    validator = jsonschema.Draft202012Validator(keyword_schema)
    assert predicate is not None
    for value in POOL:
        valid = validator.is_valid(value)
        if predicate(value):
            assert valid, value
        inexact = (value == 1.0 and isinstance(value, float)) or (
            isinstance(value, list) and not all(isinstance(x, str) for x in value))
        if not inexact:
            assert predicate(value) == valid, value


@pytest.mark.parametrize("unsupported", [
    {"$dynamicRef": "#x"}, {"format": "date-time"}, {"prefixItems": []},
    {"$ref": "https://example.invalid/s.json"}, {"$ref": "#/$defs/absent"},
    # Strict keywords under a negation would turn a strict "no" into a loose "yes".
    {"not": {"type": "integer"}}, {"not": {"uniqueItems": True}},
    {"if": {"$ref": "#/$defs/a"}, "$defs": {"a": {}}},
])
def test_a_schema_it_cannot_answer_exactly_compiles_to_none(unsupported) -> None:
    assert compile_predicate(unsupported) is None


def test_a_recursive_definition_compiles() -> None:
    schema = {"$defs": {"tree": {"type": "array", "items": {"$ref": "#/$defs/tree"}}},
              "$ref": "#/$defs/tree"}
    predicate = compile_predicate(schema)
    assert predicate is not None
    assert predicate([[], [[]]]) and not predicate([[], [1]])


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    assert json_equal(1, 1.0) and not json_equal(True, 1) and not json_equal(0, False)
    assert json_equal({"a": [1, "x"]}, {"a": [1.0, "x"]}) and not json_equal([1], [1, 1])
