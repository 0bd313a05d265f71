# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verifier's data files: the bundle schema, the probe expectations, the matrix and the
closed world of the inspect document.

They live in the collection's data/ directory (_collection.DATA_DIR) so a team can edit the
matrix or the expectations without touching code; a caller may also name its own.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

import yaml

from ansible_collections.sandbox.attest.plugins.plugin_utils import _collection

DATA_DIR = _collection.DATA_DIR
SCHEMA_PATH = os.path.join(DATA_DIR, "schemas", "evidence-bundle-v1.schema.json")
EXPECTATIONS_PATH = os.path.join(DATA_DIR, "expectations.yml")
MATRIX_PATH = os.path.join(DATA_DIR, "matrix.yml")
INSPECT_FIELDS_PATH = os.path.join(DATA_DIR, "inspect-fields.yml")
SHIPPED_PROBE_PATH = _collection.PROBE_PATH

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataError(ValueError):
    """A data file of the collection (or one the caller named) is unusable: misuse, not evidence."""


@dataclass(frozen=True)
class DataFile:
    path: str
    sha256: str
    document: Any


# Parsed data files by (path, size, mtime): one process verifying many bundles (a fleet, the
# evidence mutation test) parses each file once; an edited file is read again.
_PARSED: dict[tuple[str, int, int], DataFile] = {}


def _read(path: str, kind: str) -> DataFile:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DataError("cannot read %s: %s" % (path, exc.strerror or exc)) from None
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _PARSED:
        _PARSED[key] = _parse(path, kind)
    return _PARSED[key]


def _parse(path: str, kind: str) -> DataFile:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise DataError("cannot read %s: %s" % (path, exc.strerror or exc)) from None
    try:
        # _Loader is a safe loader (CSafeLoader when libyaml is there, for speed).
        if kind == "json":
            document = json.loads(raw)
        else:
            document = yaml.load(raw, Loader=_Loader)  # noqa: S506
    except (ValueError, yaml.YAMLError) as exc:
        raise DataError("cannot parse %s: %s" % (path, exc)) from None
    if not isinstance(document, dict) or document.get("format", 1) != 1:
        raise DataError("%s: not a format-1 mapping" % path)
    return DataFile(path, hashlib.sha256(raw).hexdigest(), document)


def load_schema(path: str | None = None) -> DataFile:
    return _read(path or SCHEMA_PATH, "json")


def load_expectations(path: str | None = None) -> DataFile:
    data = _read(path or EXPECTATIONS_PATH, "yaml")
    if not isinstance(data.document.get("runtimes"), dict):
        raise DataError("%s: no runtimes mapping" % data.path)
    return data


def load_matrix(path: str | None = None) -> DataFile:
    data = _read(path or MATRIX_PATH, "yaml")
    rows = data.document.get("rows")
    if not isinstance(rows, list) or not rows:
        raise DataError("%s: no rows" % data.path)
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("row"), int):
            raise DataError("%s: a row without a number: %r" % (data.path, row))
        if row.get("meaning_source") not in ("seed", "project"):
            raise DataError("%s: row %s: meaning_source must be seed or project"
                            % (data.path, row.get("row")))
        for key in ("probes", "static_checks", "cross_checks"):
            if not isinstance(row.get(key, []), list):
                raise DataError("%s: row %s: %s must be a list" % (data.path, row["row"], key))
    return data


def _pointer_map(data: DataFile, where: str, value: Any, strings: bool) -> None:
    """A mapping of JSON pointers ("/HostConfig/Runtime"), to strings when `strings`."""
    if not isinstance(value, dict):
        raise DataError("%s: %s must be a mapping" % (data.path, where))
    for pointer, item in value.items():
        if not isinstance(pointer, str) or not pointer.startswith("/"):
            raise DataError("%s: %s: %r is not a JSON pointer" % (data.path, where, pointer))
        if strings and not (isinstance(item, str) and item.strip()):
            raise DataError("%s: %s: %s needs a one-line reason" % (data.path, where, pointer))


def load_inspect_fields(path: str | None = None) -> DataFile:
    data = _read(path or INSPECT_FIELDS_PATH, "yaml")
    document = data.document
    _pointer_map(data, "not_isolation", document.get("not_isolation"), strings=True)
    engines = document.get("engines")
    if not isinstance(engines, dict) or not engines:
        raise DataError("%s: no engines mapping" % data.path)
    for runtime, versions in engines.items():
        if not isinstance(versions, dict):
            raise DataError("%s: engines.%s must map API versions" % (data.path, runtime))
        for version, engine in versions.items():
            where = "engines.%s.%s" % (runtime, version)
            if not isinstance(version, str) or not isinstance(engine, dict):
                raise DataError("%s: %s: an API version (quoted) mapping to a mapping"
                                % (data.path, where))
            _pointer_map(data, where + ".fields", engine.get("fields"), strings=False)
            _pointer_map(data, where + ".daemon_defaults", engine.get("daemon_defaults", {}),
                         strings=False)
            modules = engine.get("security_modules")
            if not isinstance(modules, dict) or not modules:
                raise DataError("%s: %s.security_modules must be a mapping" % (data.path, where))
            for module, fields in modules.items():
                _pointer_map(data, "%s.security_modules.%s" % (where, module), fields,
                             strings=False)
            for key in ("oci_runtimes", "daemon_log_opts", "client_empty"):
                names = engine.get(key, [])
                if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                    raise DataError("%s: %s.%s must be a list of names" % (data.path, where, key))
    return data


def collection_version() -> str:
    """The verifier's own version (reports name it); "unknown" rather than no report."""
    try:
        return _collection.collection_version()
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"
