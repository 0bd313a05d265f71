"""The operator packet for rootful Podman (issue 18, item 4): the same template, rendered with
Podman's sections only, runs the argv, templates, facts, snapshot, event window and OCI-spec
rules of the automated path's module_utils; Docker's rendering is unchanged by the sections.
The script's functions run here in sh (dash) and awk (mawk, as on Debian's venues) against the
captures of the Podman test host (tests/unit/data)."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from packet_script import PROBE, run_sh, settings, sourced
from podman_info import INFO
from podman_info import info_without as _without
from podman_info import key_paths as _leaf_paths

from ansible_collections.sandbox.attest.plugins.module_utils import (
    _bundle_format,
    _facts,
    _profile,
    _snapshot,
    _snapshot_podman,
)
from ansible_collections.sandbox.attest.plugins.module_utils._engine import CliResult
from ansible_collections.sandbox.attest.plugins.plugin_utils.packet import _render

DATA = Path(__file__).resolve().parents[3] / "data"
SNAPSHOT_DATA = DATA / "podman-snapshot"
CID = "ab" * 32


PACKET = _render.render_packet(PROBE, settings(runtime="podman"))


# The template's runtime sections.

def test_runtime_text_keeps_only_the_runtimes_sections() -> None:
    template = "\n".join(["a", "# @@ONLY podman@@", "p", "# @@END ONLY@@", "    # @@ONLY docker@@",
                          "d", "    # @@END ONLY@@", "# @@ONLY docker podman@@", "both",
                          "# @@END ONLY@@", "z"])
    assert _render.runtime_text(template, "podman") == "a\np\nboth\nz"
    assert _render.runtime_text(template, "docker") == "a\nd\nboth\nz"


@pytest.mark.parametrize("template, words", [
    ("# @@ONLY podman@@\n# @@ONLY docker@@\n# @@END ONLY@@\n# @@END ONLY@@", "inside another"),
    ("# @@ONLY podman@@\nx", "not closed"),
    ("x\n# @@END ONLY@@", "the end of no runtime section"),
    ("# @@ONLY bwrap@@\nx\n# @@END ONLY@@", "unknown runtimes bwrap"),
])
def test_runtime_text_refuses_what_is_not_a_section(template, words) -> None:
    with pytest.raises(_render.PacketError, match=words):
        _render.runtime_text(template, "docker")


def test_no_marker_or_placeholder_is_left_for_either_runtime() -> None:
    for runtime in _render.PACKET_RUNTIMES:
        packet = _render.render_packet(PROBE, settings(runtime=runtime))
        for name in (_render.SCRIPT_NAME, _render.README_NAME):
            text = packet.files[name].decode()
            assert "@@" not in text and "ONLY" not in text, (runtime, name)
    docker = _render.render_packet(PROBE, settings(runtime="docker"))
    assert b"podman" not in docker.files[_render.SCRIPT_NAME]
    assert b"docker" not in PACKET.files[_render.SCRIPT_NAME].replace(
        b"docker-archive", b"").replace(b"docker_root_dir", b"")


def test_the_runtime_is_a_setting_of_the_packet_and_checked() -> None:
    docker = _render.render_packet(PROBE, settings(runtime="docker"))
    assert docker.packet_sha256 != PACKET.packet_sha256
    assert _render.summary(PACKET)["runtime"] == "podman"
    assert _render.summary(PACKET)["argv"]["workload"][:2] == ["podman", "create"]
    with pytest.raises(_render.PacketError, match="unknown runtime 'bwrap'"):
        _render.render_packet(PROBE, settings(runtime="bwrap"))
    profile = json.loads(PACKET.files[_render.PROFILE_NAME])
    assert profile == _profile.profile_document("targeted-deny", _profile.resolve_limits(),
                                                runtime="podman")
    assert profile["runtime"] == "podman" and profile["dns"] == []


def test_the_podman_script_passes_sh_n_and_shellcheck(tmp_path) -> None:
    script = tmp_path / "attest.sh"
    script.write_bytes(PACKET.files[_render.SCRIPT_NAME])
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    assert shutil.which("shellcheck"), "shellcheck is missing: run make setup"
    lint = subprocess.run(["shellcheck", "-s", "sh", str(script)], capture_output=True,
                          text=True, check=False)
    assert lint.returncode == 0, lint.stdout


# What the script runs: the profile's podman argv and Podman's own commands and templates.

def test_the_script_holds_podmans_module_utils_templates_and_commands(tmp_path) -> None:
    names = ["EVENT_TEMPLATE", "PODMAN_FACT_WANTS", "PODMAN_ID_PREFIX", "OCI_SPEC_MAX_BYTES"] + [
        "SNAP_%s" % kind.upper() for kind in _snapshot_podman.INSPECTED_KINDS]
    out = sourced(PACKET, tmp_path, "printf '%s\\0' " + " ".join('"$%s"' % n for n in names))
    values = dict(zip(names, out.decode().split("\0")[:-1], strict=True))
    assert values["EVENT_TEMPLATE"] == _snapshot_podman.EVENT_TEMPLATE
    for kind in _snapshot_podman.INSPECTED_KINDS:
        assert values["SNAP_" + kind.upper()] == _snapshot.templates("podman")[kind]
    assert values["PODMAN_FACT_WANTS"].split() == [
        "%s=%s" % (".".join(path), key) for key, path in _facts.PODMAN_FACT_PATHS]
    assert values["PODMAN_ID_PREFIX"] == _facts.PODMAN_ID_PREFIX
    assert values["OCI_SPEC_MAX_BYTES"] == str(_bundle_format.OCI_SPEC_MAX_BYTES)
    text = PACKET.files[_render.SCRIPT_NAME].decode()

    def command(words: list[str]) -> str:
        return " ".join("'%s'" % word for word in ["podman", *words])
    for kind in _snapshot.PODMAN_KINDS:
        assert "list_%s() { %s; }" % (kind, command(_snapshot_podman.LIST_COMMANDS[kind])) in text
    for kind in _snapshot_podman.INSPECTED_KINDS:
        assert "inspect_%s() { %s \"$@\"; }" % (
            kind, command(_snapshot_podman.INSPECT_COMMANDS[kind])) in text
    assert "list_probe_image() { %s; }" % command(_snapshot_podman.PROBE_IMAGE_LIST_COMMAND) \
        in text
    assert "read_events() { %s \"$@\"; }" % command(_snapshot_podman.EVENT_READ_COMMAND) in text
    assert "podman_info() { %s; }" % command(list(_facts.PODMAN_INFO_ARGS)) in text
    assert "podman version --format '{{.APIVersion}}'" in text
    assert 'podman load -i "$PACKET_DIR/%s"' % _profile.PROBE_ARCHIVE in text
    assert '"runtime": "podman"' in text


def test_plan_prints_the_podman_argv_and_touches_nothing(tmp_path) -> None:
    top = tmp_path / PACKET.name
    for rel, data in PACKET.files.items():
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_bytes(data)
    # A stand-in podman on PATH (the tool check looks for one) that notes any call: the plan
    # asks the engine nothing.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "podman").write_text('#!/bin/sh\necho "$@" >> "%s"\nexit 99\n'
                                    % (tmp_path / "calls"))
    (bin_dir / "podman").chmod(0o755)
    proc = subprocess.run(["sh", str(top / "attest.sh"), "--plan"], capture_output=True,
                          text=True, timeout=60, check=False, cwd=str(tmp_path),
                          env={**os.environ, "PATH": "%s:%s" % (bin_dir, os.environ["PATH"])})
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "calls").exists()
    assert "  podman create --name sandbox-attest-" in proc.stdout
    assert "--read-only --read-only-tmpfs=false --cap-drop ALL" in proc.stdout
    assert sorted(os.listdir(tmp_path)) == sorted([PACKET.name, "bin"])


# Facts: `podman info --format json` read by awk as select_podman_facts reads it.


def _shell_facts(tmp_path, info_text: str) -> tuple[dict, str]:
    (tmp_path / "info.json").write_text(info_text, encoding="utf-8")
    out = sourced(PACKET, tmp_path, 'FAKE=$1; podman_info() { cat "$FAKE/info.json"; }; '
                  'WORK=$(mktemp -d); STAGE=$(mktemp -d); mkdir "$STAGE/engine"; '
                  'API_VERSION=4.3.1; podman_facts; cat "$STAGE/engine/facts.json"; '
                  'printf "%s\\n" "$ENGINE_ID"; rm -rf -- "$WORK" "$STAGE"', str(tmp_path))
    facts_line, engine_id = out.decode().splitlines()
    return json.loads(facts_line), engine_id


def _variants() -> list[tuple[str, dict]]:
    """The capture, each of its object keys removed in turn (nested ones too), and values of
    other types and shapes where the module keeps or drops a fact."""
    cases = [("as captured", INFO)]
    cases += [("without " + ".".join(path), _without(path)) for path in _leaf_paths(INFO)]
    odd = copy.deepcopy(INFO)
    odd["host"].update(kernel="", os=7, arch=True, cgroupVersion="v", logDriver=None)
    odd["host"]["distribution"] = {"distribution": "", "version": "12", "codename": ""}
    odd["host"]["security"].update(seccompProfilePath="", apparmorEnabled=True, rootless=True,
                                   selinuxEnabled="true")
    odd["store"]["graphDriverName"] = 1.5
    odd["version"]["Version"] = 'quote " and back \\ slash <&>'
    cases.append(("odd values", odd))
    return cases


@pytest.mark.parametrize("name, info", _variants(), ids=[case[0] for case in _variants()])
def test_the_script_selects_podmans_facts_as_the_module_does(tmp_path, name, info) -> None:
    # Podman prints its info indented, Go escaping <, > and &; the script reads either.
    for text in (json.dumps(info, indent=4).replace("<", "\\u003c").replace(">", "\\u003e")
                 .replace("&", "\\u0026"), json.dumps(info)):
        shell, engine_id = _shell_facts(tmp_path, text)
        python = _facts.select_podman_facts(json.dumps(info), "4.3.1")
        assert shell == python, name
        assert engine_id == python["engine_id"]


def test_the_fingerprint_is_the_modules_for_the_graph_root(tmp_path) -> None:
    facts, engine_id = _shell_facts(tmp_path, json.dumps(INFO, indent=4))
    assert engine_id == "podman:/var/lib/containers/storage"
    machine = "73a15712e806f9038adab585feb7cbbe"
    out = sourced(PACKET, tmp_path, 'ENGINE_ID=$1; MACHINE_SHA=$(printf "%s" "$2" | sha_of); '
                  'printf "%s\\n%s\\n" "$MACHINE_SHA" "$ENGINE_ID" | sha_of', engine_id, machine)
    assert "sha256:" + out.decode() == _facts.fingerprint_of(
        _facts.machine_id_sha256(machine), facts["engine_id"])


@pytest.mark.parametrize("text", ["", "{", "{\"host\": [1, 2}", "{}}", "nope", "{\"a\": tru}"])
def test_json_pick_refuses_what_is_not_json(tmp_path, text) -> None:
    proc = run_sh(PACKET, tmp_path, 'json_pick "a.b=x"', stdin=text.encode())
    assert proc.returncode != 0


def test_json_pick_reads_paths_into_arrays_and_keeps_the_last_duplicate(tmp_path) -> None:
    text = '[{"a": {"b": "one", "b": "two"}, "c": [1, {"d": -3}], "e": "x\\"]}"}, {"a": 9}]'
    out = sourced(PACKET, tmp_path, 'json_pick "0.a.b=ab 0.c.1.d=d 0.e=e 1.a=a 0.zz=zz"',
                  stdin=text.encode())
    assert out.decode().splitlines() == ['ab="two"', "d=-3", 'e="x\\"]}"', "a=9"]


def test_a_graph_root_printed_with_an_escape_is_refused(tmp_path) -> None:
    info = copy.deepcopy(INFO)
    info["store"]["graphRoot"] = "/var/lib/é"
    (tmp_path / "info.json").write_text(json.dumps(info), encoding="utf-8")
    proc = run_sh(PACKET, tmp_path, 'FAKE=$1; podman_info() { cat "$FAKE/info.json"; }; '
                  'WORK=$(mktemp -d); STAGE=$(mktemp -d); mkdir "$STAGE/engine"; podman_facts',
                  str(tmp_path))
    assert proc.returncode != 0 and b"graph root is printed with an escape" in proc.stderr


# The snapshot: Podman's captured inspect output through the script and through take_snapshot.

def _snapshot_fakes() -> str:
    """sh functions answering the script's list and inspect calls from the capture files in
    $FAKE, as _python_snapshot's run_cli answers the module's."""
    fakes = []
    for kind in _snapshot_podman.INSPECTED_KINDS:
        fakes.append("list_%s() { cut -d ' ' -f 1 \"$FAKE/%s.txt\" | sort -u; }; "
                     "inspect_%s() { cat \"$FAKE/%s.txt\"; }; " % (kind, kind, kind, kind))
    fakes.append('list_image() { cat "$FAKE/image-list.txt"; }; '
                 'list_probe_image() { cat "$FAKE/probe-image-list.txt"; }; ')
    return "".join(fakes)


def _python_snapshot(monkeypatch, captures: dict[str, str]) -> dict:
    def keys(kind: str) -> str:
        return "\n".join(sorted({line.split(" ", 1)[0]
                                 for line in captures["%s.txt" % kind].splitlines()})) + "\n"

    def run_cli(argv: list[str], check: bool = True, **_kwargs) -> CliResult:
        del check
        rest = argv[1:]
        for kind in _snapshot_podman.INSPECTED_KINDS:
            if rest == _snapshot_podman.LIST_COMMANDS[kind]:
                return _cli(argv, keys(kind))
            if rest[:len(_snapshot_podman.INSPECT_COMMANDS[kind])] == \
                    _snapshot_podman.INSPECT_COMMANDS[kind]:
                return _cli(argv, captures["%s.txt" % kind])
        if rest == _snapshot_podman.LIST_COMMANDS["image"]:
            return _cli(argv, captures["image-list.txt"])
        if rest == _snapshot_podman.PROBE_IMAGE_LIST_COMMAND:
            return _cli(argv, captures["probe-image-list.txt"])
        raise AssertionError("unexpected call %r" % argv)

    monkeypatch.setattr(_snapshot, "run_cli", run_cli)
    return _snapshot.take_snapshot("podman", "now", "podman")


def _cli(argv: list[str], stdout: str) -> CliResult:
    return CliResult(argv, 0, stdout, "")


def _captures() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in SNAPSHOT_DATA.glob("*.txt")}


def _shuffled_pod_members(text: str) -> str:
    """The pod capture with its members listed in the other order (Podman's order varies)."""
    lines = []
    for line in text.splitlines():
        head, sep, rest = line.partition(',"containers":[')
        if sep:
            ids, close, tail = rest.partition("]")
            line = head + sep + ",".join(reversed(ids.split(","))) + close + tail
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("variant", ["as captured", "pod members reversed", "no containers"])
def test_the_script_snapshots_podman_as_the_module_does(tmp_path, monkeypatch, variant) -> None:
    captures = _captures()
    if variant == "pod members reversed":
        captures["pod.txt"] = _shuffled_pod_members(captures["pod.txt"])
    if variant == "no containers":
        captures["container.txt"] = ""
    fake = tmp_path / "fake"
    fake.mkdir()
    for name, text in captures.items():
        (fake / name).write_text(text, encoding="utf-8")
    out = sourced(PACKET, tmp_path, "FAKE=$1; " + _snapshot_fakes()
                  + 'WORK=$(mktemp -d); snapshot "$WORK/s.json"; cat "$WORK/s.json"; '
                  'rm -rf -- "$WORK"', str(fake))
    shell = json.loads(out)
    python = _python_snapshot(monkeypatch, captures)
    for key in ("taken_at", "started_ns", "finished_ns"):
        shell.pop(key)
        python.pop(key)
    assert shell == python
    assert shell["runtime"] == "podman" and len(shell["pods"]) == 1
    if variant != "no containers":
        assert any(network["containers"] for network in shell["networks"])
        assert len(shell["pods"][0]["containers"]) == 2


def test_podmans_warnings_are_no_failure_of_an_inspect(tmp_path) -> None:
    warning = ('time="2026-11-30T08:00:00Z" level=warning msg="aardvark-dns binary not found"\n'
               "Error: no such container 0f\n")
    (tmp_path / "err").write_text(warning)
    assert sourced(PACKET, tmp_path, 'only_vanished "$1/err" && echo vanished',
                   str(tmp_path)) == b"vanished\n"
    (tmp_path / "err").write_text("Error: template: :1: can't evaluate field Nope\n")
    assert run_sh(PACKET, tmp_path, 'only_vanished "$1/err"', str(tmp_path)).returncode == 1


# The event window: the log read whole, the close applied to each event's time_nano.

UNTIL = 1796056370123456789


def _event(ns: int, action: str = "start") -> str:
    return json.dumps({"time_nano": ns, "type": "container", "action": action, "id": "c" * 64,
                       "name": "x", "container": None, "exec_id": None}, separators=(",", ":"))


def test_the_event_window_closes_as_the_module_closes_it(tmp_path) -> None:
    lines = [_event(UNTIL - 10 ** 9), _event(UNTIL), "", _event(UNTIL + 1), _event(99),
             _event(UNTIL * 10), _event(UNTIL - 1, "died")]
    (tmp_path / "log").write_text("".join(line + "\n" for line in lines))
    script = ('UNTIL_NS=%d; EVENTS_CLOSE_MARGIN_NS=0; STARTED_AT=x; '
              'date() { case "$*" in *%%N*) echo "$UNTIL_NS" ;; *) command date "$@" ;; esac; }; '
              'sleep() { UNTIL_NS=$((UNTIL_NS + 1)); }; '
              'read_events() { cat "$FAKE/log"; }; FAKE=$1; WORK=$(mktemp -d); '
              'podman_events "$FAKE/out"; scrub_events "$FAKE/out" "$FAKE/kept"; '
              'cat "$FAKE/kept"; echo "$FINISHED_AT"; rm -rf -- "$WORK"' % UNTIL)
    out = sourced(PACKET, tmp_path, script, str(tmp_path)).decode().splitlines()
    kept = [json.loads(line) for line in out[:-1]]
    window = _snapshot.events_in_window([line for line in lines if line], UNTIL, "podman")
    assert kept == [_snapshot.scrub_event_line(line, "podman") for line in window]
    assert [event["time_nano"] for event in kept] == [UNTIL - 10 ** 9, UNTIL, 99, UNTIL - 1]
    assert out[-1] == _snapshot.window_closes_at(UNTIL)


@pytest.mark.parametrize("line", [_event(5) + "\tcommand", '{"time":5}', "not json"])
def test_an_event_line_not_of_podmans_template_stops_the_run(tmp_path, line) -> None:
    (tmp_path / "log").write_text(_event(1) + "\n" + line + "\n")
    proc = run_sh(PACKET, tmp_path, 'EVENTS_CLOSE_MARGIN_NS=0; STARTED_AT=x; FAKE=$1; '
                  'read_events() { cat "$FAKE/log"; }; WORK=$(mktemp -d); '
                  'podman_events "$FAKE/out"', str(tmp_path))
    assert proc.returncode != 0
    assert b"not of the event template" in proc.stderr


# The OCI spec: copied by the automated path's rules, refused loudly otherwise.

def _spec_case(tmp_path, path: str | None, *, content: bytes = b'{"ociVersion": "1.0.2"}') -> (
        subprocess.CompletedProcess):
    storage = tmp_path / "storage" / CID / "userdata"
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "config.json").write_bytes(content)
    inspect = [{"Id": CID, **({} if path is None else {"OCIConfigPath": path})}]
    (tmp_path / "id").mkdir(exist_ok=True)
    (tmp_path / "id" / "inspect.json").write_text(json.dumps(inspect, indent=4))
    return run_sh(PACKET, tmp_path, 'ID_DIR=$1/id; WORK=$(mktemp -d); copy_oci_spec "$2"',
                  str(tmp_path), CID)


def test_the_oci_spec_is_copied_from_the_path_inspect_names(tmp_path) -> None:
    path = str(tmp_path / "storage" / CID / "userdata" / "config.json")
    spec = json.dumps({"ociVersion": "1.0.2", "process": {"env": ["a=1"]}}).encode()
    proc = _spec_case(tmp_path, path, content=spec)
    assert proc.returncode == 0, proc.stderr.decode()
    assert (tmp_path / "id" / _bundle_format.OCI_SPEC).read_bytes() == spec


@pytest.mark.parametrize("how, words", [
    ("absent", "names no OCIConfigPath"),
    ("relative", "is not absolute"),
    ("dot", "is not a normal path"),
    ("dotdot", "is not a normal path"),
    ("double slash", "is not a normal path"),
    ("trailing slash", "is not a normal path"),
    ("another container", "is not <storage>/"),
    ("not config.json", "is not <storage>/"),
    ("symlink", "is a symbolic link"),
    ("directory", "is not a regular file"),
    ("too large", "is over %d bytes" % _bundle_format.OCI_SPEC_MAX_BYTES),
    ("not an object", "is not a JSON object"),
    ("escape", "printed with an escape"),
])
def test_an_oci_spec_path_off_the_engines_layout_stops_the_run(tmp_path, how, words) -> None:
    base = str(tmp_path / "storage")
    good = "%s/%s/userdata/config.json" % (base, CID)
    content = b'{"ociVersion": "1.0.2"}'
    path = {
        "absent": None, "relative": good.lstrip("/"),
        "dot": "%s/./%s/userdata/config.json" % (base, CID),
        "dotdot": "%s/x/../%s/userdata/config.json" % (base, CID),
        "double slash": "%s//%s/userdata/config.json" % (base, CID),
        "trailing slash": good + "/",
        "another container": "%s/%s/userdata/config.json" % (base, "cd" * 32),
        "not config.json": "%s/%s/userdata/hostname" % (base, CID),
        "escape": "%s/%s/userdata/config.json\u00e9" % (base, CID),
    }.get(how, good)
    if how == "symlink":
        target = tmp_path / "elsewhere.json"
        target.write_bytes(content)
        (tmp_path / "storage" / CID / "userdata").mkdir(parents=True)
        os.symlink(target, good)
        inspect = [{"Id": CID, "OCIConfigPath": good}]
        (tmp_path / "id").mkdir()
        (tmp_path / "id" / "inspect.json").write_text(json.dumps(inspect))
        proc = run_sh(PACKET, tmp_path, 'ID_DIR=$1/id; WORK=$(mktemp -d); copy_oci_spec "$2"',
                      str(tmp_path), CID)
    elif how == "directory":
        (tmp_path / "storage" / CID / "userdata" / "config.json").mkdir(parents=True)
        inspect = [{"Id": CID, "OCIConfigPath": good}]
        (tmp_path / "id").mkdir()
        (tmp_path / "id" / "inspect.json").write_text(json.dumps(inspect))
        proc = run_sh(PACKET, tmp_path, 'ID_DIR=$1/id; WORK=$(mktemp -d); copy_oci_spec "$2"',
                      str(tmp_path), CID)
    else:
        if how == "too large":
            content = b"{" + b" " * _bundle_format.OCI_SPEC_MAX_BYTES + b"}"
        if how == "not an object":
            content = b'["ociVersion"]'
        proc = _spec_case(tmp_path, path, content=content)
    assert proc.returncode != 0
    assert words.encode() in proc.stderr, proc.stderr.decode()
