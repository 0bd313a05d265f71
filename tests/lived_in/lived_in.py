# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lived-in host fixture: fill a Docker engine with what real hosts hold, then remove exactly
that.

    python3 lived_in.py create --size N --state STATE.json [--docker CLI] [--tool PATH]
                               [--compose auto|docker-compose|labels] [--workers 4] [--no-settle]
    python3 lived_in.py remove --state STATE.json

Standalone and stdlib-only: it also runs on Molecule test hosts that have only python3 and the
docker CLI (pass --tool there: they have no compiler). Importable: create(size, state_path, ...)
returns the state, remove(state) removes what it lists; canonical_inspect(ref) gives an inspect
document with the lists the engine orders at random sorted, for before/after comparisons.

Every object made is recorded, by id, in STATE.json as soon as the engine returns it; removal
uses only those ids (and, for a command cut short, the exact names it was about to create, when
the object found carries this fixture's id label). Nothing is ever matched by a broad pattern.
No object carries `sandbox.attest.run-id` or `sandbox.attest.probe-image`. Labelled where the kind
allows with `sandbox.attest.test=lived-in` and `sandbox.attest.lived-in=<fixture id>`, except
what is unlabelled on purpose (imported images, one volume, one network).

The mix of kinds. With --size > 0 the base set is always made, every kind once (about 31
objects, of which 4-5 are the build's intermediate images):
  images      the workload image (`docker import`, no labels, three tags); one built FROM
              scratch by the legacy builder (labelled, non-ASCII label, leaves intermediate
              images: all recorded); an untagged import (dangling); an import whose tag a
              second import took (dangling) and that second import; an image loaded from a
              docker-archive whose config has no `config` section (`Config: null`)
  networks    an internal user network; a plain user network without labels; the compose
              project's default network
  volumes     labelled (non-ASCII value); unlabelled; local driver with tmpfs options; the
              compose project's volume
  containers  created; running (user network, volume, non-ASCII env and labels); paused;
              exited 3; crash-looping under `--restart on-failure`; healthy and unhealthy
              (health check every 2 s); publishing a port on 127.0.0.1 only; five binds of a
              scratch directory plus a tmpfs and the tmpfs volume; sharing the running one's
              network namespace; on the internal network; one holding a secret in its
              environment and its labels; the compose project's two (a running service with a
              health check, and a worker that exited 0) - made by docker-compose when it is on
              PATH, else by `docker create` with the same com.docker.compose.* labels (the state
              records which)
Above the base set, filler up to --size: 40 % containers (cycling running, running with
non-ASCII labels, exited 0 twice, exited 1, created twice, healthy every 30 s; one in 200
crash-looping under `--restart always`), 10 % volumes (labelled, unlabelled), one network per 100
objects (at most 6: the engine's default address pools hold about 30 networks), the rest images
(loaded, 50 per `docker load`: untagged, tagged, labelled, three tags, config-less). Sizes
30 / 200 / 1000 give about 31 / 200 / 1000 objects; see the state's "counts".

The workload is tests/lived_in/tool.c, a static multi-call binary (built here with musl-gcc, else
gcc -static, unless --tool is given): sleep until SIGTERM, exit N, health ok, health bad. It is
also /bin/sh in the images, because `--health-cmd` always runs through `/bin/sh -c`. Nothing
sends a packet; the published port listens on 127.0.0.1 and nobody connects.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import io
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL_SOURCE = os.path.join(HERE, "tool.c")
TEST_LABEL = "sandbox.attest.test"
TEST_VALUE = "lived-in"
FIXTURE_LABEL = "sandbox.attest.lived-in"
# Values the engine stores as given: names must be ASCII, label and environment values need not.
NON_ASCII = "Grüße aus Zürich — 東京の夜 ☕"
COMPOSE_VERSION = "1.29.2"
KINDS = ("container", "network", "volume", "image")
FILLER_CONTAINERS = ("running", "running-non-ascii", "exited-0", "exited-0", "exited-1",
                     "created", "created", "healthy-slow")
FILLER_IMAGES = ("dangling", "tagged", "labelled", "multi-tag", "dangling", "tagged",
                 "config-less")
MAX_FILLER_NETWORKS = 6
NOT_FOUND = ("no such", "not found")


class FixtureError(RuntimeError):
    pass


class Engine:
    """The engine CLI. Each command runs in a session of its own: a Ctrl-C at the terminal
    reaches this program, never a half-finished `docker create` whose id would be lost."""

    def __init__(self, cli: str | list[str] = "docker") -> None:
        self.argv = shlex.split(cli) if isinstance(cli, str) else list(cli)

    def run(self, *args: str, input_bytes: bytes | None = None, check: bool = True,
            timeout: float = 180, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess:
        proc = subprocess.run([*self.argv, *args], input=input_bytes, capture_output=True,
                              timeout=timeout, check=False, start_new_session=True,
                              env={**os.environ, **(env or {})})
        if check and proc.returncode != 0:
            raise FixtureError("%s %s failed (rc %d): %s" % (
                " ".join(self.argv), " ".join(args[:3]), proc.returncode,
                proc.stderr.decode("utf-8", "replace").strip()))
        return proc

    def out(self, *args: str, **kwargs) -> str:
        return self.run(*args, **kwargs).stdout.decode("utf-8", "replace").strip()

    def existing(self, kind: str, refs: list[str]) -> list[str]:
        """Those of refs the engine still holds (one call per 200)."""
        found: list[str] = []
        field = "{{.Name}}" if kind == "volume" else "{{.Id}}"
        for chunk in _chunks(refs, 200):
            proc = self.run(kind, "inspect", "--format", field, *chunk, check=False)
            found += proc.stdout.decode().split()
        names = set(found)
        return [ref for ref in refs if any(_same(ref, name) for name in names)]


def _same(ref: str, found: str) -> bool:
    return ref.removeprefix("sha256:") == found.removeprefix("sha256:")


def _chunks(items: list[str], size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def build_tool(dest: str) -> str:
    """Compile the workload binary (musl when it is there: a 25 KB static binary)."""
    compiler = shutil.which("musl-gcc") or shutil.which("gcc")
    if not compiler:
        raise FixtureError("no musl-gcc or gcc to build %s: pass --tool" % TOOL_SOURCE)
    binary = os.path.join(dest, "tool")
    subprocess.run([compiler, "-static", "-Os", "-o", binary, TOOL_SOURCE], check=True,
                   capture_output=True)
    return binary


class Fixture:
    def __init__(self, engine: Engine, state_path: str, size: int, tool: str | None,
                 compose: str, workers: int) -> None:
        self.engine = engine
        self.state_path = state_path
        self.workers = max(1, workers)
        self.lock = threading.Lock()
        self.fid = "li" + secrets.token_hex(4)
        self.scratch = tempfile.mkdtemp(prefix="lived-in-%s-" % self.fid)
        self.counter = 0
        self.state: dict = {
            "format": 1, "fixture_id": self.fid, "size": size, "docker": engine.argv,
            "scratch_dir": self.scratch, "objects": [], "pending": [],
            "secret": None, "compose": None, "tool": None, "counts": {},
        }
        self.save()
        if tool:
            self.tool = os.path.abspath(tool)
        else:
            self.tool = build_tool(self.scratch)
        with open(self.tool, "rb") as handle:
            self.state["tool"] = {"path": self.tool, "built": not tool,
                                  "sha256": hashlib.sha256(handle.read()).hexdigest()}
        self.compose_mode = compose
        self.rootfs = self._rootfs_tar()

    # ---- the record -------------------------------------------------------------------------
    def save(self) -> None:
        """Rewrite the state file whole (a rename: a reader never sees half of it)."""
        with self.lock:
            text = json.dumps(self.state, indent=1, ensure_ascii=False)
            tmp = self.state_path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.state_path)

    def record(self, kind: str, ref: str, role: str, **extra) -> str:
        with self.lock:
            self.state["objects"].append({"kind": kind, "id": ref, "role": role, **extra})
            name = extra.get("name")
            if name:
                self.state["pending"] = [p for p in self.state["pending"]
                                         if p != {"kind": kind, "name": name}]
        self.save()
        return ref

    def pending(self, kind: str, name: str) -> str:
        """Before a named object is created: should this program die mid-command, remove()
        still finds it by this exact name (and this fixture's label)."""
        with self.lock:
            self.state["pending"].append({"kind": kind, "name": name})
        self.save()
        return name

    def name(self, role: str) -> str:
        with self.lock:
            self.counter += 1
            return "lived-in-%s-%s-%d" % (self.fid[2:], role, self.counter)

    def labels(self, role: str) -> list[str]:
        return ["--label", "%s=%s" % (TEST_LABEL, TEST_VALUE),
                "--label", "%s=%s" % (FIXTURE_LABEL, self.fid),
                "--label", "%s.role=%s" % (FIXTURE_LABEL, role)]

    # ---- images -----------------------------------------------------------------------------
    def _rootfs_tar(self) -> bytes:
        """/tool and /bin/sh (the same binary: health checks run through /bin/sh -c)."""
        with open(self.tool, "rb") as handle:
            data = handle.read()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for name in ("tool", "bin/sh"):
                if name == "bin/sh":
                    info = tarfile.TarInfo("bin")
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                    tar.addfile(info)
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o755, 0
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    def import_image(self, role: str, tags: tuple[str, ...] = (), label: bool = False) -> str:
        changes = ["--change", 'ENTRYPOINT ["/tool"]', "--change", 'CMD ["sleep"]']
        if label:
            changes += ["--change", "LABEL %s=%s %s=%s" % (
                TEST_LABEL, TEST_VALUE, FIXTURE_LABEL, self.fid)]
        # A message of its own gives each import a distinct image ID.
        ref = self.engine.out("import", *changes, "--message", self.name(role), "-",
                              *(tags[:1]), input_bytes=self.rootfs)
        for tag in tags[1:]:
            self.engine.run("tag", ref, tag)
        return self.record("image", ref, role, tags=list(tags), labelled=label)

    def tag(self, image: str, n: int) -> str:
        return "lived-in-%s/%s:%s" % (self.fid[2:], image, n)

    def config_less_image(self, role: str) -> str:
        """A docker-archive whose config has no `config` section: inspect shows `Config: null`,
        as images from some build tools do (a template reaching into .Config fails on it)."""
        layer = self.rootfs
        diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "comment": self.name(role),
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }, sort_keys=True).encode()
        image_id = hashlib.sha256(config).hexdigest()
        manifest = json.dumps([{"Config": image_id + ".json", "RepoTags": None,
                                "Layers": ["layer.tar"]}]).encode()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name, data in (("layer.tar", layer), (image_id + ".json", config),
                               ("manifest.json", manifest)):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        self.engine.run("load", "--quiet", input_bytes=buf.getvalue())
        return self.record("image", "sha256:" + image_id, role, tags=[], labelled=False)

    def built_image(self) -> str:
        """docker build FROM scratch with the legacy builder: every instruction leaves an
        intermediate image, the engine's Parent chain names them; all are recorded."""
        context = os.path.join(self.scratch, "build")
        os.makedirs(context)
        shutil.copy(self.tool, os.path.join(context, "tool"))
        with open(os.path.join(context, "Dockerfile"), "w", encoding="utf-8") as handle:
            handle.write(
                "FROM scratch\n"
                "COPY tool /tool\n"
                "COPY tool /bin/sh\n"
                'ENV GREETING="%s"\n'
                'LABEL %s="%s" %s="%s" org.opencontainers.image.description="%s"\n'
                'ENTRYPOINT ["/tool"]\n'
                'CMD ["sleep"]\n' % (NON_ASCII, TEST_LABEL, TEST_VALUE, FIXTURE_LABEL, self.fid,
                                     NON_ASCII))
        tag = self.tag("built", 1)
        # --no-cache: a cached step would reuse an intermediate image some other build made,
        # which this fixture would then record and remove as its own.
        ref = self.engine.out("build", "--no-cache", "--quiet", "--tag", tag, context,
                              env={"DOCKER_BUILDKIT": "0"}).splitlines()[-1].strip()
        self.record("image", ref, "built", tags=[tag], labelled=True)
        parent = self.engine.out("image", "inspect", "--format", "{{.Parent}}", ref)
        while parent:
            self.record("image", parent, "intermediate", tags=[], labelled=False)
            parent = self.engine.out("image", "inspect", "--format", "{{.Parent}}", parent)
        return ref

    def retagged_images(self) -> None:
        """A tag moved to a newer import leaves the older one dangling, as re-pulls do."""
        tag = self.tag("retag", 1)
        older = self.import_image("dangling-retagged", (tag,))
        self.import_image("retag-holder", (tag,))
        with self.lock:
            for obj in self.state["objects"]:
                if obj["id"] == older:
                    obj["tags"] = []

    def loaded_images(self, numbers: list[int]) -> None:
        """Filler images, many per `docker load`: one docker-archive whose entries share the
        workload layer, each with a config of its own (so an ID of its own, known before the
        load: the sha256 of the config). An import per image costs the engine ~10 times more."""
        layer = self.rootfs
        diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        files, manifest = [("layer.tar", layer)], []
        for n in numbers:
            variant = FILLER_IMAGES[n % len(FILLER_IMAGES)]
            role = "filler-" + variant
            config: dict = {"architecture": "amd64", "os": "linux", "created": created,
                            "comment": self.name(role),
                            "rootfs": {"type": "layers", "diff_ids": [diff_id]}}
            if variant != "config-less":
                config["config"] = {"Entrypoint": ["/tool"], "Cmd": ["sleep"]}
            if variant == "labelled":
                config["config"]["Labels"] = {TEST_LABEL: TEST_VALUE, FIXTURE_LABEL: self.fid,
                                              "%s.note" % FIXTURE_LABEL: NON_ASCII}
            tags = {"tagged": [self.tag("filler", n)], "labelled": [self.tag("labelled", n)],
                    "multi-tag": ["lived-in-%s/%s:%d" % (self.fid[2:], repo, n)
                                  for repo in ("a", "b", "c")]}.get(variant, [])
            data = json.dumps(config, sort_keys=True, ensure_ascii=False).encode()
            image_id = hashlib.sha256(data).hexdigest()
            files.append((image_id + ".json", data))
            manifest.append({"Config": image_id + ".json", "RepoTags": tags or None,
                             "Layers": ["layer.tar"]})
            # Recorded before the load: should it be cut short, removal still finds them.
            self.record("image", "sha256:" + image_id, role, tags=tags,
                        labelled=variant == "labelled")
        files.append(("manifest.json", json.dumps(manifest).encode()))
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name, data in files:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        self.engine.run("load", "--quiet", input_bytes=buf.getvalue())

    # ---- networks and volumes ---------------------------------------------------------------
    def network(self, role: str, *args: str, label: bool = True) -> str:
        name = self.pending("network", self.name(role))
        ref = self.engine.out("network", "create", *(self.labels(role) if label else []),
                              *args, name)
        return self.record("network", ref, role, name=name, labelled=label)

    def volume(self, role: str, *args: str, label: bool = True) -> str:
        name = self.pending("volume", self.name(role))
        ref = self.engine.out("volume", "create", *(self.labels(role) if label else []),
                              *args, name)
        return self.record("volume", ref, role, name=name, labelled=label)

    # ---- containers -------------------------------------------------------------------------
    def container(self, role: str, image: str, *args: str, command: tuple[str, ...] = ("sleep",),
                  start: bool = True, wait: bool = False) -> str:
        name = self.pending("container", self.name(role))
        ref = self.engine.out("create", "--name", name, *self.labels(role), *args, image,
                              *command)
        self.record("container", ref, role, name=name, labelled=True)
        if start:
            self.engine.run("start", ref)
        if wait:
            self.engine.run("wait", ref, check=False)
        return ref

    def compose_project(self, image_tag: str) -> None:
        project = "lived-in-%s" % self.fid[2:]
        use_compose = self.compose_mode == "docker-compose" or (
            self.compose_mode == "auto" and shutil.which("docker-compose"))
        self.state["compose"] = {"project": project,
                                 "method": "docker-compose" if use_compose else "labels"}
        labels = {TEST_LABEL: TEST_VALUE, FIXTURE_LABEL: self.fid}
        if use_compose:
            self._docker_compose(project, image_tag, labels)
        else:
            self._compose_labels(project, image_tag)

    def _docker_compose(self, project: str, image_tag: str, labels: dict[str, str]) -> None:
        # docker-compose pulls an image it does not find: make sure it finds it (no registry,
        # and nothing may leave this machine).
        self.engine.run("image", "inspect", image_tag)
        spec = {
            "services": {
                "web": {"image": image_tag, "command": ["sleep"],
                        "labels": {**labels, "%s.role" % FIXTURE_LABEL: "compose-web"},
                        "environment": {"GREETING": NON_ASCII},
                        "volumes": ["data:/data"],
                        "healthcheck": {"test": ["CMD", "/tool", "healthy"], "interval": "2s",
                                        "timeout": "2s", "retries": 1}},
                "worker": {"image": image_tag, "command": ["exit", "0"],
                           "labels": {**labels, "%s.role" % FIXTURE_LABEL: "compose-worker"}},
            },
            "volumes": {"data": {"labels": labels}},
            "networks": {"default": {"labels": labels}},
        }
        directory = os.path.join(self.scratch, "compose")
        os.makedirs(directory)
        path = os.path.join(directory, "docker-compose.json")  # JSON is YAML: stdlib suffices
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(spec, handle, ensure_ascii=False)
        for kind, name in (("container", "%s_web_1" % project),
                           ("container", "%s_worker_1" % project),
                           ("network", "%s_default" % project), ("volume", "%s_data" % project)):
            self.pending(kind, name)
        proc = subprocess.run(["docker-compose", "--no-ansi", "-p", project, "-f", path, "up",
                               "-d", "--no-build"], capture_output=True, timeout=300,
                              check=False, start_new_session=True, cwd=directory)
        # Record what exists even when up failed, so that removal finds it.
        project_label = "label=com.docker.compose.project=%s" % project
        for ref in self.engine.out("ps", "-aq", "--no-trunc", "--filter", project_label).split():
            name = self.engine.out("inspect", "--format", "{{.Name}}", ref).lstrip("/")
            self.record("container", ref, "compose-" + name.split("_")[-2], name=name,
                        labelled=True)
        for ref in self.engine.out("network", "ls", "-q", "--no-trunc", "--filter",
                                   project_label).split():
            self.record("network", ref, "compose-default", name="%s_default" % project,
                        labelled=True)
        for ref in self.engine.out("volume", "ls", "-q", "--filter", project_label).split():
            self.record("volume", ref, "compose-data", name=ref, labelled=True)
        if proc.returncode != 0:
            raise FixtureError("docker-compose up failed: %s" % proc.stderr.decode()[-2000:])

    def _compose_labels(self, project: str, image_tag: str) -> None:
        """Without docker-compose: the objects it would make, with the labels it would give."""
        base = ["--label", "com.docker.compose.project=%s" % project,
                "--label", "com.docker.compose.version=%s" % COMPOSE_VERSION]
        net_name = self.pending("network", "%s_default" % project)
        net = self.engine.out("network", "create", *self.labels("compose-default"), *base,
                              "--label", "com.docker.compose.network=default", net_name)
        self.record("network", net, "compose-default", name=net_name, labelled=True)
        vol_name = self.pending("volume", "%s_data" % project)
        vol = self.engine.out("volume", "create", *self.labels("compose-data"), *base,
                              "--label", "com.docker.compose.volume=data", vol_name)
        self.record("volume", vol, "compose-data", name=vol_name, labelled=True)
        workdir = os.path.join(self.scratch, "compose")
        for service, command, extra in (
                ("web", ("sleep",), ["--volume", "%s:/data" % vol_name, "--env",
                                     "GREETING=%s" % NON_ASCII, "--health-cmd", "/tool healthy",
                                     "--health-interval", "2s", "--health-retries", "1"]),
                ("worker", ("exit", "0"), [])):
            name = self.pending("container", "%s_%s_1" % (project, service))
            service_labels = [
                *base,
                "--label", "com.docker.compose.service=%s" % service,
                "--label", "com.docker.compose.container-number=1",
                "--label", "com.docker.compose.oneoff=False",
                "--label", "com.docker.compose.project.working_dir=%s" % workdir,
                "--label", "com.docker.compose.project.config_files=%s" % os.path.join(
                    workdir, "docker-compose.yml"),
                "--label", "com.docker.compose.config-hash=%s" % hashlib.sha256(
                    (project + service).encode()).hexdigest()]
            ref = self.engine.out("create", "--name", name, *self.labels("compose-" + service),
                                  *service_labels, "--network", net_name,
                                  "--network-alias", service, *extra, image_tag, *command)
            self.record("container", ref, "compose-" + service, name=name, labelled=True)
            self.engine.run("start", ref)

    # ---- the whole -------------------------------------------------------------------------
    def parallel(self, tasks: list[tuple]) -> None:
        """Run tasks on a small pool; on any failure or Ctrl-C, let the running ones finish
        (their objects get recorded) and drop the queued ones."""
        pool = concurrent.futures.ThreadPoolExecutor(self.workers)
        try:
            futures = [pool.submit(task[0], *task[1:]) for task in tasks]
            for future in concurrent.futures.as_completed(futures):
                future.result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def binds(self) -> list[str]:
        args = []
        for n, mode in enumerate(("ro", "rw", "ro", "rw", "ro")):
            source = os.path.join(self.scratch, "bind-%d" % n)
            os.makedirs(source)
            with open(os.path.join(source, "README"), "w", encoding="utf-8") as handle:
                handle.write("lived-in fixture %s bind %d\n" % (self.fid, n))
            args += ["--volume", "%s:/srv/bind-%d:%s" % (source, n, mode)]
        return args

    def create(self, size: int) -> dict:
        started = time.monotonic()
        e, c = self.engine, self.container
        workload_tags = (self.tag("workload", 1), self.tag("workload", 2),
                         "lived-in-%s/mirror/workload:stable" % self.fid[2:])
        image = self.import_image("workload-multi-tag", workload_tags)
        filler = max(0, size - 31)
        n_networks = min(MAX_FILLER_NETWORKS, filler // 100)
        n_volumes = filler // 10
        n_containers = filler * 4 // 10
        n_images = filler - n_networks - n_volumes - n_containers

        first: list[tuple] = [
            (self.built_image,), (self.import_image, "dangling"), (self.retagged_images,),
            (self.config_less_image, "config-less"),
            (self.network, "internal", "--internal"),
            (lambda: self.network("user-unlabelled", label=False),),
            (self.volume, "labelled", "--label", "%s.note=%s" % (FIXTURE_LABEL, NON_ASCII)),
            (lambda: self.volume("unlabelled", label=False),),
            (self.volume, "tmpfs-opts", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
             "--opt", "o=size=1m"),
        ]
        first += [(self.loaded_images, list(range(start, min(start + 50, n_images))))
                  for start in range(0, n_images, 50)]
        first += [(self.network, "filler-network")] * n_networks
        first += [(self.volume, "filler-volume") if n % 2 else
                  (lambda: self.volume("filler-volume-unlabelled", label=False),)
                  for n in range(n_volumes)]
        self.parallel(first)
        self.state["phases_s"] = {"images_networks_volumes": round(time.monotonic() - started, 2)}
        by_role = {o["role"]: o for o in self.state["objects"]}
        internal, user = by_role["internal"]["name"], by_role["user-unlabelled"]["name"]
        labelled_vol = by_role["labelled"]["name"]
        unlabelled_vol = by_role["unlabelled"]["name"]
        tmpfs_vol = by_role["tmpfs-opts"]["name"]
        self.state["secret"] = {"value": "lived-in-secret-" + secrets.token_hex(16),
                                "env": "LIVED_IN_DB_PASSWORD",
                                "label": "com.example.db-password", "container": None}
        secret = self.state["secret"]["value"]
        non_ascii = ["--env", "GREETING=%s" % NON_ASCII,
                     "--label", "%s.note=%s" % (FIXTURE_LABEL, NON_ASCII)]
        health = ["--health-interval", "2s", "--health-timeout", "2s", "--health-retries", "1"]

        def secret_holder() -> None:
            ref = c("secret", image, "--env", "%s=%s" % (self.state["secret"]["env"], secret),
                    "--label", "%s=%s" % (self.state["secret"]["label"], secret))
            self.state["secret"]["container"] = ref

        second: list[tuple] = [
            (lambda: c("created", image, "--volume", "%s:/data" % unlabelled_vol, start=False),),
            (c, "running", image, "--network", user, "--volume", "%s:/data" % labelled_vol,
             "--restart", "unless-stopped", *non_ascii),
            (c, "paused", image),
            (lambda: c("exited-3", image, command=("exit", "3"), wait=True),),
            # Exits 2 at once; the engine restarts it, backing off.
            (lambda: c("crash-loop", image, "--restart", "on-failure", command=("exit", "2")),),
            (c, "healthy", image, "--health-cmd", "/tool healthy", *health),
            (c, "unhealthy", image, "--health-cmd", "/tool unhealthy", *health),
            (c, "port-127", image, "--publish", "127.0.0.1::8080"),
            (c, "binds-tmpfs", image, *self.binds(), "--tmpfs", "/run:size=1m,mode=755",
             "--mount", "type=volume,source=%s,target=/scratch" % tmpfs_vol),
            (c, "internal-network", image, "--network", internal),
            (secret_holder,),
            (self.compose_project, workload_tags[0]),
        ]
        for n in range(n_containers):
            variant = FILLER_CONTAINERS[n % len(FILLER_CONTAINERS)]
            if n % 80 == 79:
                second.append((lambda: c("filler-crash-loop", image, "--restart", "always",
                                         command=("exit", "1")),))
            elif variant == "running":
                second.append((c, "filler-running", image))
            elif variant == "running-non-ascii":
                second.append((c, "filler-running-non-ascii", image, *non_ascii))
            elif variant.startswith("exited-"):
                code = variant.split("-")[1]
                second.append(((lambda role, code: c(role, image, command=("exit", code),
                                                     wait=True)), "filler-" + variant, code))
            elif variant == "created":
                second.append((lambda: c("filler-created", image, start=False),))
            else:
                second.append((c, "filler-healthy-slow", image, "--health-cmd", "/tool healthy",
                               "--health-interval", "30s"))
        self.parallel(second)
        self.state["phases_s"]["containers"] = round(time.monotonic() - started, 2)
        by_role = {o["role"]: o for o in self.state["objects"]}
        e.run("pause", by_role["paused"]["id"])
        c("netns-sharer", image, "--network", "container:%s" % by_role["running"]["id"])
        self.state["counts"] = counts(self.state)
        self.state["create_s"] = round(time.monotonic() - started, 2)
        self.save()
        return self.state

    def settle(self, timeout: float = 30) -> None:
        """Wait until the health checks have reported and the crash loop has restarted once."""
        by_role = {o["role"]: o["id"] for o in self.state["objects"]}
        want = {"healthy": "healthy", "unhealthy": "unhealthy"}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = {role: self.engine.out("inspect", "--format",
                                          "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
                                          by_role[role], check=False) for role in want}
            restarts = self.engine.out("inspect", "--format", "{{.RestartCount}}",
                                       by_role["crash-loop"], check=False)
            if seen == want and restarts not in ("", "0"):
                return
            time.sleep(0.5)
        raise FixtureError("the fixture did not settle in %d s: %s, restarts %s" % (
            timeout, seen, restarts))


def counts(state: dict) -> dict:
    result: dict = {kind: 0 for kind in KINDS}
    for obj in state["objects"]:
        result[obj["kind"]] += 1
    result["total"] = len(state["objects"])
    return result


def create(size: int, state_path: str, docker: str | list[str] = "docker",
           tool: str | None = None, compose: str = "auto", workers: int = 4,
           settle: bool = True) -> dict:
    """Fill the engine; return the state (also written to state_path). On any failure or
    interruption, what was made is removed before the exception propagates."""
    engine = Engine(docker)
    if size <= 0:
        state = {"format": 1, "fixture_id": None, "size": 0, "docker": engine.argv,
                 "scratch_dir": None, "objects": [], "pending": [], "secret": None,
                 "compose": None, "tool": None, "counts": counts({"objects": []}),
                 "create_s": 0.0}
        with open(state_path, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=1)
        return state
    fixture = None
    try:
        fixture = Fixture(engine, state_path, size, tool, compose, workers)
        fixture.create(size)
        if settle:
            fixture.settle()
        return fixture.state
    except BaseException:
        if fixture is not None:
            fixture.save()
            remove(fixture.state)
        elif os.path.exists(state_path):
            remove(state_path)
        raise


@contextlib.contextmanager
def lived_in(size: int, state_path: str, **options) -> Iterator[dict]:
    """create(), yield the state, and remove() whatever happens meanwhile."""
    state = create(size, state_path, **options)
    try:
        yield state
    finally:
        remove(state_path)


def _load(state: dict | str) -> dict:
    if isinstance(state, dict):
        return state
    with open(state, encoding="utf-8") as handle:
        return json.load(handle)


def _pending_refs(engine: Engine, state: dict) -> list[dict]:
    """Objects a cut-short command may have made: found by exact name, and ours only when they
    carry this fixture's id label."""
    found = []
    recorded = {(o["kind"], o.get("name")) for o in state["objects"]}
    for item in state.get("pending", []):
        if (item["kind"], item["name"]) in recorded:
            continue
        field = {"container": "{{json .Config.Labels}}"}.get(item["kind"], "{{json .Labels}}")
        proc = engine.run(item["kind"], "inspect", "--format", field, item["name"], check=False)
        try:
            labels = json.loads(proc.stdout.decode() or "null") or {}
        except ValueError:
            continue
        if labels.get(FIXTURE_LABEL) == state["fixture_id"] or labels.get(
                "com.docker.compose.project") == "lived-in-%s" % state["fixture_id"][2:]:
            ref = engine.out(item["kind"], "inspect", "--format",
                             "{{.Name}}" if item["kind"] == "volume" else "{{.Id}}",
                             item["name"])
            found.append({"kind": item["kind"], "id": ref, "role": "pending"})
    return found


def remove(state: dict | str, docker: str | list[str] | None = None) -> dict[str, list[str]]:
    """Remove exactly what the state lists, by id, dependants first: containers sharing a
    namespace, the other containers, networks, volumes, then images children before parents.
    Idempotent. Returns what is still there (empty lists when all went); raises when anything
    is left."""
    state = _load(state)
    engine = Engine(docker if docker is not None else state.get("docker") or "docker")
    objects = list(state.get("objects", []))
    if state.get("fixture_id"):
        objects += _pending_refs(engine, state)
    ordered = {kind: [o for o in objects if o["kind"] == kind] for kind in KINDS}
    ordered["container"].sort(key=lambda o: o["role"] != "netns-sharer")
    # Images were recorded parents after children within a build, and every tagged image
    # before nothing it depends on: reversed creation order removes children first.
    ordered["image"] = [o for o in reversed(ordered["image"]) if o["role"] != "intermediate"] + [
        o for o in ordered["image"] if o["role"] == "intermediate"]
    commands = {"container": ("rm", "--force"), "network": ("network", "rm"),
                "volume": ("volume", "rm", "--force"), "image": ("rmi", "--force")}
    errors = []
    for kind in KINDS:
        refs = list(dict.fromkeys(o["id"] for o in ordered[kind]))
        for chunk in _chunks(engine.existing(kind, refs), 100):
            proc = engine.run(*commands[kind], *chunk, check=False)
            for line in proc.stderr.decode("utf-8", "replace").splitlines():
                if line.strip() and not any(word in line.lower() for word in NOT_FOUND):
                    errors.append(line.strip())
    scratch = state.get("scratch_dir")
    if scratch and os.path.basename(scratch).startswith("lived-in-"):
        shutil.rmtree(scratch, ignore_errors=True)
    left = {kind: engine.existing(kind, list(dict.fromkeys(o["id"] for o in ordered[kind])))
            for kind in KINDS}
    if any(left.values()):
        raise FixtureError("left after removal: %s (%s)" % (left, "; ".join(errors[:5])))
    return left


# Lists inside inspect documents whose order the engine does not keep from one call to the next.
# Measured on Engine 20.10 over this fixture, each object inspected 15 times: a container's
# .Mounts (a map inside the engine) came back in another order on most calls; every other list
# of containers, images (RepoTags included), networks and volumes kept its order.
UNORDERED = {
    "container": (("Mounts",),),
}


def canonicalize(kind: str, document: dict) -> dict:
    document = json.loads(json.dumps(document))
    for path in UNORDERED.get(kind, ()):
        node = document
        for key in path[:-1]:
            node = (node or {}).get(key) or {}
        if isinstance(node.get(path[-1]), list):
            node[path[-1]] = sorted(node[path[-1]],
                                    key=lambda item: json.dumps(item, sort_keys=True))
    return document


# What the engine's own lifecycle changes in an untouched object, by kind (every object of it)
# and by fixture role. A health check is an exec: while one runs, .ExecIDs lists it (measured:
# 1 of 60 inspects of the unhealthy container, 2 s interval; CI caught it once on a busy
# machine). A crash-looping container's state, restart count and network endpoint change with
# each restart.
LIFECYCLE_BY_KIND = {"container": (("State", "Health"), ("ExecIDs",))}
LIFECYCLE_BY_ROLE = {role: (("State",), ("RestartCount",), ("NetworkSettings",))
                     for role in ("crash-loop", "filler-crash-loop")}


def settled(kind: str, role: str, document: dict) -> dict:
    """The canonical document without what the engine's own lifecycle changes: equal before
    and after a run that left the object alone."""
    document = canonicalize(kind, document)
    for path in LIFECYCLE_BY_KIND.get(kind, ()) + LIFECYCLE_BY_ROLE.get(role, ()):
        node = document
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return document


def differing_keys(before: dict, after: dict) -> list[str]:
    """The top-level keys whose values differ: what a failed comparison names."""
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def canonical_inspect(ref: str, kind: str | None = None,
                      docker: str | list[str] = "docker") -> dict:
    """`docker inspect` of one object, the lists the engine orders at random sorted. Without
    kind, `docker inspect` picks the object (a container first, as the engine does)."""
    engine = Engine(docker)
    document = json.loads(engine.out(*([kind] if kind else []), "inspect", ref))[0]
    if kind is None:
        kind = ("container" if "State" in document else "image" if "RootFS" in document
                else "volume" if "Mountpoint" in document else "network")
    return canonicalize(kind, document)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("create", help="fill the engine; record every object in STATE")
    make.add_argument("--size", type=int, required=True)
    make.add_argument("--state", required=True)
    make.add_argument("--docker", default="docker", help="the engine CLI (default: docker)")
    make.add_argument("--tool", help="a prebuilt static tests/lived_in/tool.c")
    make.add_argument("--compose", choices=("auto", "docker-compose", "labels"), default="auto")
    make.add_argument("--workers", type=int, default=4)
    make.add_argument("--no-settle", action="store_true",
                      help="do not wait for the health checks and the crash loop to report")
    drop = sub.add_parser("remove", help="remove exactly what STATE lists")
    drop.add_argument("--state", required=True)
    drop.add_argument("--docker", help="the engine CLI (default: the one that created it)")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            state = create(args.size, args.state, args.docker, args.tool, args.compose,
                           args.workers, not args.no_settle)
            print("lived-in fixture %s: %s in %.1f s (compose: %s)" % (
                state["fixture_id"], json.dumps(state["counts"]), state["create_s"],
                (state["compose"] or {}).get("method")))
        else:
            started = time.monotonic()
            remove(args.state, args.docker)
            print("removed in %.1f s" % (time.monotonic() - started))
    except FixtureError as exc:
        print("lived_in: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
