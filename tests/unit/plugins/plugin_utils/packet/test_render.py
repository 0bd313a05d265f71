"""The operator packet renders deterministically, from module_utils only, into a script that
runs exactly the profile's argv and the automated path's --format templates."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import stat
import subprocess
import tarfile

import pytest
from packet_script import PROBE, RUN_ID, definitions, settings, sourced

from ansible_collections.sandbox.attest.plugins.action.packet_render import write_packet
from ansible_collections.sandbox.attest.plugins.module_utils import (
    _bundle_format,
    _facts,
    _profile,
    _snapshot,
)
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical_text
from ansible_collections.sandbox.attest.plugins.module_utils._seccomp import (
    seccomp_profile,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import (
    build_probe_image,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle import _format as bundle
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._write import manifest_of
from ansible_collections.sandbox.attest.plugins.plugin_utils.packet import _render


def write_files(root, packet: _render.Packet) -> str:
    top = os.path.join(str(root), packet.name)
    for rel, data in packet.files.items():
        target = os.path.join(top, *rel.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)
    return top


def test_rendering_is_deterministic_and_settings_change_the_digest() -> None:
    first, second = _render.render_packet(PROBE, settings()), _render.render_packet(
        PROBE, settings())
    assert first.files == second.files and first.tarball() == second.tarball()
    assert first.packet_sha256 == hashlib.sha256(first.files["SHA256SUMS"]).hexdigest()
    digests = {first.packet_sha256}
    for other in (settings(host="vps2"), settings(seccomp_profile="default-deny"),
                  settings(limits={"pids": 32}), settings(run_root="/srv/attest"),
                  settings(collection_version="0.2.0")):
        digests.add(_render.render_packet(PROBE, other).packet_sha256)
    assert len(digests) == 6
    assert _render.render_packet(PROBE + b"x", settings()).packet_sha256 not in digests


def test_packet_holds_the_shipped_artefacts_and_a_digest_list(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings(seccomp_profile="default-deny"))
    assert sorted(packet.files) == ["README.md", "SHA256SUMS", "attest.sh", "probe-image.tar",
                                    "profile/profile.json", "profile/seccomp.json"]
    assert packet.files["probe-image.tar"] == build_probe_image(PROBE).archive
    assert json.loads(packet.files["profile/profile.json"]) == _profile.profile_document(
        "default-deny", _profile.resolve_limits())
    assert packet.files["profile/seccomp.json"] == canonical_text(
        seccomp_profile("default-deny")).encode()
    top = write_files(tmp_path, packet)
    check = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=top,
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = [line.split("  ", 1)[1] for line in packet.files["SHA256SUMS"].decode().splitlines()]
    assert listed == sorted(set(packet.files) - {"SHA256SUMS"})


def test_tarball_is_the_directory_with_fixed_owners_and_times() -> None:
    packet = _render.render_packet(PROBE, settings())
    with tarfile.open(fileobj=io.BytesIO(packet.tarball()), mode="r:gz") as tar:
        members = {m.name: m for m in tar}
        contents = {name[len(packet.name) + 1:]: tar.extractfile(m).read()
                    for name, m in members.items() if m.isfile()}
    assert contents == packet.files
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in members.values())
    assert members[packet.name + "/attest.sh"].mode == 0o755
    assert members[packet.name + "/README.md"].mode == 0o644


TUNED = {"pids": 100, "memory_mb": 512, "cpus_milli": 1500, "tmpfs_tmp_mb": 32, "timeout_s": 90}


@pytest.mark.parametrize("runtime", _profile.RUNTIMES)
@pytest.mark.parametrize("identity", list(_profile.IDENTITIES))
@pytest.mark.parametrize("config", [
    {}, {"seccomp_profile": "default-deny", "limits": TUNED},
    {"run_root": "/srv/sandbox-attest.d/runs"}])
def test_the_script_runs_exactly_create_argv(tmp_path, runtime, identity, config) -> None:
    packet = _render.render_packet(PROBE, settings(runtime=runtime, **config))
    # The run root the script really uses is the rendered one; RUN_ID is the script's own.
    out = sourced(packet, tmp_path, "RUN_ID=%s; run_create() { printf '%%s\\0' \"$@\"; }; "
                  "create_%s" % (RUN_ID, identity))
    argv = out.decode().split("\0")[:-1]
    limits = _profile.resolve_limits(config.get("limits"))
    paths = _profile.run_paths(config.get("run_root", _profile.DEFAULT_RUN_ROOT), RUN_ID,
                               identity, config.get("seccomp_profile", "targeted-deny"))
    assert argv == _profile.create_argv(runtime, RUN_ID, identity, packet.image.image_id,
                                        paths, limits, runtime=runtime)
    # Podman's own rendering (docs/podman-facts.md): no resolver, /tmp the profile's tmpfs only
    assert ("--read-only-tmpfs=false" in argv and "--dns" not in argv) is (runtime == "podman")


def test_the_script_holds_the_module_utils_templates_verbatim(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    names = ["FACTS_TEMPLATE", "EVENT_TEMPLATE"] + [
        "SNAP_%s" % kind.upper() for kind in _snapshot.INSPECTED_KINDS]
    out = sourced(packet, tmp_path, "printf '%s\\0' " + " ".join('"$%s"' % n for n in names))
    values = dict(zip(names, out.decode().split("\0")[:-1], strict=True))
    assert values["FACTS_TEMPLATE"] == _facts.FACTS_TEMPLATE
    assert values["EVENT_TEMPLATE"] == _snapshot.EVENT_TEMPLATE
    for kind in _snapshot.INSPECTED_KINDS:
        assert values["SNAP_" + kind.upper()] == _snapshot.SNAPSHOT_TEMPLATES[kind]
    text = packet.files["attest.sh"].decode()
    assert '"format":%d,' % _snapshot.SNAPSHOT_FORMAT in text
    for kind in _snapshot.KINDS:
        listing = " ".join("'%s'" % w for w in ["docker", *_snapshot.LIST_COMMANDS[kind]])
        assert "list_%s() { %s; }" % (kind, listing) in text
    probe = " ".join("'%s'" % w for w in ["docker", *_snapshot.PROBE_IMAGE_LIST_COMMAND])
    assert "list_probe_image() { %s; }" % probe in text


IMAGE_A = "sha256:" + "a" * 64
IMAGE_B = "sha256:" + "b" * 64


def test_the_script_reads_images_from_their_list_as_the_module_does(tmp_path) -> None:
    """The image list as the engine prints it (several references, untagged, digest-only, a
    probe image), through the script's snapshot_images and through parse_image_list."""
    listing = "\n".join([
        "%s <none>:<none>" % IMAGE_B,
        "%s web:2" % IMAGE_A, "%s localhost:5000/web:1" % IMAGE_A, "%s web:2" % IMAGE_A,
        "%s registry.example/web:<none>" % IMAGE_B, ""])
    fake = ("list_image() { printf '%s'; }; list_probe_image() { printf '%s\\n'; }; "
            % (listing.replace("\n", "\\n"), IMAGE_B))
    packet = _render.render_packet(PROBE, settings())
    out = sourced(packet, tmp_path, fake + 'WORK=$(mktemp -d); snapshot_images; '
                  'rm -rf -- "$WORK"; printf "[%s]" "$SK_ITEMS"')
    shell = json.loads(out)
    python = _snapshot.parse_image_list(listing, {IMAGE_B})
    assert shell == python
    assert python == [
        {"id": IMAGE_A, "tags": ["localhost:5000/web:1", "web:2"], "probe_image": False,
         "config_sha256": "a" * 64},
        {"id": IMAGE_B, "tags": [], "probe_image": True, "config_sha256": "b" * 64}]


# Payload text as the engine's JSON prints it: spaces, quotes, backslashes, non-ASCII (UTF-8,
# so byte order and code point order agree), and the tab that separates an exec's command.
_PAYLOAD_PIECES = ['{"a": 1}', '"x y"', "\\\"", "é", "日本", "\t", ":", "-", "null", "[]",
                   "z" * 300]


def _object_lines(rng: random.Random, kind: str, key: str) -> list[str]:
    """One object's tagged lines as the snapshot template prints them (random payloads)."""
    def payload() -> str:
        return "".join(rng.choice(_PAYLOAD_PIECES) for _piece in range(rng.randint(1, 6)))
    lines = ["%s c %s" % (key, payload())]
    lines += ["%s m %s" % (key, payload()) for _mount in range(rng.randint(0, 4))]
    if kind == "container" and rng.random() < 0.5:
        lines.append("%s h %s" % (key, payload()))
    lines.append('%s i {"id":%s,"name":%s' % (key, json.dumps(key), json.dumps(payload())))
    return lines


@pytest.mark.parametrize("kind", list(_snapshot.INSPECTED_KINDS))
@pytest.mark.parametrize("seed", range(6))
def test_the_script_digests_objects_as_the_module_does(tmp_path, kind, seed) -> None:
    """Generated inspect outputs (0 to 450 objects: one batch or several, some listed but gone
    before the inspect) through the script's snapshot_kind and through parse_batch: the same
    items, digests and vanished refs."""
    rng = random.Random("%s-%d" % (kind, seed))  # noqa: S311 - test cases, not secrets
    count = rng.choice([0, 1, 7, 99, 230, 450])
    keys = sorted({"%064x" % rng.getrandbits(256) for _object in range(count)})
    gone = {key for key in keys if rng.random() < 0.05}
    objects = tmp_path / "objects"
    objects.mkdir()
    printed = []
    for key in keys:
        if key not in gone:
            lines = _object_lines(rng, kind, key)
            (objects / key).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            printed += lines
    # The fake CLI prints the lines of the refs it is given and names the others, as docker does.
    fake = ("list_%s() { cat \"$FAKE/refs\"; }; "
            "inspect_%s() { shift 2; _rc=0; for _r in \"$@\"; do cat \"$FAKE/objects/$_r\" "
            "2>/dev/null || { echo \"Error: No such object: $_r\" >&2; _rc=1; }; done; "
            "return $_rc; }; " % (kind, kind))
    (tmp_path / "refs").write_text("".join(key + "\n" for key in keys))
    packet = _render.render_packet(PROBE, settings())
    out = sourced(packet, tmp_path, "FAKE=$1; " + fake + "WORK=$(mktemp -d); SNAP_VANISHED=''; "
                  "snapshot_kind %s; rm -rf -- \"$WORK\"; "
                  "printf '{\"items\":[%%s],\"vanished\":[%%s]}' \"$SK_ITEMS\" \"$SNAP_VANISHED\""
                  % kind, str(tmp_path))
    shell = json.loads(out)
    found = _snapshot.parse_batch(kind, "\n".join(printed))
    assert shell["items"] == [found[key] for key in keys if key in found]
    assert shell["vanished"] == ["%s:%s" % (kind, key) for key in keys if key in gone]
    assert len(shell["items"]) == count - len(gone)


@pytest.mark.parametrize("lines, module_too", [
    (["k1 c ok", "k1 i {", "k1 x unknown-tag"], True), (["k1 c", "k1 i {"], True),
    (["k1\tc ok", "k1\ti {"], True), (["k1 c ok"], True), (["k1 i {"], True),
    (["k1 c ok", "k1 i {", "k2 m mount-only"], True),
    # The script only: its key names a file, and a second record of one object would mix two.
    (["k/1 c ok", "k/1 i {"], False), (["k1 c ok", "k1 c ok", "k1 i {"], False)])
def test_the_script_refuses_an_unreadable_snapshot_line(tmp_path, lines, module_too) -> None:
    """Lines that are not `<key> <tag> <payload>`, or an object without its c or i line: the
    snapshot fails rather than shift one object's digest onto another."""
    if module_too:
        with pytest.raises(_snapshot.EngineError):
            _snapshot.parse_batch("network", "\n".join(lines) + "\n")
    packet = _render.render_packet(PROBE, settings())
    path = definitions(packet, tmp_path)
    proc = subprocess.run(["sh", "-c", '. "$0"; list_network() { echo k1; echo k2; }; '
                           'inspect_network() { printf "%s" "$LINES"; }; WORK=$(mktemp -d); '
                           "snapshot_kind network", path],
                          env={**os.environ, "LINES": "\n".join(lines) + "\n"},
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode != 0
    assert b"unreadable line" in proc.stderr


@pytest.mark.parametrize("ref", ['web:"1"', "web\\:1", "web :1", "web:\t1", "web", ""])
def test_the_script_refuses_an_unreadable_image_line(tmp_path, ref) -> None:
    packet = _render.render_packet(PROBE, settings())
    path = definitions(packet, tmp_path)
    proc = subprocess.run(["sh", "-c", '. "$0"; list_image() { printf "%s %s\\n" "$ID" "$REF"; }; '
                           "list_probe_image() { :; }; WORK=$(mktemp -d); snapshot_images", path],
                          env={**os.environ, "ID": IMAGE_A, "REF": ref}, capture_output=True,
                          timeout=60, check=False)
    assert proc.returncode != 0
    assert b"unreadable line" in proc.stderr


@pytest.mark.parametrize("seed", range(4))
def test_the_script_scrubs_events_as_the_module_does(tmp_path, seed) -> None:
    """Generated event lines (none or hundreds; execs whose commands hold tabs, quotes, UTF-8;
    empty lines) through the script's scrub_events and through scrub_event_line."""
    rng = random.Random(seed)  # noqa: S311 - test cases, not secrets
    lines = []
    for number in range(rng.choice([0, 1, 40, 300])):
        head = json.dumps({"type": "container", "action": rng.choice(["start", "exec_start"]),
                           "n": number, "name": rng.choice(["web", "é-日本", 'q"uote'])})
        if rng.random() < 0.5:
            pieces = [rng.choice(_PAYLOAD_PIECES) for _piece in range(rng.randint(0, 4))]
            lines.append(head + "\t" + "".join(pieces))
        else:
            lines.append(head)
        if rng.random() < 0.05:
            lines.append("")
    (tmp_path / "events.raw").write_text("".join(line + "\n" for line in lines),
                                         encoding="utf-8")
    packet = _render.render_packet(PROBE, settings())
    out = sourced(packet, tmp_path, 'WORK=$(mktemp -d); scrub_events "$1/events.raw" '
                  '"$1/events.jsonl"; rm -rf -- "$WORK"; cat -- "$1/events.jsonl"', str(tmp_path))
    shell = [json.loads(line) for line in out.decode().splitlines()]
    assert shell == [_snapshot.scrub_event_line(line) for line in lines if line]


@pytest.mark.parametrize("now_ns", [1795987309000000000, 1795987309999999999, 1795987309050000001])
def test_the_event_window_closes_as_the_module_closes_it(tmp_path, now_ns) -> None:
    packet = _render.render_packet(PROBE, settings())
    shell = sourced(packet, tmp_path, 'events_until "$1"', str(now_ns)).decode()
    assert shell == _snapshot.events_until(now_ns)
    seconds = float(shell)
    assert 0 < seconds - now_ns / 1e9 < 1


def test_the_scratch_goes_to_tmpdir_when_set_else_to_memory(tmp_path, monkeypatch) -> None:
    packet = _render.render_packet(PROBE, settings())
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert sourced(packet, tmp_path, "scratch_parent") == str(tmp_path).encode()
    monkeypatch.delenv("TMPDIR")
    memory = "/dev/shm"  # noqa: S108 - the path the script picks, compared, never written
    expected = memory.encode() if os.access(memory, os.W_OK) else b"/tmp"
    assert sourced(packet, tmp_path, "scratch_parent") == expected


def test_json_str_escapes_what_json_needs(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    words = ["plain", 'a "quoted" word', "back\\slash", 'both \\" and "\\', "", "{{json .Id}}"]
    assert json.loads(sourced(packet, tmp_path, 'argv_json "$@"', *words)) == words


def test_the_script_passes_sh_n_and_shellcheck(tmp_path) -> None:
    for config in ({}, {"seccomp_profile": "default-deny"}):
        top = write_files(tmp_path / str(len(config)), _render.render_packet(
            PROBE, settings(**config)))
        script = os.path.join(top, "attest.sh")
        assert subprocess.run(["sh", "-n", script], check=False).returncode == 0
        # make setup installs shellcheck (Debian's package); a missing one fails, never skips.
        assert shutil.which("shellcheck"), "shellcheck is missing: run make setup"
        lint = subprocess.run(["shellcheck", "-s", "sh", script], capture_output=True,
                              text=True, check=False)
        assert lint.returncode == 0, lint.stdout


def test_plan_touches_nothing_and_prints_the_argv(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    top = write_files(tmp_path, packet)
    # No engine is asked in --plan: an unreachable one does not matter.
    proc = subprocess.run(["sh", os.path.join(top, "attest.sh"), "--plan"], capture_output=True,
                          text=True, timeout=60, check=False, cwd=str(tmp_path),
                          env={**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"})
    assert proc.returncode == 0, proc.stderr
    assert "docker create --name sandbox-attest-" in proc.stdout
    assert "--read-only --cap-drop ALL" in proc.stdout
    assert packet.packet_sha256 in proc.stdout
    assert os.listdir(tmp_path) == [packet.name]


def test_an_edited_packet_refuses_to_run(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    top = write_files(tmp_path, packet)
    with open(os.path.join(top, "attest.sh"), "a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    proc = subprocess.run(["sh", os.path.join(top, "attest.sh"), "--plan"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode != 0
    assert "does not match its SHA256SUMS" in proc.stderr


def _fetch(packet, tmp_path, plant) -> dict:
    run_dir = tmp_path / "run"
    out = run_dir / "workload" / "out"
    out.mkdir(parents=True)
    plant(out)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    sourced(packet, tmp_path, 'RUN_DIR="$1"; ID_DIR="$2"; fetch_out workload', str(run_dir),
            str(bundle))
    with open(bundle / "fetch.json", encoding="utf-8") as handle:
        document = json.load(handle)
    document["files"] = sorted(os.listdir(bundle / "out")) if (bundle / "out").exists() else []
    if (bundle / "out" / "ok").exists():
        document["mode"] = stat.S_IMODE(os.stat(bundle / "out" / "ok").st_mode)
    return document


def test_fetch_copies_only_a_regular_ok_within_bounds(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())

    def good(out) -> None:
        (out / "ok").write_bytes(b"sandbox-attest ok abc\n")
        os.chmod(out / "ok", 0o4755)  # noqa: S103 - what a sandbox may plant
        (out / "evil name\n\"x").write_bytes(b"x")
        os.mkfifo(out / ".fifo")
    found = _fetch(packet, tmp_path / "good", good)
    assert found["copied"] == [{"name": "ok", "bytes": 22, "sha256": hashlib.sha256(
        b"sandbox-attest ok abc\n").hexdigest()}]
    assert found["mode"] & 0o7000 == 0  # the setuid bit the sandbox set is not kept
    assert sorted((r["name"], r["reason"]) for r in found["refused"]) == [
        (".fifo", "unexpected name"), ("evil?name??x", "unexpected name")]

    def link(out) -> None:
        (out / "ok").symlink_to("/etc/passwd")
    found = _fetch(packet, tmp_path / "link", link)
    assert found["copied"] == [] and found["refused"] == [{"name": "ok", "reason": "symlink"}]
    assert found["files"] == []

    def large(out) -> None:
        (out / "ok").write_bytes(b"x" * 5000)
    found = _fetch(packet, tmp_path / "large", large)
    assert found["refused"] == [{"name": "ok", "reason": "too large (5000 bytes, at most 4096)"}]

    def fifo(out) -> None:
        os.mkfifo(out / "ok")
    found = _fetch(packet, tmp_path / "fifo", fifo)
    assert found["refused"] == [{"name": "ok", "reason": "not a regular file"}]

    def many(out) -> None:
        for number in range(300):
            (out / ("f%03d" % number)).write_bytes(b"")
    found = _fetch(packet, tmp_path / "many", many)
    assert len(found["refused"]) == 257 and found["refused"][-1]["name"] == "*"


@pytest.mark.parametrize("bad, words", [
    ({"host": "../evil"}, "venue name"),
    ({"host": "a b"}, "venue name"),
    ({"run_root": "relative/root"}, "run root"),
    ({"run_root": "/var/lib/../tmp"}, "run root"),
    ({"run_root": "/"}, "run root"),
    ({"run_root": "/var/lib/it's"}, "run root"),
    ({"seccomp_profile": "unconfined"}, "seccomp"),
    ({"limits": {"pids": 100000}}, "outside the allowed range"),
    ({"limits": {"privileged": 1}}, "unknown limit"),
    ({"collection_version": "0.1 0"}, "version"),
])
def test_settings_that_would_loosen_or_break_the_packet_are_refused(bad, words) -> None:
    with pytest.raises(_render.PacketError, match=words):
        _render.render_packet(PROBE, settings(**bad))


def test_summary_shows_the_argv_with_the_script_variables() -> None:
    packet = _render.render_packet(PROBE, settings())
    shown = _render.summary(packet)
    assert shown["packet_sha256"] == packet.packet_sha256
    assert "--name" in shown["argv"]["root"]
    assert "sandbox-attest-${RUN_ID}-root" in shown["argv"]["root"]
    assert any(w.startswith("seccomp=${RUN_ROOT}/${RUN_ID}/") for w in shown["argv"]["root"])
    assert not any(_render.SENTINEL_RUN_ID in w for w in shown["argv"]["workload"])


def test_write_packet_is_idempotent_and_refuses_an_edited_directory(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    first = write_packet(str(tmp_path), packet)
    assert first["changed"] is True
    assert os.stat(os.path.join(first["packet_dir"], "attest.sh")).st_mode & 0o111
    with open(first["tarball"], "rb") as handle:
        assert handle.read() == packet.tarball()
    assert write_packet(str(tmp_path), packet)["changed"] is False
    with open(os.path.join(first["packet_dir"], "attest.sh"), "ab") as handle:
        handle.write(b"# edited\n")
    with pytest.raises(Exception, match="differs from the packet"):
        write_packet(str(tmp_path), packet)


def test_the_templates_are_the_files_of_template_and_the_script_template_passes_shellcheck(
) -> None:
    assert sorted(os.listdir(_render.TEMPLATE_DIR)) == [
        ".shellcheckrc", _render.README_NAME, _render.SCRIPT_NAME]
    # The template as ansible-test sanity checks it (its .shellcheckrc applies).
    lint = subprocess.run(["shellcheck", "-e", "SC1090,SC1091,SC2028", _render.SCRIPT_NAME],
                          cwd=_render.TEMPLATE_DIR, capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout


def test_fill_places_values_blocks_and_wrapped_word_lists() -> None:
    template = ("a=@@A@@ b=@@B@@\n    case $1 in\n        # @@BLOCK@@\n    esac\n"
                "    for x in @@WORDS@@; do\n")
    text = _render.fill(template, {"A": "1", "B": "two", "BLOCK": "x) one ;;\n\ny) two ;;",
                                   "WORDS": ["w%02d" % n for n in range(30)]})
    lines = text.split("\n")
    assert lines[:6] == ["a=1 b=two", "    case $1 in", "        x) one ;;", "",
                         "        y) two ;;", "    esac"]
    words = lines[6:-1]
    assert words[0].startswith("    for x in w00 w01") and words[-1].endswith("w29; do")
    assert all(len(line) < _render.WIDTH for line in words)
    assert all(line.endswith(" \\") for line in words[:-1])
    assert all(line.startswith("        w") for line in words[1:])
    assert " ".join(line.strip(" \\") for line in words) == "for x in %s; do" % " ".join(
        "w%02d" % n for n in range(30))


@pytest.mark.parametrize("template, values, words", [
    ("@@MISSING@@", {}, "needs MISSING"),
    ("x @@L@@ @@A@@", {"L": ["a"], "A": "b"}, "line of its own"),
    ("# @@L@@", {"L": ["a"]}, "not a block"),
    ("@@A@@", {"A": "@@B@@"}, "left in the rendered text"),
])
def test_fill_refuses_what_it_cannot_place(template, values, words) -> None:
    with pytest.raises(_render.PacketError, match=words):
        _render.fill(template, values)


def test_the_script_writes_the_bundle_formats_manifest(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    stage = tmp_path / "stage"
    # The packet drives Docker: its bundle has no OCI spec.
    files = {path: path.encode() + b"\n" for path in bundle.known_paths(["workload", "root"])
             if path != bundle.MANIFEST and not path.endswith("/" + bundle.OCI_SPEC)}
    del files[bundle.identity_path("root", bundle.FETCHED)]  # refused: not in the manifest
    for path, data in files.items():
        (stage / path).parent.mkdir(parents=True, exist_ok=True)
        (stage / path).write_bytes(data)
    sourced(packet, tmp_path, 'STAGE="$1"; write_manifest', str(stage))
    assert json.loads((stage / bundle.MANIFEST).read_bytes()) == manifest_of(files)


def test_the_script_makes_and_checks_run_ids_of_the_format(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    made = sourced(packet, tmp_path, 'id=$(new_run_id); check_run_id "$id"; printf %s "$id"')
    assert _bundle_format.RUN_ID_PATTERN.match(made.decode())
    for bad in ("20261128T223131Z-1a2b3c4", "20261128T223131-1a2b3c4d",
                "20261128T223131Z-1a2b3c4D", "2026112xT223131Z-1a2b3c4d"):
        proc = subprocess.run(["sh", "-c", '. "$0"; check_run_id "$1"',
                               definitions(packet, tmp_path), bad],
                              capture_output=True, text=True, check=False)
        assert proc.returncode != 0 and "malformed run id" in proc.stderr, bad


def test_the_caps_and_bounds_are_the_module_utils_ones(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    names = ["STDOUT_CAP", "STDERR_CAP", "FETCH_NAME", "FETCH_MAX_BYTES", "FETCH_MAX_ENTRIES"]
    out = sourced(packet, tmp_path, "printf '%s\\0' " + " ".join('"$%s"' % n for n in names))
    assert out.decode().split("\0")[:-1] == [str(getattr(_bundle_format, n)) for n in names]
    readme = packet.files[_render.README_NAME].decode()
    assert "`%s` only when it is a regular file of at most %d bytes" % (
        bundle.FETCHED, _bundle_format.FETCH_MAX_BYTES) in readme


def test_the_packet_records_its_format_in_script_readme_and_bundle(tmp_path) -> None:
    packet = _render.render_packet(PROBE, settings())
    script = packet.files[_render.SCRIPT_NAME].decode()
    assert "\nPACKET_FORMAT=%d\n" % _render.PACKET_FORMAT in script
    assert "# Packet format %d:" % _render.PACKET_FORMAT in script
    assert "(packet format\n%d)" % _render.PACKET_FORMAT in packet.files[
        _render.README_NAME].decode()
    assert _render.summary(packet)["packet_format"] == _render.PACKET_FORMAT
    stage = tmp_path / "stage"
    stage.mkdir()
    sourced(packet, tmp_path, 'STAGE="$1"; RUN_ID=%s; PACKET_SHA256=%s; STARTED_AT=t0; '
            'FINISHED_AT=t1; write_run_json' % (RUN_ID, "f" * 64), str(stage))
    run = json.loads((stage / "run.json").read_bytes())
    assert run["producer"] == {"path": "packet", "collection": "sandbox.attest",
                               "collection_version": "0.1.0",
                               "packet_format": _render.PACKET_FORMAT,
                               "packet_sha256": "f" * 64}
