# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build realistic evidence bundles for the verifier's tests (and bench/verify).

Follows docs/evidence-bundle.md and docs/probe-output.md. The observations are the measured
ones: tests/unit/data/ holds the real probe's output (files/sandbox-probe in the collection's
probe image) and `docker inspect` of its containers, created with _profile.create_argv on
Docker 20.10.24 / runc 1.1.5 for both identities (run root rewritten to the default), with IDs
rewritten per bundle. A test edits the model
(EvidenceModel) before writing for a consistent forgery, or edits files after writing (then
integrity must catch it, unless it calls write_manifest again).
"""

from __future__ import annotations

import atexit
import copy
import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _json, _profile, _seccomp
from ansible_collections.sandbox.attest.plugins.module_utils import _venue_signature as signing
from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import MANIFEST_FORMAT

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
RUN_ID = "20261128T223131Z-1a2b3c4d"
HOST = "vps1"
ENGINE_ID = "JPSI:WENE:NVGX:MKWC:HVPC:5ZJ6:NSX6:IVUL:L6LL:LM4D:7IEM:QPWB"
MACHINE_ID = "5f1c0d9e8b7a46e1a2b3c4d5e6f70819"
MACHINE_SHA = hashlib.sha256(MACHINE_ID.encode()).hexdigest()
FINGERPRINT = "sha256:" + hashlib.sha256(
    ("%s\n%s\n" % (MACHINE_SHA, ENGINE_ID)).encode()).hexdigest()
RUN_ROOT = "/var/lib/sandbox-attest"
FAKE_PROBE = b"\x7fELF sandbox-probe stand-in for the verifier's unit tests\n"

# What the captured inspect documents were created with (rewritten per bundle).
CAPTURED_RUN_ID = "20261128T224548Z-91f9f4ff"
CAPTURED_IDS = {
    "workload": "d6818f0646ae39c2e9a6075af9489e5200585410d07d5e1df070e6ae00d16240",
    "root": "4297c9e402b12af225cdc008dbf3a63006aaa18396c433e70b9009a4ee7d41b0",
}
CAPTURED_IMAGE = "sha256:66046597ca4315f35cd5e212883a9e504a9d8dca339226ae711dd2377fe092b7"
CAPTURED_PROBE_SHA = "97efcbf66d45792d1765f1174070b20673616846165e182e01429ad1e3573c15"


@dataclass(frozen=True)
class Capture:
    """One real capture of both run containers' inspect documents (tests/unit/data/README.md):
    where it lies, what it was created with (rewritten per bundle) and its engine's facts."""

    directory: str
    run_id: str
    ids: dict[str, str]
    run_root: str
    facts: dict[str, Any]


# Where the second dockerd kept its data and its run roots: paths of the measuring machine, as
# the captured documents name them (text here, never opened).
SECOND_ENGINE_FACTS = {"storage_driver": "vfs",
                       "docker_root_dir": "/tmp/wt12a-dd/root"}  # noqa: S108
SECOND_ENGINE_RUN_ROOT = "/tmp/wt12a-dd/runroot"  # noqa: S108

CAPTURES = {
    # This project's engine.
    "fuse-overlayfs": Capture("", CAPTURED_RUN_ID, CAPTURED_IDS, RUN_ROOT, {
        "storage_driver": "fuse-overlayfs", "docker_root_dir": "/var/lib/docker"}),
    # A second dockerd of the same build, started as the Molecule test hosts start theirs.
    "vfs": Capture("vfs", "20261129T213032Z-efcba6a5", {
        "workload": "db0ab20e3ab406a7423ca3c99993d0f0e47f5e1613c0d62c094b061d23841dd4",
        "root": "eb57b841cc3c5c9c6292be24dda1b66345b36ce82f7a1c512af81af223d9119a",
    }, SECOND_ENGINE_RUN_ROOT, SECOND_ENGINE_FACTS),
    # The same, with --log-opt mode=non-blocking --log-opt labels=a --default-ulimit
    # nofile=1024:2048 --default-shm-size=128m: daemon options no engine fact records (the
    # profile's --shm-size keeps the last one out).
    "vfs-daemon-options": Capture("vfs-daemon-options", "20261129T213040Z-9dd20778", {
        "workload": "65309b6b3cc7888bb11072112d595072469e42728af85a507379cde224e11b62",
        "root": "4f8a6c2f70eb73216294c0760cae46d526b35085576bb5d48475bc66f87093df",
    }, SECOND_ENGINE_RUN_ROOT, SECOND_ENGINE_FACTS),
    # A Molecule test host's bundle (the automated path over SSH): the same engine build, its
    # own docker CLI 20.10.24, which sends null where this machine's CLI 28.2.2 sends [].
    "molecule-host": Capture("molecule-host", "20261129T213932Z-105a3551", {
        "workload": "0abe2acc16e4dd4b6a7fc32a04c7d04e163fec59dd93b4298c7612e409ca70b8",
        "root": "2a7994cc70d8c46ed529ce70de75bc5177faf524fce17598b28f3b34008ea0ae",
    }, RUN_ROOT, {"storage_driver": "vfs", "docker_root_dir": "/var/lib/docker"}),
}
DEFAULT_CAPTURE = "fuse-overlayfs"
BASE_NANO = 1795905091000000000


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def container_id(identity: str, run_id: str = RUN_ID) -> str:
    return sha256(("container %s %s" % (run_id, identity)).encode())


def _rewrite(text: str, identity: str, cid: str, image_id: str, run_id: str,
             probe_sha: str, capture: Capture = CAPTURES[DEFAULT_CAPTURE]) -> str:
    captured = capture.ids[identity]
    text = text.replace(captured, cid).replace(captured[:12], cid[:12])
    text = text.replace(CAPTURED_IMAGE, image_id).replace(capture.run_id, run_id)
    text = text.replace('"%s/' % capture.run_root, '"%s/' % RUN_ROOT)
    return text.replace(CAPTURED_PROBE_SHA, probe_sha)


def probe_lines(identity: str, cid: str, probe_sha: str,
                directory: str = "") -> list[dict[str, Any]]:
    """The real probe's output under the hardened profile, rewritten for this bundle
    (`directory`: an earlier probe's capture, e.g. probe-1.0.0)."""
    path = os.path.join(DATA, directory, "probe-%s.jsonl" % identity)
    with open(path, encoding="utf-8") as handle:
        text = _rewrite(handle.read(), identity, cid, "", "", probe_sha)
    lines = [json.loads(line) for line in text.splitlines()]
    out_ok = ("sandbox-attest ok %s\n" % cid).encode()
    for line in lines:
        if line["probe"] == "PR-FS-OUT-OK":
            # The file names its container, so its digest changes with the rewritten ID.
            line["obs"][0].update(sha256=sha256(out_ok), bytes=len(out_ok), ret=len(out_ok))
    return lines


def captured_inspect(identity: str, cid: str, image_id: str, run_id: str, probe_sha: str,
                     seccomp_name: str, capture: str = DEFAULT_CAPTURE) -> list[dict[str, Any]]:
    source = CAPTURES[capture]
    path = os.path.join(DATA, source.directory, "inspect-%s.json" % identity)
    with open(path, encoding="utf-8") as handle:
        text = _rewrite(handle.read(), identity, cid, image_id, run_id, probe_sha, source)
    document = json.loads(text)
    container = document[0]
    # The profile text may have changed since the capture: inline the shipped one, as the CLI does.
    container["HostConfig"]["SecurityOpt"] = [
        "no-new-privileges=true",
        "seccomp=" + _json.canonical_text(_seccomp.seccomp_profile(seccomp_name))]
    return document


@dataclass
class EvidenceModel:
    """Every document of one bundle, editable before it is written."""

    run_id: str = RUN_ID
    host: str = HOST
    seccomp_name: str = "targeted-deny"
    image_id: str = ""
    probe_sha: str = ""
    docs: dict[str, Any] = field(default_factory=dict)
    probes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)

    def inspect(self, identity: str) -> dict[str, Any]:
        return self.docs["identities/%s/inspect.json" % identity][0]

    def probe(self, identity: str, probe: str) -> dict[str, Any]:
        return next(line for line in self.probes[identity] if line["probe"] == probe)

    def observation(self, identity: str, probe: str, op: str,
                    target: str | None = None) -> dict[str, Any]:
        return next(o for o in self.probe(identity, probe)["obs"]
                    if o["op"] == op and (target is None or o["target"] == target))

    def drop_probe(self, identity: str, probe: str) -> None:
        self.probes[identity] = [line for line in self.probes[identity] if line["probe"] != probe]


def run_commands(argv: list[str], cid: str) -> list[list[str]]:
    """What sandbox_run records for one identity (module_utils/_sandbox_run.Run)."""
    cli = argv[0]
    return [argv, [cli, "start", cid], [cli, "wait", cid], [cli, "logs", cid],
            [cli, "inspect", cid], [cli, "rm", "--force", "--volumes", cid],
            [cli, "container", "inspect", "--format", "{{.Id}}", cid]]


def packet_digest(probe_path: str, host: str = HOST, seccomp_name: str = "targeted-deny",
                  limits: dict[str, int] | None = None, run_root: str = RUN_ROOT,
                  version: str = "0.1.0", host_key_name: str | None = "venue") -> str:
    """The packet_sha256 a bundle of the packet rendered with these settings (and the test
    venue's pinned host key) records."""
    from ansible_collections.sandbox.attest.plugins.plugin_utils.packet._render import (
        PacketSettings,
        packet_sha256,
    )
    with open(probe_path, "rb") as handle:
        probe = handle.read()
    return packet_sha256(probe, PacketSettings(
        host=host, collection_version=version, seccomp_profile=seccomp_name,
        limits=limits or {}, run_root=run_root,
        host_key=host_key(host_key_name)[1] if host_key_name else ""))


def make_model(probe_path: str, image_id: str, probe_sha: str, *, run_id: str = RUN_ID,
               host: str = HOST, seccomp_name: str = "targeted-deny",
               path: str = "automated", capture: str = DEFAULT_CAPTURE) -> EvidenceModel:
    # The image and probe digests are computed by the caller, as the verifier will; a packet
    # bundle records the digest of the packet this collection renders for its settings.
    model = EvidenceModel(run_id=run_id, host=host, seccomp_name=seccomp_name,
                          image_id=image_id, probe_sha=probe_sha)
    limits = _profile.resolve_limits()
    docs = model.docs
    docs["run.json"] = {
        "format": 1, "run_id": run_id,
        "producer": {"path": path, "collection": "sandbox.attest", "collection_version": "0.1.0",
                     "packet_sha256": packet_digest(probe_path, host, seccomp_name, limits)
                     if path == "packet" else None},
        "inventory_hostname": host, "runtime": "docker", "seccomp_profile": seccomp_name,
        "image_id": image_id, "probe_sha256": probe_sha, "identities": ["workload", "root"],
        "started_at": "2026-11-28T22:31:31Z", "finished_at": "2026-11-28T22:31:36Z"}
    if path == "packet":
        # What the packet's script writes: the format of the packet this collection renders.
        from ansible_collections.sandbox.attest.plugins.plugin_utils.packet._render import (
            PACKET_FORMAT,
        )
        docs["run.json"]["producer"]["packet_format"] = PACKET_FORMAT
    docs["venue.json"] = {"format": 1, "fingerprint": FINGERPRINT, "machine_id_sha256": MACHINE_SHA,
                          "engine_id": ENGINE_ID,
                          "method": "sha256(sha256(machine-id) LF engine-id LF)"}
    docs["engine/facts.json"] = {
        "format": 1, "engine_id": ENGINE_ID, "server_version": "20.10.24+dfsg1",
        "api_version": "1.41", "kernel_version": "6.18.44-fc-v657",
        "operating_system": "Debian GNU/Linux 12 (bookworm)", "os_type": "linux",
        "architecture": "x86_64", "security_options": ["name=seccomp,profile=default"],
        "cgroup_driver": "cgroupfs", "cgroup_version": "1", "default_runtime": "runc",
        "logging_driver": "json-file", **CAPTURES[capture].facts}
    docs["profile/profile.json"] = _profile.profile_document(seccomp_name, limits)
    model.raw["profile/seccomp.json"] = _json.canonical_text(
        _seccomp.seccomp_profile(seccomp_name)).encode("ascii")

    postgres = sha256(b"postgres container")
    bridge, host_net, none_net = (sha256(name.encode()) for name in ("bridge", "host", "none"))
    snapshot = {
        "format": 2, "taken_at": "2026-11-28T22:31:31Z",
        "containers": [{"id": postgres, "name": "postgres", "image": "postgres:16",
                        "image_id": "sha256:" + sha256(b"postgres image"), "state": "running",
                        "started_at": "2026-11-01T00:00:00.123456789Z", "restart_count": 0,
                        "restart_policy": "always", "run_id": None,
                        "config_sha256": sha256(b"postgres config"),
                        "health_cmd_sha256": sha256(b"pg_isready\n")}],
        "networks": [
            {"id": bridge, "name": "bridge", "driver": "bridge", "containers": [postgres],
             "config_sha256": sha256(b"bridge config")},
            {"id": host_net, "name": "host", "driver": "host", "containers": [],
             "config_sha256": sha256(b"host config")},
            {"id": none_net, "name": "none", "driver": "null", "containers": [],
             "config_sha256": sha256(b"none config")}],
        "volumes": [{"name": "pgdata", "driver": "local", "run_id": None,
                     "config_sha256": sha256(b"pgdata config")}],
        "images": [
            {"id": "sha256:" + sha256(b"postgres image"), "tags": ["postgres:16"],
             "probe_image": False, "config_sha256": sha256(b"postgres image config")},
            {"id": image_id, "tags": [_profile.probe_image_tag(image_id[len("sha256:"):])],
             "probe_image": True, "config_sha256": sha256(b"probe image config")}],
        "vanished": []}
    docs["snapshots/before.json"] = snapshot
    after = copy.deepcopy(snapshot)
    after["taken_at"] = "2026-11-28T22:31:36Z"
    docs["snapshots/after.json"] = after

    events = []
    nano = BASE_NANO
    for identity in ("workload", "root"):
        cid = container_id(identity, run_id)
        name = _profile.container_name(run_id, identity)
        for kind, action, ident, ev_name in (
                ("container", "create", cid, name), ("network", "connect", none_net, "none"),
                ("container", "start", cid, name), ("container", "die", cid, name),
                ("network", "disconnect", none_net, "none"), ("container", "destroy", cid, name)):
            nano += 7_000_000
            # As the engine logs them: a network event names the container it concerns.
            events.append({"time_nano": nano, "type": kind, "action": action, "id": ident,
                           "name": ev_name, "container": cid if kind == "network" else None,
                           "exec_id": None, "command_sha256": None})
    docs["engine/events.jsonl"] = events

    # The identities run one after the other, within the run window.
    for identity, started, finished in (
            ("workload", "2026-11-28T22:31:32Z", "2026-11-28T22:31:33Z"),
            ("root", "2026-11-28T22:31:33Z", "2026-11-28T22:31:34Z")):
        cid = container_id(identity, run_id)
        base = "identities/%s/" % identity
        paths = _profile.run_paths(RUN_ROOT, run_id, identity, seccomp_name)
        argv = _profile.create_argv("docker", run_id, identity, image_id, paths, limits)
        docs[base + "argv.json"] = argv
        docs[base + "result.json"] = {
            "format": 1, "identity": identity, "user": _profile.identity_user(identity),
            "container_id": cid, "container_name": _profile.container_name(run_id, identity),
            "exit_code": 0, "timed_out": False, "timeout_s": limits["timeout_s"],
            "started_at": started, "finished_at": finished,
            "removed": True, "commands": run_commands(argv, cid)}
        model.probes[identity] = probe_lines(identity, cid, probe_sha)
        # The probe's clock reading falls within its container's run.
        model.probe(identity, "META")["time"] = started
        docs[base + "inspect.json"] = captured_inspect(identity, cid, image_id, run_id,
                                                       probe_sha, seccomp_name, capture)
        out_ok = ("sandbox-attest ok %s\n" % cid).encode()
        docs[base + "fetch.json"] = {"format": 1, "copied": [
            {"name": "ok", "bytes": len(out_ok), "sha256": sha256(out_ok)}], "refused": []}
        model.raw[base + "out/ok"] = out_ok
        model.raw[base + "stderr.txt"] = b""
    return model


def render(model: EvidenceModel) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path, document in model.docs.items():
        if path.endswith(".jsonl"):
            files[path] = "".join(json.dumps(line, sort_keys=True) + "\n"
                                  for line in document).encode()
        else:
            files[path] = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
    for identity, lines in model.probes.items():
        files["identities/%s/probe.jsonl" % identity] = "".join(
            json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
    files.update(model.raw)
    return files


HOST_KEYS = os.path.join(DATA, "host-keys")


@functools.cache
def host_key(name: str = "venue") -> tuple[str, str]:
    """(private key path, pin) of a test venue's SSH host key: tests/unit/data/host-keys/<name>,
    ed25519 keys made by ssh-keygen for these tests only (fixed, so that signatures and the
    golden digests do not change between runs; ed25519 signs deterministically). Copied 0600
    into a directory of the process (ssh-keygen refuses a key others can read; this module may
    be imported under two names, and both use the same copy)."""
    directory = os.path.join(tempfile.gettempdir(), "sandbox-attest-test-host-keys-%d-%s"
                             % (os.getpid(), name))
    path = os.path.join(directory, "ssh_host_ed25519_key")
    if not os.path.exists(path):
        os.makedirs(directory, mode=0o700, exist_ok=True)
        with open(os.path.join(HOST_KEYS, name), "rb") as handle:
            key = handle.read()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        atexit.register(shutil.rmtree, directory, True)
    with open(os.path.join(HOST_KEYS, name + ".pub"), encoding="ascii") as handle:
        return path, signing.parse_pin(handle.read())


def _regular_files(root: str, skipped_dirs: tuple[str, ...]) -> dict[str, bytes]:
    """Every regular file of the bundle but the manifest and the top directories named."""
    files = {}
    for directory, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        if rel_dir.split(os.sep)[0] in skipped_dirs:
            dirnames[:] = []
            continue
        for name in filenames:
            path = os.path.join(directory, name)
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
            if rel == "manifest.json" or os.path.islink(path):
                continue
            with open(path, "rb") as handle:
                files[rel] = handle.read()
    return files


def _evidence_files(root: str) -> dict[str, bytes]:
    """Every regular file of the bundle but the manifest, the signature and verification/."""
    return _regular_files(root, ("verification", signing.SIGNATURE_DIR))


def sign_bundle(root: str, key: str | None = "venue", pin: str | None = None) -> None:
    """(Re)write signature/ as the venue does (module_utils/_venue_signature.seal): the
    statement over every evidence file, signed with the test host key `key` (None: unsigned).
    Call write_manifest after it."""
    files = _evidence_files(root)
    run, venue = json.loads(files["run.json"]), json.loads(files["venue.json"])
    key_dir = os.path.dirname(host_key(key)[0]) if key else None
    sealed = signing.seal(files, run.get("run_id"), venue.get("fingerprint"),
                          pin or (host_key(key)[1] if key else None),
                          pattern=os.path.join(key_dir, "ssh_host_*_key") if key_dir
                          else "/nonexistent/ssh_host_*_key")
    directory = os.path.join(root, signing.SIGNATURE_DIR)
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        os.unlink(os.path.join(directory, name))
    for path, data in sealed.items():
        with open(os.path.join(root, *path.split("/")), "wb") as handle:
            handle.write(data)


def resealed(files: dict[str, bytes], key: str = "venue") -> dict[str, bytes]:
    """The files (manifest.json aside) with the venue's statement made and signed again over
    them with test host key `key`: a consistent forgery by whoever holds the venue's key."""
    evidence = {path: data for path, data in files.items()
                if path != "manifest.json" and not path.startswith(signing.SIGNATURE_DIR + "/")}
    run, venue = json.loads(evidence["run.json"]), json.loads(evidence["venue.json"])
    key_path, pin = host_key(key)
    # As seal() signs when the pinned key is found (the key is known here: one ssh-keygen less
    # for each of the mutation tests' thousands of bundles).
    statement = _json.pretty(signing.statement_document(
        run.get("run_id"), venue.get("fingerprint"), pin, evidence, None))
    evidence[signing.STATEMENT] = statement
    evidence[signing.STATEMENT_SIG] = signing.sign(statement, key_path)
    return evidence


def write_manifest(root: str) -> None:
    """(Re)compute manifest.json over every regular file, as the evidence role does."""
    files = {rel: sha256(data) for rel, data in _regular_files(root, ("verification",)).items()}
    with open(os.path.join(root, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump({"format": MANIFEST_FORMAT, "algorithm": "sha256",
                   "files": dict(sorted(files.items()))},
                  handle, indent=2)
        handle.write("\n")


def write(model: EvidenceModel, root: str, key: str | None = "venue") -> str:
    """The bundle as the venue seals it (signed with test host key `key`; None: unsigned) and
    the controller writes it (the manifest)."""
    for path, data in render(model).items():
        target = os.path.join(root, *path.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)
    sign_bundle(root, key)
    write_manifest(root)
    return root


def check_failed(verdict: Any, finding: str, check_id: str) -> bool:
    """Whether the verdict's finding holds a failed check of that id."""
    return any(c.id == check_id and c.outcome == "fail" for c in verdict.finding(finding).checks)
