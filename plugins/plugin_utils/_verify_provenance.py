# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "provenance": one container, one image, one probe, one engine throughout.

The container ID, image ID, probe sha256 and engine ID must agree across the inspect
documents, the probe's own output, result.json, run.json, venue.json and the engine facts;
and the image ID and probe sha256 must be the ones this collection ships (computed from
files/sandbox-probe by plugin_utils/_probe_image.py). When the shipped values cannot be
computed here the check is MISSING: never PASS on the bundle's word alone.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils._verify_bundle import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils._verify_model import (
    FAIL,
    MISSING,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._verify_probes import ProbeOutput
from ansible_collections.sandbox.attest.plugins.plugin_utils._verify_util import (
    as_dict,
    dig,
    identity_path,
    inspect_doc,
    short,
)

PROBE_IMAGE_MODULE = "ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image"


@dataclass(frozen=True)
class Shipped:
    """What this collection ships: the probe image's ID and the probe binary's sha256."""

    image_id: str
    probe_sha256: str
    source: str


def shipped_artifacts(probe_path: str) -> tuple[Shipped | None, str | None]:
    """Compute the shipped values from the probe binary (the one I/O step of this module)."""
    if not os.path.isfile(probe_path):
        return None, "the shipped probe %s is not built (make probe)" % probe_path
    try:
        module = importlib.import_module(PROBE_IMAGE_MODULE)
        image_id = module.probe_image_id(probe_path)
        digest = module.probe_sha256(probe_path)
    except ImportError as exc:
        return None, "cannot compute the shipped image ID: %s" % exc
    except (OSError, ValueError) as exc:
        return None, "cannot compute the shipped image ID from %s: %s" % (probe_path, exc)
    if not isinstance(image_id, str) or not isinstance(digest, str):
        return None, "the shipped image ID or probe sha256 is not a string"
    return Shipped(image_id, digest, probe_path), None


def _agree(check_id: str, what: str, values: dict[str, Any], identity: str | None = None,
           missing_ok: tuple[str, ...] = ()) -> Check:
    """One value seen in several places must be the same everywhere it is present."""
    present = {where: value for where, value in values.items() if value is not None}
    absent = [where for where in values if values[where] is None]
    refs = tuple(values)
    distinct = {str(value) for value in present.values()}
    observed = ", ".join("%s=%s" % (where, short(value, 80)) for where, value in values.items())
    if len(distinct) > 1:
        return Check(check_id, FAIL, "%s disagree: %s" % (what, observed), identity,
                     observed=observed, refs=refs)
    hard_missing = [where for where in absent if where not in missing_ok]
    if hard_missing or not present:
        return Check(check_id, MISSING, "%s: not found in %s" % (what, ", ".join(hard_missing)),
                     identity, observed=observed, refs=refs)
    return Check(check_id, PASS, "%s agree (%s)" % (what, short(next(iter(distinct)), 80)),
                 identity, observed=observed, refs=refs)


def check_provenance(evidence: Evidence, identities: list[str],
                     probe_outputs: dict[str, ProbeOutput], shipped: Shipped | None,
                     shipped_problem: str | None) -> Finding:
    finding = Finding("provenance")
    run = evidence.doc("run.json")
    run_id = dig(run, "run_id")
    image_id = dig(run, "image_id")
    probe_sha = dig(run, "probe_sha256")

    for identity in identities:
        inspect = inspect_doc(evidence.identity_doc(identity, "inspect.json"))
        result = evidence.identity_doc(identity, "result.json")
        argv = evidence.identity_doc(identity, "argv.json")
        meta = probe_outputs[identity].meta if identity in probe_outputs else None
        ins = identity_path(identity, "inspect.json")
        res = identity_path(identity, "result.json")
        probe = identity_path(identity, "probe.jsonl")
        if inspect is None and result is None and meta is None:
            finding.add(Check("identity", MISSING, "no evidence of the %s run" % identity,
                              identity, refs=("identities/%s/" % identity,)))
            continue
        finding.add(_agree("container_id", "%s container ID" % identity, {
            ins + "#/0/Id": dig(inspect, "Id"),
            res + "#/container_id": dig(result, "container_id"),
            probe + "#META/container_id": dig(meta, "container_id"),
        }, identity))
        labels = as_dict(dig(inspect, "Config", "Labels"))
        try:
            expected_name = _profile.container_name(run_id, identity)
        except _profile.ProfileError:
            expected_name = None
        name = dig(inspect, "Name")
        finding.add(_agree("container_name", "%s container name" % identity, {
            "run.json#/run_id (rendered)": expected_name,
            ins + "#/0/Name": name[1:] if isinstance(name, str) and name.startswith("/") else name,
            res + "#/container_name": dig(result, "container_name"),
        }, identity))
        finding.add(_agree("run_labels", "%s run id" % identity, {
            "run.json#/run_id": run_id,
            ins + "#/0/Config/Labels/" + _profile.LABEL_RUN_ID: labels.get(_profile.LABEL_RUN_ID),
        }, identity))
        identity_label = labels.get(_profile.LABEL_IDENTITY)
        finding.add(Check(
            "identity_label",
            MISSING if inspect is None else PASS if identity_label == identity else FAIL,
            "%s container labelled identity %s" % (identity, short(identity_label)), identity,
            refs=(ins + "#/0/Config/Labels",)))
        config_image = dig(inspect, "Config", "Image")
        finding.add(_agree("image_id", "%s image ID" % identity, {
            "run.json#/image_id": image_id,
            ins + "#/0/Image": dig(inspect, "Image"),
            ins + "#/0/Config/Image": config_image,
            identity_path(identity, "argv.json") + "#/-1": argv[-1] if isinstance(
                argv, list) and argv else None,
        }, identity))
        label = ins + "#/0/Config/Labels/sandbox.attest.probe-sha256"
        finding.add(_agree("probe_sha256", "%s probe sha256" % identity, {
            "run.json#/probe_sha256": probe_sha,
            probe + "#META/exe_sha256": dig(meta, "exe_sha256"),
            # The probe image labels itself with its probe's digest (plugin_utils/_probe_image).
            label: labels.get("sandbox.attest.probe-sha256"),
        }, identity, missing_ok=(label,)))

    finding.add(_agree("engine_id", "engine ID", {
        "venue.json#/engine_id": dig(evidence.doc("venue.json"), "engine_id"),
        "engine/facts.json#/engine_id": dig(evidence.doc("engine/facts.json"), "engine_id"),
    }))

    if shipped is None:
        finding.add(Check("shipped", MISSING, "shipped image ID and probe sha256 unknown: %s"
                          % (shipped_problem or "not computed"), refs=("run.json",)))
    else:
        for check_id, what, bundle_value, shipped_value in (
                ("image_shipped", "image ID", image_id, shipped.image_id),
                ("probe_shipped", "probe sha256", probe_sha, shipped.probe_sha256)):
            ok = bundle_value == shipped_value
            finding.add(Check(
                check_id, PASS if ok else FAIL,
                "%s %s the one this collection ships" % (what, "is" if ok else "is not"),
                expected=shipped_value, observed=short(bundle_value),
                refs=("run.json#/" + ("image_id" if check_id == "image_shipped"
                                      else "probe_sha256"),)))
    return finding
