"""The pure parts of module_utils/_bwrap: the argv per identity, the cgroup files per limit set,
the run layout and the filter's manifest. The runs themselves: tests/integration/
test_bwrap_probes.py, in a bubblewrap test host."""

from __future__ import annotations

import itertools
import json

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _bwrap
from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile

RUN_ID = "20261128T223131Z-1a2b3c4d"
RUN_ROOT = "/var/lib/sandbox-attest"
TMP = profile.TMPFS_TMP_TARGET
FDS = {"in": 5, "out": 6, "tmp": 7, "probe": 8, "seccomp": 9, "info": 10, "block": 11}
# Docker's system paths as the bubblewrap test host's kernel has them (measured).
SYSTEM_PATHS = {"masked": ["/proc/acpi", "/proc/keys", "/proc/timer_list"],
                "masked_dirs": ["/proc/acpi"],
                "readonly": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"],
                "absent": ["/proc/asound", "/proc/kcore", "/proc/latency_stats",
                           "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                           "/proc/sysrq-trigger"]}


def sandbox(identity: str) -> _bwrap.Sandbox:
    ids = profile.IDENTITIES[identity]
    paths = _bwrap.layout(RUN_ROOT, RUN_ID, identity, "targeted-deny")
    return _bwrap.Sandbox(run_dir=paths["run_dir"], identity=identity,
                          hostname=_bwrap.cgroup_name(RUN_ID, identity), uid=ids["uid"],
                          gid=ids["gid"], paths=paths, seccomp={}, fds=dict(FDS),
                          limits=profile.resolve_limits(), system_paths=SYSTEM_PATHS)


@pytest.mark.parametrize("identity", ["workload", "root"])
def test_the_argv_holds_every_boundary_and_the_probe_last(identity: str) -> None:
    argv = _bwrap.argv(sandbox(identity))
    start = argv.index("bwrap")
    # setpriv to the identity's own host uid, root too: no supplementary groups go along
    uid = profile.IDENTITIES[identity]["uid"]
    assert argv[:start] == ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid,
                            "--clear-groups", "--"]
    for flag in ("--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session",
                 "--clearenv"):
        assert argv.count(flag) == 1, flag
    pairs = list(itertools.pairwise(argv))
    assert ("--cap-drop", "ALL") in pairs and ("--seccomp", "9") in pairs
    # the sandbox reports itself and waits to be viewed; its own host name
    assert ("--info-fd", "10") in pairs and ("--block-fd", "11") in pairs
    assert ("--hostname", "sandbox-attest-%s-%s" % (RUN_ID, identity)) in pairs
    # /in read-only, /out and /tmp writable, by descriptor; the root read-only after them all
    assert argv[argv.index("/in") - 2:argv.index("/in")] == ["--ro-bind-fd", "5"]
    assert argv[argv.index("/out") - 2:argv.index("/out")] == ["--bind-fd", "6"]
    assert argv[argv.index(TMP) - 2:argv.index(TMP)] == ["--bind-fd", "7"]
    remount = pairs.index(("--remount-ro", "/"))
    binds = ("/in", "/out", TMP)
    assert pairs.count(("--remount-ro", "/")) == 1
    assert remount > max(argv.index(p) for p in binds)
    assert argv[start + 1:].index("--tmpfs") < remount - start
    assert argv[-1] == "/sandbox-probe"
    # no bind names a host path but the masks': /dev/null over a masked file, a /proc entry
    # over itself read-only (the kernel's global entries), all after --proc
    assert "--bind" not in argv
    masks = [(argv[i + 1], argv[i + 2]) for i in range(len(argv)) if argv[i] == "--ro-bind"]
    assert masks == [("/dev/null", "/proc/keys"), ("/dev/null", "/proc/timer_list"),
                     *((p, p) for p in SYSTEM_PATHS["readonly"])]
    assert min(argv.index(p) for p in ("/proc/keys", "/proc/sys")) > argv.index("--proc")
    # a masked directory: a tmpfs of its own, read-only
    acpi = argv.index("/proc/acpi")
    assert argv[acpi - 1:acpi + 3] == ["--tmpfs", "/proc/acpi", "--remount-ro", "/proc/acpi"]
    assert not set(SYSTEM_PATHS["absent"]) & set(argv)


def test_system_paths_are_what_the_kernel_has(tmp_path) -> None:
    (tmp_path / "acpi").mkdir()
    (tmp_path / "keys").write_text("")
    (tmp_path / "sys").mkdir()
    found = _bwrap.system_paths(str(tmp_path))
    assert found["masked"] == ["/proc/acpi", "/proc/keys"]
    assert found["masked_dirs"] == ["/proc/acpi"]
    assert found["readonly"] == ["/proc/sys"]
    assert set(found["absent"]) == (set(_bwrap.MASKED_PATHS) | set(_bwrap.READONLY_PATHS)) - {
        "/proc/acpi", "/proc/keys", "/proc/sys"}


def test_cgroup_files_follow_the_limits(monkeypatch) -> None:
    limits = profile.resolve_limits({"pids": 100, "memory_mb": 512, "cpus_milli": 1500})
    # a host with every file (memsw only exists with swap accounting)
    monkeypatch.setattr(_bwrap.os.path, "exists", lambda path: True)
    files = {c: _bwrap._cgroup_settings(limits, c, "/cg") for c in _bwrap.CGROUP_CONTROLLERS}
    monkeypatch.undo()
    assert files == {
        "pids": {"pids.max": "100"},
        "memory": {"memory.limit_in_bytes": "536870912",
                   "memory.memsw.limit_in_bytes": "536870912"},
        "cpu": {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "150000"},
    }
    # memsw after the limit: the kernel refuses a memsw below the memory limit
    assert list(files["memory"]) == ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
    # a host without swap accounting: no memsw file, none written
    monkeypatch.setattr(_bwrap.os.path, "exists",
                        lambda path: not path.endswith("memory.memsw.limit_in_bytes"))
    assert _bwrap._cgroup_settings(limits, "memory", "/cg") == {
        "memory.limit_in_bytes": "536870912"}


def test_the_layout_is_the_profiles_plus_bwraps_parts() -> None:
    paths = _bwrap.layout(RUN_ROOT, RUN_ID, "workload", "targeted-deny")
    base = "%s/%s/workload" % (RUN_ROOT, RUN_ID)
    assert (paths["in"], paths["out"]) == (base + "/in", base + "/out")
    assert paths["probe"] == base + "/rootfs/sandbox-probe" and paths["tmp"] == base + "/" + "tmp"
    with pytest.raises(profile.ProfileError):
        _bwrap.layout(RUN_ROOT + "/", RUN_ID, "workload", "targeted-deny")


def test_the_filter_comes_from_the_manifest_or_not_at_all(tmp_path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"format": 1, "libseccomp": "2.5.4", "filters": {
        "targeted-deny": {"x86_64": {"file": "targeted-deny-x86_64.bpf", "sha256": "ab" * 32,
                                     "profile_sha256": "cd" * 32}}}}))
    found = _bwrap.seccomp_filter(str(manifest), "targeted-deny", "x86_64")
    assert found["path"] == str(tmp_path / "targeted-deny-x86_64.bpf")
    assert found["sha256"] == "ab" * 32 and found["libseccomp"] == "2.5.4"
    with pytest.raises(_bwrap.BwrapError, match="no default-deny seccomp filter for x86_64"):
        _bwrap.seccomp_filter(str(manifest), "default-deny", "x86_64")
    with pytest.raises(_bwrap.BwrapError, match="aarch64"):
        _bwrap.seccomp_filter(str(manifest), "targeted-deny", "aarch64")
