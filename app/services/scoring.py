"""Use-cases: score an uploaded stream or a local file, store the report, fetch a stored one."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import NotFound
from app.ingest.blobs import Blob
from app.ingest.load import MAX_CELLS, load_table
from app.ingest.sandbox import Limits, score_in_worker, table_suite
from app.observability import note_scored
from app.services import expectations as declared
from app.services.report import build_report, mark_currency
from app.storage.portals import PortalStore
from app.storage.repository import Repository, new_report_id
from profilers.checks.unscored_sheets import other_data_sheets
from profilers.context import Table
from profilers.expectations import Suite
from profilers.profile import profile
from profilers.schema import TableSchema
from scoring import SCORING_VERSION, score_table, scoring_digest

log = logging.getLogger(__name__)

MAX_SHEETS = 20
"""Other data sheets of a workbook scored with its data sheet (``ODQ_MAX_SHEETS`` sets it for the
service); the ones past it are listed in the report's ``sheets`` as not scored."""


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
    suite: Suite | None = None,
    schema: TableSchema | None = None,
    max_sheets: int = MAX_SHEETS,
) -> dict[str, Any]:
    """Score one file (measurement + judgement); ``keep`` receives the loaded table, e.g. to
    store its rows, before the working files are removed. A Great Expectations ``suite`` and a
    Table ``schema`` (parsed, see ``app.services.expectations``) run after the checks. The other
    data sheets of a workbook (up to ``max_sheets``) are scored too, each on its own, into the
    report's ``sheets``."""
    with tempfile.TemporaryDirectory(prefix="odq-") as work:
        table = load_table(path, name, sha256, Path(work), url=url)
        # Judged on the report's day (UTC, as its created_at): dates of past events after it count.
        today = dt.datetime.now(dt.UTC).date()
        sheets = score_other_sheets(path, table, Path(work), today, max_sheets=max_sheets)
        results, metrics = profile(table, reference_date=today)
        if suite is not None or schema is not None:
            results = declared.apply_declared(table, results, suite, schema)
        card = score_table(results, metrics)
        report = build_report(new_report_id(), table, results, card, sheets=sheets)
        if suite is not None or schema is not None:
            report["declared"] = declared.describe(suite, schema)
        if keep is not None and not table.fatal:
            keep(table)
        return report


def score_other_sheets(
    path: Path,
    table: Table,
    workdir: Path,
    reference_date: dt.date | None,
    max_sheets: int = MAX_SHEETS,
    max_cells: int = MAX_CELLS,
) -> list[dict[str, Any]]:
    """Load, profile and score each other data sheet of the workbook ``table`` was read from, in
    workbook order, with the same checks and scoring as the data sheet: the summaries of the
    report's ``sheets``. At most ``max_sheets`` are scored, and only while the sheets' cells
    (rows × columns, the data sheet's included) stay within ``max_cells`` together; the others are
    listed with why they were not scored. What became of each is recorded on ``table`` for the
    ``unscored-sheets`` finding of the data sheet."""
    if table.fatal:
        return []
    structure = table.structure
    others = other_data_sheets(structure, table.source.sheet)
    index = {sheet: i + 1 for i, sheet in enumerate(structure.sheet_names)}
    used = sum(rows * cols for sheet, rows, cols, _ in structure.sheets if sheet == table.source.sheet)
    out: list[dict[str, Any]] = []
    scored = 0
    for sheet, rows, cols, _ in others:
        entry: dict[str, Any] = {"name": sheet, "index": index.get(sheet), "rows": rows, "columns": cols}
        if scored >= max_sheets:
            skipped = f"not scored: past the first {max_sheets} other sheets"
        elif used + rows * cols > max_cells:
            skipped = f"not scored: the sheets together pass {max_cells:,} cells"
        else:
            skipped = ""
        if skipped:
            out.append(entry | {"score": None, "band": None, "skipped": skipped, "findings": []})
            structure.sheet_outcomes[sheet] = skipped
            continue
        used += rows * cols
        scored += 1
        one = load_table(path, table.source.name, table.source.sha256, workdir, table.source.url, sheet=sheet)
        results, metrics = profile(one, reference_date=reference_date)
        card = score_table(results, metrics)
        findings = sorted(
            (f for r in results for f in r.findings if f.points_lost > 0 or f.rubric is not None),
            key=lambda f: (-f.points_lost, f.code),
        )
        out.append(
            entry
            | {
                "rows": one.source.rows,
                "columns": one.source.columns,
                "header_row": one.source.header_row,
                "score": card.score,
                "band": card.band,
                "fatal": card.fatal,
                "findings": [
                    {
                        "code": f.code,
                        "dimension": f.dimension,
                        "count": f.count,
                        "share": f.share,
                        "points_lost": round(f.points_lost, 2),
                        "rubric": f.rubric,
                    }
                    for f in findings
                ],
            }
        )
        structure.sheet_outcomes[sheet] = f"scored {card.score:.1f} ({card.band})"
    return out


def score_blob(
    blob: Blob,
    name: str,
    repo: Repository | None,
    url: str | None = None,
    store_rows: bool = True,
    *,
    limits: Limits | None = None,
    suite: Suite | None = None,
    schema: TableSchema | None = None,
) -> Scored:
    """Score stored bytes; the same bytes under the same scoring version give the stored report.
    With ``limits`` the file is read in a worker process under them (``app.ingest.sandbox``).
    A ``suite`` or ``schema`` is part of the stored report's key (see ``score_file``)."""
    options = _options_key(name) + declared.options_key(suite, schema)
    given: dict[str, Any] = (
        {"suite": suite, "schema": schema} if suite is not None or schema is not None else {}
    )
    if repo is not None:
        stored = find_stored(blob, name, repo, suite=suite, schema=schema)
        if stored is not None:
            return stored

    built: dict[str, Any] = {}
    """The GX suite the table meets, built with the report (``built["suite"]``)."""

    def keep(table: Table) -> None:
        assert repo is not None
        built["suite"] = table_suite(table, name)
        if store_rows:
            rows = table.data.select("__row", *table.cols).to_arrow()
            repo.save_rows(blob.sha256, table.labels, [s.type for s in table.stats], rows)
        # Signatures (MinHash …) for the portal pass, kept by sha256: the same bytes reuse them.
        from app.services.portals import keep_signatures

        keep_signatures(repo, blob.sha256, table)

    if limits is not None:

        def save_rows(labels: list[str], types: list[str], rows: Any) -> None:
            assert repo is not None
            repo.save_rows(blob.sha256, labels, types, rows)

        def save_signatures(sigs: Any) -> None:
            from app.services.portals import store_signatures

            assert repo is not None
            store_signatures(repo, blob.sha256, sigs)

        rows_to = save_rows if repo is not None and store_rows else None
        sigs_to = save_signatures if repo is not None else None
        report = score_in_worker(
            blob.path,
            name,
            blob.sha256,
            limits,
            url=url,
            save_rows=rows_to,
            save_signatures=sigs_to,
            save_suite=(lambda suite: built.update(suite=suite)) if repo is not None else None,
            **given,
        )
    else:
        report = score_file(
            blob.path, name, blob.sha256, url=url, keep=keep if repo is not None else None, **given
        )
    if repo is None:
        return Scored(report, stored=False, cached=False)
    src = report["source"]
    repo.upsert_resource(blob.sha256, blob.size, src.get("format"), src.get("encoding"), name, str(blob.path))
    saved = repo.save_report(report, options)
    if saved["id"] == report["id"]:
        declared.store_report_suite(repo, saved, built.get("suite"))
    note_scored(int(src.get("rows") or 0), blob.size, cached=saved["id"] != report["id"])
    return Scored(saved, stored=True, cached=saved["id"] != report["id"])


def find_stored(
    blob: Blob, name: str, repo: Repository, *, suite: Suite | None = None, schema: TableSchema | None = None
) -> Scored | None:
    """The stored report of these bytes under this name's extension and these declared rules
    (current scoring version), if any: what ``score_blob`` answers without scoring."""
    options = options_key(name, suite, schema)
    found = repo.find_report(blob.sha256, SCORING_VERSION, options)
    if found is None:
        return None
    note_scored(0, 0, cached=True)
    return Scored(found, stored=True, cached=True)


def options_key(name: str, suite: Suite | None = None, schema: TableSchema | None = None) -> str:
    """What besides the bytes keys a stored report: the name's extension and the declared rules."""
    return _options_key(name) + declared.options_key(suite, schema)


def get_report(repo: Repository, report_id: str) -> dict[str, Any]:
    report = repo.get_report(report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id!r}.", code="report-not-found")
    return mark_currency(report)


def current_report(repo: Repository, report_id: str, limits: Limits | None = None) -> dict[str, Any]:
    """The report ``report_id`` under the rules in force: as stored when it is current; else the
    file re-scored from its stored bytes (with ``rescored_from`` naming the old report, which stays
    stored as history); else, when the bytes are gone or the report was made with declared rules
    that were not kept, the old report marked superseded (``current: false``).

    The re-scored report is the old one's successor: the same uploader's (listed or not, deletable
    with the same token), under the same file name, at an id derived from the old id and the
    rules, so reading the old id again finds it and another uploader of the same bytes never
    sees it."""
    report = get_report(repo, report_id)
    if report.get("current", True):
        return report
    fresh = rescore_report(repo, report, limits)
    if fresh is None:
        return report
    follow(repo, report, fresh)
    return fresh


def successor_id(report_id: str) -> str:
    """The id of ``report_id`` re-scored under the rules in force (unguessable as the old id is)."""
    return hashlib.sha256(f"{report_id}/{scoring_digest()}".encode()).hexdigest()[:32]


def rescore_report(
    repo: Repository, report: dict[str, Any], limits: Limits | None = None
) -> dict[str, Any] | None:
    """Score the bytes of a stored ``report`` again under the current rules (the same name and URL)
    and store the result as its successor (:func:`successor_id`), owned as the old report was; None
    when that cannot be done faithfully (bytes gone, or a declared suite/schema not kept)."""
    successor = repo.get_report(successor_id(str(report["id"])))
    if successor is not None:  # re-scored before under these rules
        return mark_currency(successor)
    if report.get("declared"):
        return None
    src = report.get("source") or {}
    sha256 = src.get("sha256")
    resource = repo.get_resource(str(sha256)) if sha256 else None
    path = Path(resource["blob_path"]) if resource and resource.get("blob_path") else None
    if resource is None or path is None or not path.is_file():
        return None
    name = str(src.get("name") or resource.get("first_name") or "upload")
    blob = Blob(str(sha256), int(resource["bytes"]), path)
    fresh = dict(score_blob(blob, name, repo, url=src.get("url"), store_rows=False, limits=limits).report)
    fresh["rescored_from"] = {
        key: report.get(key)
        for key in ("id", "scoring_version", "scoring_digest", "score", "band", "created_at")
    }
    listed, token_sha256 = repo.ownership_of(str(report["id"])) or (False, None)
    return repo.copy_report(fresh, successor_id(str(report["id"])), name, listed, token_sha256)


def follow(repo: Repository, old: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Point the portal datasets that used ``old`` at ``fresh``; the ids of the portals concerned."""
    return PortalStore(repo).repoint_report(
        str(old["id"]), str(fresh["id"]), fresh.get("score"), fresh.get("band")
    )


def safe_name(filename: str | None) -> str:
    """An upload's file name for display only: never used as a path."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:255]
    return name or "upload"


def _options_key(name: str) -> str:
    """The name's extension is part of the key: the same bytes named .xls and .csv differ in
    their format-mismatch finding, so each gets its own stored report. So are the rules (the digest
    of the weights and check catalogue): a report made by other rules is never found as current."""
    from app.ingest.sniff import declared_format

    return f"declared={declared_format(name) or ''};rules={scoring_digest()}"
