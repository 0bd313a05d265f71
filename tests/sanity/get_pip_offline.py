"""Stand-in for ansible-test's pip bootstrap script, whose download host is unreachable here.

ansible-test creates each sanity venv without pip, then runs this file (from its cache) to get
one. Python's own ensurepip installs the pip bundled with the interpreter, with no download;
ansible-test then installs its pinned requirements from PyPI as usual.
"""

import ensurepip
import sys

ensurepip.bootstrap(upgrade=True, default_pip=True)
sys.exit(0)
