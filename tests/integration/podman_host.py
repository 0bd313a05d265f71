"""One Podman test host for the integration tests: the probe under the product's podman argv.

The host is the image `molecule/_shared/vps-image-podman` builds (Podman 4.3, crun, vfs, no
Docker), started with the privileges tests/podman/test-host.sh states and explains (read from
there, one list for the measurement scripts and these tests), on no network, and removed by
its ID. Each run goes through tests/podman/in-host.sh: the run directory as the collection
lays it out, `podman create` with the argv given, start, wait, logs and inspect, then
`podman rm` of that container by its ID.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
import time

import ansible
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

TEST_HOST_LIB = os.path.join(ROOT, "tests", "podman", "test-host.sh")
IN_HOST = os.path.join(ROOT, "tests", "podman", "in-host.sh")
RUN_ROOT = "/var/lib/sandbox-attest"
SECCOMP_DIR = "/attest/seccomp"
DECOYS = os.path.join(ROOT, "tests", "podman", "snapshot-decoys.sh")
# Where the host's Python finds the collection and ansible-core's module_utils.
PYTHONPATH = "/attest/python"
PLUGINS = PYTHONPATH + "/ansible_collections/sandbox/attest/plugins"
RUN_LABEL = "%s=podman-probe-run" % TEST_LABEL


def _from_test_host_lib(script: str) -> str:
    """Run bash with tests/podman/test-host.sh sourced (its $root set) and return stdout."""
    command = "root=%s; . %s; %s" % (shlex.quote(ROOT), shlex.quote(TEST_HOST_LIB), script)
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True,
                          timeout=1800).stdout


def host_image() -> str:
    """The Podman test host's image: built once, cached on the engine by its recipe digest."""
    return _from_test_host_lib("podman_host_image").strip().splitlines()[-1]


def host_options() -> list[str]:
    return _from_test_host_lib('printf "%s\\n" "${PODMAN_HOST_OPTIONS[@]}"').splitlines()


class PodmanHost:
    """A started Podman test host, with the probe image loaded and both seccomp profiles in."""

    def __init__(self) -> None:
        image = host_image()
        self.id = docker("create", *host_options(), "--label",
                         "%s=podman-host" % TEST_LABEL, image).strip()
        self.probe = build_probe_image(read_probe(os.path.join(ROOT, "files", "sandbox-probe")))
        self.runs = 0
        try:
            docker("start", self.id)
            self._wait_for_podman()
            self._copy_in()
        except BaseException:
            self.remove()
            raise

    def exec(self, *argv: str, check: bool = True, timeout: float = 120,
             stdin: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "exec", "-i", self.id, *argv], input=stdin,
                              capture_output=True, check=check, timeout=timeout)

    def _wait_for_podman(self) -> None:
        deadline = time.monotonic() + 60
        while self.exec("podman", "info", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError("podman does not answer in the test host %s" % self.id)
            time.sleep(1)

    def _copy_in(self) -> None:
        with tempfile.TemporaryDirectory(prefix="sandbox-attest-podman-") as work:
            os.makedirs(os.path.join(work, "seccomp"))
            for name in profile.SECCOMP_PROFILES:
                path = os.path.join(work, "seccomp", "seccomp-%s.json" % name)
                with open(path, "w", encoding="ascii") as handle:
                    handle.write(canonical_text(seccomp_profile(name)))
            self.exec("mkdir", "-p", "/attest")
            docker("cp", os.path.join(work, "seccomp"), "%s:%s" % (self.id, SECCOMP_DIR))
        docker("cp", IN_HOST, "%s:/usr/local/sbin/in-host.sh" % self.id)
        docker("cp", DECOYS, "%s:/usr/local/sbin/snapshot-decoys.sh" % self.id)
        # The product's module_utils and modules, with the module_utils of the ansible-core
        # that runs them (as Ansible ships them with a module), so the host runs the product's
        # own code: snapshots taken by module_utils, each module run as Ansible would.
        self.exec("mkdir", "-p", PLUGINS, PYTHONPATH + "/ansible")
        for part in ("module_utils", "modules"):
            docker("cp", os.path.join(ROOT, "plugins", part), "%s:%s/%s" % (self.id, PLUGINS, part))
        docker("cp", os.path.join(os.path.dirname(ansible.__file__), "module_utils"),
               "%s:%s/ansible/module_utils" % (self.id, PYTHONPATH))
        self.exec("touch", PYTHONPATH + "/ansible/__init__.py")
        self.exec("podman", "load", stdin=self.probe.archive, timeout=300)

    def podman_argv(self, identity: str, seccomp: str) -> tuple[list[str], dict[str, str]]:
        """The product's podman argv for one run of this host, with the test label."""
        self.runs += 1
        run_id = "20260101T000000Z-%08x" % self.runs
        paths = profile.run_paths(RUN_ROOT, run_id, identity, seccomp)
        argv = profile.create_argv("podman", run_id, identity, self.probe.image_id, paths,
                                   profile.resolve_limits(), runtime="podman")
        argv.insert(2, "--label=%s" % RUN_LABEL)
        return argv, paths

    def run(self, identity: str, argv: list[str], paths: dict[str, str]) -> dict:
        """One probe run: its lines by probe id, with `podman inspect` under "inspect"."""
        out = "/attest/out-%d" % self.runs
        ids = profile.IDENTITIES[identity]
        self.exec("sh", "-c", "cat > %s.argv" % out, stdin="".join(a + "\n" for a in argv).encode())
        result = self.exec("sh", "/usr/local/sbin/in-host.sh", out + ".argv", out,
                           str(ids["uid"]), str(ids["gid"]), paths["run_dir"], identity,
                           SECCOMP_DIR, check=False, timeout=120)
        assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
        text = self.exec("cat", out + "/probe.jsonl").stdout.decode()
        lines = {line["probe"]: line
                 for line in (json.loads(row) for row in text.splitlines() if row.strip())}
        inspect = json.loads(self.exec("cat", out + "/inspect.json").stdout)
        lines["inspect"] = inspect[0] if isinstance(inspect, list) else inspect
        return lines

    def run_containers(self) -> list[str]:
        """The containers of this host's probe runs that are still there."""
        return self.exec("podman", "ps", "-aq", "--no-trunc", "--filter",
                         "label=%s" % RUN_LABEL).stdout.decode().split()

    def make_decoys(self, secret: str) -> None:
        """One of each kind and shape of Podman object tests/podman/snapshot-decoys.sh makes,
        a container holding secret in its environment among them."""
        self.exec("sh", "/usr/local/sbin/snapshot-decoys.sh", secret, timeout=300)

    def module(self, name: str, check_mode: bool = False, **args) -> dict:
        """Run the collection's module `name` in the host as Ansible runs one (its arguments in
        a file), as root; its result (failed ones too)."""
        self.runs += 1
        args_file = "/attest/args-%d.json" % self.runs
        params = dict(args, _ansible_check_mode=check_mode)
        self.exec("sh", "-c", "cat > %s" % args_file,
                  stdin=json.dumps({"ANSIBLE_MODULE_ARGS": params}).encode())
        result = self.exec("env", "PYTHONPATH=%s" % PYTHONPATH, "python3",
                           "%s/modules/%s.py" % (PLUGINS, name),
                           args_file, check=False, timeout=180)
        try:
            return json.loads(result.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError) as exc:
            raise AssertionError("module %s printed no result: %s %s" % (
                name, result.stdout[-2000:], result.stderr[-2000:])) from exc

    def put(self, path: str, data: bytes) -> None:
        self.exec("sh", "-c", "cat > %s" % shlex.quote(path), stdin=data)

    def iptables_rules(self) -> list[str]:
        """The host's iptables rules (`iptables-save` without its dated comments)."""
        text = self.exec("iptables-save").stdout.decode()
        return [line for line in text.splitlines() if not line.startswith("#")]

    def snapshot(self) -> str:
        """The product's podman snapshot of this host (module_utils/_snapshot), as JSON text."""
        code = ("import json; from ansible_collections.sandbox.attest.plugins.module_utils "
                "import _snapshot; print(json.dumps(_snapshot.take_snapshot('podman', "
                "'test', 'podman'), sort_keys=True))")
        return self.exec("env", "PYTHONPATH=%s" % PYTHONPATH, "python3", "-c",
                         code).stdout.decode()

    def remove(self) -> None:
        docker("rm", "--force", "--volumes", self.id, check=False)
