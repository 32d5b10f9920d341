"""Store incoming bytes by sha256 while they stream, with the size limit enforced as they come."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.errors import PayloadTooLarge
from app.storage.files import fsync_dir

UPLOAD_PREFIX = ".upload-"
"""The name of a blob being received; one left by a crash is removed at start-up."""


@dataclass(frozen=True, slots=True)
class Blob:
    sha256: str
    size: int
    path: Path


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is larger than the limit of {limit / 1024 / 1024:.0f} MiB. "
        "Split it, compress repeated values, or ask the operator to raise ODQ_MAX_UPLOAD_MB.",
        limit_bytes=limit,
    )


class BlobWriter:
    """Write chunks to a temporary file in ``blob_dir`` and hash them; ``commit`` moves the file
    to ``blob_dir/ab/abcdef…``. Exceeding ``limit`` raises ``PayloadTooLarge`` at once."""

    def __init__(self, blob_dir: Path, limit: int) -> None:
        blob_dir.mkdir(parents=True, exist_ok=True)
        self.blob_dir = blob_dir
        self.limit = limit
        self.size = 0
        self._hash = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=blob_dir, prefix=UPLOAD_PREFIX)
        self._fh = os.fdopen(fd, "wb")
        self._tmp = Path(tmp)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise _too_large(self.limit)
        self._hash.update(chunk)
        self._fh.write(chunk)

    def commit(self) -> Blob:
        """Name the blob by its sha256; its bytes reach the disk before the name does (a crash
        never leaves a named blob with missing bytes)."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        digest = self._hash.hexdigest()
        final = self.blob_dir / digest[:2] / digest
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            self._tmp.unlink(missing_ok=True)
        else:
            os.replace(self._tmp, final)
            fsync_dir(final.parent)
        return Blob(digest, self.size, final)

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self._tmp.unlink(missing_ok=True)


def store_file(src: Path, blob_dir: Path, limit: int) -> Blob:
    writer = BlobWriter(blob_dir, limit)
    try:
        with src.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


def store_chunks(chunks: Iterator[bytes], blob_dir: Path, limit: int) -> Blob:
    writer = BlobWriter(blob_dir, limit)
    try:
        for chunk in chunks:
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


async def store_async_chunks(chunks: AsyncIterator[bytes], blob_dir: Path, limit: int) -> Blob:
    writer = BlobWriter(blob_dir, limit)
    try:
        async for chunk in chunks:
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


def copy_to_temp(src: Path, workdir: Path) -> Path:
    dst = workdir / "input"
    shutil.copyfile(src, dst)
    return dst


def remove_partial_uploads(blob_dir: Path) -> int:
    """Delete the half-received uploads (``.upload-*``) a crash left in ``blob_dir``; returns how
    many. Only at start-up, before any upload is received."""
    removed = 0
    if not blob_dir.is_dir():
        return 0
    for path in blob_dir.glob(UPLOAD_PREFIX + "*"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
