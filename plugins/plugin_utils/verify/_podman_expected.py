# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expected pictures of a Podman run container: its `podman inspect` document and the OCI
spec Podman gave the OCI runtime, field by field.

As for Docker (verify/_inspect_expected.py), each value comes from the profile, the run, the
shipped probe image and the engine facts; what Podman stores by itself is its entry in
data/inspect-fields.yml (`engines.podman`, with `spec_fields` and `spec_mounts` for the spec).
Podman's shapes were measured on 4.3.1 (docs/podman-facts.md section 5): the name without `/`,
the top-level Image as bare hex, the entrypoint as one string, the binds in HostConfig.Binds
with Podman's own options, the container's files under `<graph root>` and `<run root>`
`/<driver>-containers/<id>/userdata`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile, _seccomp
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import image_config
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    PROFILE,
    profile_limits,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect_expected import (
    Field,
    Picture,
    engine_entry,
    engine_fields,
    is_id,
    pointer,
    run_root_of,
    same_json,
    same_unordered,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._oci_spec import (
    container_dirs,
    seccomp_for_runtime,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_dict, dig
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings import _profile_podman

MIB = 1024 * 1024
# Options Podman adds to the profile's binds and its /tmp tmpfs (measured).
BIND_OPTIONS = "rprivate,nodev,rbind"
TMPFS_EXTRA = ("rprivate", "tmpcopyup")
# The cgroup of a container under the cgroupfs manager (measured; systemd names a scope).
CGROUPFS_PARENT = "/libpod_parent/libpod-"
_LAYER_DIR = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Inputs:
    """What both pictures are derived from: the run's ids, the profile's limits, the engine's
    facts and directories, and what follows from them."""

    run_id: str
    image_id: str
    probe_sha: str
    seccomp_name: str
    container_id: str
    limits: dict[str, int]
    facts: dict[str, Any]
    run_root: str
    graph_dir: str
    run_dir: str
    paths: dict[str, str]
    image: dict[str, Any]
    argv: Any
    exit_code: Any


def _inputs(evidence: Evidence, identity: str, picture: Picture) -> Inputs | None:
    """What both pictures are derived from, or None with the problem recorded."""
    run = evidence.doc("run.json")
    facts = evidence.doc("engine/facts.json")
    result = evidence.identity_doc(identity, "result.json")
    limits = profile_limits(evidence.doc(PROFILE))[0]
    run_id, image_id = dig(run, "run_id"), dig(run, "image_id")
    probe_sha, seccomp_name = dig(run, "probe_sha256"), dig(run, "seccomp_profile")
    container_id = dig(result, "container_id")
    dirs = container_dirs(facts, container_id)
    needed = {"run.json run_id": isinstance(run_id, str),
              "run.json image_id": isinstance(image_id, str),
              "run.json probe_sha256": isinstance(probe_sha, str),
              "a shipped seccomp profile in run.json": seccomp_name in _profile.SECCOMP_PROFILES,
              "result.json container_id (64 hex)": is_id(container_id),
              "profile/profile.json limits within bounds": limits is not None,
              "engine/facts.json graph_root, run_root and storage_driver": bool(dirs)}
    lacking = [what for what, ok in needed.items() if not ok]
    if lacking:
        picture.problems.append("cannot derive the expected document without %s"
                                % ", ".join(lacking))
        return None
    run_root = run_root_of(evidence.identity_doc(identity, "argv.json"), run_id, identity)
    if run_root is None:
        picture.problems.append("cannot derive the run root: argv.json has no /in bind "
                                "<run root>/%s/%s/in" % (run_id, identity))
        return None
    picture.run_root = run_root
    return Inputs(
        run_id=run_id, image_id=image_id, probe_sha=probe_sha, seccomp_name=seccomp_name,
        container_id=container_id, limits=limits, facts=facts, run_root=run_root,
        graph_dir=dirs[0], run_dir=dirs[1],
        paths=_profile.run_paths(run_root, run_id, identity, seccomp_name),
        image=image_config(probe_sha), argv=evidence.identity_doc(identity, "argv.json"),
        exit_code=dig(result, "exit_code"))


def _putter(picture: Picture) -> Callable[..., None]:
    def put(path: str, value: Any, source: str,
            same: Callable[[Any, Any], bool] = same_json) -> None:
        picture.fields[path] = Field(value, source, same)
    return put


def derive_inspect(evidence: Evidence, identity: str, picture: Picture) -> None:
    """Podman's inspect document: the fields that follow from the profile, run and facts."""
    v = _inputs(evidence, identity, picture)
    if v is None:
        return
    put = _putter(picture)
    cid, image, limits, paths, facts = (v.container_id, v.image, v.limits, v.paths,
                                        v.facts)
    labels = dict(image["Labels"])
    labels.update({_profile.LABEL_RUN_ID: v.run_id, _profile.LABEL_IDENTITY: identity})
    memory = limits["memory_mb"] * MIB
    put("/Id", cid, "result.json container_id")
    put("/Name", _profile.container_name(v.run_id, identity), "run id and identity")
    put("/Image", v.image_id.split(":", 1)[1], "run.json image_id (bare hex)")
    put("/ImageName", v.image_id, "the argv's image (run.json image_id)")
    put("/Config/Image", v.image_id, "the argv's image (run.json image_id)")
    put("/Config/CreateCommand", v.argv, "argv.json (the create command Podman records)")
    put("/Path", image["Entrypoint"][0], "the probe image's entrypoint")
    put("/Args", image["Entrypoint"], "the probe image's entrypoint (no command)")
    put("/Config/Entrypoint", " ".join(image["Entrypoint"]),
        "the probe image's entrypoint, as one string")
    put("/Config/Cmd", None, "the probe image has no command, the argv gives none")
    put("/Config/WorkingDir", image["WorkingDir"], "the probe image's working directory")
    put("/Config/Labels", labels, "the probe image's labels and the argv's --label")
    put("/Config/User", _profile.identity_user(identity), "the profile's user of " + identity)
    put("/Config/Hostname", cid[:12], "the engine's default hostname (the ID's first 12)")
    put(pointer("Config", "Annotations", "io.podman.annotations.seccomp"), paths["seccomp_file"],
        "the profile's seccomp file in the run directory")
    put("/State/ExitCode", v.exit_code, "result.json exit_code")
    for name, directory, file_name in (
            ("ConmonPidFile", v.run_dir, "conmon.pid"), ("PidFile", v.run_dir, "pidfile"),
            ("HostnamePath", v.run_dir, "hostname"), ("HostsPath", v.run_dir, "hosts"),
            ("StaticDir", v.graph_dir, ""), ("OCIConfigPath", v.graph_dir, "config.json")):
        put("/" + name, directory + ("/" + file_name if file_name else ""),
            "the container's directory (facts graph_root/run_root, storage_driver, its ID)")
    put("/HostConfig/LogConfig/Path", v.graph_dir + "/ctr.log",
        "the container's directory (facts graph_root, storage_driver, its ID)")
    put("/Driver", dig(facts, "storage_driver"), "facts storage_driver")
    put("/GraphDriver/Name", dig(facts, "storage_driver"), "facts storage_driver")
    put("/OCIRuntime", dig(facts, "default_runtime"), "facts default_runtime")
    put("/HostConfig/CgroupManager", dig(facts, "cgroup_driver"), "facts cgroup_driver")
    put("/HostConfig/LogConfig/Type", _profile.LOG_DRIVER, "profile --log-driver")
    put("/HostConfig/LogConfig/Size", _profile_podman.log_size(_profile.LOG_OPTS["max-size"]),
        "profile --log-opt max-size")
    put("/HostConfig/NetworkMode", "none", "profile --network none")
    put("/HostConfig/RestartPolicy/Name", "no", "profile --restart no")
    put("/HostConfig/CgroupMode", "private", "profile --cgroupns private")
    put("/HostConfig/Dns", list(_profile.dns_servers("podman")), "profile: no --dns")
    put("/HostConfig/ReadonlyRootfs", True, "profile --read-only")
    put("/HostConfig/SecurityOpt", ["no-new-privileges", "seccomp=" + paths["seccomp_file"]],
        "profile --security-opt")
    put(pointer("HostConfig", "Tmpfs", _profile.TMPFS_TMP_TARGET), ",".join(
        (*_profile.TMPFS_TMP_OPTIONS, "size=%dm" % limits["tmpfs_tmp_mb"], *TMPFS_EXTRA)),
        "profile --tmpfs, with Podman's own options")
    put("/HostConfig/ShmSize", _profile.SHM_SIZE_MB * MIB, "profile --shm-size")
    put("/HostConfig/PidsLimit", limits["pids"], "profile limits pids")
    put("/HostConfig/Memory", memory, "profile limits memory_mb")
    put("/HostConfig/MemorySwap", memory, "profile --memory-swap (= memory)")
    put("/HostConfig/NanoCpus", limits["cpus_milli"] * 1_000_000, "profile limits cpus_milli")
    put("/HostConfig/CpuPeriod", _profile_podman.CPU_PERIOD, "Podman's period for --cpus")
    put("/HostConfig/CpuQuota", _profile_podman.cpu_quota(limits),
        "profile limits cpus_milli over Podman's period")
    put("/HostConfig/Binds", ["%s:/in:ro,%s" % (paths["in"], BIND_OPTIONS),
                              "%s:/out:rw,%s" % (paths["out"], BIND_OPTIONS)],
        "profile --mount, sources under the run root %s" % v.run_root, same_unordered)
    put("/Mounts", [
        {"Type": "bind", "Source": paths["in"], "Destination": "/in", "Driver": "", "Mode": "",
         "Options": ["nodev", "rbind"], "RW": False, "Propagation": "rprivate"},
        {"Type": "bind", "Source": paths["out"], "Destination": "/out", "Driver": "",
         "Mode": "", "Options": ["nodev", "rbind"], "RW": True, "Propagation": "rprivate"},
    ], "profile --mount, sources under the run root %s" % v.run_root, same_unordered)


def _same_layer_dir(observed: Any, expected: Any) -> bool:
    """The container's writable layer: a directory named by a random ID under the driver's."""
    return (isinstance(observed, str) and observed.startswith(expected)
            and bool(_LAYER_DIR.fullmatch(observed[len(expected):])))


def derive_spec(evidence: Evidence, identity: str, picture: Picture,
                entry: dict[str, Any] | None) -> None:
    """Podman's OCI spec: the fields that follow from the profile, run and facts, and the
    mounts Podman always adds (the entry's `spec_mounts`)."""
    v = _inputs(evidence, identity, picture)
    if v is None:
        return
    put = _putter(picture)
    cid, image, limits, paths, facts = (v.container_id, v.image, v.limits, v.paths,
                                        v.facts)
    uid, dummy, gid = _profile.identity_user(identity).partition(":")
    memory = limits["memory_mb"] * MIB
    put(pointer("annotations", "io.podman.annotations.seccomp"), paths["seccomp_file"],
        "the profile's seccomp file in the run directory")
    put("/hostname", cid[:12], "the engine's default hostname (the ID's first 12)")
    put("/linux/seccomp", seccomp_for_runtime(_seccomp.seccomp_profile(v.seccomp_name),
                                              dig(facts, "architecture")),
        "the shipped profile for the facts' architecture")
    put("/linux/resources/pids/limit", limits["pids"], "profile limits pids")
    put("/linux/resources/memory/limit", memory, "profile limits memory_mb")
    put("/linux/resources/memory/swap", memory, "profile --memory-swap (= memory)")
    put("/linux/resources/cpu/period", _profile_podman.CPU_PERIOD, "Podman's period for --cpus")
    put("/linux/resources/cpu/quota", _profile_podman.cpu_quota(limits),
        "profile limits cpus_milli over Podman's period")
    put("/process/args", image["Entrypoint"], "the probe image's entrypoint")
    put("/process/cwd", image["WorkingDir"], "the probe image's working directory")
    put("/process/noNewPrivileges", True, "profile no-new-privileges")
    put("/process/user/uid", int(uid), "the profile's user of " + identity)
    put("/process/user/gid", int(gid), "the profile's user of " + identity)
    put("/process/user/additionalGids", [int(gid)], "the user's own group, no other")
    put("/root/readonly", True, "profile --read-only")
    put("/root/path", "%s/%s/dir/" % (str(dig(facts, "graph_root")).rstrip("/"),
                                      dig(facts, "storage_driver")),
        "a layer directory of the storage driver under the graph root", _same_layer_dir)
    engine_binds = {"/etc/hostname": v.run_dir + "/hostname",
                    "/etc/hosts": v.run_dir + "/hosts",
                    "/run/.containerenv": v.run_dir + "/.containerenv",
                    "/dev/shm": v.graph_dir + "/shm"}  # noqa: S108
    mounts = [
        {"destination": "/in", "type": "bind", "source": paths["in"],
         "options": ["ro", "rprivate", "nodev", "rbind"]},
        {"destination": "/out", "type": "bind", "source": paths["out"],
         "options": ["rw", "rprivate", "nodev", "rbind"]},
        {"destination": _profile.TMPFS_TMP_TARGET, "type": "tmpfs", "source": "tmpfs",
         "options": [*_profile.TMPFS_TMP_OPTIONS, "size=%dm" % limits["tmpfs_tmp_mb"],
                     *TMPFS_EXTRA]},
    ]
    if entry is None:
        return  # Podman's own mounts are the entry's: without one the list cannot be known.
    for mount in entry.get("spec_mounts") or []:
        mount = dict(as_dict(mount))
        if mount.get("destination") in engine_binds:
            mount["source"] = engine_binds[mount["destination"]]
        mounts.append(mount)
    put("/mounts", mounts, "the profile's binds and tmpfs, and Podman's own mounts (data)",
        same_unordered)


def inspect_picture(evidence: Evidence, identity: str, data: dict[str, Any]) -> Picture:
    """The expected `podman inspect` document of one identity."""
    entry, problem = engine_entry(data, "podman", evidence.doc("engine/facts.json"))
    picture = Picture(not_isolation={str(k): str(v) for k, v in (
        *as_dict(data.get("not_isolation")).items(),
        *as_dict((entry or {}).get("not_isolation")).items())})
    derive_inspect(evidence, identity, picture)
    if entry is None:
        picture.engine_problem = problem
    else:
        engine_fields(entry, picture)
    return picture


def spec_picture(evidence: Evidence, identity: str, data: dict[str, Any]) -> Picture:
    """The expected OCI spec of one identity; the engine's own fields are its `spec_fields`."""
    entry, problem = engine_entry(data, "podman", evidence.doc("engine/facts.json"))
    picture = Picture(not_isolation={str(k): str(v) for k, v in as_dict(
        (entry or {}).get("spec_not_isolation")).items()})
    derive_spec(evidence, identity, picture, entry)
    if entry is None:
        picture.engine_problem = problem
    else:
        # Only for a modelled engine: the entry pins the cgroupfs manager it was measured with.
        container_id = dig(evidence.identity_doc(identity, "result.json"), "container_id")
        if is_id(container_id):
            picture.fields["/linux/cgroupsPath"] = Field(
                CGROUPFS_PARENT + container_id, "the cgroupfs manager's path for the ID")
        for path, value in as_dict(entry.get("spec_fields")).items():
            picture.fields.setdefault(str(path), Field(value, "the engine's own value (data)"))
    return picture
