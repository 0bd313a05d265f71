# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text from the evidence, made fit for each output format whatever it holds.

The evidence is hostile: a host name may hold control characters, a JSON string a lone
surrogate (`\\ud800` parses in Python, yet no UTF-8 can carry it), a file name undecodable bytes.
Each function leaves ordinary text byte for byte as it is and writes anything else as a visible
backslash escape, so an output stays valid for its format (JSON, XML 1.0, Markdown) and still
shows what was there.
"""

from __future__ import annotations

import re
from typing import Any

# Characters XML 1.0 does not allow at all (not even as character references).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# In Markdown: control characters (a line break is kept: the report is made of lines), lone
# surrogates, and the bidirectional overrides that make text read other than it is stored.
_NOT_MARKDOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def utf8_text(text: str) -> str:
    """The text with each lone surrogate written as its escape (`\\ud800`)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def json_safe(document: Any) -> Any:
    """The document with every string, keys included, encodable as UTF-8."""
    if isinstance(document, str):
        return utf8_text(document)
    if isinstance(document, dict):
        return {json_safe(key): json_safe(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [json_safe(value) for value in document]
    return document


def xml_text(value: Any) -> str:
    """str(value) with every character XML 1.0 cannot hold escaped."""
    return _NOT_XML.sub(_escape, str(value))


def markdown_text(text: str) -> str:
    """The text with control characters, lone surrogates and bidi overrides escaped."""
    return _NOT_MARKDOWN.sub(_escape, text)
