"""The progress page of a large upload from the web form follows its durable score job.

The form answers at once with a progress page (``/progress/{job_id}``) that polls the job and moves
on to the report. The job is a row of ``score_jobs`` scored by the same bounded queue as
``POST /api/v1/score`` (``app.services.score_queue``), so an upload in flight when the server
crashed or restarted is scored at the next start and its progress page still reaches the report.
"""

from __future__ import annotations

from typing import Any

from app.services.score_queue import ScoreQueue, find_job
from app.storage.repository import Repository


def task_view(repo: Repository, job_id: str, queue: ScoreQueue | None = None) -> dict[str, Any] | None:
    """What the progress page shows of a score job (None when there is no such job)."""
    job = find_job(repo, job_id, queue)
    if job is None:
        return None
    report_id = job["report_id"]
    return {
        "id": job["job_id"],
        "name": job["name"],
        "bytes": job["bytes"],
        "state": job["status"],
        "elapsed": job["elapsed_seconds"],
        "report_id": report_id,
        "report_url": f"/reports/{report_id}" if report_id else None,
        "error": job["error"],
        "queue_position": job["queue_position"],
    }
