"""A stand-in engine CLI: a shell script that answers as docker does and logs each call."""

from __future__ import annotations

import os
import stat

import pytest

FAKE_ENGINE = r"""#!/bin/sh
# Answers the calls module_utils makes; the state lives in files of $FAKE_ENGINE_DIR.
dir="$FAKE_ENGINE_DIR"
echo "$*" >> "$dir/calls"
case "$1 $2" in
  "create "*) echo "Unable to find nothing"; echo "c0ffee" ;;
  "start "*) ;;
  "wait "*)
    if [ -e "$dir/hang" ] && [ ! -e "$dir/killed" ]; then exec sleep 30; fi
    if [ -e "$dir/killed" ]; then echo 137; else echo 0; fi ;;
  "kill "*) touch "$dir/killed" ;;
  "logs "*) printf 'probe output'; printf 'probe errors' >&2 ;;
  "inspect "*) echo '[{"Id": "c0ffee"}]' ;;
  "rm "*) [ -e "$dir/stuck" ] && { echo "cannot remove" >&2; exit 1; }; touch "$dir/removed" ;;
  "container inspect")
    case "$4" in
      *Labels*) cat "$dir/label-$5" 2>/dev/null || exit 1 ;;
      *) [ -e "$dir/removed" ] && { echo "No such container" >&2; exit 1; }; echo c0ffee ;;
    esac ;;
  "ps -aq")
    if [ "$3" = "--no-trunc" ]; then list="$dir/ps"; else list="$dir/users-$4"; fi
    cat "$list" 2>/dev/null || true ;;
  "image inspect")
    case "$4" in
      *Labels*) cat "$dir/image-label-$5" 2>/dev/null || exit 1 ;;
      # The ID as the engine prints it: the file's content (Podman's, without sha256:), else $5.
      *) [ -e "$dir/image-$5" ] || exit 1
         if [ -s "$dir/image-$5" ]; then cat "$dir/image-$5"; else echo "$5"; fi ;;
    esac ;;
  "image ls") cat "$dir/images" 2>/dev/null || true ;;
  "image rm") rm -f "$dir/image-$3" ;;
  "info "*) cat "$dir/info" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"""


class FakeEngine:
    def __init__(self, directory: str) -> None:
        self.dir = directory
        self.cli = os.path.join(directory, "docker")

    def write(self, name: str, text: str = "") -> None:
        with open(os.path.join(self.dir, name), "w", encoding="utf-8") as handle:
            handle.write(text)

    def calls(self) -> list[str]:
        path = os.path.join(self.dir, "calls")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as handle:
            return handle.read().splitlines()


@pytest.fixture
def engine(tmp_path, monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine(str(tmp_path))
    fake.write("docker", FAKE_ENGINE)
    os.chmod(fake.cli, stat.S_IRWXU)
    monkeypatch.setenv("FAKE_ENGINE_DIR", str(tmp_path))
    return fake
