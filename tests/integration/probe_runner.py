"""Run the shipped probe once under the profile's argv, or a weakened copy of it (tests only)."""

from __future__ import annotations

import datetime
import itertools
import json
import os
import secrets
import subprocess
import tempfile
from collections.abc import Callable

from harness import ROOT, TEST_LABEL, docker

from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical_text
from ansible_collections.sandbox.attest.plugins.module_utils._seccomp import (
    seccomp_profile,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import (
    build_probe_image,
    read_probe,
)

PROBE_IMAGE = build_probe_image(read_probe(os.path.join(ROOT, "files", "sandbox-probe")))


def ensure_probe_image() -> str:
    present = subprocess.run(["docker", "image", "inspect", PROBE_IMAGE.image_id],
                             capture_output=True, check=False).returncode == 0
    if not present:
        subprocess.run(["docker", "load"], input=PROBE_IMAGE.archive, capture_output=True,
                       check=True, timeout=120)
    return PROBE_IMAGE.image_id


def new_run_id() -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    return "%s-%s" % (now, secrets.token_hex(4))


def run_probe(identity: str, seccomp: str = "targeted-deny",
              weaken: Callable[[list[str]], list[str]] | None = None) -> dict[str, dict]:
    """Run the probe set once; return its lines keyed by probe id."""
    run_id = new_run_id()
    with tempfile.TemporaryDirectory(prefix="sandbox-attest-test-") as root:
        paths = profile.run_paths(root, run_id, identity, seccomp)
        ids = profile.IDENTITIES[identity]
        os.makedirs(paths["in"])
        os.makedirs(paths["out"])
        os.chown(paths["out"], ids["uid"], ids["gid"])
        os.chmod(paths["out"], 0o700)
        with open(paths["env_file"], "w", encoding="ascii"):
            pass
        with open(paths["seccomp_file"], "w", encoding="ascii") as handle:
            handle.write(canonical_text(seccomp_profile(seccomp)))
        argv = profile.create_argv("docker", run_id, identity, ensure_probe_image(), paths,
                                   profile.resolve_limits())
        argv.insert(2, "--label=%s=probe-run" % TEST_LABEL)
        if weaken:
            argv = weaken(argv)
        cid = subprocess.run(argv, capture_output=True, text=True, check=True,
                             timeout=60).stdout.strip()
        try:
            docker("start", cid)
            code = docker("wait", cid, timeout=60).strip()
            out = docker("logs", cid)
        finally:
            docker("rm", "--force", cid, check=False)
        assert code == "0", "probe exited %s: %s" % (code, out[-2000:])
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {line["probe"]: line for line in lines}


def drop(argv: list[str], flag: str, value: str | None = None) -> list[str]:
    """argv without `flag` (and its value, when given)."""
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == flag and (value is None or (i + 1 < len(argv) and argv[i + 1] == value)):
            skip = value is not None
            continue
        out.append(arg)
    return out


def replace(argv: list[str], flag: str, old: str, new: str) -> list[str]:
    return [new if i > 0 and argv[i - 1] == flag and a == old else a for i, a in enumerate(argv)]


def add(argv: list[str], *extra: str) -> list[str]:
    return [*argv[:2], *extra, *argv[2:]]


def seccomp_opt(argv: list[str]) -> str:
    return next(v for f, v in itertools.pairwise(argv)
                if f == "--security-opt" and v.startswith("seccomp="))


def obs(line: dict, op: str, target: str | None = None) -> list[dict]:
    return [o for o in line["obs"] if o["op"] == op and (target is None or o["target"] == target)]
