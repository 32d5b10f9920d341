"""All SQL of scoring jobs (table ``score_jobs``): one row per fresh upload, written before it is
scored, so a job a crash interrupted is scored again from its blob at the next start."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from app.storage.store import Store

UNFINISHED = ("queued", "running")

_COLUMNS = (
    "id",
    "seq",
    "status",
    "origin",
    "sha256",
    "name",
    "bytes",
    "blob_path",
    "options_json",
    "report_id",
    "error",
    "attempts",
    "created_at",
    "started_at",
    "finished_at",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM score_jobs"


class ScoreJobs:
    """Typed access to score_jobs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self,
        *,
        origin: str,
        sha256: str,
        name: str,
        size: int,
        blob_path: str,
        options: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new queued job (its row is committed when this returns)."""
        job_id = uuid.uuid4().hex
        with self.store.transaction() as cur:
            # The next seq under the write lock (no SEQUENCE: EXPORT/IMPORT DATABASE would not keep it).
            cur.execute(
                """
                INSERT INTO score_jobs (id, seq, status, origin, sha256, name, bytes, blob_path, options_json,
                                        created_at)
                SELECT ?, coalesce(max(seq), 0) + 1, 'queued', ?, ?, ?, ?, ?, ?, ? FROM score_jobs
                """,
                [job_id, origin, sha256, name, size, blob_path, json.dumps(dict(options or {})), utcnow()],
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def start(self, job_id: str) -> int:
        """Mark a job running (one more attempt); returns its number of attempts so far."""
        with self.store.transaction() as cur:
            rows = cur.execute(
                "UPDATE score_jobs SET status = 'running', started_at = ?, attempts = attempts + 1 "
                "WHERE id = ? RETURNING attempts",
                [utcnow(), job_id],
            ).fetchall()
        return int(rows[0][0]) if rows else 0

    def finish(
        self, job_id: str, status: str, report_id: str | None = None, error: str | None = None
    ) -> None:
        if status not in ("done", "failed"):
            raise ValueError(f"not a final job state: {status!r}")
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE score_jobs SET status = ?, report_id = ?, error = ?, finished_at = ? WHERE id = ?",
                [status, report_id, error, utcnow(), job_id],
            )

    def requeue_unfinished(self) -> list[dict[str, Any]]:
        """Jobs a crash or a shutdown left queued or running, set back to queued, in FIFO order."""
        with self.store.transaction() as cur:
            cur.execute("UPDATE score_jobs SET status = 'queued' WHERE status = 'running'")
        rows = self.store.cursor().execute(f"{_SELECT} WHERE status = 'queued' ORDER BY seq").fetchall()
        return [_job_dict(r) for r in rows]

    def get(self, job_id: str) -> dict[str, Any] | None:
        rows = self.store.cursor().execute(f"{_SELECT} WHERE id = ?", [job_id]).fetchall()
        return _job_dict(rows[0]) if rows else None

    def by_status(self) -> dict[str, int]:
        """How many score jobs are in each state (for /metrics)."""
        rows = (
            self.store.cursor().execute("SELECT status, count(*) FROM score_jobs GROUP BY status").fetchall()
        )
        return {str(status): int(n) for status, n in rows}


def _job_dict(row: Sequence[Any]) -> dict[str, Any]:
    job = dict(zip(_COLUMNS, row, strict=True))
    job["options"] = json.loads(job.pop("options_json") or "{}")
    return job


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
