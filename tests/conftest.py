"""Make `ansible_collections.sandbox.attest` importable from this clone (make setup links it)."""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "sandbox", "attest")

if not os.path.isdir(LINK):
    raise RuntimeError("%s is missing: run `make setup` (it links the collection)" % LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
