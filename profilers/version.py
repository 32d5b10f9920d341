"""What the measurement is: a digest of the checks' own code, so a report made by other checks is
never served as current (``scoring.scoring_digest`` folds it in).

A change to any module of ``profilers`` (a check, the shared statistics, the validators and their
data) changes the digest by itself. The readers that hand a table to the checks live in
``app/ingest``, which this package may not import: bump :data:`READERS` when a reader changes what
it gives the checks (a header found elsewhere, another encoding chosen, other sheets read).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

READERS = "2"
"""The readers' version (see the module text); part of :func:`measurement_digest`."""

_ROOT = Path(__file__).resolve().parent
_KINDS = (".py", ".txt", ".json", ".csv")


@cache
def measurement_digest() -> str:
    """The digest of this installed ``profilers`` package (see :func:`tree_digest`)."""
    return tree_digest(_ROOT, READERS)


def tree_digest(root: Path, readers: str) -> str:
    """sha256 (16 hex digits) of ``readers`` and every source and data file under ``root``, by
    relative path, so it is the same wherever the package is installed."""
    h = hashlib.sha256(f"readers {readers}\n".encode())
    for path in sorted(p for p in root.rglob("*") if p.suffix in _KINDS and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]
