# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expected picture of one run container's `docker inspect` document, field by field.

Each field's expected value comes from what the verifier knows without trusting the document:
the hardened profile (module_utils/_profile.py, _seccomp.py), the run (run.json, the
identity's argv.json and result.json), the shipped probe image (plugin_utils/_probe_image.py),
the engine facts (engine/facts.json) and, for what the engine stores by itself, the engine's
entry in data/inspect-fields.yml. findings/_inspect_fields.py compares the document with it.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile, _seccomp
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import image_config
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    PROFILE,
    profile_limits,
    security_module,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect import (
    parse_seccomp_value,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_dict, dig

HEX = frozenset("0123456789abcdef")
# Where the pinned json-file log driver writes, inside the container's directory.
JSON_FILE_LOG = "%s-json.log"


class Absent:
    """The expected value of a field that must not be there (a daemon's merged log option)."""

    def __repr__(self) -> str:
        return "absent"


ABSENT = Absent()


def same_json(observed: Any, expected: Any) -> bool:
    """Equal as JSON values, types included: true is not 1, 0 is not false, "1" is not 1."""
    if isinstance(expected, bool) or isinstance(observed, bool):
        return type(observed) is type(expected) and observed == expected
    if isinstance(expected, dict):
        return (isinstance(observed, dict) and observed.keys() == expected.keys()
                and all(same_json(observed[k], expected[k]) for k in expected))
    if isinstance(expected, list):
        return (isinstance(observed, list) and len(observed) == len(expected)
                and all(map(same_json, observed, expected)))
    if isinstance(expected, (int, float)):
        return isinstance(observed, (int, float)) and observed == expected
    return type(observed) is type(expected) and observed == expected


def same_unordered(observed: Any, expected: Any) -> bool:
    """Equal lists in any order: the engine builds the top-level Mounts from a map."""
    if not (isinstance(observed, list) and isinstance(expected, list)):
        return False
    try:
        ordered = sorted(observed, key=canonical), sorted(expected, key=canonical)
    except (TypeError, ValueError):
        return False
    return len(observed) == len(expected) and all(map(same_json, *ordered))


def same_security_opts(observed: Any, expected: Any) -> bool:
    """The CLI's two options, the seccomp one compared as data (canonical JSON), never as text:
    ["no-new-privileges=true", <shipped profile as data>]."""
    if not (isinstance(observed, list) and len(observed) == 2
            and all(isinstance(entry, str) for entry in observed)):
        return False
    nnp, profile = expected
    if observed[0] != nnp or not observed[1].startswith("seccomp="):
        return False
    parsed, problem = parse_seccomp_value(observed[1][len("seccomp="):])
    return problem is None and same_json(parsed, profile)


@dataclass(frozen=True)
class Field:
    """One field's expected value, where it comes from, and how a departure counts."""

    expected: Any
    source: str
    same: Callable[[Any, Any], bool] = same_json
    # True: a daemon option no engine fact records can change it; a departure is "engine not
    # modelled" (PARTIAL), not FAILED.
    daemon_default: bool = False
    # Other values that mean the same to the engine (null for an empty list the client sent).
    alternatives: tuple[Any, ...] = ()

    def holds(self, observed: Any) -> bool:
        return any(self.same(observed, value) for value in (self.expected, *self.alternatives))


@dataclass
class Picture:
    """The expected inspect document of one identity."""

    fields: dict[str, Field] = field(default_factory=dict)
    not_isolation: dict[str, str] = field(default_factory=dict)
    # "engine not modelled: ..." when the data has no entry for this engine: only the fields
    # derived from the profile, the run and the facts are compared then.
    engine_problem: str | None = None
    # Inputs the derivation needed but the evidence does not give (a departure by itself).
    problems: list[str] = field(default_factory=list)
    # The run root the binds' sources were derived under (one run, so one for every identity).
    run_root: str | None = None


def pointer(*keys: str) -> str:
    """A JSON pointer of keys, `/` in a key escaped as `~1` (RFC 6901)."""
    return "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in keys)


def engine_entry(data: dict[str, Any], runtime: Any, facts: Any) -> tuple[
        dict[str, Any] | None, str | None]:
    """The data's entry for this engine and the security module it models, or why there is
    none (the reason PARTIAL names)."""
    api = dig(facts, "api_version")
    versions = dig(data, "engines", runtime) if isinstance(runtime, str) else None
    entry = as_dict(versions).get(api) if isinstance(api, str) else None
    if not isinstance(entry, dict):
        return None, "engine not modelled: %s API %s (server %s) has no entry in " \
            "data/inspect-fields.yml" % (runtime, api, dig(facts, "server_version"))
    oci = dig(facts, "default_runtime")
    if oci not in (entry.get("oci_runtimes") or []):
        return None, "engine not modelled: default OCI runtime %r of %s API %s is not one of " \
            "%s" % (oci, runtime, api, entry.get("oci_runtimes"))
    for fact, listed in (("cgroup_driver", "cgroup_drivers"),
                         ("cgroup_version", "cgroup_versions")):
        # Where the entry names them: the cgroup paths it derives depend on them (Podman's).
        if listed in entry and str(dig(facts, fact)) not in [str(v) for v in entry[listed]]:
            return None, "engine not modelled: %s %r of %s API %s is not one of %s" % (
                fact, dig(facts, fact), runtime, api, entry[listed])
    module = security_module(facts)
    if module not in as_dict(entry.get("security_modules")):
        return None, "engine not modelled: %s API %s with %s" % (runtime, api, module)
    return {**entry, "module_fields": entry["security_modules"][module]}, None


def run_root_of(argv: Any, run_id: str, identity: str) -> str | None:
    """The run root the identity's argv names in its /in bind, when that is a run root."""
    if not isinstance(argv, list):
        return None
    suffix = "/%s/%s/in" % (run_id, identity)
    for flag, value in itertools.pairwise(argv):
        if flag == "--mount" and isinstance(value, str) and value.endswith(",target=/in,readonly"):
            source = value[len("type=bind,source="):-len(",target=/in,readonly")]
            root = source[:-len(suffix)] if source.endswith(suffix) else None
            if value.startswith("type=bind,source=") and root and \
                    _profile.run_root_problem(root) is None:
                return root
    return None


def is_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX


def _derived(evidence: Evidence, identity: str, picture: Picture) -> None:
    """The fields whose values follow from the profile, the run, the image and the facts."""
    run = evidence.doc("run.json")
    facts = evidence.doc("engine/facts.json")
    result = evidence.identity_doc(identity, "result.json")
    run_id = dig(run, "run_id")
    image_id = dig(run, "image_id")
    probe_sha = dig(run, "probe_sha256")
    seccomp_name = dig(run, "seccomp_profile")
    container_id = dig(result, "container_id")
    limits = profile_limits(evidence.doc(PROFILE))[0]
    root_dir = dig(facts, "docker_root_dir")
    needed = {"run.json run_id": isinstance(run_id, str),
              "run.json image_id": isinstance(image_id, str),
              "run.json probe_sha256": isinstance(probe_sha, str),
              "a shipped seccomp profile in run.json": seccomp_name in _profile.SECCOMP_PROFILES,
              "result.json container_id (64 hex)": is_id(container_id),
              "profile/profile.json limits within bounds": limits is not None,
              "engine/facts.json docker_root_dir": isinstance(root_dir, str) and bool(root_dir)}
    lacking = [what for what, ok in needed.items() if not ok]
    if lacking or limits is None:  # (limits again: for the type checker)
        picture.problems.append("cannot derive the expected document without %s"
                                % ", ".join(lacking))
        return
    run_root = run_root_of(evidence.identity_doc(identity, "argv.json"), run_id, identity)
    if run_root is None:
        picture.problems.append("cannot derive the run root: argv.json has no /in bind "
                                "<run root>/%s/%s/in" % (run_id, identity))
        return
    picture.run_root = run_root
    paths = _profile.run_paths(run_root, run_id, identity, seccomp_name)
    image = image_config(probe_sha)
    memory = limits["memory_mb"] * 1024 * 1024
    container_dir = posixpath.join(root_dir, "containers", container_id)
    labels = dict(image["Labels"])
    labels.update({_profile.LABEL_RUN_ID: run_id, _profile.LABEL_IDENTITY: identity})

    def put(path: str, value: Any, source: str,
            same: Callable[[Any, Any], bool] = same_json) -> None:
        picture.fields[path] = Field(value, source, same)

    put("/Id", container_id, "result.json container_id")
    put("/Name", "/" + _profile.container_name(run_id, identity), "run id and identity")
    put("/Image", image_id, "run.json image_id")
    put("/Config/Image", image_id, "the argv's image (run.json image_id)")
    put("/Path", image["Entrypoint"][0], "the probe image's entrypoint")
    put("/Args", image["Entrypoint"][1:], "the probe image's entrypoint (no command)")
    put("/Config/Entrypoint", image["Entrypoint"], "the probe image's entrypoint")
    put("/Config/Cmd", None, "the probe image has no command, the argv gives none")
    put("/Config/WorkingDir", image["WorkingDir"], "the probe image's working directory")
    put("/Config/Env", None, "the probe image has no environment; the env file is empty")
    put("/Config/Labels", labels, "the probe image's labels and the argv's --label")
    put("/Config/User", _profile.identity_user(identity), "the profile's user of " + identity)
    put("/Config/Hostname", container_id[:12], "the engine's default hostname (the ID's first 12)")
    put("/State/ExitCode", dig(result, "exit_code"), "result.json exit_code")
    for name, file_name in (("ResolvConfPath", "resolv.conf"), ("HostnamePath", "hostname"),
                            ("HostsPath", "hosts"),
                            ("LogPath", JSON_FILE_LOG % container_id)):
        put("/" + name, posixpath.join(container_dir, file_name),
            "the engine's root directory (facts docker_root_dir) and the container ID")
    put("/Driver", dig(facts, "storage_driver"), "facts storage_driver")
    put("/GraphDriver/Name", dig(facts, "storage_driver"), "facts storage_driver")
    put("/Platform", dig(facts, "os_type"), "facts os_type")
    put("/HostConfig/Runtime", dig(facts, "default_runtime"), "facts default_runtime")
    put("/HostConfig/LogConfig/Type", _profile.LOG_DRIVER, "profile --log-driver")
    for key, value in _profile.LOG_OPTS.items():
        put(pointer("HostConfig", "LogConfig", "Config", key), value, "profile --log-opt")
    put("/HostConfig/NetworkMode", "none", "profile --network none")
    put("/HostConfig/RestartPolicy/Name", "no", "profile --restart no")
    put("/HostConfig/CapDrop", ["ALL"], "profile --cap-drop ALL")
    put("/HostConfig/CgroupnsMode", "private", "profile --cgroupns private")
    put("/HostConfig/IpcMode", "private", "profile --ipc private")
    put("/HostConfig/Dns", list(_profile.DNS), "profile --dns")
    put("/HostConfig/ReadonlyRootfs", True, "profile --read-only")
    put("/HostConfig/SecurityOpt", ["no-new-privileges=true", _seccomp.seccomp_profile(
        seccomp_name)], "profile --security-opt (seccomp as data)", same_security_opts)
    put(pointer("HostConfig", "Tmpfs", _profile.TMPFS_TMP_TARGET), "%s,size=%dm" % (
        ",".join(_profile.TMPFS_TMP_OPTIONS), limits["tmpfs_tmp_mb"]), "profile --tmpfs")
    put("/HostConfig/ShmSize", _profile.SHM_SIZE_MB * 1024 * 1024, "profile --shm-size")
    put("/HostConfig/PidsLimit", limits["pids"], "profile limits pids")
    put("/HostConfig/Memory", memory, "profile limits memory_mb")
    put("/HostConfig/MemorySwap", memory, "profile --memory-swap (= memory)")
    put("/HostConfig/NanoCpus", limits["cpus_milli"] * 1_000_000, "profile limits cpus_milli")
    put("/HostConfig/Mounts", [
        {"Type": "bind", "Source": paths["in"], "Target": "/in", "ReadOnly": True},
        {"Type": "bind", "Source": paths["out"], "Target": "/out"},
    ], "profile --mount, sources under the run root %s" % run_root)
    # The engine's view of the same two binds (rprivate: the engine's default propagation).
    put("/Mounts", [
        {"Type": "bind", "Source": paths["in"], "Destination": "/in", "Mode": "", "RW": False,
         "Propagation": "rprivate"},
        {"Type": "bind", "Source": paths["out"], "Destination": "/out", "Mode": "", "RW": True,
         "Propagation": "rprivate"},
    ], "profile --mount, sources under the run root %s" % run_root, same_unordered)


def _empty_alternative(path: str, value: Any, client_empty: list[str]) -> tuple[Any, ...]:
    if path not in client_empty:
        return ()
    return (None,) if value == [] else ([],) if value is None else ()


def engine_fields(entry: dict[str, Any], picture: Picture) -> None:
    """The fields the engine stores by itself, and the daemon-configurable ones."""
    client_empty = [str(path) for path in entry.get("client_empty") or []]
    for path, value in as_dict(entry.get("fields")).items():
        picture.fields.setdefault(path, Field(
            value, "the engine's own value (data)",
            alternatives=_empty_alternative(path, value, client_empty)))
    for path, value in as_dict(entry.get("module_fields")).items():
        picture.fields.setdefault(path, Field(value, "the engine's value under its security "
                                                     "module (data)"))
    for path, value in as_dict(entry.get("daemon_defaults")).items():
        picture.fields.setdefault(path, Field(
            value, "the engine's default, which a daemon option changes (data)",
            daemon_default=True, alternatives=_empty_alternative(path, value, client_empty)))
    for key in entry.get("daemon_log_opts") or []:
        path = pointer("HostConfig", "LogConfig", "Config", key)
        picture.fields.setdefault(path, Field(ABSENT, "not set by the profile; a daemon "
                                                      "--log-opt merges it (data)",
                                              daemon_default=True))


def expected_picture(evidence: Evidence, identity: str, data: dict[str, Any]) -> Picture:
    picture = Picture(not_isolation={str(k): str(v) for k, v in as_dict(
        data.get("not_isolation")).items()})
    _derived(evidence, identity, picture)
    entry, problem = engine_entry(data, dig(evidence.doc("run.json"), "runtime"),
                                  evidence.doc("engine/facts.json"))
    if entry is None:
        picture.engine_problem = problem
    else:
        engine_fields(entry, picture)
    return picture
