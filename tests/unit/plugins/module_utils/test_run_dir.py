"""The run directory: out/ belongs to its identity as the engine maps it."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _facts, _run_dir

RUN_ID = "20261129T182400Z-0123abcd"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")


def test_out_is_owned_by_the_identity_without_a_remap(tmp_path) -> None:
    run_dir = _run_dir.prepare(str(tmp_path / "runs"), RUN_ID, "workload", {"empty.env": b""})
    out = os.stat(os.path.join(run_dir, "workload", "out"))
    assert (out.st_uid, out.st_gid, out.st_mode & 0o777) == (65532, 65532, 0o700)
    assert os.stat(run_dir).st_uid == 0 and os.stat(run_dir).st_mode & 0o777 == 0o700


def test_out_follows_the_engine_remap(tmp_path, monkeypatch) -> None:
    (tmp_path / "subids").write_text("dockremap:165536:65536\n")
    real = _facts.mapped_owner

    def mapped(remap, uid, gid):  # the host's /etc/subuid is not this test's
        return real(remap, uid, gid, subuid=str(tmp_path / "subids"),
                    subgid=str(tmp_path / "subids"))

    monkeypatch.setattr(_run_dir, "mapped_owner", mapped)
    remap = {"uid": 165536, "gid": 165536}
    run_root = str(tmp_path / "runs")
    for identity, owner in (("workload", 231068), ("root", 165536)):
        run_dir = _run_dir.prepare(run_root, RUN_ID, identity, {}, remap=remap)
        out = os.stat(os.path.join(run_dir, identity, "out"))
        assert (out.st_uid, out.st_gid) == (owner, owner)
    # A remap whose range does not cover the identity makes nothing of out/.
    (tmp_path / "subids").write_text("dockremap:165536:100\n")
    with pytest.raises(_run_dir.RunDirError, match="falls outside"):
        _run_dir.prepare(run_root, "20261129T182400Z-0123abce", "workload", {}, remap=remap)
    assert _run_dir.remove(run_root, RUN_ID)


def test_make_is_the_one_maker_root_0700_and_reuses_only_its_own(tmp_path) -> None:
    run_root = str(tmp_path / "a" / "runs")
    run_dir = _run_dir.make(run_root, RUN_ID)
    for path in (run_root, run_dir):
        st = os.lstat(path)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, 0, 0o700)
    assert _run_dir.make(run_root, RUN_ID) == run_dir  # a later step of the same run
    # prepare makes the same directory the probe image's staging made.
    assert _run_dir.prepare(run_root, RUN_ID, "root", {}) == run_dir
    os.chmod(run_dir, 0o500)
    with pytest.raises(_run_dir.RunDirError, match="is not this run's directory"):
        _run_dir.make(run_root, RUN_ID)


def test_make_refuses_a_run_root_that_is_a_link_or_not_roots(tmp_path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(_run_dir.RunDirError, match="a link is not followed"):
        _run_dir.make(str(tmp_path / "link"), RUN_ID)
    os.chown(real, 65532, 65532)
    with pytest.raises(_run_dir.RunDirError, match="not owned by root"):
        _run_dir.make(str(real), RUN_ID)
    assert os.listdir(real) == []
