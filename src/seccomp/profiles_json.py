# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the shipped seccomp profiles as compile_bpf.py reads them: {name: {profile, sha256}}.

Run by the collection's venv (it imports module_utils/_seccomp, the one source of the
profiles); compile_bpf.py runs under Debian's python3, where libseccomp's bindings are.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "collections"))

from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    SECCOMP_PROFILES,
)
from ansible_collections.sandbox.attest.plugins.module_utils._seccomp import (
    seccomp_digest,
    seccomp_profile,
)

json.dump({name: {"profile": seccomp_profile(name), "sha256": seccomp_digest(name)}
           for name in SECCOMP_PROFILES}, sys.stdout, sort_keys=True)
