"""Edits of the recorded bwrap runs (tests/unit/data/bwrap-runs/) that describe a weaker or an
inconsistent sandbox, as an attacker or a buggy target would write them: each must leave the
run not clean, and fail the check named. The mutation test of test_bwrap_verdict changes one
value at a time; these change the record's shape (a mount added, moved or stacked, a list
edited in step with the argv) or a value into another form of the same thing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify import (
    _bwrap_evidence,
    _bwrap_verdict,
)

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "bwrap-runs")
RUN_IDS = {"workload": "20260101T000000Z-00000003", "root": "20260101T000000Z-00000004"}

Record = dict[str, Any]
SCRATCH = _profile.TMPFS_TMP_TARGET
WEAK_FILTER = "/var/lib/other/weak.bpf"


def load(identity: str) -> Record:
    with open(os.path.join(DATA, identity + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def judge(record: Record, identity: str) -> _bwrap_verdict.BwrapVerdict:
    return _bwrap_verdict.judge({identity: record}, RUN_IDS[identity], "targeted-deny", "x86_64",
                                identities=(identity,))


def mountinfo(record: Record) -> list[str]:
    return record["result"]["view"]["mountinfo"]


def field(line: str, index: int, value: str) -> str:
    parts = line.split(" ")
    parts[index] = value
    return " ".join(parts)


def edit_mount(record: Record, target: str, change: Callable[[str], str]) -> None:
    lines = mountinfo(record)
    for index, line in enumerate(lines):
        if line.split(" ")[4] == target:
            lines[index] = change(line)


def line_at(record: Record, target: str) -> str:
    return [line for line in mountinfo(record) if line.split(" ")[4] == target][-1]


def as_proc_entry(line: str, root: str) -> str:
    """The mount line as a read-only bind of the host's proc entry `root` (device 0:41)."""
    head = line.partition(" - ")[0]
    return field(field(head, 2, "0:41"), 3, root) + " - proc proc rw"


def host_dir_as_system_path(record: Record) -> None:
    """/root of the host bound read-only at /root, declared one of Docker's read-only paths:
    the argv renders it from the record, so argv, facts and mount table agree."""
    record["facts"]["system_paths"]["readonly"].append("/root")
    argv = record["result"]["argv"]
    at = argv.index("--dev")
    argv[at:at] = ["--ro-bind", "/root", "/root"]
    mountinfo(record).append("200 %s 0:39 /root /root ro,nosuid,nodev - fuse.fuse-overlayfs "
                             "fuse-overlayfs rw" % line_at(record, "/").split(" ")[0])


def masked_listed_readonly(record: Record) -> None:
    """/proc/keys listed read-only instead of masked: bound read-only from the host's proc, so
    readable, in agreement everywhere."""
    paths = record["facts"]["system_paths"]
    paths["masked"].remove("/proc/keys")
    paths["readonly"].insert(0, "/proc/keys")
    argv = record["result"]["argv"]
    at = argv.index("/proc/keys")
    del argv[at - 2:at + 1]
    at = argv.index("--ro-bind", argv.index("/proc/timer_list"))
    argv[at:at] = ["--ro-bind", "/proc/keys", "/proc/keys"]
    edit_mount(record, "/proc/keys", lambda line: as_proc_entry(line, "/keys"))


def masked_file_readable(record: Record) -> None:
    """Only the table says it: /proc/keys read-only but the proc entry itself."""
    edit_mount(record, "/proc/keys", lambda line: as_proc_entry(line, "/keys"))


def second_proc(record: Record) -> None:
    """A fresh proc stacked on /proc after the masks: every mask in the first is hidden."""
    proc = line_at(record, "/proc").split(" ")[0]
    mountinfo(record).append("300 %s 0:60 / /proc rw,nosuid,nodev,noexec,relatime - proc proc "
                             "rw" % proc)


def rw_stacked_listed_first(record: Record) -> None:
    """A rw /proc/sys stacked on the read-only one (its parent), listed before it: the tree,
    not the order, says which is seen."""
    lines = mountinfo(record)
    ro = line_at(record, "/proc/sys")
    lines.insert(lines.index(ro), "301 %s 0:41 /sys /proc/sys rw,nosuid,nodev,noexec,relatime "
                 "- proc proc rw" % ro.split(" ")[0])


def host_proc(record: Record) -> None:
    """The host's proc (the device of the read-only binds) at /proc: all its processes."""
    edit_mount(record, "/proc", lambda line: field(line, 2, "0:41"))


def node_is_disk(record: Record) -> None:
    """/dev/null bound from the host's /dev/sda: the name kept, the device another."""
    edit_mount(record, "/dev/null", lambda line: field(line, 3, "/sda"))


def host_dev_whole(record: Record) -> None:
    """The host's /dev (the nodes' device) bound whole at /dev."""
    edit_mount(record, "/dev", lambda line: field(line, 2, "0:42"))


def user_ns_other_form(record: Record) -> None:
    """The run's own user namespace, written with a leading zero (no info id for user)."""
    view = record["result"]["view"]
    view["namespaces"]["user"] = "user:[0%s" % view["host_namespaces"]["user"].split("[")[1]


def net_ns_other_form(record: Record) -> None:
    view = record["result"]["view"]
    view["namespaces"]["net"] = "net:[0%s" % view["host_namespaces"]["net"].split("[")[1]
    del view["info"]["net-namespace"]


def caps_empty(record: Record) -> None:
    record["result"]["view"]["status"]["CapEff"] = ""


def caps_short(record: Record) -> None:
    record["result"]["view"]["status"]["CapBnd"] = "0"


def cgroup_line_twice(record: Record) -> None:
    """The sandbox outside the run's pids cgroup, and a second pids line that names it."""
    lines = record["result"]["view"]["cgroup"]
    real = next(line for line in lines if ":pids:" in line)
    lines[lines.index(real)] = real.rsplit("/", 1)[0]
    lines.append(real)


def in_from_elsewhere(record: Record) -> None:
    """/in from another directory that ends in <run id>/<identity>/in."""
    edit_mount(record, "/in", lambda line: field(line, 3, "/home/other/" + "/".join(
        line.split(" ")[3].split("/")[-3:])))


def binds_dotdot(record: Record) -> None:
    """The binds' roots in a form the kernel never writes ("/x/.."): not its table."""
    for target in ("/in", "/out", "/sandbox-probe"):
        edit_mount(record, target, lambda line: field(line, 3, line.split(" ")[3].replace(
            "/sandbox-attest/", "/sandbox-attest/x/../")))


def in_rw_and_ro(record: Record) -> None:
    edit_mount(record, "/in", lambda line: field(line, 5, "rw,ro,nosuid,nodev,noatime"))


def root_rw_and_ro(record: Record) -> None:
    edit_mount(record, "/", lambda line: field(line, 5, "rw,ro,nosuid,nodev,relatime"))


def gid_map_wide(record: Record) -> None:
    record["result"]["view"]["gid_map"] = ["0 0 4294967295"]


def filter_other_file(record: Record) -> None:
    """The digest claimed, another file given to bwrap (its descriptor agrees)."""
    record["facts"]["seccomp"]["path"] = WEAK_FILTER
    fds = record["result"]["view"]["fds"]
    fds[next(fd for fd, link in fds.items() if link.endswith(".bpf"))] = WEAK_FILTER


def tmp_subdirectory(record: Record) -> None:
    """The scratch space a directory of some other tmpfs of the same size and flags."""
    edit_mount(record, SCRATCH, lambda line: field(line, 3, "/shared"))


def stdin_a_pipe(record: Record) -> None:
    """stdin a pipe from the host (execute() gives /dev/null)."""
    record["result"]["view"]["fds"]["0"] = "pipe:[1]"


def ceiling_twice(record: Record) -> None:
    """pids.max recorded twice, "max" first: which one the kernel kept is unknown."""
    ceilings = record["facts"]["ceilings"]
    unbounded = dict(ceilings[0], value="max")
    ceilings.insert(0, unbounded)


def probe_writable(record: Record) -> None:
    """The probe's bind rw: the sandbox could rewrite the host's copy."""
    edit_mount(record, "/sandbox-probe", lambda line: field(line, 5, line.split(" ")[5].replace(
        "ro,", "rw,", 1)))


def root_subdirectory(record: Record) -> None:
    """/ a directory of some tmpfs, not a tmpfs of its own."""
    edit_mount(record, "/", lambda line: field(line, 3, "/shared"))


def table_cut_after_stacks(record: Record) -> None:
    """A host directory bound after 256 mounts the checks allow (read-only /proc/sys stacked
    on itself): the run cuts the table at 256 lines and says so; the cut-off bind is unseen."""
    lines = mountinfo(record)
    ro = line_at(record, "/proc/sys")
    parent = ro.split(" ")[0]
    for number in range(1000, 1000 + 256 - len(lines)):
        lines.append(field(field(ro, 0, str(number)), 1, parent))
        parent = str(number)
    record["result"]["view"]["mountinfo_truncated"] = True


def stacked_thrice(record: Record) -> None:
    """Three mounts at /proc/sys: more than the profile's and bwrap's own."""
    lines = mountinfo(record)
    ro = line_at(record, "/proc/sys")
    lines.append(field(field(ro, 0, "1000"), 1, ro.split(" ")[0]))
    lines.append(field(field(ro, 0, "1001"), 1, "1000"))


def info_missing(record: Record) -> None:
    """bwrap's report of its namespaces gone: the links stand unchecked."""
    del record["result"]["view"]["info"]


def mount_id_twice(record: Record) -> None:
    lines = mountinfo(record)
    lines[-1] = field(lines[-1], 0, lines[-2].split(" ")[0])


def mount_outside_parent(record: Record) -> None:
    """/in mounted in /dev's mount: no kernel's tree."""
    dev = line_at(record, "/dev").split(" ")[0]
    edit_mount(record, "/in", lambda line: field(line, 1, dev))


ATTACKS: dict[str, tuple[Callable[[Record], None], str]] = {
    "host_dir_as_system_path": (host_dir_as_system_path, "binds_exact"),
    "masked_listed_readonly": (masked_listed_readonly, "masked_paths"),
    "masked_file_readable": (masked_file_readable, "masked_paths"),
    "second_proc": (second_proc, "masked_paths"),
    "rw_stacked_listed_first": (rw_stacked_listed_first, "readonly_paths"),
    "host_proc": (host_proc, "masked_paths"),
    "node_is_disk": (node_is_disk, "no_devices"),
    "host_dev_whole": (host_dev_whole, "no_devices"),
    "user_ns_other_form": (user_ns_other_form, "not_privileged"),
    "net_ns_other_form": (net_ns_other_form, "network_none"),
    "caps_empty": (caps_empty, "cap_drop_all"),
    "caps_short": (caps_short, "cap_drop_all"),
    "cgroup_line_twice": (cgroup_line_twice, "limits"),
    "in_from_elsewhere": (in_from_elsewhere, "binds_exact"),
    "binds_dotdot": (binds_dotdot, "binds_exact"),
    "in_rw_and_ro": (in_rw_and_ro, "bind_in_ro"),
    "root_rw_and_ro": (root_rw_and_ro, "readonly_rootfs"),
    "gid_map_wide": (gid_map_wide, "user"),
    "filter_other_file": (filter_other_file, "seccomp_shipped"),
    "tmp_subdirectory": (tmp_subdirectory, "tmpfs_tmp"),
    "stdin_a_pipe": (stdin_a_pipe, "binds_exact"),
    "ceiling_twice": (ceiling_twice, "limits"),
    "probe_writable": (probe_writable, "readonly_rootfs"),
    "root_subdirectory": (root_subdirectory, "readonly_rootfs"),
    "table_cut_after_stacks": (table_cut_after_stacks, "binds_exact"),
    "stacked_thrice": (stacked_thrice, "binds_exact"),
    "info_missing": (info_missing, "no_host_namespaces"),
    "mount_id_twice": (mount_id_twice, "readonly_rootfs"),
    "mount_outside_parent": (mount_outside_parent, "binds_exact"),
}


@pytest.mark.parametrize("identity", sorted(RUN_IDS))
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_weaker_or_forged_record_is_not_clean(name: str, identity: str) -> None:
    edit, check_id = ATTACKS[name]
    record = load(identity)
    edit(record)
    found = judge(record, identity)
    failed = {c.id for c in found.profile.not_passed()}
    assert check_id in failed, (failed, [c.message for c in found.profile.not_passed()])
    rows = [row for row in _rows_of(check_id) if row in found.row_status()]
    assert rows and "PASS" not in {found.row_status()[row] for row in rows}
    assert found.status == "SANDBOX_ATTESTATION_FAILED"


def _rows_of(check_id: str) -> list[int]:
    matrix = _bwrap_verdict.load_matrix().document
    return [row["row"] for row in matrix["rows"] if check_id in row.get("static_checks", [])]


@pytest.mark.parametrize("identity", sorted(RUN_IDS))
def test_the_recorded_runs_are_one_tree_each(identity: str) -> None:
    """The real tables parse as one tree, and bwrap's own /proc/bus and /proc/irq (root's run)
    are hidden under the profile's: the seen mount is the profile's (the host's proc)."""
    run = _bwrap_evidence.Run.of(load(identity)["facts"], load(identity)["result"])
    assert run.mounts is not None
    for path in ("/proc/bus", "/proc/irq", "/proc/sys"):
        assert run.seen(path).device == "0:41"
