#!/usr/bin/env bash
# ansible-test sanity on a copy of the tracked tree placed under ansible_collections/sandbox/attest
# (ansible-test runs only there), with ansible-test's home inside the repository's .cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
home="$root/.cache/sanity-home"
mkdir -p "$home/.ansible/test/cache" "$work/ansible_collections/sandbox/attest"
# ansible-test names the bootstrap script after the pip version it pins (default_packages).
version=$("$root/.venv/bin/python" - <<'PY'
import os, re, ansible_test
source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
print(re.search(r"pip='([0-9.]+)'", open(source).read()).group(1).replace(".", "_"))
PY
)
cp "$root/tests/sanity/get_pip_offline.py" "$home/.ansible/test/cache/get_pip_${version}.py"
(cd "$root" && git ls-files -z) | (cd "$root" && tar --null -cf - -T -) | tar -x -C "$work/ansible_collections/sandbox/attest"
cp "$root/files/sandbox-probe" "$work/ansible_collections/sandbox/attest/files/"
cd "$work/ansible_collections/sandbox/attest"
HOME="$home" "$root/.venv/bin/ansible-test" sanity --python 3.11 --requirements "$@"
