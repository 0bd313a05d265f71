# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lay the automated path's results out as the bundle files of docs/evidence-bundle.md.

On the target (M(sandbox.attest.evidence_seal)): the venue renders the bytes it signs, and the
controller writes them unchanged.
"""

from __future__ import annotations

import base64
import json

from ansible_collections.sandbox.attest.plugins.module_utils import _bundle_format as fmt
from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import BUNDLE_FORMAT
from ansible_collections.sandbox.attest.plugins.module_utils._json import pretty


class LayoutError(ValueError):
    """The run's results cannot be laid out as a bundle."""


def snapshot_document(name: str, value: object) -> dict:
    """A snapshot as engine_snapshot's snapshot_json (text) or already parsed."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise LayoutError("%s is not JSON text: %s" % (name, exc)) from exc
    if not isinstance(value, dict):
        raise LayoutError("%s is not a snapshot (a JSON object): %s" % (
            name, type(value).__name__))
    return value


def _result_document(identity: str, run: dict) -> dict:
    return {
        "format": BUNDLE_FORMAT,
        "identity": identity,
        "user": next((arg for prev, arg in zip(run["argv"], run["argv"][1:], strict=False)
                      if prev == "--user"), None),
        "container_id": run.get("container_id"),
        "container_name": run.get("container_name"),
        "exit_code": run.get("exit_code"),
        "timed_out": run.get("timed_out"),
        "timeout_s": run["profile"]["limits"]["timeout_s"],
        "started_at": run.get("started_at"),
        "finished_at": run.get("finished_at"),
        "removed": run.get("removed"),
        "commands": run.get("commands", []),
    }


def layout(run: dict, venue: dict, facts: dict, snapshot_before: dict, snapshot_after: dict,
           events: list, identities: list[dict], producer: dict) -> dict[str, bytes]:
    """Bundle path -> bytes. `identities` holds {identity, run, output} per identity, where run
    and output are the sandbox_run and run_output results."""
    first = identities[0]["run"]
    # How many events the engine replayed rather than streamed (the follower,
    # module_utils/_event_follow.py); without it the verifier counts the whole log as replayed.
    replayed = {} if run.get("events_replayed") is None else {
        "events_replayed": int(run["events_replayed"])}
    files: dict[str, bytes] = {
        fmt.RUN: pretty({
            "format": BUNDLE_FORMAT,
            "run_id": run["run_id"],
            "producer": producer,
            "inventory_hostname": run["inventory_hostname"],
            # The runtime the run's modules drove (the evidence role's); docker when not said.
            "runtime": run.get("runtime") or "docker",
            "seccomp_profile": run["seccomp_profile"],
            "image_id": run["image_id"],
            "probe_sha256": run["probe_sha256"],
            "identities": [item["identity"] for item in identities],
            "started_at": run["started_at"],
            "finished_at": run["finished_at"],
            **replayed,
        }),
        fmt.VENUE: pretty({
            "format": BUNDLE_FORMAT, "fingerprint": venue["fingerprint"],
            "machine_id_sha256": venue["machine_id_sha256"],
            "engine_id": venue["engine_id"],
            "method": fmt.VENUE_METHOD}),
        fmt.ENGINE_FACTS: pretty(facts),
        fmt.ENGINE_EVENTS: "".join(
            json.dumps(event, sort_keys=True) + "\n" for event in events).encode("utf-8"),
        fmt.PROFILE: pretty(first["profile"]),
        fmt.SECCOMP: first["seccomp_json"].encode("utf-8"),
        fmt.SNAPSHOT_BEFORE: pretty(snapshot_before),
        fmt.SNAPSHOT_AFTER: pretty(snapshot_after),
    }
    for item in identities:
        name, result, output = item["identity"], item["run"], item["output"]
        files[fmt.identity_path(name, fmt.ARGV)] = pretty(result["argv"])
        files[fmt.identity_path(name, fmt.RESULT)] = pretty(_result_document(name, result))
        files[fmt.identity_path(name, fmt.PROBE_OUTPUT)] = result.get("stdout", "").encode("utf-8")
        files[fmt.identity_path(name, fmt.PROBE_STDERR)] = result.get("stderr", "").encode("utf-8")
        files[fmt.identity_path(name, fmt.INSPECT)] = pretty(result.get("inspect", []))
        if "oci_spec" in result:
            files[fmt.identity_path(name, fmt.OCI_SPEC)] = pretty(result["oci_spec"])
        files[fmt.identity_path(name, fmt.FETCH)] = pretty({
            "format": BUNDLE_FORMAT,
            "copied": [{k: f[k] for k in ("name", "bytes", "sha256")}
                       for f in output.get("copied", [])],
            "refused": output.get("refused", []),
        })
        for copied in output.get("copied", []):
            files[fmt.identity_path(name, fmt.OUT_DIR + "/" + copied["name"])] = base64.b64decode(
                copied["content_b64"])
    return files
