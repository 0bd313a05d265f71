# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify action's argument spec: one definition, read by the action plugin and checked
against the docs-only module's DOCUMENTATION by a unit test."""

from __future__ import annotations

from typing import Any

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "bundle": {"type": "path", "required": True},
    "approved_venues": {"type": "dict", "default": {}},
    "rehearsal_venues": {"type": "list", "elements": "str", "default": []},
    "host": {"type": "str"},
    "dest": {"type": "path"},
    "probe_path": {"type": "path"},
    "matrix_file": {"type": "path"},
    "expectations_file": {"type": "path"},
    "vsa_signing_key": {"type": "path"},
    "vsa_signing_key_passphrase": {"type": "str", "no_log": True},
}
