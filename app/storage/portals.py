"""SQL of portals: signatures and their LSH band keys, portals, portal datasets, portal runs
(the score history) and the clusters a run found. Wraps the Store like ``repository`` does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from app.storage.repository import Repository
from app.storage.store import Store
from profilers.signatures import Signatures, band_keys, lsh_params

ROW_BANDS_THRESHOLD = 0.5
"""LSH threshold of the stored row bands (see profilers.portal.ROW_LSH_THRESHOLD)."""


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)


class PortalStore:
    """Typed access to the portal tables (SQL lives here only)."""

    def __init__(self, store: Store | Repository) -> None:
        self.store: Store = store.store if isinstance(store, Repository) else store

    # -- signatures -------------------------------------------------------------------------

    def has_signatures(self, sha256: str, hash_id: str) -> bool:
        rows = (
            self.store.cursor()
            .execute("SELECT count(*) FROM signatures WHERE sha256 = ? AND hash_id = ?", [sha256, hash_id])
            .fetchall()
        )
        return bool(rows[0][0])

    def save_signatures(self, sha256: str, sig: Signatures) -> None:
        """Store (or replace) the signatures of a resource and its row band keys."""
        self.save_many([(sha256, sig)])

    def save_many(self, items: Sequence[tuple[str, Signatures]]) -> None:
        """Store (or replace) many resources' signatures and band keys in one transaction."""
        if not items:
            return
        b, r = lsh_params(ROW_BANDS_THRESHOLD)
        dicts = [(sha256, sig.to_dict()) for sha256, sig in items]
        now = _utcnow()
        sigs = pa.table(
            {
                "sha256": [sha for sha, _ in dicts],
                "hash_id": [d["hash_id"] for _, d in dicts],
                "rows": pa.array([d["rows"] for _, d in dicts], pa.int64()),
                "columns": pa.array([d["columns"] for _, d in dicts], pa.int32()),
                "content_hash": [d["content_hash"] for _, d in dicts],
                "row_minhash": pa.array([d["row_minhash"] for _, d in dicts], pa.binary()),
                "header_json": [_dumps(d["header"]) for _, d in dicts],
                "header_minhash": pa.array([d["header_minhash"] for _, d in dicts], pa.binary()),
                "key_fields_json": [_dumps(d["key_fields"]) for _, d in dicts],
                "key_minhash": pa.array([d["key_minhash"] for _, d in dicts], pa.binary()),
                "key_distinct": pa.array([d["key_distinct"] for _, d in dicts], pa.int64()),
                "column_minhash": pa.array([d["column_minhash"] for _, d in dicts], pa.binary()),
                "column_json": [
                    _dumps({"distinct": d["column_distinct"], "shift": d["column_shift"]}) for _, d in dicts
                ],
                "created_at": pa.array([now] * len(dicts), pa.timestamp("us")),
            }
        )
        banded = [(sha, sig) for sha, sig in items if sig.rows]
        if banded:
            keys = band_keys(np.vstack([sig.row_minhash for _, sig in banded]), b, r)
            bands = pa.table(
                {
                    "sha256": np.repeat(np.array([sha for sha, _ in banded], dtype=object), b),
                    "hash_id": np.repeat(np.array([sig.hash_id for _, sig in banded], dtype=object), b),
                    "kind": ["row"] * (len(banded) * b),
                    "band": pa.array(np.tile(np.arange(b, dtype=np.int16), len(banded)), pa.int16()),
                    "key": pa.array(keys.reshape(-1), pa.uint64()),
                }
            )
        shas = [sha for sha, _ in items]
        with self.store.transaction() as cur:
            cur.execute("DELETE FROM signatures WHERE sha256 IN (SELECT unnest(?::VARCHAR[]))", [shas])
            cur.execute("DELETE FROM signature_bands WHERE sha256 IN (SELECT unnest(?::VARCHAR[]))", [shas])
            _insert_rows(cur, "signatures", sigs)
            if banded:
                _insert_rows(cur, "signature_bands", bands)

    def load_signatures(self, shas: Iterable[str]) -> dict[str, Signatures]:
        wanted = sorted(set(shas))
        if not wanted:
            return {}
        table = (
            self.store.cursor()
            .sql(
                """
                SELECT sha256, hash_id, rows, columns, content_hash, row_minhash, header_json,
                       header_minhash, key_fields_json, key_minhash, key_distinct, column_minhash,
                       column_json
                FROM signatures WHERE sha256 IN (SELECT unnest($1::VARCHAR[]))
                """,
                params=[wanted],
            )
            .to_arrow_table()
        )
        n = table.num_rows
        if not n:
            return {}

        def matrix(name: str) -> np.ndarray:
            raw = b"".join(table.column(name).to_pylist())
            return np.frombuffer(raw, dtype=np.uint32).reshape(n, -1)

        rows_m, head_m, key_m = matrix("row_minhash"), matrix("header_minhash"), matrix("key_minhash")
        cols = table.column("column_minhash").to_pylist()
        col = {c: table.column(c).to_pylist() for c in ("sha256", "hash_id", "rows", "columns", "content_hash",
                                                         "key_distinct")}  # fmt: skip
        # one JSON parse per column (of all rows joined), not one per value
        for c in ("header_json", "key_fields_json", "column_json"):
            col[c] = json.loads("[" + ",".join(table.column(c).to_pylist()) + "]")
        out = {}
        for i in range(n):
            meta = col["column_json"][i]
            out[col["sha256"][i]] = Signatures(
                hash_id=col["hash_id"][i],
                rows=int(col["rows"][i]),
                columns=int(col["columns"][i]),
                content_hash=col["content_hash"][i],
                row_minhash=rows_m[i],
                header=col["header_json"][i],
                header_minhash=head_m[i],
                key_fields=col["key_fields_json"][i],
                key_minhash=key_m[i],
                key_distinct=int(col["key_distinct"][i]),
                column_minhash=np.frombuffer(cols[i], dtype=np.uint32).reshape(-1, rows_m.shape[1]),
                column_distinct=meta.get("distinct") or [],
                column_shift=meta.get("shift") or [],
            )
        return out

    def band_pairs(self, portal_id: str, hash_id: str) -> list[tuple[str, str]]:
        """Candidate pairs (sha256, sha256) of a portal's datasets: a shared row band key (LSH).
        One self-join in DuckDB; never all pairs."""
        rows = (
            self.store.cursor()
            .execute(
                """
                WITH mine AS (
                    SELECT DISTINCT b.sha256, b.band, b.key
                    FROM signature_bands b
                    JOIN (SELECT DISTINCT sha256 FROM portal_datasets
                          WHERE portal_id = ? AND sha256 IS NOT NULL) d USING (sha256)
                    WHERE b.kind = 'row' AND b.hash_id = ?
                )
                SELECT DISTINCT x.sha256, y.sha256
                FROM mine x JOIN mine y ON x.band = y.band AND x.key = y.key AND x.sha256 < y.sha256
                """,
                [portal_id, hash_id],
            )
            .fetchall()
        )
        return [(a, b) for a, b in rows]

    # -- portals ----------------------------------------------------------------------------

    def ensure_portal(self, name: str, kind: str | None = None, source: str | None = None) -> str:
        """The id of the portal named ``name`` (created when new; kind/source updated if given)."""
        now = _utcnow()
        with self.store.transaction() as cur:
            found = cur.execute("SELECT id FROM portals WHERE name = ?", [name]).fetchall()
            if found:
                pid = str(found[0][0])
                cur.execute(
                    "UPDATE portals SET kind = coalesce(?, kind), source = coalesce(?, source), updated_at = ?"
                    " WHERE id = ?",
                    [kind, source, now, pid],
                )
                return pid
            pid = uuid.uuid4().hex
            cur.execute(
                "INSERT INTO portals (id, name, kind, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [pid, name, kind, source, now, now],
            )
            return pid

    def find_portal(self, id_or_name: str) -> dict[str, Any] | None:
        rows = (
            self.store.cursor()
            .execute(
                "SELECT id, name, kind, source, created_at, updated_at FROM portals WHERE id = ? OR name = ?"
                " ORDER BY (id = ?) DESC LIMIT 1",
                [id_or_name, id_or_name, id_or_name],
            )
            .fetchall()
        )
        if not rows:
            return None
        keys = ("id", "name", "kind", "source", "created_at", "updated_at")
        return dict(zip(keys, rows[0], strict=True))

    def upsert_datasets(self, portal_id: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or update the portal's datasets by key (one statement over an Arrow table)."""
        if not rows:
            return
        now = _utcnow()
        table = pa.table(
            {
                "portal_id": pa.array([portal_id] * len(rows), pa.string()),
                "key": pa.array([r["key"] for r in rows], pa.string()),
                "title": pa.array([r.get("title") for r in rows], pa.string()),
                "name": pa.array([r["name"] for r in rows], pa.string()),
                "url": pa.array([r.get("url") for r in rows], pa.string()),
                "sha256": pa.array([r.get("sha256") for r in rows], pa.string()),
                "report_id": pa.array([r.get("report_id") for r in rows], pa.string()),
                "score": pa.array([r.get("score") for r in rows], pa.float64()),
                "band": pa.array([r.get("band") for r in rows], pa.string()),
                "metadata_json": pa.array([_dumps(r.get("metadata") or {}) for r in rows], pa.string()),
                "extra_findings_json": pa.array(
                    [_dumps(r.get("extra_findings") or []) for r in rows], pa.string()
                ),
                "updated_at": pa.array([now] * len(rows), pa.timestamp("us")),
            }
        )
        with self.store.transaction() as cur:
            cur.register("odq_portal_datasets", table)
            try:
                cur.execute(
                    """
                    INSERT INTO portal_datasets (portal_id, key, title, name, url, sha256, report_id, score,
                                                 band, metadata_json, extra_findings_json, updated_at)
                    SELECT DISTINCT ON (key) portal_id, key, title, name, url, sha256, report_id, score,
                           band, metadata_json, extra_findings_json, updated_at
                    FROM odq_portal_datasets
                    ON CONFLICT (portal_id, key) DO UPDATE SET
                        title = excluded.title, name = excluded.name, url = excluded.url,
                        sha256 = excluded.sha256, report_id = excluded.report_id, score = excluded.score,
                        band = excluded.band, metadata_json = excluded.metadata_json,
                        extra_findings_json = excluded.extra_findings_json, updated_at = excluded.updated_at
                    """
                )
            finally:
                cur.unregister("odq_portal_datasets")

    def remove_datasets_except(self, portal_id: str, keep: Sequence[str]) -> int:
        """Drop the portal's datasets whose key is not in ``keep`` (a folder re-run where files
        were deleted); returns how many were dropped."""
        with self.store.transaction() as cur:
            gone = cur.execute(
                "SELECT count(*) FROM portal_datasets WHERE portal_id = ? AND key NOT IN (SELECT unnest(?::VARCHAR[]))",
                [portal_id, list(keep)],
            ).fetchall()[0][0]
            cur.execute(
                "DELETE FROM portal_datasets WHERE portal_id = ? AND key NOT IN (SELECT unnest(?::VARCHAR[]))",
                [portal_id, list(keep)],
            )
        return int(gone)

    def repoint_report(self, old_id: str, new_id: str, score: float | None, band: str | None) -> list[str]:
        """Point the datasets that used report ``old_id`` at its re-scored ``new_id``; return the ids
        of the portals concerned (their scores follow at the next portal pass)."""
        with self.store.transaction() as cur:
            rows = cur.execute(
                "SELECT DISTINCT portal_id FROM portal_datasets WHERE report_id = ?", [old_id]
            ).fetchall()
            cur.execute(
                "UPDATE portal_datasets SET report_id = ?, score = ?, band = ? WHERE report_id = ?",
                [new_id, score, band, old_id],
            )
        return sorted(str(r[0]) for r in rows)

    def datasets(self, portal_id: str) -> list[dict[str, Any]]:
        rows = (
            self.store.cursor()
            .execute(
                """
                SELECT d.key, d.title, d.name, d.url, d.sha256, d.report_id, d.score, d.band,
                       d.metadata_json, d.extra_findings_json, r.report_json
                FROM portal_datasets d LEFT JOIN reports r ON r.id = d.report_id
                WHERE d.portal_id = ? ORDER BY d.key
                """,
                [portal_id],
            )
            .fetchall()
        )
        return [
            {
                "key": k, "title": t, "name": n, "url": u, "sha256": s, "report_id": rid, "score": sc,
                "band": b, "metadata": json.loads(m) if m != "{}" else {},
                "extra_findings": json.loads(x) if x != "[]" else [],
                "report": json.loads(rep) if rep is not None else None,
            }
            for k, t, n, u, s, rid, sc, b, m, x, rep in rows
        ]  # fmt: skip

    # -- runs -------------------------------------------------------------------------------

    def save_run(self, portal_id: str, report: dict[str, Any], clusters: Sequence[dict[str, Any]]) -> str:
        """Store a portal pass: the report (without its datasets list, which goes one row per
        dataset to ``portal_run_datasets``, so it can be paged), its clusters and the score."""
        run_id = str(report["run_id"])
        datasets = list(report.get("datasets") or [])
        summary = {k: v for k, v in report.items() if k != "datasets"}
        summary["datasets_total"] = len(datasets)
        with self.store.transaction() as cur:
            cur.execute(
                """
                INSERT INTO portal_runs (id, portal_id, created_at, scoring_version, score, band, datasets,
                                         fragmentation, report_json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    run_id, portal_id, _parse(report["created_at"]), report["scoring_version"],
                    report["score"], report["band"], len(datasets),
                    report.get("fragmentation_index"), _dumps(summary),
                ],
            )  # fmt: skip
            if datasets:
                rows = pa.table(
                    {
                        "run_id": pa.array([run_id] * len(datasets), pa.string()),
                        "ordinal": pa.array(range(len(datasets)), pa.int32()),
                        "key": pa.array([str(d["id"]) for d in datasets], pa.string()),
                        "score": pa.array([d.get("score") for d in datasets], pa.float64()),
                        "detail_json": pa.array([_dumps(d) for d in datasets], pa.string()),
                    }
                )
                _insert_rows(cur, "portal_run_datasets", rows)
            if clusters:
                table = pa.table(
                    {
                        "run_id": pa.array([run_id] * len(clusters), pa.string()),
                        "ordinal": pa.array(range(len(clusters)), pa.int32()),
                        "kind": pa.array([c["kind"] for c in clusters], pa.string()),
                        "size": pa.array([c["size"] for c in clusters], pa.int32()),
                        "datasets_json": pa.array([_dumps(c["datasets"]) for c in clusters], pa.string()),
                        "detail_json": pa.array([_dumps(c) for c in clusters], pa.string()),
                    }
                )
                _insert_rows(cur, "portal_clusters", table)
            cur.execute("UPDATE portals SET updated_at = ? WHERE id = ?", [_utcnow(), portal_id])
        return run_id

    def latest_run(self, portal_id: str) -> dict[str, Any] | None:
        """The latest run's report as stored: runs stored since migration 0008 hold no
        ``datasets`` list (page them with :meth:`run_datasets`), older runs hold every dataset."""
        rows = (
            self.store.cursor()
            .execute(
                "SELECT report_json FROM portal_runs WHERE portal_id = ? ORDER BY created_at DESC, rowid DESC"
                " LIMIT 1",
                [portal_id],
            )
            .fetchall()
        )
        return json.loads(rows[0][0]) if rows else None

    def run_datasets(self, run_id: str, limit: int | None, offset: int, order: str) -> list[dict[str, Any]]:
        """A page of a run's datasets. ``order``: ``key`` (dataset id) or ``worst`` (score
        ascending, datasets with no score first, then id)."""
        by = {"key": "ordinal", "worst": "score ASC NULLS FIRST, key, ordinal"}[order]
        rows = (
            self.store.cursor()
            .execute(
                f"SELECT detail_json FROM portal_run_datasets WHERE run_id = ? ORDER BY {by} LIMIT ? OFFSET ?",
                [run_id, limit if limit is not None else 2**62, offset],
            )
            .fetchall()
        )
        if not rows:
            return []
        return list(json.loads("[" + ",".join(r[0] for r in rows) + "]"))

    def latest_catalog_summary(self, portal_name: str) -> dict[str, Any] | None:
        """The catalog-level part (MQA value, ``duplicate-title`` findings …) of the latest finished
        catalog run that scored datasets into the portal named ``portal_name``, with its run id,
        source and end; None when no catalog run fed the portal."""
        rows = (
            self.store.cursor()
            .execute(
                "SELECT id, source, finished_at, portal_json FROM catalog_runs"
                " WHERE portal = ? AND status = 'done' AND portal_json IS NOT NULL"
                " ORDER BY finished_at DESC, created_at DESC LIMIT 1",
                [portal_name],
            )
            .fetchall()
        )
        if not rows:
            return None
        run_id, source, finished, raw = rows[0]
        catalog = (json.loads(raw) or {}).get("catalog")
        if not isinstance(catalog, dict):
            return None
        return {
            **catalog,
            "run_id": run_id,
            "source": source,
            "finished_at": finished.isoformat(timespec="seconds") + "Z" if finished else None,
        }

    def history(self, portal_id: str, limit: int = 50) -> list[tuple[str, float]]:
        rows = (
            self.store.cursor()
            .execute(
                "SELECT created_at, score FROM portal_runs WHERE portal_id = ?"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?",
                [portal_id, limit],
            )
            .fetchall()
        )
        return [(at.isoformat(timespec="seconds") + "Z", float(s)) for at, s in reversed(rows)]

    def clusters_of_run(self, run_id: str) -> list[dict[str, Any]]:
        rows = (
            self.store.cursor()
            .execute("SELECT detail_json FROM portal_clusters WHERE run_id = ? ORDER BY ordinal", [run_id])
            .fetchall()
        )
        return [json.loads(r[0]) for r in rows]

    def leaderboard(self, depth: str | None = None) -> list[dict[str, Any]]:
        """Each portal with its latest and previous run, ranked like with like: by latest score
        among the portals assessed at the same depth (``metadata-only``, ``links-checked``,
        ``content``; a run stored before depths were recorded counts as ``content``), 1 = best.
        Groups come deepest first; ``depth`` keeps one group."""
        rows = (
            self.store.cursor()
            .execute(
                """
                WITH ranked AS (
                    SELECT portal_id, score, band, datasets, created_at,
                           coalesce(json_extract_string(report_json, '$.depth.level'), 'content') AS depth,
                           row_number() OVER (PARTITION BY portal_id ORDER BY created_at DESC, rowid DESC) AS n
                    FROM portal_runs
                )
                SELECT p.id, p.name, p.kind, cur.score, cur.band, cur.datasets, cur.created_at, prev.score,
                       cur.depth
                FROM portals p
                JOIN ranked cur ON cur.portal_id = p.id AND cur.n = 1
                LEFT JOIN ranked prev ON prev.portal_id = p.id AND prev.n = 2
                WHERE ? IS NULL OR cur.depth = ?
                ORDER BY CASE cur.depth WHEN 'content' THEN 0 WHEN 'links-checked' THEN 1 ELSE 2 END,
                         cur.score DESC, p.name
                """,
                [depth, depth],
            )
            .fetchall()
        )
        out = []
        ranks: dict[str, int] = {}
        for pid, name, kind, score, band, n, at, prev, level in rows:
            ranks[level] = ranks.get(level, 0) + 1
            out.append(
                {
                    "id": pid, "name": name, "kind": kind, "score": score, "band": band, "datasets": n,
                    "depth": level, "rank": ranks[level], "previous_score": prev,
                    "scored_at": at.isoformat(timespec="seconds") + "Z",
                }
            )  # fmt: skip
        return out


def _parse(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _insert_rows(cur: Any, target: str, rows: pa.Table) -> None:
    """Insert an Arrow table into ``target`` (one of this module's own tables), column for
    column by name, in one statement."""
    view = f"odq_insert_{target}"
    columns = ", ".join(rows.column_names)
    cur.register(view, rows)
    try:
        cur.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {view}")
    finally:
        cur.unregister(view)
