"""A folder of files: each file (hidden files skipped, sub-folders walked, sorted by path) is one
dataset whose single distribution is the file. ``Distribution.url`` is the file's absolute local
path (no ``file://``); the record id is the path relative to the folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from app.catalogs.common import format_name
from profilers.record import DatasetRecord, Distribution


def parse_folder(folder: Path) -> Iterator[DatasetRecord]:
    root = folder.resolve()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        yield DatasetRecord(
            id=rel.as_posix(),
            title=path.stem,
            modified=modified,
            distributions=[
                Distribution(
                    url=str(path),
                    title=path.name,
                    format=format_name(path.suffix) if path.suffix else None,
                    size=stat.st_size,
                    modified=modified,
                )
            ],
            source_kind="dir",
            raw={"path": rel.as_posix(), "bytes": stat.st_size},
        )
