# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument-spec pieces several modules share, built from the profile's own constants.

Each piece is documented once, in the section of the same name of the doc fragment
sandbox.attest.options (plugins/doc_fragments/options.py).
"""

from __future__ import annotations

import copy

from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    DEFAULT_RUN_ROOT,
    DEFAULT_SECCOMP_PROFILE,
    IDENTITIES,
    LIMIT_BOUNDS,
    PROFILE_RUNTIMES,
    SECCOMP_PROFILES,
)

ENGINE_CLI = {"engine_cli": dict(type="str", default="docker")}
# The runtimes the modules drive. The roles and settings offer Docker only until the rest of
# the path (the verifier, the packet) knows Podman (issue 18).
RUNTIME = {"runtime": dict(type="str", default="docker", choices=list(PROFILE_RUNTIMES))}
RUN_ROOT = {"run_root": dict(type="path", default=DEFAULT_RUN_ROOT)}
RUN_ID = {"run_id": dict(type="str", required=True)}
IDENTITY = {"identity": dict(type="str", required=True, choices=list(IDENTITIES))}
SECCOMP_PROFILE = {"seccomp_profile": dict(type="str", default=DEFAULT_SECCOMP_PROFILE,
                                           choices=list(SECCOMP_PROFILES))}
LIMITS = {"limits": dict(type="dict", default={},
                         options={name: dict(type="int") for name in LIMIT_BOUNDS})}
# What the venue lays out and signs (evidence_seal), as the evidence_bundle action takes it.
SEAL = {
    "run": dict(type="dict", required=True),
    "venue": dict(type="dict", required=True),
    "facts": dict(type="dict", required=True),
    "snapshot_before": dict(type="raw", required=True),
    "snapshot_after": dict(type="raw", required=True),
    "events": dict(type="list", elements="dict", required=True),
    "identities": dict(type="list", elements="dict", required=True),
    # A public key: nothing secret (validate-modules asks).
    "host_key": dict(type="str", default="", no_log=False),
}


def argument_spec(*pieces: dict, **own: dict) -> dict:
    """One module's argument spec: the shared pieces, then its own options (fresh copies, since
    AnsibleModule may add to the dicts it is given)."""
    spec: dict = {}
    for piece in (*pieces, own):
        for name, option in piece.items():
            if name in spec:
                raise ValueError("option %s is given twice" % name)
            spec[name] = copy.deepcopy(option)
    return spec
