"""Files made durable before they are named: data is flushed to the disk (``fsync``) before the
rename that makes it visible, and the folder after it, so a crash or a power cut leaves either
the old state or the whole new file, never a named file with missing bytes."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def fsync_file(path: Path) -> None:
    """Flush a written file's bytes to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename into it) to the disk, where the system allows it."""
    with contextlib.suppress(OSError):  # some file systems refuse to open or sync a folder
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_durably(source: Path, target: Path) -> None:
    """``os.replace(source, target)`` with ``source`` flushed first and the folder after."""
    fsync_file(source)
    os.replace(source, target)
    fsync_dir(target.parent)
