"""Run in a bubblewrap test host (tests/integration/bwrap_host.py copies it in): one probe run
through the product's module_utils/_bwrap, optionally weakened, and its record as JSON on stdout.

    python3 bwrap_in_host.py RUN_ROOT RUN_ID IDENTITY SECCOMP_PROFILE [WEAKENING]

The weakenings are the tests' own (never the product's): each changes the argv or the run's own
objects after prepare(), and binds no host path but the run's own directories.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from ansible_collections.sandbox.attest.plugins.module_utils import _bwrap

PROBE = "/attest/files/sandbox-probe"
MANIFEST = "/attest/files/seccomp/manifest.json"
UNSHARE_ALL_BUT_NET = ["--unshare-user-try", "--unshare-ipc", "--unshare-pid", "--unshare-uts",
                       "--unshare-cgroup-try"]


def drop(argv: list[str], *run: str) -> list[str]:
    """argv without the consecutive arguments `run` (exactly once)."""
    for i in range(len(argv)):
        if argv[i:i + len(run)] == list(run):
            return argv[:i] + argv[i + len(run):]
    raise AssertionError("%s not in %s" % (run, argv))


def insert_before(argv: list[str], anchor: str, *extra: str) -> list[str]:
    i = argv.index(anchor)
    return argv[:i] + list(extra) + argv[i:]


def weaken(name: str, sandbox: _bwrap.Sandbox, argv: list[str], held: list) -> list[str]:
    fds = sandbox.fds
    if name == "network":
        i = argv.index("--unshare-all")
        return argv[:i] + UNSHARE_ALL_BUT_NET + argv[i + 1:]
    if name == "writable-root":
        return drop(argv, "--remount-ro", "/")
    if name == "no-seccomp":
        return drop(argv, "--seccomp", str(fds["seccomp"]))
    if name == "no-cap-drop":
        return drop(argv, "--cap-drop", "ALL")
    if name == "writable-in":
        i = argv.index(str(fds["in"]))
        return [*argv[:i - 1], "--bind-fd", *argv[i:]]
    if name == "exec-tmp":
        # the run's own tmpfs, remounted without noexec
        subprocess.run(["mount", "-o", "remount,exec", sandbox.paths["tmp"]], check=True)
        return argv
    if name == "no-pids-ceiling":
        os.rmdir(sandbox.cgroups.pop("pids"))
        return argv
    if name == "engine-socket":
        # a listening socket in the run's own directory, bound where the probe looks for the
        # engine's: connect() succeeds on the backlog, nothing is ever accepted or sent
        path = os.path.join(os.path.dirname(sandbox.paths["in"]), "engine.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        os.chmod(path, 0o666)  # noqa: S103 - the workload must be able to connect
        server.listen(8)
        held.append(server)
        return insert_before(argv, "--remount-ro", "--ro-bind", path, "/var/run/docker.sock")
    if name == "leaked-fd":
        # a descriptor of the run's own identity directory handed on to the sandbox unbound
        # (bwrap passes on what it does not consume): no probe looks, the host's view does
        sandbox.fds["leaked"] = os.open(os.path.dirname(sandbox.paths["in"]),
                                        os.O_PATH | os.O_CLOEXEC)
        return argv
    if name == "no-masks":
        # bwrap's own /proc, as the first slice ran it: Docker's system paths left as they are
        i = argv.index("--proc") + 2
        return argv[:i] + argv[argv.index("--dev"):]
    if name == "root-launched-uid":
        # bwrap started by root with --uid/--gid instead of through setpriv (issue 19's measure)
        i = argv.index(_bwrap.BWRAP)
        return [*argv[i:i + 1], "--uid", str(sandbox.uid), "--gid", str(sandbox.gid),
                *argv[i + 1:]]
    raise AssertionError("unknown weakening %r" % name)


def main() -> int:
    run_root, run_id, identity, profile = sys.argv[1:5]
    weakening = sys.argv[5] if len(sys.argv) > 5 else None
    seccomp = _bwrap.seccomp_filter(MANIFEST, profile, _bwrap.machine_arch())
    sandbox = _bwrap.prepare(run_root, run_id, identity, PROBE, seccomp, {})
    held: list = []
    try:
        facts = _bwrap.facts(sandbox)
        argv = _bwrap.argv(sandbox)
        if weakening:
            argv = weaken(weakening, sandbox, argv, held)
        result = _bwrap.execute(sandbox, argv)
        # what the probe wrote, and who owns it on the host
        out_ok = os.path.join(sandbox.paths["out"], "ok")
        result["out_ok_owner"] = os.stat(out_ok).st_uid if os.path.exists(out_ok) else None
    finally:
        for server in held:
            server.close()
        problems = _bwrap.teardown(sandbox)
    json.dump({"facts": facts, "result": result, "teardown_problems": problems,
               "run_dir_left": os.path.exists(sandbox.run_dir)}, sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
