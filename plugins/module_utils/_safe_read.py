# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what the sandbox wrote without trusting it.

Only regular files with an expected name and a bounded size are read; every path component is
opened with O_NOFOLLOW relative to its parent's descriptor, so a planted link, FIFO, device or
swapped directory is refused and nothing outside the run directory is ever opened.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class SafeReadError(RuntimeError):
    """The directory itself cannot be trusted (a link, or not a directory)."""


def _open_dir(path: str) -> int:
    parts = [p for p in path.split("/") if p]
    fd = os.open("/", _DIR_FLAGS)
    try:
        for part in parts:
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise SafeReadError("cannot open %s safely at %r: %s" % (
                    path, part, exc.strerror)) from exc
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


def _refuse(name: bytes, reason: str) -> dict:
    return {"name": repr(name)[2:-1], "reason": reason}


def read_expected(path: str, expected: tuple[str, ...], max_bytes: int,
                  max_entries: int) -> tuple[list[dict], list[dict]]:
    """(copied, refused). copied: name, bytes, sha256, data (bytes).

    Expected names are looked up directly, so a flood of planted entries cannot hide them; the
    directory is then scanned, within max_entries, only to report what else is there."""
    copied: list[dict] = []
    refused: list[dict] = []
    dir_fd = _open_dir(path)
    try:
        for name in expected:
            try:
                item = _read_one(dir_fd, name, max_bytes)
            except FileNotFoundError:
                continue
            if isinstance(item, str):
                refused.append(_refuse(os.fsencode(name), item))
            else:
                copied.append(item)
        with os.scandir(dir_fd) as entries:
            for count, entry in enumerate(entries):
                if count >= max_entries:
                    refused.append({"name": "*", "reason": "too many entries (more than %d); "
                                    "the rest was not listed" % max_entries})
                    break
                if entry.name not in expected:
                    refused.append(_refuse(os.fsencode(entry.name), "unexpected name"))
    finally:
        os.close(dir_fd)
    return copied, refused


def _read_one(dir_fd: int, name: str, max_bytes: int) -> dict | str:
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_size > max_bytes:
        return "too large (%d bytes, at most %d)" % (st.st_size, max_bytes)
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        return "cannot open: %s" % exc.strerror
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode) or (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
            return "changed while being read"
        data = os.read(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return "too large (grew past %d bytes)" % max_bytes
    return {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "data": data}


def read_out_dir(path: str, expected: tuple[str, ...], max_bytes: int,
                 max_entries: int) -> dict:
    """read_expected as a module returns it: copied (name, bytes, sha256, content_b64) and
    refused. run_output and sandbox_run's read of each identity's out/ both give this."""
    copied, refused = read_expected(path, expected, max_bytes, max_entries)
    for item in copied:
        item["content_b64"] = base64.b64encode(item.pop("data")).decode("ascii")
    return {"copied": copied, "refused": refused}
