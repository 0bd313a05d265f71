# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""File helpers the controller's actions share."""

from __future__ import annotations


def same_bytes(path: str, data: bytes) -> bool:
    """Whether the file at path holds exactly data (False when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False
