# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile the shipped seccomp profiles (OCI JSON) to classic BPF, one filter per architecture.

bubblewrap loads a seccomp filter only as compiled BPF (`--seccomp FD`), unlike the engines,
which compile the JSON themselves. The filters are made here, at build time (`make
seccomp-bpf`, part of `make setup`), with libseccomp's own Python bindings (Debian's
python3-seccomp, built from the same source package as the libseccomp2 library: see
docs/bwrap-facts.md for why not PyPI's pyseccomp); nothing is compiled on a target.

    /usr/bin/python3 src/seccomp/compile_bpf.py PROFILES_JSON OUT_DIR

PROFILES_JSON maps each profile name to its OCI document (as
plugins/module_utils/_seccomp.seccomp_profile renders it, with its canonical sha256 under
"sha256"). OUT_DIR receives <name>-<arch>.bpf for every architecture of the profile's archMap
and manifest.json: each filter's file, sha256, the profile digest it was made from, the names
no architecture of the filter knows (skipped, as runc skips them) and the libseccomp version.
The output is deterministic for one libseccomp version: rules are added in a fixed order.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import sys

import seccomp  # Debian: python3-seccomp (libseccomp's bindings); pylint: disable=import-error

# The OCI names of the profile's archMap, in libseccomp's terms. Each target architecture's
# filter holds the architecture and its sub-architectures (as runc builds one for its host).
ARCH_TOKENS = {
    "SCMP_ARCH_X86_64": seccomp.Arch.X86_64,
    "SCMP_ARCH_X86": seccomp.Arch.X86,
    "SCMP_ARCH_X32": seccomp.Arch.X32,
    "SCMP_ARCH_AARCH64": seccomp.Arch.AARCH64,
    "SCMP_ARCH_ARM": seccomp.Arch.ARM,
}
# The file name of each target architecture: what `uname -m` says on such a target.
MACHINE_NAMES = {"SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_AARCH64": "aarch64"}
OPERATORS = {
    "SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_LT": seccomp.LT, "SCMP_CMP_LE": seccomp.LE,
    "SCMP_CMP_EQ": seccomp.EQ, "SCMP_CMP_GE": seccomp.GE, "SCMP_CMP_GT": seccomp.GT,
    "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ,
}


class ProfileError(ValueError):
    """A profile this compiler does not translate exactly: refused, never approximated."""


def action_of(name: str, errno_ret: int | None) -> tuple[str, int | None]:
    """The (action, errno) pair of an OCI action; only the two the shipped profiles use."""
    if name == "SCMP_ACT_ALLOW":
        return ("allow", None)
    if name == "SCMP_ACT_ERRNO":
        if errno_ret is None:
            raise ProfileError("SCMP_ACT_ERRNO without an errno")
        return ("errno", int(errno_ret))
    raise ProfileError("action %s is not translated" % name)


def libseccomp_action(action: tuple[str, int | None]) -> int:
    return seccomp.ALLOW if action[0] == "allow" else seccomp.ERRNO(action[1])


def known_to(arches: list[int], name: str) -> bool:
    """Whether any architecture of the filter has a syscall called `name`."""
    for arch in arches:
        try:
            if seccomp.resolve_syscall(arch, name) >= 0:
                return True
        except (ValueError, RuntimeError):
            continue
    return False


def compile_filter(profile: dict, target: str) -> tuple[bytes, list[str]]:
    """The BPF bytes of `profile` for the archMap entry `target`, and the skipped names."""
    [entry] = [e for e in profile["archMap"] if e["architecture"] == target]
    arches = [ARCH_TOKENS[a] for a in [target, *entry.get("subArchitectures", [])]]
    default = action_of(profile["defaultAction"], profile.get("defaultErrnoRet"))
    flt = seccomp.SyscallFilter(libseccomp_action(default))
    # A filter starts with the build machine's architecture: add the target's, then drop the
    # native one unless it is one of them (a cross build for aarch64 on x86_64).
    # system_arch() is unsigned and Arch.* signed: compare the 32-bit tokens.
    native = seccomp.system_arch() & 0xFFFFFFFF
    for arch in arches:
        if arch & 0xFFFFFFFF != native:
            flt.add_arch(arch)
    if native not in [arch & 0xFFFFFFFF for arch in arches]:
        flt.remove_arch(seccomp.Arch.NATIVE)
    skipped = []
    for rule in profile["syscalls"]:
        action = action_of(rule["action"], rule.get("errnoRet", profile.get("defaultErrnoRet")))
        # libseccomp refuses a rule whose action is the default's; such a rule changes nothing
        # (runc skips it the same way).
        if action == default:
            continue
        args = [seccomp.Arg(a["index"], OPERATORS[a["op"]], a["value"], a.get("valueTwo", 0))
                for a in rule.get("args", [])]
        for name in sorted(rule["names"]):
            if not known_to(arches, name):
                skipped.append(name)
                continue
            flt.add_rule(libseccomp_action(action), name, *args)
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "wb") as writer:
        flt.export_bpf(writer)
    with os.fdopen(read_fd, "rb") as reader:
        program = reader.read()
    # A classic BPF program is a list of 8-byte instructions (struct sock_filter).
    if not program or len(program) % 8:
        raise ProfileError("libseccomp exported %d bytes, not whole instructions" % len(program))
    return program, sorted(set(skipped))


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]


def libseccomp_version() -> str:
    """The loaded library's own version (the bindings do not expose it; get_api is the API
    level): the filters' bytes depend on it, so the manifest records it."""
    library = ctypes.CDLL("libseccomp.so.2")
    library.seccomp_version.restype = ctypes.POINTER(_Version)
    version = library.seccomp_version().contents
    return "%d.%d.%d" % (version.major, version.minor, version.micro)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: compile_bpf.py PROFILES_JSON OUT_DIR\n")
        return 2
    with open(argv[1], encoding="ascii") as handle:
        profiles = json.load(handle)
    out_dir = argv[2]
    os.makedirs(out_dir, exist_ok=True)
    manifest: dict = {"format": 1, "libseccomp": libseccomp_version(), "filters": {}}
    for name in sorted(profiles):
        profile, profile_sha256 = profiles[name]["profile"], profiles[name]["sha256"]
        for entry in profile["archMap"]:
            target = entry["architecture"]
            program, skipped = compile_filter(profile, target)
            file_name = "%s-%s.bpf" % (name, MACHINE_NAMES[target])
            with open(os.path.join(out_dir, file_name + ".tmp"), "wb") as handle:
                handle.write(program)
            os.replace(os.path.join(out_dir, file_name + ".tmp"), os.path.join(out_dir, file_name))
            manifest["filters"].setdefault(name, {})[MACHINE_NAMES[target]] = {
                "file": file_name,
                "sha256": hashlib.sha256(program).hexdigest(),
                "instructions": len(program) // 8,
                "profile_sha256": profile_sha256,
                "skipped": skipped,
            }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="ascii") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
    for name, arches in sorted(manifest["filters"].items()):
        for arch, info in sorted(arches.items()):
            print("%s  %s (%s %s, %d instructions)" % (info["sha256"], info["file"], name, arch,
                                                       info["instructions"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
