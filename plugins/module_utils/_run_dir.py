# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run directory on the target: made with exact owners and modes, removed whole.

Nothing in it is executed or trusted: the sandbox may plant links, FIFOs, huge or setuid files
in its out/. Removal never follows a link out of the tree.
"""

from __future__ import annotations

import os
import shutil
import stat

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.module_utils._facts import (
    FactsError,
    mapped_owner,
)
from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    IDENTITIES,
    ProfileError,
    check_run_id,
)


class RunDirError(RuntimeError):
    """The run directory cannot be made or removed as required."""


def check_run_root(run_root: str) -> str:
    """_profile.check_run_root (the one run-root rule), raising RunDirError."""
    try:
        return _profile.check_run_root(run_root)
    except ProfileError as exc:
        raise RunDirError(str(exc)) from exc


def run_dir_of(run_root: str, run_id: str) -> str:
    """<run_root>/<run_id>, both checked (the run-root rule, the run-id format)."""
    try:
        return os.path.join(_profile.check_run_root(run_root), _profile.check_run_id(run_id))
    except ProfileError as exc:
        raise RunDirError(str(exc)) from exc


def _mkdir(path: str, mode: int, uid: int, gid: int) -> None:
    os.mkdir(path, mode)
    os.chown(path, uid, gid, follow_symlinks=False)
    os.chmod(path, mode)  # the umask may have narrowed it


def out_owner(identity: str, remap: dict | None) -> tuple[int, int]:
    """The host uid and gid of identity/out: the identity's own ids, or under the engine's
    userns remap (module_utils/_facts.py userns_remap) the host ids they map to, so /out stays
    writable for its identity and for nobody else (measured: a 65532-owned out/ gives EACCES
    to container uid 65532 under --userns-remap=default, the remapped owner lets it write)."""
    ids = IDENTITIES[identity]
    try:
        return mapped_owner(remap, ids["uid"], ids["gid"])
    except FactsError as exc:
        raise RunDirError(str(exc)) from exc


def _make_or_reuse(path: str, mode: int, uid: int, gid: int) -> bool:
    """Make path, or reuse it when it is a real directory with this owner and mode; True when
    it was made."""
    try:
        _mkdir(path, mode, uid, gid)
        return True
    except FileExistsError:
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid or stat.S_IMODE(st.st_mode) != mode:
            raise RunDirError("%s exists and is not this run's directory" % path) from None
        return False


def planned(run_root: str, run_id: str) -> str:
    """The run directory's path, both parts checked; nothing is made."""
    return os.path.join(check_run_root(run_root), check_run_id(run_id))


def make(run_root: str, run_id: str) -> str:
    """The one maker of a run directory on the automated path: run_root/run_id, root-owned
    0700. A missing run root is made root-owned 0700 (its missing parents with the usual mode);
    an existing one must be a real directory (not a link) owned by root, and is left as it is.
    The run directory is reused only when it is a real root-owned 0700 directory (a run makes
    it in several steps: the probe image's staging, then each identity). The operator packet's
    script (plugins/plugin_utils/packet/template/attest.sh, prepare_run_dir) follows the same
    rules in sh, and refuses any reuse of the run directory, since it makes it once."""
    run_dir = planned(run_root, run_id)
    root = os.path.dirname(run_dir)
    if not os.path.lexists(root):
        parent = os.path.dirname(root)
        if not os.path.isdir(parent):
            os.makedirs(parent)
        _mkdir(root, 0o700, 0, 0)
    st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode):
        raise RunDirError("the run root %s is not a directory (a link is not followed)" % root)
    if st.st_uid != 0:
        raise RunDirError("the run root %s is not owned by root" % root)
    _make_or_reuse(run_dir, 0o700, 0, 0)
    return run_dir


def prepare(run_root: str, run_id: str, identity: str, files: dict[str, bytes],
            remap: dict | None = None) -> str:
    """Make the run directory (make) and identity/in (0755) + identity/out (0700, owned by
    the identity as the engine maps it, see out_owner), plus the given files (root 0644);
    existing parts are reused only when they are real directories owned as expected."""
    out_uid, out_gid = out_owner(identity, remap)
    run_dir = make(run_root, run_id)
    for path, mode, uid, gid in (
        (os.path.join(run_dir, identity), 0o755, 0, 0),
        (os.path.join(run_dir, identity, "in"), 0o755, 0, 0),
        (os.path.join(run_dir, identity, "out"), 0o700, out_uid, out_gid),
    ):
        _make_or_reuse(path, mode, uid, gid)
    for name, data in files.items():
        path = os.path.join(run_dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    return run_dir


def remove(run_root: str, run_id: str) -> bool:
    """Remove run_root/run_id entirely; True when something was removed."""
    run_dir = os.path.join(check_run_root(run_root), check_run_id(run_id))
    if os.path.islink(run_dir):
        raise RunDirError("%s is a link; refusing to follow it" % run_dir)
    if not os.path.lexists(run_dir):
        return False
    # rmtree never follows links inside the tree; a directory the sandbox left without write
    # permission is opened up first (we are root on the host, the files are the run's).

    def _onerror(func, path, _exc):  # type: ignore[no-untyped-def]
        parent = os.path.dirname(path)
        if not os.path.islink(parent):
            os.chmod(parent, 0o700)
        func(path)

    shutil.rmtree(run_dir, onerror=_onerror)
    return True
