"""All reads and writes of resources and reports (the SQL of the application lives here).

A report is the JSON object of DESIGN §8. It is stored verbatim (``reports.report_json``) and
returned as stored; its findings and per-dimension scores are also spread into rows so they can be
queried and aggregated. Values are always bound as parameters, never formatted into SQL.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from app.storage.store import Store

Report = dict[str, Any]

OVERALL = "overall"  # scores.dimension of a report's total score

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def new_report_id() -> str:
    """A fresh report id (uuid4 hex)."""
    return uuid.uuid4().hex


def upsert_resource_row(
    cur: duckdb.DuckDBPyConnection,
    sha256: str,
    bytes: int,
    format: str | None,
    encoding: str | None,
    name: str | None,
    blob_path: str | None,
    now: datetime,
) -> None:
    """In the caller's transaction: record a blob once per sha256. A repeat keeps the first name and
    time; it only fills format, encoding or blob_path where they were unknown."""
    upsert_resource_rows(cur, [(sha256, bytes, format, encoding, name, blob_path)], now)


def upsert_resource_rows(
    cur: duckdb.DuckDBPyConnection,
    rows: Sequence[tuple[str, int, str | None, str | None, str | None, str | None]],
    now: datetime,
) -> None:
    """:func:`upsert_resource_row` for many blobs in one statement: rows of (sha256, bytes, format,
    encoding, name, blob_path), each sha256 at most once."""
    if not rows:
        return
    cur.execute(
        """
        INSERT INTO resources (id, bytes, format, encoding, first_name, blob_path, created_at)
        SELECT unnest($id::VARCHAR[]), unnest($bytes::BIGINT[]), unnest($format::VARCHAR[]),
               unnest($encoding::VARCHAR[]), unnest($name::VARCHAR[]), unnest($blob_path::VARCHAR[]), $now
        ON CONFLICT (id) DO UPDATE SET
            format = coalesce(resources.format, excluded.format),
            encoding = coalesce(resources.encoding, excluded.encoding),
            blob_path = coalesce(resources.blob_path, excluded.blob_path)
        """,
        {
            "id": [r[0] for r in rows],
            "bytes": [r[1] for r in rows],
            "format": [r[2] for r in rows],
            "encoding": [r[3] for r in rows],
            "name": [r[4] for r in rows],
            "blob_path": [r[5] for r in rows],
            "now": now,
        },
    )


def insert_report(
    cur: duckdb.DuckDBPyConnection, report: Report, options_key: str = "", *, listed: bool = False
) -> Report:
    """In the caller's transaction: store ``report`` with its findings and scores, unless a report
    for the same (sha256, scoring_version, options_key) is stored already; return the one kept.
    ``listed``: shown in the lists of reports (an upload is not unless published)."""
    row = _report_row(report, options_key)
    row["listed"] = listed
    sha256, version = row["resource_sha256"], row["scoring_version"]
    if sha256 is not None:
        existing = _find_report(cur, sha256, version, options_key)
        if existing is not None:
            return existing
    _insert_report_rows(cur, report, row)
    return report


def _insert_report_rows(cur: duckdb.DuckDBPyConnection, report: Report, row: dict[str, Any]) -> None:
    """Insert the ``reports`` row ``row`` (from :func:`_report_row`, with ``listed`` and optionally
    ``delete_token_sha256`` and ``copy_of``) and the report's findings and scores rows."""
    columns = [c for c in _REPORT_COLUMNS if c in row]
    cur.execute(
        f"INSERT INTO reports ({', '.join(columns)}) VALUES ({', '.join('$' + c for c in columns)})",
        {c: row[c] for c in columns},
    )
    findings = _finding_rows(report)
    if findings:
        cur.executemany(
            """
            INSERT INTO findings (report_id, ordinal, code, dimension, severity, level,
                                  count, share, points_lost, examples_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            findings,
        )
    cur.executemany(
        "INSERT INTO scores (report_id, dimension, score, weight, scoring_version) VALUES (?, ?, ?, ?, ?)",
        _score_rows(report),
    )


_REPORT_COLUMNS = (
    "id",
    "resource_sha256",
    "scoring_version",
    "options_key",
    "name",
    "url",
    "score",
    "band",
    "created_at",
    "report_json",
    "listed",
    "delete_token_sha256",
    "copy_of",
)
"""Columns of ``reports`` an insert may set (fixed names: the SQL above is built only from them)."""


class Repository:
    """Typed access to the store's tables. Safe to share between threads (each uses its own cursor)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- resources ---------------------------------------------------------------------------

    def upsert_resource(
        self,
        sha256: str,
        bytes: int,
        format: str | None,
        encoding: str | None,
        name: str | None,
        blob_path: str | None,
    ) -> None:
        """Record a blob once per sha256. A repeat keeps the first name and time; it only fills
        format, encoding or blob_path where they were unknown."""
        _check_sha256(sha256)
        with self.store.transaction() as cur:
            upsert_resource_row(cur, sha256, bytes, format, encoding, name, blob_path, _utcnow())

    def get_resource(self, sha256: str) -> dict[str, Any] | None:
        row = (
            self.store.cursor()
            .execute(
                """
                SELECT id, bytes, format, encoding, first_name, blob_path, created_at
                FROM resources WHERE id = ?
                """,
                [sha256],
            )
            .fetchone()
        )
        if row is None:
            return None
        keys = ("sha256", "bytes", "format", "encoding", "first_name", "blob_path", "created_at")
        return dict(zip(keys, row, strict=True))

    # -- reports -----------------------------------------------------------------------------

    # -- loaded rows ---------------------------------------------------------------------------

    def save_rows(self, sha256: str, labels: list[str], types: list[str], rows: Any) -> None:
        """Keep the loaded rows of a resource as data."r_<sha256>" (``rows``: an Arrow table or a
        Polars frame with ``__row`` and ``c1..cN``). The same sha256 is written once."""
        _check_sha256(sha256)
        table = f'data."r_{sha256}"'  # sha256 is checked hex: safe as an identifier
        with self.store.transaction() as cur:
            exists = cur.execute(
                "SELECT count(*) FROM resource_columns WHERE resource_sha256 = ?", [sha256]
            ).fetchall()
            if exists[0][0]:
                return
            cur.register("odq_loaded_rows", rows)
            try:
                cur.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM odq_loaded_rows")
            finally:
                cur.unregister("odq_loaded_rows")
            cur.executemany(
                "INSERT INTO resource_columns (resource_sha256, field, label, type) VALUES (?, ?, ?, ?)",
                [
                    (sha256, i, label, t)
                    for i, (label, t) in enumerate(zip(labels, types, strict=False), start=1)
                ],
            )

    def preview_rows(self, sha256: str, limit: int = 20, offset: int = 0) -> dict[str, Any] | None:
        """The first rows kept for a resource: ``{"columns": [labels], "rows": [[row, cells…]…]}``."""
        _check_sha256(sha256)
        cur = self.store.cursor()
        labels = cur.execute(
            "SELECT label FROM resource_columns WHERE resource_sha256 = ? ORDER BY field", [sha256]
        ).fetchall()
        if not labels:
            return None
        rows = cur.execute(
            f'SELECT * FROM data."r_{sha256}" ORDER BY "__row" LIMIT ? OFFSET ?', [limit, offset]
        ).fetchall()
        return {"columns": [r[0] for r in labels], "rows": [list(r) for r in rows]}

    def find_report(self, sha256: str, scoring_version: str, options_key: str = "") -> Report | None:
        """The stored report of these bytes scored by this version with these options, if any."""
        return _find_report(self.store.cursor(), sha256, scoring_version, options_key)

    def save_report(self, report: Report, options_key: str = "", *, listed: bool = False) -> Report:
        """Store ``report`` with its findings and scores in one transaction and return it as given.

        When a report for the same (sha256, scoring_version, options_key) is already stored (two
        requests scoring the same bytes at once), nothing is inserted and the stored one is returned.
        ``report`` must carry ``id`` and ``scoring_version`` and be JSON-serialisable without NaN.
        """
        sha256, version = (report.get("source") or {}).get("sha256"), str(report.get("scoring_version"))
        try:
            with self.store.transaction() as cur:
                return insert_report(cur, report, options_key, listed=listed)
        except (duckdb.ConstraintException, duckdb.TransactionException):
            # Another writer (e.g. a second Store on the same file in this process) got there first.
            if sha256 is not None:
                existing = self.find_report(sha256, version, options_key)
                if existing is not None:
                    return existing
            raise

    def get_report(self, report_id: str) -> Report | None:
        row = (
            self.store.cursor()
            .execute("SELECT report_json FROM reports WHERE id = ?", [report_id])
            .fetchone()
        )
        return None if row is None else _loads(row[0])

    def list_reports(self, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
        """The listed (published) reports, newest first: ``{id, name, url, score, band, created_at}``
        (created_at as in the report). Unlisted uploads are never listed."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        rows = (
            self.store.cursor()
            .execute(
                """
                SELECT id, name, url, score, band, report_json ->> 'created_at', created_at
                FROM reports
                WHERE listed
                ORDER BY created_at DESC, rowid DESC
                LIMIT ? OFFSET ?
                """,
                [limit, offset],
            )
            .fetchall()
        )
        return [
            {
                "id": id_,
                "name": name,
                "url": url,
                "score": score,
                "band": band,
                "created_at": created_at if created_at is not None else _isoformat(stored_at),
            }
            for id_, name, url, score, band, created_at, stored_at in rows
        ]

    def count_reports(self) -> int:
        row = self.store.cursor().execute("SELECT count(*) FROM reports").fetchone()
        return int(row[0]) if row else 0

    def count_findings(self, report_id: str) -> int:
        row = (
            self.store.cursor()
            .execute("SELECT count(*) FROM findings WHERE report_id = ?", [report_id])
            .fetchone()
        )
        return int(row[0]) if row else 0

    def reports_not_made_by(self, scoring_version: str, scoring_digest: str) -> list[str]:
        """Ids of the stored reports made by other rules (another version or weights digest), oldest
        first (re-scoring the same bytes twice finds the first re-score stored)."""
        rows = (
            self.store.cursor()
            .execute(
                """
                SELECT id FROM reports
                WHERE scoring_version <> ? OR coalesce(report_json ->> 'scoring_digest', '') <> ?
                ORDER BY created_at, id
                """,
                [scoring_version, scoring_digest],
            )
            .fetchall()
        )
        return [str(r[0]) for r in rows]

    def scores(self, report_id: str) -> dict[str, dict[str, Any]]:
        """``{dimension: {score, weight, scoring_version}}`` of a report, with ``'overall'``."""
        rows = (
            self.store.cursor()
            .execute(
                """
                SELECT dimension, score, weight, scoring_version
                FROM scores WHERE report_id = ? ORDER BY dimension
                """,
                [report_id],
            )
            .fetchall()
        )
        return {dim: {"score": s, "weight": w, "scoring_version": v} for dim, s, w, v in rows}

    # -- uploads: who may see and delete a report -------------------------------------------------

    def own_report(self, report_id: str, listed: bool, delete_token_sha256: str | None) -> None:
        """Mark a freshly scored report as its uploader's: listed or not, and its delete token."""
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE reports SET listed = ?, delete_token_sha256 = ? WHERE id = ?",
                [listed, delete_token_sha256, report_id],
            )

    def copy_report(
        self, report: Report, new_id: str, name: str, listed: bool, delete_token_sha256: str | None
    ) -> Report:
        """Store ``report`` (a stored report of the same bytes) again as another uploader's: under
        ``new_id`` and ``name``, with its own findings, scores and suite rows. Returns the copy."""
        old_id = str(report["id"])
        copy = json.loads(_dumps(report))
        copy["id"] = new_id
        copy["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        copy.setdefault("source", {})["name"] = name
        with self.store.transaction() as cur:
            options = cur.execute("SELECT options_key FROM reports WHERE id = ?", [old_id]).fetchone()
            row = _report_row(copy, options[0] if options else "")
            row.update(listed=listed, delete_token_sha256=delete_token_sha256, copy_of=new_id)
            _insert_report_rows(cur, copy, row)
            cur.execute(
                """
                INSERT INTO report_suites (report_id, basis, expectations, suite_json, created_at)
                SELECT ?, basis, expectations, suite_json, created_at FROM report_suites WHERE report_id = ?
                """,
                [new_id, old_id],
            )
        return copy

    def ownership_of(self, report_id: str) -> tuple[bool, str | None] | None:
        """``(listed, delete_token_sha256)`` of a stored report, None when there is no such report."""
        row = (
            self.store.cursor()
            .execute("SELECT listed, delete_token_sha256 FROM reports WHERE id = ?", [report_id])
            .fetchone()
        )
        return None if row is None else (bool(row[0]), row[1])

    def delete_token_of(self, report_id: str) -> tuple[bool, str | None] | None:
        """``(found, delete_token_sha256)`` of a stored report, None when there is no such report."""
        row = (
            self.store.cursor()
            .execute("SELECT delete_token_sha256 FROM reports WHERE id = ?", [report_id])
            .fetchone()
        )
        return None if row is None else (True, row[0])

    def delete_report(self, report_id: str) -> str | None:
        """Remove a report with its findings, scores, suite and score jobs; when no other report is
        of the same bytes, also their stored rows, signatures and resource row. Returns the blob path
        to remove from disk (relative or absolute, as stored), or None when the bytes stay."""
        with self.store.transaction() as cur:
            row = cur.execute("SELECT resource_sha256 FROM reports WHERE id = ?", [report_id]).fetchone()
            if row is None:
                return None
            sha256 = row[0]
            for table in ("findings", "scores", "report_suites", "score_jobs"):
                cur.execute(f"DELETE FROM {table} WHERE report_id = ?", [report_id])  # fixed names
            cur.execute("DELETE FROM reports WHERE id = ?", [report_id])
            if sha256 is None:
                return None
            _check_sha256(sha256)
            others = cur.execute(
                "SELECT count(*) FROM reports WHERE resource_sha256 = ?", [sha256]
            ).fetchone()
            portal = cur.execute("SELECT count(*) FROM portal_datasets WHERE sha256 = ?", [sha256]).fetchone()
            if (others and others[0]) or (portal and portal[0]):
                return None
            blob = cur.execute("SELECT blob_path FROM resources WHERE id = ?", [sha256]).fetchone()
            cur.execute(f'DROP TABLE IF EXISTS data."r_{sha256}"')  # checked hex: safe as an identifier
            for table, key in (
                ("resource_columns", "resource_sha256"),
                ("signature_bands", "sha256"),
                ("signatures", "sha256"),
                ("score_jobs", "sha256"),
                ("resources", "id"),
            ):
                cur.execute(f"DELETE FROM {table} WHERE {key} = ?", [sha256])  # fixed names
            return str(blob[0]) if blob and blob[0] else None


# -- helpers ----------------------------------------------------------------------------------


def _find_report(
    cur: duckdb.DuckDBPyConnection, sha256: str, scoring_version: str, options_key: str
) -> Report | None:
    row = cur.execute(
        """
        SELECT report_json FROM reports
        WHERE resource_sha256 = ? AND scoring_version = ? AND options_key = ?
        ORDER BY copy_of = '' DESC, created_at, rowid
        LIMIT 1
        """,
        [sha256, scoring_version, options_key],
    ).fetchone()
    return None if row is None else _loads(row[0])


def _report_row(report: Mapping[str, Any], options_key: str) -> dict[str, Any]:
    for key in ("id", "scoring_version"):
        if not report.get(key):
            raise ValueError(f"report has no {key!r}")
    source = report.get("source") or {}
    sha256 = source.get("sha256")
    if sha256 is not None:
        _check_sha256(sha256)
    return {
        "id": str(report["id"]),
        "resource_sha256": sha256,
        "scoring_version": str(report["scoring_version"]),
        "options_key": options_key,
        "name": source.get("name"),
        "url": source.get("url"),
        "score": report.get("score"),
        "band": report.get("band"),
        "created_at": _parse_created_at(report.get("created_at")),
        "report_json": _dumps(report),
    }


def _finding_rows(report: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            str(report["id"]),
            ordinal,
            f["code"],
            f.get("dimension"),
            f.get("severity"),
            f.get("level"),
            f.get("count"),
            f.get("share"),
            f.get("points_lost"),
            _dumps(f.get("examples") or []),
        )
        for ordinal, f in enumerate(report.get("findings") or [])
    ]


def _score_rows(report: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    report_id, version = str(report["id"]), str(report["scoring_version"])
    dimensions: Mapping[str, Mapping[str, Any]] = report.get("dimensions") or {}
    if OVERALL in dimensions:
        raise ValueError(f"{OVERALL!r} is reserved for the total score and cannot be a dimension")
    rows = [(report_id, key, d.get("score"), d.get("weight"), version) for key, d in dimensions.items()]
    rows.append((report_id, OVERALL, report.get("score"), None, version))
    return rows


def _parse_created_at(value: Any) -> datetime:
    """ISO 8601 (or datetime) → naive UTC for the TIMESTAMP column; missing → now."""
    if value is None:
        return _utcnow()
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _dumps(value: Any) -> str:
    # allow_nan=False: NaN/Infinity are not JSON; fail here, clearly, rather than in DuckDB.
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _loads(text: str) -> Report:
    loaded: Report = json.loads(text)
    return loaded


def _isoformat(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat() + "Z"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _check_sha256(sha256: Any) -> None:
    if not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
        raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
