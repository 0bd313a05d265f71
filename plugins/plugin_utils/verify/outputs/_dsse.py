# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict (vsa.intoto.json) as a DSSE envelope, vsa.dsse.json.

DSSE v1 (github.com/secure-systems-lab/dsse, envelope.md and protocol.md): the envelope holds
the payload (standard base64 of the exact bytes written as vsa.intoto.json), its payloadType
and one signature: Ed25519 over PAE(payloadType, payload), with the keyid of
outputs/_signing_key. in-toto verifiers (in-toto-golang, securesystemslib, sigstore's tools)
read it as they read any signed in-toto Statement.

Written here rather than with securesystemslib: PAE is one line of the spec and signing is
`cryptography`'s, already on every controller, so signing adds no runtime requirement; the tests
verify every envelope with securesystemslib (and openssl), an implementation that owes nothing
to this one.
"""

from __future__ import annotations

import base64
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils._json import pretty
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._signing_key import (
    VsaSigningKey,
)

# The in-toto media type: the payload is an in-toto Statement serialised as JSON.
PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """Pre-Authentication Encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, where
    LEN is the byte length in ASCII decimal and type is UTF-8: what the signature covers, so
    neither the payload nor its type can be swapped without breaking it."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def envelope(payload: bytes, key: VsaSigningKey, payload_type: str = PAYLOAD_TYPE,
             ) -> dict[str, Any]:
    return {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": payload_type,
        "signatures": [{
            "keyid": key.keyid,
            "sig": base64.b64encode(key.sign(pae(payload_type, payload))).decode("ascii"),
        }],
    }


def envelope_bytes(payload: bytes, key: VsaSigningKey) -> bytes:
    """The envelope as written: the collection's pretty JSON (sorted keys, a final LF)."""
    return pretty(envelope(payload, key))
