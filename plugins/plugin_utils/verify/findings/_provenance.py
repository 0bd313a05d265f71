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
import itertools
import os
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils._collection import missing_probe
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle import _format as bundle_format
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import identity_path
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import collection_version
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_vocabulary import (
    VOCABULARIES,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    INFO,
    MISSING,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    dig,
    inspect_doc,
    short,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._old_probes import (
    refusal,
    refused_by,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    ProbeOutput,
)

PROBE_IMAGE_MODULE = "ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image"
PACKET_MODULE = "ansible_collections.sandbox.attest.plugins.plugin_utils.packet._render"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
PRODUCER_REF = "run.json#/producer"


@dataclass(frozen=True)
class Shipped:
    """What this collection ships: the probe image's ID and the probe binary's sha256."""

    image_id: str
    probe_sha256: str
    source: str


def shipped_artifacts(probe_path: str) -> tuple[Shipped | None, str | None]:
    """Compute the shipped values from the probe binary (the one I/O step of this module)."""
    if not os.path.isfile(probe_path):
        return None, missing_probe(probe_path, "no such file")
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


def _shipped_checks(image_id: Any, probe_sha: Any, shipped: Shipped,
                    expectations: dict[str, Any]) -> list[Check]:
    """The bundle's image ID and probe sha256 against the shipped ones. An earlier probe's
    (data/expectations.yml, probe.refused) is refused with its version named, not failed."""
    checks = []
    for check_id, what, key, bundle_value, shipped_value in (
            ("image_shipped", "image ID", "image_id", image_id, shipped.image_id),
            ("probe_shipped", "probe sha256", "sha256", probe_sha, shipped.probe_sha256)):
        ref = ("run.json#/" + ("image_id" if key == "image_id" else "probe_sha256"),)
        earlier = refused_by(expectations, key, bundle_value)
        if bundle_value != shipped_value and earlier is not None:
            checks.append(Check(check_id, PARTIAL, "%s %s" % (what, refusal(earlier, expectations)),
                                expected=shipped_value, observed=short(bundle_value), refs=ref))
            continue
        ok = bundle_value == shipped_value
        checks.append(Check(
            check_id, PASS if ok else FAIL,
            "%s %s the one this collection ships" % (what, "is" if ok else "is not"),
            expected=shipped_value, observed=short(bundle_value), refs=ref))
    return checks


def check_provenance(evidence: Evidence, identities: list[str],
                     probe_outputs: dict[str, ProbeOutput], shipped: Shipped | None,
                     shipped_problem: str | None,
                     expectations: dict[str, Any] | None = None) -> Finding:
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
        top_image = dig(inspect, "Image")
        if VOCABULARIES[evidence.runtime()].image_ids_bare and isinstance(top_image, str) \
                and ":" not in top_image:
            # Podman's top-level Image is the bare hex ID (measured); Config.Image is the argv's.
            top_image = "sha256:" + top_image
        finding.add(_agree("image_id", "%s image ID" % identity, {
            "run.json#/image_id": image_id,
            ins + "#/0/Image": top_image,
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
        for check in _shipped_checks(image_id, probe_sha, shipped, expectations or {}):
            finding.add(check)
    earlier = refused_by(expectations or {}, "sha256", probe_sha)
    if earlier is not None:
        # A packet renders the probe into its bytes: one made with an earlier probe cannot be
        # re-rendered here, and is refused above already.
        shipped, shipped_problem = None, "made with sandbox-probe %s" % short(
            earlier.get("version"), 20)
    for check in producer_checks(evidence, identities, shipped, shipped_problem):
        finding.add(check)
    return finding


def run_root_of(evidence: Evidence, identities: list[str]) -> tuple[str | None, str | None]:
    """The run root every identity's argv mounts /in from (<run root>/<run id>/<id>/in)."""
    roots = set()
    for identity in identities:
        argv = evidence.identity_doc(identity, "argv.json")
        words = argv if isinstance(argv, list) else []
        sources = [part[len("source="):] for prev, word in itertools.pairwise(words)
                   if prev == "--mount" and isinstance(word, str) and "target=/in" in word
                   for part in word.split(",") if part.startswith("source=")]
        if len(sources) != 1:
            return None, "%s has no single /in bind" % identity_path(identity, "argv.json")
        roots.add(posixpath.dirname(posixpath.dirname(posixpath.dirname(sources[0]))))
    if len(roots) != 1:
        return None, "the identities' argv mount /in from different run roots"
    return roots.pop(), None


def _packet_module() -> tuple[Any, str | None]:
    """The packet renderer (imported here: it builds the probe image), or why it cannot be."""
    try:
        return importlib.import_module(PACKET_MODULE), None
    except ImportError as exc:
        return None, "cannot import the packet renderer: %s" % exc


def _rendered_packet(evidence: Evidence, identities: list[str], shipped: Shipped | None,
                     shipped_problem: str | None, packet: Any) -> tuple[str | None, str,
                                                                        str | None]:
    """(the digest this collection renders for the bundle's settings or None, the settings
    in words, why it cannot be rendered: a reason for INFO, or "FAIL:" and a reason).

    The bundle's collection version is one of the settings: the packet format (the same here)
    pins every other byte of the packet, so a packet of another release of this format is
    re-rendered too."""
    run = evidence.doc("run.json")
    producer = as_dict(dig(run, "producer"))
    version = producer.get("collection_version")
    limits = dig(evidence.doc("profile/profile.json"), "limits")
    run_root, root_problem = run_root_of(evidence, identities)
    host, seccomp = dig(run, "inventory_hostname"), dig(run, "seccomp_profile")
    words = "venue %s, seccomp %s, limits %s, run root %s, collection %s%s" % (
        short(host, 60), short(seccomp, 40), short(limits, 160), short(run_root, 80),
        short(version, 20), "" if dig(run, "runtime") in (None, "docker")
        else ", runtime %s" % short(dig(run, "runtime"), 20))
    if shipped is None:
        return None, words, shipped_problem or "the shipped probe is unknown"
    if run_root is None:
        return None, words, root_problem
    if not isinstance(limits, dict):
        return None, words, "profile/profile.json has no limits"
    try:
        with open(shipped.source, "rb") as handle:
            probe = handle.read()
        settings = packet.PacketSettings(
            host=host, collection_version=version, seccomp_profile=seccomp,
            limits={key: value for key, value in limits.items()
                    if key in _profile.LIMIT_BOUNDS},
            run_root=run_root,
            # The pin the packet was rendered with, as its statement records it (the signature
            # finding checks it against the inventory's).
            host_key=_stated_host_key(evidence),
            # The engine the script drove, as run.json records it (docker when not said).
            runtime=dig(run, "runtime") or "docker")
        return packet.packet_sha256(probe, settings), words, None
    except OSError as exc:
        return None, words, "cannot read the shipped probe %s: %s" % (shipped.source, exc)
    except ValueError as exc:
        # PacketError: no packet of this collection has these settings.
        return None, words, "FAIL:%s" % exc


def _stated_host_key(evidence: Evidence) -> str:
    key = dig(evidence.doc(bundle_format.STATEMENT), "host_key")
    return key if isinstance(key, str) else ""


def packet_format_check(producer: dict, mine: int) -> Check:
    """The bundle's packet format against the one this verifier renders: another one (or none
    recorded: format 0, before formats were recorded) is never READY, and the reason names the
    release to verify it with; the evidence may be honest, so PARTIAL, not FAILED."""
    ref = (PRODUCER_REF + "/packet_format",)
    recorded = producer.get("packet_format", 0)
    given = "packet_format" in producer
    if given and (isinstance(recorded, bool) or not isinstance(recorded, int) or recorded < 1):
        return Check("packet_format", FAIL, "run.json names no packet format (packet_format "
                     "%s)" % short(recorded, 40), expected="an integer from 1",
                     observed=short(recorded), refs=ref)
    if recorded != mine:
        none = "" if given else " (none recorded: rendered before packet formats were recorded)"
        return Check("packet_format", PARTIAL, "packet format %d%s: verify it with a "
                     "sandbox.attest release whose packet format is %d (this verifier "
                     "renders packet format %d)" % (recorded, none, recorded, mine),
                     expected=str(mine), observed=str(recorded), refs=ref)
    return Check("packet_format", PASS, "packet format %d, the one this verifier renders"
                 % mine, expected=str(mine), observed=str(recorded), refs=ref)


def packet_release_check(producer: dict, mine: str) -> Check:
    """A packet of another release renders the same for its settings (the packet format pins
    its bytes), but that release's expectations and checks may differ from this verifier's:
    never READY, and the reason names the release to verify it with."""
    ref = (PRODUCER_REF + "/collection_version",)
    recorded = producer.get("collection_version")
    if recorded != mine:
        release = short(recorded, 40)
        return Check("packet_release", PARTIAL, "packet of sandbox.attest %s: verify it with "
                     "sandbox.attest %s (this verifier is %s)" % (release, release, mine),
                     expected=mine, observed=short(recorded), refs=ref)
    return Check("packet_release", PASS, "packet of sandbox.attest %s, this verifier's release"
                 % mine, expected=mine, observed=str(recorded), refs=ref)


def producer_checks(evidence: Evidence, identities: list[str], shipped: Shipped | None,
                    shipped_problem: str | None) -> list[Check]:
    """Which path produced the bundle, and for a packet: which packet (docs/architecture.md,
    trust model).

    A packet bundle must carry its packet's digest (sha256 of the packet's SHA256SUMS). The
    rendering is deterministic, so the packet this collection renders for the settings the
    bundle records (venue, seccomp profile, limits, run root, collection version) and compares
    digests: a different digest means an edited packet (or another renderer). A packet of
    another packet format (packet_format_check) is not re-rendered and never READY. When the
    packet cannot be re-rendered here for another reason (the shipped probe unknown) that is
    said, not failed: the argv and inspect checks still hold every run to the profile.
    """
    producer = dig(evidence.doc("run.json"), "producer")
    path = dig(producer, "path")
    digest = dig(producer, "packet_sha256")
    if path == "automated":
        if digest is not None:
            return [Check("producer", FAIL, "an automated bundle names a packet digest (%s)"
                          % short(digest, 80), refs=(PRODUCER_REF,))]
        if as_dict(producer).get("packet_format") is not None:
            return [Check("producer", FAIL, "an automated bundle names a packet format (%s)"
                          % short(as_dict(producer).get("packet_format"), 40),
                          refs=(PRODUCER_REF,))]
        return []
    if path != "packet":
        return [Check("producer", FAIL, "run.json names no known producer path (%s)"
                      % short(path, 40), refs=(PRODUCER_REF,))]
    if not (isinstance(digest, str) and HEX64.match(digest)):
        return [Check("packet_digest", FAIL, "a packet bundle without a well-formed packet "
                      "digest (packet_sha256 %s)" % short(digest, 80),
                      expected="64 lowercase hex", observed=short(digest, 80),
                      refs=(PRODUCER_REF + "/packet_sha256",))]
    checks = [Check("packet_digest", PASS, "produced by the operator packet %s" % digest,
                    observed=digest, refs=(PRODUCER_REF + "/packet_sha256",))]
    refs = (PRODUCER_REF + "/packet_sha256", "run.json", "profile/profile.json")
    packet, import_problem = _packet_module()
    if packet is None:
        checks.append(Check("packet_rendered", INFO, "packet %s not re-rendered: %s"
                            % (digest[:16], import_problem), observed=digest, refs=refs))
        return checks
    format_check = packet_format_check(as_dict(producer), packet.PACKET_FORMAT)
    checks.append(format_check)
    if format_check.outcome != PASS:
        return checks
    rendered, words, problem = _rendered_packet(evidence, identities, shipped, shipped_problem,
                                                packet)
    if problem and problem.startswith("FAIL:"):
        checks.append(Check("packet_rendered", FAIL, "no packet this collection renders has "
                            "the bundle's settings (%s): %s" % (words, problem[5:]),
                            observed=digest, refs=refs))
    elif rendered is None:
        checks.append(Check("packet_rendered", INFO, "packet %s not re-rendered: %s"
                            % (digest[:16], problem), observed=digest, refs=refs))
    elif rendered == digest:
        checks.append(Check("packet_rendered", PASS, "packet %s is the one this collection "
                            "renders for %s" % (digest[:16], words), expected=rendered,
                            observed=digest, refs=refs))
        checks.append(packet_release_check(as_dict(producer), collection_version()))
    else:
        checks.append(Check("packet_rendered", FAIL, "packet %s is not the one this collection "
                            "renders for %s (%s): the packet was edited after it was rendered"
                            % (digest[:16], words, rendered[:16]), expected=rendered,
                            observed=digest, refs=refs))
    return checks
