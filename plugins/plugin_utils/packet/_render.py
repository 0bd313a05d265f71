# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator packet: rendered on the controller, byte for byte determined by its settings.

A packet is the probe image archive, the profile and seccomp JSON, a POSIX sh script and a
README, plus SHA256SUMS (the digest of each); the packet's digest is the sha256 of SHA256SUMS.
The script and README are the files of template/ (named as in the packet), read at render time,
with every `@@NAME@@` filled in. Nothing in them is typed twice: the create argv of each identity
is _profile.create_argv rendered with sentinel values that become the script's "$RUN_ID" and
"$RUN_ROOT"; the engine --format templates are the module_utils constants, shell-quoted; the
bundle's files, names, format numbers, caps, fetch bounds and run-id format come from
bundle/_format.py and module_utils/_bundle_format.py. Because the rendering is deterministic
(no time, no randomness), the verifier re-renders the packet from the settings a bundle
records and so tells whether the bundle came from the packet this collection renders.

The packet renders for a runtime (PACKET_RUNTIMES: docker, or rootful podman): the template's
runtime sections (runtime_text) hold what only one engine needs, and every engine command,
template and rule is that runtime's module_utils constant, so Docker's packet is byte for byte
what it was before Podman's sections existed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import posixpath
import re
import tarfile
from dataclasses import dataclass, field

from ansible_collections.sandbox.attest.plugins.module_utils import (
    _bundle_format,
    _engine,
    _facts,
    _profile,
    _snapshot,
    _snapshot_podman,
    _venue_signature,
)
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical, pretty
from ansible_collections.sandbox.attest.plugins.module_utils._seccomp import (
    seccomp_profile,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import (
    ProbeImage,
    build_probe_image,
    fixed_tar_info,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle import _format as bundle

# The packet format version. Every change of the rendered packet's bytes - its script, its README,
# its profile, seccomp or image files, for the same settings and probe - moves it by one once the
# current format has landed on main (CI green; before that no packet of it exists outside a
# checkout): the golden packet digests (tests/unit/test_golden.py) catch the change, and the
# verifier re-renders only packets of its own format (docs/evidence-bundle.md, run.json). The
# script records it in the bundle's run.json (producer.packet_format); packets rendered before
# it existed record none and are format 0. Format 1 landed at a37ac67, format 2 (the snapshot's
# batched inspect calls) at 5e1e83f; format 3 (the snapshot's lines read by awk, the venue's
# signature) has not landed yet.
PACKET_FORMAT = 3

SCRIPT_NAME = "attest.sh"
README_NAME = "README.md"
IMAGE_NAME = _profile.PROBE_ARCHIVE
SUMS_NAME = "SHA256SUMS"
PROFILE_NAME = "profile/profile.json"
SECCOMP_NAME = "profile/seccomp.json"
# The runtimes a packet renders for (docs/podman-facts.md, "The operator packet under Podman"):
# each one's engine CLI is its name, run from PATH as the operator's shell finds it.
PACKET_RUNTIMES = ("docker", "podman")
TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "template")
# Rendered lines stay shorter than this, where a word list is wrapped to fit.
WIDTH = 100

# Stand-ins rendered into the argv, then replaced by the script's own variables. The run id
# sentinel matches RUN_ID_PATTERN (create_argv checks it) and can occur nowhere else.
SENTINEL_RUN_ID = "00000000T000000Z-00000000"
SENTINEL_RUN_ROOT = "/sandbox-attest-packet-run-root"
_SENTINELS = re.compile("(%s|%s)" % (re.escape(SENTINEL_RUN_ROOT), re.escape(SENTINEL_RUN_ID)))
_SHELL_VARIABLE = {SENTINEL_RUN_ROOT: '"$RUN_ROOT"', SENTINEL_RUN_ID: '"$RUN_ID"'}

# The venue name becomes a directory name and a JSON string in the script: keep it plain.
HOST_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z.+-]{1,40}$")
_PLACEHOLDER = re.compile(r"@@([A-Z0-9_]+)@@")
# A line holding only this comment is a block: the value's lines, at the comment's indentation.
# (The comment keeps the template valid sh where a code block goes, e.g. among case items.)
_BLOCK = re.compile(r"^([ \t]*)# @@([A-Z0-9_]+)@@$")
_PLAIN_WORD = re.compile(r"^[A-Za-z0-9._/-]+$")
# A template's runtime sections: the lines between `# @@ONLY <runtime>...@@` and
# `# @@END ONLY@@` are kept only when rendering for one of the runtimes named, and the two
# marker lines never. Both are comments of sh and awk alike, so the template, with every
# section in it, stays valid sh for shellcheck; a runtime's text is what its sections leave.
_ONLY = re.compile(r"^[ \t]*# @@ONLY ([a-z]+(?: [a-z]+)*)@@$")
_END_ONLY = re.compile(r"^[ \t]*# @@END ONLY@@$")


class PacketError(ValueError):
    """The packet cannot be rendered with these settings."""


@dataclass(frozen=True)
class PacketSettings:
    """Everything a packet depends on besides the probe; each is recorded in its bundle."""

    host: str
    collection_version: str
    seccomp_profile: str = _profile.DEFAULT_SECCOMP_PROFILE
    limits: dict[str, int] = field(default_factory=dict)
    run_root: str = _profile.DEFAULT_RUN_ROOT
    # The venue's pinned public SSH host key, `<type> <base64>`, or "" (the bundle unsigned).
    host_key: str = ""
    # The engine the script drives (PACKET_RUNTIMES), as settings_check normalises it.
    runtime: str = "docker"


@dataclass(frozen=True)
class Packet:
    settings: PacketSettings
    image: ProbeImage
    files: dict[str, bytes]
    argv: dict[str, list[str]]

    @property
    def sums(self) -> bytes:
        return self.files[SUMS_NAME]

    @property
    def packet_sha256(self) -> str:
        return hashlib.sha256(self.sums).hexdigest()

    @property
    def name(self) -> str:
        return "sandbox-attest-packet-%s-%s" % (self.settings.host, self.packet_sha256[:12])

    def digests(self) -> dict[str, str]:
        return {path: hashlib.sha256(data).hexdigest() for path, data in self.files.items()}

    def tarball(self) -> bytes:
        return packet_tarball(self.name, self.files)


def check_settings(settings: PacketSettings) -> PacketSettings:
    """The settings with limits resolved, or PacketError saying what is wrong."""
    if not isinstance(settings.host, str) or not HOST_PATTERN.match(settings.host):
        raise PacketError("the venue name %r must be letters, digits, '.', '_' or '-' (it names "
                          "the bundle's directory)" % (settings.host,))
    if settings.runtime not in PACKET_RUNTIMES:
        raise PacketError("unknown runtime %r (the packet renders for %s)" % (
            settings.runtime, ", ".join(PACKET_RUNTIMES)))
    if settings.seccomp_profile not in _profile.SECCOMP_PROFILES:
        raise PacketError("unknown seccomp profile %r (shipped: %s)" % (
            settings.seccomp_profile, ", ".join(_profile.SECCOMP_PROFILES)))
    try:
        root = _profile.check_run_root(settings.run_root)
    except _profile.ProfileError as exc:
        raise PacketError(str(exc)) from exc
    if not VERSION_PATTERN.match(str(settings.collection_version)):
        raise PacketError("collection version %r is not a version" % (settings.collection_version,))
    try:
        limits = _profile.resolve_limits(settings.limits)
    except _profile.ProfileError as exc:
        raise PacketError(str(exc)) from exc
    try:
        host_key = _venue_signature.parse_pin(settings.host_key) if settings.host_key else ""
    except _venue_signature.PinError as exc:
        raise PacketError(str(exc)) from exc
    return PacketSettings(host=settings.host, collection_version=settings.collection_version,
                          seccomp_profile=settings.seccomp_profile, limits=limits,
                          run_root=root, host_key=host_key, runtime=settings.runtime)


def sh_quote(text: str) -> str:
    """One single-quoted sh word; the only character needing care inside is the quote."""
    return "'%s'" % text.replace("'", "'\\''")


def shell_word(word: str) -> str:
    """A create_argv word with the sentinels as the script's "$RUN_ID" and "$RUN_ROOT"."""
    parts = [part for part in _SENTINELS.split(word) if part]
    return "".join(_SHELL_VARIABLE.get(part) or sh_quote(part) for part in parts) or "''"


def engine_cli(runtime: str) -> str:
    """The engine CLI the script runs for runtime: its name, found on the venue's PATH."""
    return runtime


def sentinel_argv(settings: PacketSettings, identity: str, image_id: str) -> list[str]:
    paths = _profile.run_paths(SENTINEL_RUN_ROOT, SENTINEL_RUN_ID, identity,
                               settings.seccomp_profile)
    return _profile.create_argv(engine_cli(settings.runtime), SENTINEL_RUN_ID, identity,
                                image_id, paths, settings.limits, runtime=settings.runtime)


def _groups(argv: list[str]) -> list[list[str]]:
    """`<cli> create`, then each flag with its value (a value never starts with '-')."""
    groups = [argv[:2]]
    rest = argv[2:]
    index = 0
    while index < len(rest):
        word = rest[index]
        if (word.startswith("-") and index + 1 < len(rest)
                and not rest[index + 1].startswith("-") and index + 1 != len(rest) - 1):
            groups.append(rest[index:index + 2])
            index += 2
        else:
            groups.append([word])
            index += 1
    return groups


def create_function(identity: str, argv: list[str]) -> str:
    """The sh function create_<identity>: run_create with the argv, one flag per line."""
    lines = ["create_%s() {" % identity, "    run_create \\"]
    groups = _groups(argv)
    for number, group in enumerate(groups):
        tail = "" if number == len(groups) - 1 else " \\"
        lines.append("        %s%s" % (" ".join(shell_word(word) for word in group), tail))
    lines.append("}")
    return "\n".join(lines)


def render_script(settings: PacketSettings, image: ProbeImage) -> tuple[str, dict[str, list[str]]]:
    """(the script's text, identity -> create argv with sentinels)."""
    runtime = settings.runtime
    cli = engine_cli(runtime)
    argv = {identity: sentinel_argv(settings, identity, image.image_id)
            for identity in _profile.IDENTITIES}
    values = {
        "VERSION": settings.collection_version,
        "PACKET_FORMAT": str(PACKET_FORMAT),
        "HOST": settings.host,
        "RUN_ROOT": settings.run_root,
        "SECCOMP": settings.seccomp_profile,
        "IMAGE_ID": image.image_id,
        "PROBE_SHA256": image.probe_sha256,
        "TIMEOUT_S": str(settings.limits["timeout_s"]),
        "IDENTITIES": " ".join(_profile.IDENTITIES),
        "LABEL_RUN_ID": _profile.LABEL_RUN_ID,
        "CONTAINER_PREFIX": _profile.CONTAINER_NAME_PREFIX,
        "FACTS_TEMPLATE": sh_quote(_facts.FACTS_TEMPLATE),
        "EVENT_TEMPLATE": sh_quote(_snapshot.event_template(runtime)),
        "CREATE_FUNCTIONS": "\n\n".join(create_function(identity, words)
                                        for identity, words in argv.items()),
        "HOST_KEY": sh_quote(settings.host_key),
        "IDENTITY_USERS": "\n".join("%s) printf '%%s' %s ;;" % (
            identity, sh_quote(_profile.identity_user(identity)))
            for identity in _profile.IDENTITIES),
        "RUNTIME": runtime,
        "CLI": cli,
        "VERSION_FORMAT": sh_quote(_engine.VERSION_FORMATS[runtime]),
    }
    values.update(_format_values(runtime))
    values.update(_snapshot_values(runtime))
    values["SNAPSHOT_FORMAT"] = str(_snapshot.SNAPSHOT_FORMAT)
    values["EVENTS_CLOSE_MARGIN_NS"] = str(_snapshot.EVENTS_CLOSE_MARGIN_NS)
    values["INSPECT_BATCH"] = str(_snapshot.INSPECT_BATCH)
    values["INSPECT_CALLS_MAX"] = str(_snapshot.INSPECT_CALLS_MAX)
    if runtime == "podman":
        values.update(_podman_values())
    return fill(runtime_text(read_template(SCRIPT_NAME), runtime), values), argv


def _snapshot_values(runtime: str) -> dict[str, str]:
    """The snapshot's list and inspect commands and templates of runtime, as the script runs
    them: module_utils/_snapshot.py's (Docker) or _snapshot_podman.py's, verbatim."""
    source = _snapshot_podman if runtime == "podman" else _snapshot
    templates = _snapshot.templates(runtime)
    values = {"SNAPSHOT_KINDS": " ".join(_snapshot.KINDS_OF[runtime])}
    for kind in _snapshot.KINDS_OF[runtime]:
        values["LIST_" + kind.upper()] = _command(runtime, source.LIST_COMMANDS[kind])
    for kind in source.INSPECTED_KINDS:
        upper = kind.upper()
        values["SNAP_" + upper] = sh_quote(templates[kind])
        values["INSPECT_" + upper] = _command(runtime, source.INSPECT_COMMANDS[kind])
    values["LIST_PROBE_IMAGE"] = _command(runtime, source.PROBE_IMAGE_LIST_COMMAND)
    return values


def _podman_values() -> dict[str, str]:
    """What only Podman's script reads: its info JSON's fact paths (module_utils/_facts.py, read
    by the script's awk as the module reads them), its event read, its warnings, the OCI spec's
    bound."""
    wants = ["%s=%s" % (".".join(path), key) for key, path in _facts.PODMAN_FACT_PATHS]
    for word in wants:
        _sh_list_word(word.replace("=", "."))
    return {
        "PODMAN_INFO": _command("podman", list(_facts.PODMAN_INFO_ARGS)),
        "PODMAN_FACT_WANTS": sh_quote(" ".join(wants)),
        "PODMAN_ID_PREFIX": sh_quote(_facts.PODMAN_ID_PREFIX),
        "EVENT_READ": _command("podman", _snapshot_podman.EVENT_READ_COMMAND),
        "WARNING_MARK": sh_quote(_snapshot_podman.WARNING_MARK),
        "OCI_SPEC": _bundle_format.OCI_SPEC,
        "OCI_SPEC_MAX_BYTES": str(_bundle_format.OCI_SPEC_MAX_BYTES),
    }


def _command(runtime: str, words: list[str]) -> str:
    """An engine command as the script runs it: the CLI and each word single-quoted."""
    return " ".join(sh_quote(word) for word in [engine_cli(runtime), *words])


def _format_values(runtime: str = "docker") -> dict[str, str | list[str]]:
    """The bundle format as the script writes it: names, format numbers, caps and bounds, the
    files its manifest lists, and the run-id format as `date`, `od` and a `case` glob."""
    time_glob = "".join("[0-9]" * int(value) if kind == "digits" else str(value)
                        for kind, value in _bundle_format.run_id_time_parts())
    fetched = '"%s/$FETCH_NAME"' % bundle.OUT_DIR
    return {
        "BUNDLE_FORMAT": str(bundle.BUNDLE_FORMAT),
        "MANIFEST_FORMAT": str(bundle.MANIFEST_FORMAT),
        "MANIFEST": bundle.MANIFEST,
        "TOP_FILES": [_sh_list_word(path) for path in bundle.TOP_FILES],
        # Podman's runs keep the container's OCI spec too (docs/evidence-bundle.md).
        "IDENTITY_FILES": [fetched if name == bundle.FETCHED else _sh_list_word(name)
                           for name in (bundle.KNOWN_IDENTITY_FILES if runtime == "podman"
                                        else bundle.IDENTITY_FILES)],
        "VENUE_METHOD": sh_quote(bundle.VENUE_METHOD),
        "SIGNATURE_FILES": [_sh_list_word(path) for path in bundle.SIGNATURE_FILES],
        "SIGNATURE_DIR": bundle.SIGNATURE_DIR,
        "STATEMENT": bundle.STATEMENT,
        "STATEMENT_SIG": bundle.STATEMENT_SIG,
        "STATEMENT_FORMAT": str(_venue_signature.STATEMENT_FORMAT),
        "SIGNATURE_NAMESPACE": sh_quote(_venue_signature.NAMESPACE),
        "STDOUT_CAP": str(_bundle_format.STDOUT_CAP),
        "STDERR_CAP": str(_bundle_format.STDERR_CAP),
        "FETCH_NAME": _bundle_format.FETCH_NAME,
        "FETCH_MAX_BYTES": str(_bundle_format.FETCH_MAX_BYTES),
        "FETCH_MAX_ENTRIES": str(_bundle_format.FETCH_MAX_ENTRIES),
        "RUN_ID_TIME_FORMAT": _bundle_format.RUN_ID_TIME_FORMAT,
        "RUN_ID_TIME_GLOB": time_glob,
        "RUN_ID_HEX_DIGITS": str(_bundle_format.RUN_ID_HEX_DIGITS),
        "RUN_ID_RANDOM_BYTES": str(_bundle_format.RUN_ID_HEX_DIGITS // 2),
        "RUN_ID_LENGTH": str(_bundle_format.RUN_ID_LENGTH),
    }


def _sh_list_word(word: str) -> str:
    if not _PLAIN_WORD.match(word):
        raise PacketError("%r is not a plain word for the script" % word)
    return word


def runtime_text(template: str, runtime: str) -> str:
    """The template with only runtime's sections (`# @@ONLY <runtimes>@@` ... `# @@END ONLY@@`,
    never nested): the lines of a section for another runtime and every marker line go."""
    lines: list[str] = []
    keep: bool | None = None
    for number, line in enumerate(template.split("\n"), 1):
        only, end = _ONLY.match(line), _END_ONLY.match(line)
        if only:
            if keep is not None:
                raise PacketError("line %d: a runtime section inside another" % number)
            names = only.group(1).split()
            unknown = sorted(set(names) - set(PACKET_RUNTIMES))
            if unknown:
                raise PacketError("line %d: a section for unknown runtimes %s" % (
                    number, ", ".join(unknown)))
            keep = runtime in names
        elif end:
            if keep is None:
                raise PacketError("line %d: the end of no runtime section" % number)
            keep = None
        elif keep is not False:
            lines.append(line)
    if keep is not None:
        raise PacketError("a runtime section is not closed")
    return "\n".join(lines)


def read_template(name: str) -> str:
    """The template of the packet file `name` (template/<name>), as text."""
    with open(os.path.join(TEMPLATE_DIR, name), encoding="utf-8", newline="") as handle:
        return handle.read()


def render_readme(settings: PacketSettings, image: ProbeImage) -> str:
    limits = settings.limits
    return fill(runtime_text(read_template(README_NAME), settings.runtime), {
        "HOST": settings.host,
        "VERSION": settings.collection_version,
        "PACKET_FORMAT": str(PACKET_FORMAT),
        "RUN_ROOT": settings.run_root,
        "IMAGE_ID": image.image_id,
        "PROBE_SHA256": image.probe_sha256,
        "SECCOMP": settings.seccomp_profile,
        "TIMEOUT_S": str(limits["timeout_s"]),
        "LIMITS": "pids %d, memory %d MiB, cpus %s, /tmp %d MiB" % (
            limits["pids"], limits["memory_mb"], _profile.cpus_string(limits["cpus_milli"]),
            limits["tmpfs_tmp_mb"]),
        "FETCHED": bundle.FETCHED,
        "FETCH_MAX_BYTES": str(_bundle_format.FETCH_MAX_BYTES),
        "MANIFEST": bundle.MANIFEST,
        "HOST_KEY_WORDS": ("`%s`" % settings.host_key) if settings.host_key
        else "none was pinned: the bundle will be unsigned, and never READY",
        "CLI": engine_cli(settings.runtime),
        "OCI_SPEC": _bundle_format.OCI_SPEC,
        "OCI_SPEC_MAX_BYTES": str(_bundle_format.OCI_SPEC_MAX_BYTES),
    })


def fill(template: str, values: dict[str, str | list[str]]) -> str:
    """Replace every @@NAME@@; a name without a value is a bug, never left in the output.

    A str value replaces its placeholder where it stands, or, when the placeholder is a whole
    `# @@NAME@@` line, becomes lines at that line's indentation. A list value (shell words) is
    the only placeholder of its line and is wrapped to keep lines under WIDTH: the words
    continue, after " \\", on lines indented four more than the first."""
    def value(name: str) -> str | list[str]:
        if name not in values:
            raise PacketError("the template needs %s" % name)
        return values[name]

    def inline(match: re.Match[str]) -> str:
        found = value(match.group(1))
        if not isinstance(found, str):
            raise PacketError("%s is a word list: it takes a line of its own" % match.group(1))
        return found

    lines: list[str] = []
    for line in template.split("\n"):
        block = _BLOCK.match(line)
        match = _PLACEHOLDER.search(line)
        if block:
            text = value(block.group(2))
            if not isinstance(text, str):
                raise PacketError("%s is a word list, not a block" % block.group(2))
            lines.extend(block.group(1) + part if part else part for part in text.split("\n"))
        elif match and isinstance(value(match.group(1)), list):
            head, tail = line[:match.start()], line[match.end():]
            if _PLACEHOLDER.search(head) or _PLACEHOLDER.search(tail):
                raise PacketError("%s is a word list: it takes a line of its own" % match.group(1))
            lines.extend(_wrapped(head, list(value(match.group(1))), tail))
        else:
            lines.append(_PLACEHOLDER.sub(inline, line))
    text = "\n".join(lines)
    if "@@" in text:
        raise PacketError("a placeholder was left in the rendered text")
    return text


def _wrapped(head: str, words: list[str], tail: str) -> list[str]:
    """head, the words and tail as lines shorter than WIDTH, greedily: a word stays on the
    line while the line, with the tail (last word) or " \\" (any other), still fits."""
    indent = " " * (len(head) - len(head.lstrip(" ")) + 4)
    lines: list[str] = []
    line = head
    for number, word in enumerate(words):
        end = tail if number == len(words) - 1 else " \\"
        if number == 0:
            line = head + word
        elif len(line + " " + word + end) < WIDTH:
            line += " " + word
        else:
            lines.append(line + " \\")
            line = indent + word
    lines.append(line + tail)
    return lines


def render_packet(probe: bytes, settings: PacketSettings) -> Packet:
    settings = check_settings(settings)
    image = build_probe_image(probe)
    script, argv = render_script(settings, image)
    files = {
        README_NAME: render_readme(settings, image).encode("utf-8"),
        SCRIPT_NAME: script.encode("utf-8"),
        IMAGE_NAME: image.archive,
        PROFILE_NAME: pretty(_profile.profile_document(settings.seccomp_profile,
                                                       settings.limits,
                                                       runtime=settings.runtime)),
        SECCOMP_NAME: canonical(seccomp_profile(settings.seccomp_profile)),
    }
    # The format `sha256sum -c` reads: "<hex>  <path>", sorted, so the digest is stable.
    files[SUMS_NAME] = "".join("%s  %s\n" % (hashlib.sha256(data).hexdigest(), path)
                               for path, data in sorted(files.items())).encode("ascii")
    return Packet(settings=settings, image=image, files=files, argv=argv)


def packet_sha256(probe: bytes, settings: PacketSettings) -> str:
    """The digest of the packet these settings render (what a bundle records)."""
    return render_packet(probe, settings).packet_sha256


def packet_tarball(top: str, files: dict[str, bytes]) -> bytes:
    """A deterministic .tar.gz of the packet under one top directory (fixed owners, mtimes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        directories = sorted({top} | {posixpath.join(top, posixpath.dirname(path))
                                      for path in files if "/" in path})
        for directory in directories:
            tar.addfile(fixed_tar_info(directory + "/", 0o755, kind=tarfile.DIRTYPE))
        for path, data in sorted(files.items()):
            mode = 0o755 if path == SCRIPT_NAME else 0o644
            tar.addfile(fixed_tar_info(posixpath.join(top, path), mode, len(data)),
                        io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def summary(packet: Packet) -> dict:
    """What the playbook shows and returns: digests, and the argv as the script writes it."""
    return {
        "packet_sha256": packet.packet_sha256,
        "packet_format": PACKET_FORMAT,
        "name": packet.name,
        "host": packet.settings.host,
        "runtime": packet.settings.runtime,
        "seccomp_profile": packet.settings.seccomp_profile,
        "limits": dict(packet.settings.limits),
        "run_root": packet.settings.run_root,
        "image_id": packet.image.image_id,
        "probe_sha256": packet.image.probe_sha256,
        "files": packet.digests(),
        "argv": {identity: [word.replace(SENTINEL_RUN_ROOT, "${RUN_ROOT}")
                            .replace(SENTINEL_RUN_ID, "${RUN_ID}") for word in words]
                 for identity, words in packet.argv.items()},
    }
