"""Groundwork for issue 18: the probe under Podman, measured in a Podman test host.

NOT part of `make test` (nothing collects this directory): a measurement tool, run by
tests/podman/measure.sh. Three jobs, on the controller with the collection importable:

  probe_podman.py prepare DIR   write what a Podman test host needs to run the probe set:
                                the deterministic probe image archive, both shipped seccomp
                                profiles and plan.json: per identity the profile's podman argv
                                (_profile.create_argv(runtime="podman")) and its run paths
  probe_podman.py translate DIR IDENTITY [VARIANT]
                                print that argv with the test label and the variant's
                                changes, one argument a line (VARIANT: see translate())
  probe_podman.py judge DIR     judge each case's probe.jsonl with the verifier's own code
                                (tests/integration/probe_judge.py) against the docker
                                expectations (data/expectations.yml): one row per probe

The podman argv is the product's rendering (the measured differences from Docker's live in
_profile.create_argv, docs/podman-facts.md section 3); this tool adds only the measurement's
variants, which undo one difference or weaken one flag. Nothing here is the rest of the
collection's Podman support (issue 18).
"""

from __future__ import annotations

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

# pylint: disable=wrong-import-position
from probe_judge import failing  # noqa: E402
from probe_judge import judge as judge_lines  # noqa: E402

from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile  # noqa: E402
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical_text  # noqa: E402
from ansible_collections.sandbox.attest.plugins.module_utils._seccomp import (  # noqa: E402
    seccomp_profile,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import (  # noqa: E402
    build_probe_image,
    read_probe,
)

RUN_ROOT = "/var/lib/sandbox-attest"
RUN_ID = "20260101T000000Z-0000abcd"
TEST_LABEL = "sandbox.attest.test=podman-groundwork"

# platform-facts' values, only in the variant "ulimits": measured not needed in the test host (the
# OCI spec has no rlimits, the container inherits conmon's), so the product applies none.
ULIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096")


def podman_argv(product: list[str], variant: set[str]) -> list[str]:
    """The product's podman argv with the test label, and the variant's changes: keep-dns gives
    Docker's --dns again (to see podman refuse it), ro-tmpfs leaves Podman its own
    --read-only-tmpfs, ulimits adds ULIMITS."""
    argv = list(product)
    if "keep-dns" in variant:  # where Docker's argv has it: right after --network none
        at = argv.index("--network") + 2
        argv[at:at] = [word for server in profile.DNS for word in ("--dns", server)]
    if "ro-tmpfs" in variant:
        argv.remove("--read-only-tmpfs=false")
    if "ulimits" in variant:
        argv[2:2] = list(ULIMITS)
    argv[2:2] = ["--label", TEST_LABEL]
    return argv


def prepare(work: str) -> None:
    os.makedirs(work, exist_ok=True)
    image = build_probe_image(read_probe(os.path.join(ROOT, "files", "sandbox-probe")))
    with open(os.path.join(work, "probe-image.tar"), "wb") as handle:
        handle.write(image.archive)
    limits = profile.resolve_limits()
    plan = {"image_id": image.image_id, "tag": image.tag, "run_root": RUN_ROOT,
            "run_id": RUN_ID, "identities": {}}
    for name in profile.SECCOMP_PROFILES:
        with open(os.path.join(work, "seccomp-%s.json" % name), "w", encoding="ascii") as handle:
            handle.write(canonical_text(seccomp_profile(name)))
    for identity, ids in profile.IDENTITIES.items():
        paths = profile.run_paths(RUN_ROOT, RUN_ID, identity, profile.DEFAULT_SECCOMP_PROFILE)
        podman = profile.create_argv("podman", RUN_ID, identity, image.image_id, paths, limits,
                                     runtime="podman")
        plan["identities"][identity] = {"uid": ids["uid"], "gid": ids["gid"], "paths": paths,
                                        "podman_argv": podman}
    with open(os.path.join(work, "plan.json"), "w", encoding="ascii") as handle:
        json.dump(plan, handle, indent=1)


def translate(work: str, identity: str, variant_text: str) -> None:
    """Print the podman argv of one identity, one argument per line (for a sh `while read`).
    variant_text: comma-separated words: ulimits, keep-dns, ro-tmpfs (podman's own
    --read-only-tmpfs), seccomp=<shipped name>|unconfined|podman-default, drop=<flag> (a flag
    and its value left out), drop-flag=<flag> (a flag alone), add=<arg> (one more argument)."""
    with open(os.path.join(work, "plan.json"), encoding="ascii") as handle:
        plan = json.load(handle)
    entry = plan["identities"][identity]
    words = [word for word in variant_text.split(",") if word]
    argv = podman_argv(entry["podman_argv"], set(words))
    for word in words:
        key, value = word.split("=", 1) if "=" in word else (word, "")
        if key == "seccomp":
            old = "seccomp=%s" % entry["paths"]["seccomp_file"]
            i = argv.index(old)
            if value in profile.SECCOMP_PROFILES:
                argv[i] = "seccomp=%s/%s/seccomp-%s.json" % (RUN_ROOT, RUN_ID, value)
            elif value == "unconfined":
                argv[i] = "seccomp=unconfined"
            else:  # podman's own default profile: no seccomp option at all
                del argv[i - 1:i + 1]
        elif key in ("drop", "drop-flag"):  # a flag with its value, or a flag alone
            i = argv.index(value)
            del argv[i:i + (2 if key == "drop" else 1)]
        elif key == "add":
            argv[2:2] = [value]
    sys.stdout.write("".join(arg + "\n" for arg in argv))


def judge(work: str, runtime: str = "docker") -> int:
    failed = 0
    for case in sorted(os.listdir(work)):
        out_file = os.path.join(work, case, "probe.jsonl")
        if not os.path.isfile(out_file):
            continue
        identity = case.split(".")[0]
        with open(out_file, encoding="utf-8") as handle:
            lines = [json.loads(line) for line in handle if line.startswith("{")]
        meta = next((line for line in lines if line.get("probe") == "META"), {})
        inspect = {"Config": {"Hostname": meta.get("hostname")}, "Id": meta.get("container_id")}
        inspect_file = os.path.join(work, case, "inspect.json")
        if os.path.isfile(inspect_file):  # the engine's word, where kept
            with open(inspect_file, encoding="utf-8") as handle:
                inspect = json.load(handle)
            inspect = inspect[0] if isinstance(inspect, list) else inspect
        by_probe = {line["probe"]: line for line in lines if "probe" in line}
        verdicts = judge_lines(dict(by_probe, inspect=inspect), identity, runtime)
        print("== %s (judged as %s/%s)" % (case, runtime, identity))
        for probe, verdict in verdicts.items():
            print("%-15s %s" % (probe, verdict))
        failed += len(failing(verdicts))
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "prepare":
        prepare(argv[1])
        return 0
    if len(argv) in (3, 4) and argv[0] == "translate":
        translate(*argv[1:])
        return 0
    if len(argv) >= 2 and argv[0] == "judge":
        return judge(argv[1])
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
