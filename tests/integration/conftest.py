"""Integration fixtures: the real engine must answer; tests never skip for lack of one."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator

import pytest
from harness import ROOT, TEST_LABEL, docker
from podman_host import PodmanHost

DECOY_SOURCE = os.path.join(os.path.dirname(__file__), "decoy", "sleeper.c")
sys.path.insert(0, os.path.join(ROOT, "tests", "lived_in"))
# The lived-in host fixture's size under `make test` (about 30 objects, every kind once).
LIVED_IN_SIZE = int(os.environ.get("SANDBOX_ATTEST_LIVED_IN_SIZE", "30"))


def pytest_configure(config: pytest.Config) -> None:
    proc = subprocess.run(["docker", "info", "--format", "{{.ID}}"], capture_output=True,
                          text=True, timeout=30, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise pytest.UsageError("no Docker engine answers (docker info failed: %s); the "
                                "integration tests need one" % proc.stderr.strip())
    probe = os.path.join(ROOT, "files", "sandbox-probe")
    if not os.path.isfile(probe):
        raise pytest.UsageError("%s is missing: run `make setup`" % probe)


@pytest.fixture(scope="module")
def podman_host() -> Iterator[PodmanHost]:
    """A Podman test host of the test module's own (tests/integration/podman_host.py), removed
    by its ID after the module's last test, whatever happened."""
    host = PodmanHost()
    try:
        yield host
    finally:
        host.remove()


def _probe_images() -> set[str]:
    return set(docker("image", "ls", "-q", "--no-trunc", "--filter",
                      "label=sandbox.attest.probe-image=true").split())


@pytest.fixture(scope="session", autouse=True)
def remove_test_probe_images():
    """Tests attest with stand-in probes (hanging, hostile); each loads a probe image of its own.
    The shipped probe's image is the collection's cache and stays; the others are removed, by
    id, when no container uses them."""
    from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import (
        probe_image_id,
    )

    before = _probe_images()
    yield
    shipped = probe_image_id(os.path.join(ROOT, "files", "sandbox-probe"))
    for image in sorted(_probe_images() - before - {shipped}):
        if not docker("ps", "-aq", "--filter", "ancestor=%s" % image).split():
            docker("rmi", image, check=False)


@pytest.fixture
def decoys():
    """Create containers (and more) labelled as this test's; remove them by id afterwards."""
    created: list[tuple[str, str]] = []

    def make(kind: str, *args: str) -> str:
        if kind == "container":
            ref = docker("create", "--label", "%s=decoy" % TEST_LABEL, *args).strip()
        elif kind == "network":
            ref = docker("network", "create", "--label", "%s=decoy" % TEST_LABEL, *args).strip()
        else:
            ref = docker("volume", "create", "--label", "%s=decoy" % TEST_LABEL, *args).strip()
        created.append((kind, ref))
        return ref

    yield make
    for kind, ref in reversed(created):
        if kind == "container":
            docker("rm", "--force", "--volumes", ref, check=False)
        else:
            docker(kind, "rm", ref, check=False)


@pytest.fixture(scope="session")
def decoy_image(tmp_path_factory: pytest.TempPathFactory):
    """A FROM-scratch image whose entrypoint sleeps until stopped; removed by id at the end."""
    work = tmp_path_factory.mktemp("decoy-image")
    binary = work / "sleeper"
    compiler = shutil.which("musl-gcc") or "gcc"
    subprocess.run([compiler, "-static", "-Os", "-o", str(binary), DECOY_SOURCE], check=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(str(binary), arcname="sleeper")
    image_id = docker_import(buf.getvalue())
    yield image_id
    docker("rmi", "--force", image_id, check=False)


def docker_import(archive: bytes) -> str:
    proc = subprocess.run(
        ["docker", "import", "--change", 'ENTRYPOINT ["/sleeper"]', "--change",
         "LABEL %s=decoy-image" % TEST_LABEL, "-"],
        input=archive, capture_output=True, timeout=120, check=True)
    return proc.stdout.decode().strip()


@pytest.fixture(scope="session")
def lived_in_host(tmp_path_factory: pytest.TempPathFactory):
    """The engine filled with what real hosts hold (tests/lived_in/lived_in.py), made once for
    the session and removed, by the ids it recorded, at its end. Yields the fixture's state:
    "objects" (kind, id, role, ...), "secret" (value, env, label, container), "counts"."""
    from lived_in import lived_in

    state_path = str(tmp_path_factory.mktemp("lived-in") / "state.json")
    with lived_in(LIVED_IN_SIZE, state_path) as state:
        yield state
