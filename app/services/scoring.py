"""Use-cases: score an uploaded stream or a local file, store the report, fetch a stored one."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import NotFound
from app.ingest.blobs import Blob
from app.ingest.load import load_table
from app.services.report import build_report
from app.storage.repository import Repository, new_report_id
from profilers.context import Table
from profilers.profile import profile
from scoring import SCORING_VERSION, score_table

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Scored:
    report: dict[str, Any]
    stored: bool
    cached: bool


def score_file(
    path: Path,
    name: str,
    sha256: str,
    url: str | None = None,
    keep: Callable[[Table], None] | None = None,
) -> dict[str, Any]:
    """Score one file (measurement + judgement); ``keep`` receives the loaded table, e.g. to
    store its rows, before the working files are removed."""
    with tempfile.TemporaryDirectory(prefix="odq-") as work:
        table = load_table(path, name, sha256, Path(work), url=url)
        results, metrics = profile(table)
        card = score_table(results, metrics)
        report = build_report(new_report_id(), table, results, card)
        if keep is not None and not table.fatal:
            keep(table)
        return report


def score_blob(
    blob: Blob, name: str, repo: Repository | None, url: str | None = None, store_rows: bool = True
) -> Scored:
    """Score stored bytes; the same bytes under the same scoring version give the stored report."""
    if repo is not None:
        found = repo.find_report(blob.sha256, SCORING_VERSION, _options_key(name))
        if found is not None:
            return Scored(found, stored=True, cached=True)

    def keep(table: Table) -> None:
        assert repo is not None
        rows = table.data.select("__row", *table.cols).to_arrow()
        repo.save_rows(blob.sha256, table.labels, [s.type for s in table.stats], rows)

    report = score_file(
        blob.path, name, blob.sha256, url=url, keep=keep if repo is not None and store_rows else None
    )
    if repo is None:
        return Scored(report, stored=False, cached=False)
    src = report["source"]
    repo.upsert_resource(blob.sha256, blob.size, src.get("format"), src.get("encoding"), name, str(blob.path))
    saved = repo.save_report(report, _options_key(name))
    return Scored(saved, stored=True, cached=saved["id"] != report["id"])


def get_report(repo: Repository, report_id: str) -> dict[str, Any]:
    report = repo.get_report(report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id!r}.", code="report-not-found")
    return report


def safe_name(filename: str | None) -> str:
    """An upload's file name for display only: never used as a path."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:255]
    return name or "upload"


def _options_key(name: str) -> str:
    """The name's extension is part of the key: the same bytes named .xls and .csv differ in
    their format-mismatch finding, so each gets its own stored report."""
    from app.ingest.sniff import declared_format

    return f"declared={declared_format(name) or ''}"
