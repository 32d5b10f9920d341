"""All SQL of catalog runs: the run rows, one row per dataset of a run, conditional-GET state.

A worker's result is stored by :meth:`CatalogRuns.complete` in one transaction together with the
report it produced, so "scored" and "marked done" cannot drift apart: a run killed at any point
resumes with exactly the items that are still pending.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from app.storage.repository import insert_report, upsert_resource_rows
from app.storage.store import Store

UNFINISHED = ("queued", "harvesting", "running")

_RUN_COLUMNS = (
    "id",
    "source",
    "kind",
    "portal",
    "executor",
    "metadata_only",
    "options_json",
    "status",
    "error",
    "total",
    "created_at",
    "started_at",
    "finished_at",
    "portal_json",
)


@dataclass(slots=True)
class ItemResult:
    """What the single writer stores for one dataset (built from a worker's result)."""

    key: str
    status: str  # done | failed
    report: dict[str, Any] | None = None
    options_key: str = ""
    reuse_report_id: str | None = None  # unchanged resource (HTTP 304): its last report
    url: str | None = None
    http_status: int | None = None
    error_code: str | None = None
    outcome: dict[str, Any] = field(default_factory=dict)
    fetch: dict[str, Any] | None = None  # {url, etag, last_modified, sha256, content_type, http_status}
    resource: dict[str, Any] | None = None  # {sha256, bytes, format, encoding, name, blob_path}
    score: float | None = None  # when there is no report (metadata-only): the metadata score
    band: str | None = None


class CatalogRuns:
    """Typed access to catalog_runs, catalog_items and fetch_state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- runs ----------------------------------------------------------------------------------

    def create_run(
        self,
        source: str,
        kind: str,
        *,
        portal: str | None,
        executor: str,
        metadata_only: bool,
        options: Mapping[str, Any] | None = None,
        status: str = "queued",
    ) -> str:
        run_id = uuid.uuid4().hex
        with self.store.transaction() as cur:
            cur.execute(
                """
                INSERT INTO catalog_runs (id, source, kind, portal, executor, metadata_only, options_json,
                                          status, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    run_id,
                    source,
                    kind,
                    portal,
                    executor,
                    metadata_only,
                    _dumps(dict(options or {})),
                    status,
                    _utcnow(),
                ],
            )
        return run_id

    def update_run(self, run_id: str, **values: Any) -> None:
        """Set columns of a run: status, kind, error, total, started_at, finished_at, portal_json."""
        allowed = {"status", "kind", "error", "total", "started_at", "finished_at", "portal_json"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not run columns: {sorted(unknown)}")
        if not values:
            return
        if "portal_json" in values and values["portal_json"] is not None:
            values["portal_json"] = _dumps(values["portal_json"])
        names = sorted(values)  # from the allowed set above: safe as identifiers
        assignments = ", ".join(f"{name} = ?" for name in names)
        with self.store.transaction() as cur:
            cur.execute(
                f"UPDATE catalog_runs SET {assignments} WHERE id = ?", [*(values[n] for n in names), run_id]
            )

    def mark_started(self, run_id: str) -> None:
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE catalog_runs SET status = 'running', started_at = coalesce(started_at, ?) WHERE id = ?",
                [_utcnow(), run_id],
            )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        rows = (
            self.store.cursor()
            .execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM catalog_runs WHERE id = ?", [run_id])
            .fetchall()
        )
        return _run_dict(rows[0]) if rows else None

    def unfinished_runs(self) -> list[dict[str, Any]]:
        """Runs a crash or a shutdown left behind, oldest first."""
        rows = (
            self.store.cursor()
            .execute(
                f"SELECT {', '.join(_RUN_COLUMNS)} FROM catalog_runs WHERE status IN (?, ?, ?) "
                "ORDER BY created_at, id",
                list(UNFINISHED),
            )
            .fetchall()
        )
        return [_run_dict(r) for r in rows]

    def runs_by_status(self) -> dict[str, int]:
        """How many catalog runs are in each state (for /metrics)."""
        rows = (
            self.store.cursor()
            .execute("SELECT status, count(*) FROM catalog_runs GROUP BY status")
            .fetchall()
        )
        return {str(status): int(n) for status, n in rows}

    def counts(self, run_id: str) -> dict[str, int]:
        """``{harvested, pending, done, failed}`` of a run's items."""
        rows = (
            self.store.cursor()
            .execute("SELECT status, count(*) FROM catalog_items WHERE run_id = ? GROUP BY status", [run_id])
            .fetchall()
        )
        by = {status: int(n) for status, n in rows}
        return {
            "harvested": sum(by.values()),
            "pending": by.get("pending", 0),
            "done": by.get("done", 0),
            "failed": by.get("failed", 0),
        }

    def finished_since(self, run_id: str, since: datetime) -> int:
        row = (
            self.store.cursor()
            .execute(
                "SELECT count(*) FROM catalog_items WHERE run_id = ? AND status <> 'pending' AND finished_at >= ?",
                [run_id, since],
            )
            .fetchall()
        )
        return int(row[0][0])

    # -- items ---------------------------------------------------------------------------------

    def add_items(
        self,
        run_id: str,
        items: Sequence[tuple[int, str, str | None, dict[str, Any] | str]],
        done: Sequence[ItemResult] | None = None,
    ) -> int:
        """Insert ``(ordinal, key, title, record)`` rows (the record as data, or already encoded as
        JSON text) as pending — or, with ``done`` (one result
        per item, measured while harvesting: metadata-only), as finished. Keys already there are
        kept as they are (a re-harvest after a crash adds only what is new). Returns rows inserted."""
        if not items:
            return 0
        finished = list(done) if done is not None else None
        n = len(items)
        # Columns as lists, unnested by DuckDB in one statement: no per-row statements, and no
        # pyarrow (building an Arrow table from Python lists imports pandas, ~0.3 s).
        status: list[str] = [r.status for r in finished] if finished else ["pending"] * n
        score: list[float | None] = [r.score for r in finished] if finished else [None] * n
        band: list[str | None] = [r.band for r in finished] if finished else [None] * n
        url: list[str | None] = [r.url for r in finished] if finished else [None] * n
        error_code: list[str | None] = [r.error_code for r in finished] if finished else [None] * n
        http_status: list[int | None] = [r.http_status for r in finished] if finished else [None] * n
        outcome: list[str | None] = [_dumps(r.outcome) for r in finished] if finished else [None] * n
        records = [i[3] if type(i[3]) is str else _dumps(i[3]) for i in items]
        with self.store.transaction() as cur:
            before = cur.execute("SELECT count(*) FROM catalog_items WHERE run_id = ?", [run_id]).fetchall()
            cur.execute(
                """
                INSERT INTO catalog_items (run_id, ordinal, key, title, status, record_json, score, band, url,
                                           http_status, error_code, outcome_json, attempts, finished_at)
                SELECT $run_id, unnest($ordinal::INTEGER[]), unnest($key::VARCHAR[]),
                       unnest($title::VARCHAR[]), unnest($status::VARCHAR[]), unnest($record::VARCHAR[])::JSON,
                       unnest($score::DOUBLE[]), unnest($band::VARCHAR[]), unnest($url::VARCHAR[]),
                       unnest($http_status::INTEGER[]), unnest($error_code::VARCHAR[]),
                       unnest($outcome::VARCHAR[])::JSON, $attempts, $finished_at::TIMESTAMP
                ON CONFLICT (run_id, key) DO NOTHING
                """,
                {
                    "run_id": run_id,
                    "ordinal": [i[0] for i in items],
                    "key": [i[1] for i in items],
                    "title": [i[2] for i in items],
                    "status": status,
                    "record": records,
                    "score": score,
                    "band": band,
                    "url": url,
                    "http_status": http_status,
                    "error_code": error_code,
                    "outcome": outcome,
                    "attempts": 1 if finished else 0,
                    "finished_at": _utcnow() if finished else None,
                },
            )
            after = cur.execute("SELECT count(*) FROM catalog_items WHERE run_id = ?", [run_id]).fetchall()
        return int(after[0][0]) - int(before[0][0])

    def item_keys(self, run_id: str) -> set[str]:
        """The keys of the items stored for ``run_id`` (whatever their status)."""
        rows = (
            self.store.cursor().execute("SELECT key FROM catalog_items WHERE run_id = ?", [run_id]).fetchall()
        )
        return {str(r[0]) for r in rows}

    def pending(self, run_id: str) -> list[tuple[str, dict[str, Any]]]:
        """``(key, record)`` of the items not yet done, in harvest order."""
        rows = (
            self.store.cursor()
            .execute(
                "SELECT key, record_json FROM catalog_items WHERE run_id = ? AND status = 'pending' "
                "ORDER BY ordinal",
                [run_id],
            )
            .fetchall()
        )
        return [(key, json.loads(record)) for key, record in rows]

    def items(self, run_id: str) -> list[dict[str, Any]]:
        """Every item of a run with its outcome, in harvest order."""
        rows = (
            self.store.cursor()
            .execute(
                """
                SELECT key, ordinal, title, status, report_id, score, band, url, http_status, error_code,
                       outcome_json, attempts, record_json
                FROM catalog_items WHERE run_id = ? ORDER BY ordinal
                """,
                [run_id],
            )
            .fetchall()
        )
        keys = (
            "key",
            "ordinal",
            "title",
            "status",
            "report_id",
            "score",
            "band",
            "url",
            "http_status",
            "error_code",
            "outcome",
            "attempts",
            "record",
        )
        out = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["outcome"] = json.loads(item["outcome"]) if item["outcome"] else {}
            item["record"] = json.loads(item["record"])
            out.append(item)
        return out

    def mqa_counts(self, run_id: str) -> list[tuple[str, str | None, dict[str, list[int]] | None]]:
        """``(key, title, {indicator: [met, units]})`` of every item (metadata checks' MQA counts)."""
        rows = (
            self.store.cursor()
            .execute(
                """
                SELECT key, title, json_extract(outcome_json, '$.metadata.mqa_counts')
                FROM catalog_items WHERE run_id = ? ORDER BY ordinal
                """,
                [run_id],
            )
            .fetchall()
        )
        return [(key, title, json.loads(counts) if counts else None) for key, title, counts in rows]

    def complete(self, run_id: str, results: Iterable[ItemResult]) -> int:
        """Store results in ONE transaction: each report (or the stored report of the same bytes),
        its resource row, the fetch state and the item's new status. Items already done are left
        alone (a result that arrives twice is stored once). Returns the items completed.

        Apart from the reports, the batch costs a fixed number of statements: one look-up of the
        items still pending, one upsert per distinct resource, one for all fetch states and one
        UPDATE of all items (columns passed as lists and unnested by DuckDB)."""
        now = _utcnow()
        results = list(results)
        if not results:
            return 0
        with self.store.transaction() as cur:
            pending = {
                key
                for (key,) in cur.execute(
                    """
                    SELECT key FROM catalog_items
                    WHERE run_id = ? AND status = 'pending' AND key IN (SELECT unnest(?::VARCHAR[]))
                    """,
                    [run_id, [r.key for r in results]],
                ).fetchall()
            }
            rows: list[tuple[ItemResult, str | None, Any, Any]] = []
            resources: dict[str, dict[str, Any]] = {}
            fetches: dict[str, tuple[dict[str, Any], str | None]] = {}
            for result in results:
                if result.key not in pending:
                    continue
                pending.discard(result.key)  # a second result for the key in this batch: ignored
                report_id, score, band = _store_report(cur, result)
                if report_id is None:
                    score, band = result.score, result.band
                if result.resource is not None:
                    _merge_resource(resources, result.resource)
                if result.fetch is not None and result.fetch.get("url"):
                    _merge_fetch(fetches, result.fetch, report_id)
                rows.append((result, report_id, score, band))
            upsert_resource_rows(
                cur,
                [
                    (
                        r["sha256"],
                        r["bytes"],
                        r.get("format"),
                        r.get("encoding"),
                        r.get("name"),
                        r.get("blob_path"),
                    )
                    for r in resources.values()
                ],
                now,
            )
            if fetches:
                _upsert_fetch_states(cur, list(fetches.values()), now)
            if rows:
                _update_items(cur, run_id, rows, now)
        return len(rows)

    # -- conditional GET -----------------------------------------------------------------------

    def fetch_states(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored ETag / Last-Modified / report of each URL seen before."""
        wanted = sorted({u for u in urls if u})
        if not wanted:
            return {}
        rows = (
            self.store.cursor()
            .execute(
                """
                SELECT f.url, f.etag, f.last_modified, f.sha256, f.report_id
                FROM fetch_state f JOIN reports r ON r.id = f.report_id
                WHERE f.url IN (SELECT unnest(?::VARCHAR[]))
                """,
                [wanted],
            )
            .fetchall()
        )
        return {
            url: {"etag": etag, "last_modified": lm, "sha256": sha, "report_id": rid}
            for url, etag, lm, sha, rid in rows
        }


# -- helpers ----------------------------------------------------------------------------------


def _update_items(
    cur: duckdb.DuckDBPyConnection,
    run_id: str,
    rows: list[tuple[ItemResult, str | None, Any, Any]],
    now: datetime,
) -> None:
    """The new state of a batch of pending items, in one UPDATE."""
    cur.execute(
        """
        UPDATE catalog_items AS i
        SET status = b.status, report_id = b.report_id, score = b.score, band = b.band, url = b.url,
            http_status = b.http_status, error_code = b.error_code, outcome_json = b.outcome_json::JSON,
            attempts = i.attempts + 1, finished_at = $now
        FROM (
            SELECT unnest($key::VARCHAR[]) AS key, unnest($status::VARCHAR[]) AS status,
                   unnest($report_id::VARCHAR[]) AS report_id,
                   unnest($score::DOUBLE[]) AS score, unnest($band::VARCHAR[]) AS band,
                   unnest($url::VARCHAR[]) AS url, unnest($http_status::INTEGER[]) AS http_status,
                   unnest($error_code::VARCHAR[]) AS error_code, unnest($outcome::VARCHAR[]) AS outcome_json
        ) AS b
        WHERE i.run_id = $run_id AND i.key = b.key AND i.status = 'pending'
        """,
        {
            "key": [r.key for r, _, _, _ in rows],
            "status": [r.status for r, _, _, _ in rows],
            "report_id": [report_id for _, report_id, _, _ in rows],
            "score": [score for _, _, score, _ in rows],
            "band": [band for _, _, _, band in rows],
            "url": [r.url for r, _, _, _ in rows],
            "http_status": [r.http_status for r, _, _, _ in rows],
            "error_code": [r.error_code for r, _, _, _ in rows],
            "outcome": [_dumps(r.outcome) for r, _, _, _ in rows],
            "now": now,
            "run_id": run_id,
        },
    )


def _merge_resource(resources: dict[str, dict[str, Any]], res: Mapping[str, Any]) -> None:
    """One row per sha256 in a batch, as repeated upserts would leave it: the first name kept,
    unknown format, encoding or blob path filled by a later one."""
    kept = resources.get(res["sha256"])
    if kept is None:
        resources[res["sha256"]] = dict(res)
        return
    for k in ("format", "encoding", "blob_path"):
        if kept.get(k) is None and res.get(k) is not None:
            kept[k] = res[k]


def _merge_fetch(
    fetches: dict[str, tuple[dict[str, Any], str | None]], fetch: Mapping[str, Any], report_id: str | None
) -> None:
    """One fetch state per URL in a batch, as repeated upserts would leave it: the last answer's
    headers; its sha256 and report, or the earlier ones where it has none."""
    url = fetch["url"]
    earlier = fetches.get(url)
    merged = dict(fetch)
    if earlier is not None:
        merged["sha256"] = merged.get("sha256") or earlier[0].get("sha256")
        report_id = report_id or earlier[1]
    fetches[url] = (merged, report_id)


def _store_report(cur: duckdb.DuckDBPyConnection, result: ItemResult) -> tuple[str | None, Any, Any]:
    """Insert the result's report (or find the stored one of the same bytes); → (id, score, band)."""
    if result.reuse_report_id is not None:
        rows = cur.execute(
            "SELECT id, score, band FROM reports WHERE id = ?", [result.reuse_report_id]
        ).fetchall()
        if rows:
            return rows[0][0], rows[0][1], rows[0][2]
    report = result.report
    if report is None:
        return None, None, None
    stored = insert_report(cur, report, result.options_key)
    return str(stored["id"]), stored.get("score"), stored.get("band")


def _upsert_fetch_states(
    cur: duckdb.DuckDBPyConnection, fetches: list[tuple[dict[str, Any], str | None]], now: datetime
) -> None:
    """The conditional-GET state of each URL (distinct URLs), in one statement."""
    cur.execute(
        """
        INSERT INTO fetch_state (url, etag, last_modified, sha256, http_status, content_type, report_id,
                                 checked_at)
        SELECT unnest($url::VARCHAR[]), unnest($etag::VARCHAR[]), unnest($last_modified::VARCHAR[]),
               unnest($sha256::VARCHAR[]), unnest($http_status::INTEGER[]),
               unnest($content_type::VARCHAR[]), unnest($report_id::VARCHAR[]), $now
        ON CONFLICT (url) DO UPDATE SET
            etag = excluded.etag, last_modified = excluded.last_modified,
            sha256 = coalesce(excluded.sha256, fetch_state.sha256), http_status = excluded.http_status,
            content_type = excluded.content_type,
            report_id = coalesce(excluded.report_id, fetch_state.report_id), checked_at = excluded.checked_at
        """,
        {
            "url": [f["url"] for f, _ in fetches],
            "etag": [f.get("etag") for f, _ in fetches],
            "last_modified": [f.get("last_modified") for f, _ in fetches],
            "sha256": [f.get("sha256") for f, _ in fetches],
            "http_status": [f.get("http_status") for f, _ in fetches],
            "content_type": [f.get("content_type") for f, _ in fetches],
            "report_id": [report_id for _, report_id in fetches],
            "now": now,
        },
    )


def _run_dict(row: Sequence[Any]) -> dict[str, Any]:
    run = dict(zip(_RUN_COLUMNS, row, strict=True))
    run["options"] = json.loads(run.pop("options_json") or "{}")
    portal_json = run.pop("portal_json")
    run["portal_summary"] = json.loads(portal_json) if portal_json else None
    return run


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def utcnow() -> datetime:
    """Now, as stored in this module's TIMESTAMP columns (naive UTC)."""
    return _utcnow()
