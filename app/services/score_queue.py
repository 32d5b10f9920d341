"""The durable scoring queue: fresh uploads are scored by a bounded number of workers, in
arrival order, from a job row written before any work starts.

``POST /api/v1/score`` and the web form store an upload as a blob, write a ``score_jobs`` row
(``app.storage.score_jobs``) and queue its id; a URL to score is a job too (:meth:`submit_url`:
the download happens in the worker, never in a request's thread). ``ODQ_SCORE_WORKERS`` threads
take the ids first in, first out and score each blob (in a parsing worker process when parsing
is isolated). The request waits a bounded time for the result (:meth:`ScoreQueue.wait`, an
asyncio wait that holds no thread) and otherwise answers 202 with the job. At most
``ODQ_SCORE_QUEUE_MAX`` jobs wait for a worker: one more is refused at once (503 ``queue-full``
with Retry-After), never left hanging. No request scores or downloads in its own thread, so the
server's thread pool never fills with scoring work.

A client that leaves does not cancel its job (the report is stored for its next ask); each job
is bounded by the worker limits (ODQ_WORKER_CPU_SECONDS, ODQ_WORKER_TIMEOUT_S) and a download by
ODQ_FETCH_DEADLINE. At shutdown the workers stop taking jobs and the server waits up to
ODQ_SHUTDOWN_SECONDS for those running; what is left is ended with the process and resumed at the
next start.

At start-up (:meth:`ScoreQueue.start`) the jobs a crash or a shutdown left queued or running are
queued again, oldest first, and scored from their blobs. A stored report is keyed by the bytes,
the scoring version and the options, so a job scored a second time after a crash still ends
with the one report: every job finishes exactly once, with one report.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.errors import AppError, NotFound
from app.ingest.blobs import Blob
from app.ingest.sandbox import default_workers, limits_from
from app.services import expectations as declared
from app.services import scoring
from app.services.scoring import Scored
from app.services.uploads import Ownership, claim
from app.services.urls import score_url
from app.settings import Settings
from app.storage.repository import Repository
from app.storage.score_jobs import ScoreJobs

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
"""Starts of one job (crashes included) before it is marked failed instead of tried again."""
KEEP_OUTCOMES = 1000
"""Outcomes of finished jobs kept in memory for requests that ask after them."""


class QueueFull(AppError):
    status = 503
    code = "queue-full"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after_seconds=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


INTERNAL_ERROR = "ODQ failed on this file; the error is logged."
"""A job's error when scoring raised unexpectedly (the details go to the log only)."""


class ScoringFailed(AppError):
    """The job of the request failed: 500 internal-error (its reason is the job's error)."""

    status = 500
    code = "internal-error"


class JobRefused(AppError):
    """The job of the request was refused for what the request asked (a URL the guard refuses in
    the worker, a robots.txt that forbids it): its 4xx status and code."""

    def __init__(self, message: str, status: int, code: str) -> None:
        super().__init__(message, code=code)
        self.status = status


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # done | failed
    report_id: str | None = None
    cached: bool = False
    error: str | None = None
    report: dict[str, Any] | None = None
    """The report itself, handed to the requests waiting when the job finished (not kept). A URL
    whose download failed has a report (score 0, ``download-failed``) that is not stored: its job
    is failed, but its waiters get that report."""
    http_status: int | None = None
    """A job refused for its request (a URL the guard refuses): the 4xx status to answer."""
    code: str | None = None
    """The stable error code of that refusal."""


After = Callable[[Scored], None]


class ScoreQueue:
    """Bounded FIFO of score jobs and the worker threads that run them (one per process: the
    server is the database's only writer)."""

    def __init__(self, repo: Repository, settings: Settings, metrics: Any = None) -> None:
        self.repo = repo
        self.settings = settings
        self.metrics = metrics
        """The app's ``app.observability.Metrics``: the files the workers score are counted there."""
        self.jobs = ScoreJobs(repo.store)
        self.workers = settings.score_workers or default_workers()
        self.max_queued = settings.score_queue_max
        self._queue: deque[str] = deque()
        self._reserved = 0
        self._running: set[str] = set()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[Outcome]]]] = {}
        self._outcomes: OrderedDict[str, Outcome] = OrderedDict()
        self._after: dict[str, After] = {}
        self._same: dict[str, dict[str, Any]] = {}
        """Unfinished jobs by ``same`` key (bytes and options): an identical upload joins the job."""
        self._keys: dict[str, str] = {}
        self._submit = threading.Lock()
        self._contexts: dict[str, contextvars.Context] = {}
        """The context of the request that submitted a job (its request id in the job's logs)."""
        self._seconds: deque[float] = deque(maxlen=50)

    # -- lifetime ------------------------------------------------------------------------------

    def start(self) -> list[str]:
        """Queue again the jobs left unfinished (oldest first), start the workers; returns the ids
        resumed."""
        resumed = [job["id"] for job in self.jobs.requeue_unfinished()]
        if resumed:
            log.info("resuming %d unfinished score jobs", len(resumed))
        with self._cond:
            self._queue.extend(resumed)
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"odq-score-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return resumed

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs and wait (up to ``timeout``) for those running; what is left is resumed
        at the next start."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- submitting and waiting ----------------------------------------------------------------

    def submit(
        self,
        blob: Blob,
        name: str,
        *,
        origin: str,
        options: dict[str, Any] | None = None,
        after: After | None = None,
        same: str | None = None,
    ) -> dict[str, Any]:
        """Write the job row and queue it; returns the job. ``after(scored)`` runs in the worker
        once the report is stored (not durable: a resumed job skips it). An upload with the
        ``same`` key (its bytes and scoring options) as a job not yet finished joins that job
        instead: one scoring, one report. Raises :class:`QueueFull` when ``ODQ_SCORE_QUEUE_MAX``
        jobs already wait."""
        with self._submit:
            if same is not None:
                with self._cond:
                    joined = self._same.get(same)
                if joined is not None:
                    return joined
            job = self._create(blob, name, origin, options, after)
            if same is not None:
                with self._cond:
                    if job["id"] in self._queue or job["id"] in self._running:
                        self._same[same] = job
                        self._keys[job["id"]] = same
            return job

    def submit_url(
        self,
        url: str,
        name: str,
        *,
        origin: str,
        options: dict[str, Any] | None = None,
        after: After | None = None,
    ) -> dict[str, Any]:
        """Queue the download and scoring of ``url`` (already checked by ``check_url``) as a job;
        the same URL while its job is unfinished joins that job. Raises :class:`QueueFull`."""
        owner = Ownership.from_option((options or {}).get("owner"))
        same = f"url {url} {(options or {}).get('portal') or ''} {owner.token_sha256 if owner else ''}"
        with self._submit:
            with self._cond:
                joined = self._same.get(same)
            if joined is not None:
                return joined
            job = self._create(None, name, origin, {**(options or {}), "url": url}, after)
            with self._cond:
                if job["id"] in self._queue or job["id"] in self._running:
                    self._same[same] = job
                    self._keys[job["id"]] = same
            return job

    def _create(
        self, blob: Blob | None, name: str, origin: str, options: dict[str, Any] | None, after: After | None
    ) -> dict[str, Any]:
        with self._cond:
            if len(self._queue) + self._reserved >= self.max_queued:
                retry = self.retry_after()
                raise QueueFull(
                    f"{self.max_queued} uploads are already waiting to be scored; send this one again in "
                    f"{retry} s (Retry-After).",
                    retry,
                )
            self._reserved += 1
        try:
            job = self.jobs.create(
                origin=origin,
                sha256=blob.sha256 if blob is not None else "",
                name=name,
                size=blob.size if blob is not None else 0,
                blob_path=str(blob.path) if blob is not None else "",
                options=options,
            )
        except BaseException:
            with self._cond:
                self._reserved -= 1
            raise
        with self._cond:
            self._reserved -= 1
            if after is not None:
                self._after[job["id"]] = after
            self._contexts[job["id"]] = contextvars.copy_context()
            self._queue.append(job["id"])
            self._cond.notify()
        return job

    async def wait(self, job_id: str, timeout: float) -> Outcome | None:
        """The job's outcome once it has finished, or None when ``timeout`` seconds pass first."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        with self._cond:
            known = self._outcomes.get(job_id)
            if known is None:
                self._waiters.setdefault(job_id, []).append((loop, future))
        if known is not None:
            return known
        try:
            return await asyncio.wait_for(future, timeout) if timeout > 0 else None
        except TimeoutError:
            return None
        finally:
            with self._cond:
                waiting = self._waiters.get(job_id, [])
                with contextlib.suppress(ValueError):
                    waiting.remove((loop, future))
                if not waiting:
                    self._waiters.pop(job_id, None)

    def retry_after(self) -> int:
        """Seconds until a worker is likely free: the queue ahead times the recent mean job time."""
        mean = sum(self._seconds) / len(self._seconds) if self._seconds else 1.0
        ahead = len(self._queue) + len(self._running)
        return max(1, min(300, math.ceil(ahead * mean / max(1, self.workers))))

    def position(self, job_id: str) -> int | None:
        """1 for the next job to start, None when the job is not waiting."""
        with self._cond:
            try:
                return self._queue.index(job_id) + 1
            except ValueError:
                return None

    def depth(self) -> int:
        with self._cond:
            return len(self._queue)

    # -- the workers ---------------------------------------------------------------------------

    def _work(self) -> None:
        from app.observability import bind_metrics

        bind_metrics(self.metrics)
        while True:
            with self._cond:
                while not self._queue and not self._stop.is_set():
                    self._cond.wait()
                if self._stop.is_set():
                    return
                job_id = self._queue.popleft()
                self._running.add(job_id)
                after = self._after.pop(job_id, None)
                context = self._contexts.pop(job_id, None)
            started = time.monotonic()
            try:
                if context is not None:
                    context.run(bind_metrics, self.metrics)  # also when the request has ended
                    outcome = context.run(self._run, job_id, after)
                else:
                    outcome = self._run(job_id, after)
            except Exception:
                if self._stop.is_set():  # the store closed under a job at shutdown: resumed at the next start
                    log.warning(
                        "score job %s interrupted; it resumes at the next start", job_id, exc_info=True
                    )
                    outcome = None
                else:  # the store failed outside a shutdown: fail the job now, so no one waits for it
                    log.exception("score job %s could not be run", job_id)
                    outcome = Outcome("failed", error=INTERNAL_ERROR)
                    with contextlib.suppress(Exception):  # else it is resumed at the next start
                        self._fail(job_id, INTERNAL_ERROR)
            finally:
                with self._cond:
                    self._running.discard(job_id)
                    key = self._keys.pop(job_id, None)
                    if key is not None:
                        self._same.pop(key, None)
            self._seconds.append(time.monotonic() - started)
            if outcome is not None:
                self._publish(job_id, outcome)

    def _run(self, job_id: str, after: After | None) -> Outcome | None:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        if job["status"] in ("done", "failed"):  # queued twice: already finished
            return Outcome(job["status"], job["report_id"], error=job["error"])
        attempts = self.jobs.start(job_id)
        if attempts > MAX_ATTEMPTS:
            return self._fail(job_id, f"scoring was interrupted {attempts - 1} times; the job is given up")
        if job["options"].get("url"):
            return self._run_url(job_id, job, after)
        path = Path(job["blob_path"])
        if not path.is_file():
            return self._fail(job_id, "the uploaded file is no longer in the blob store")
        options = job["options"]
        try:
            suite, schema = declared.read_upload_fields(
                options.get("fields") or {}, job["name"], declared.DeclaredLimits.of(self.settings)
            )
            scored = scoring.score_blob(
                Blob(job["sha256"], int(job["bytes"]), path),
                job["name"],
                self.repo,
                None,
                bool(options.get("store_rows", self.settings.store_rows)),
                limits=limits_from(self.settings),
                suite=suite,
                schema=schema,
            )
            scored = _claimed(self.repo, scored, job["name"], options)
            if options.get("portal"):
                from app.services.portals import add_report

                add_report(self.repo, str(options["portal"]), scored.report, job["name"])
        except AppError as exc:
            return self._fail(job_id, exc.message, exc)
        except Exception as exc:
            if self._stop.is_set():
                raise
            log.exception("score job %s failed: %s", job_id, exc)
            return self._fail(job_id, INTERNAL_ERROR)
        return self._done(job_id, scored, after)

    def _run_url(self, job_id: str, job: dict[str, Any], after: After | None) -> Outcome:
        """Download the job's URL (guarded, within ODQ_FETCH_DEADLINE) and score it."""
        options = job["options"]
        url = str(options["url"])
        try:
            scored = score_url(url, self.settings, self.repo, limits=limits_from(self.settings))
            scored = _claimed(self.repo, scored, str(scored.report["source"].get("name") or url), options)
            if options.get("portal"):
                from app.services.portals import add_report

                name = str(scored.report["source"].get("name") or url)
                add_report(self.repo, str(options["portal"]), scored.report, name, url)
        except AppError as exc:
            return self._fail(job_id, exc.message, exc)
        except Exception as exc:
            if self._stop.is_set():
                raise
            log.exception("score job %s (a URL) failed: %s", job_id, exc)
            return self._fail(job_id, INTERNAL_ERROR)
        if not scored.stored:  # the download failed: a report of score 0, not stored
            source = scored.report.get("source") or {}
            error = f"download-failed: {source.get('error_code') or 'no content'}"
            if options.get("portal"):  # kept in the portal's datasets: the job is done
                self.jobs.finish(job_id, "done", str(scored.report["id"]))
                return Outcome("done", str(scored.report["id"]), report=scored.report)
            self.jobs.finish(job_id, "failed", error=error)
            return Outcome("failed", error=error, report=scored.report)
        return self._done(job_id, scored, after)

    def _done(self, job_id: str, scored: Scored, after: After | None) -> Outcome:
        report_id = str(scored.report["id"])
        self.jobs.finish(job_id, "done", report_id)
        if after is not None:
            try:
                after(scored)
            except Exception:  # a follow-up (a preview read) never fails the job
                log.exception("after score job %s", job_id)
        return Outcome("done", report_id, cached=scored.cached, report=scored.report)

    def _fail(self, job_id: str, error: str, exc: AppError | None = None) -> Outcome:
        self.jobs.finish(job_id, "failed", error=error)
        if exc is not None and 400 <= exc.status < 500:
            return Outcome("failed", error=error, http_status=exc.status, code=exc.code)
        return Outcome("failed", error=error)

    def _publish(self, job_id: str, outcome: Outcome) -> None:
        with self._cond:
            self._outcomes[job_id] = replace(outcome, report=None)
            while len(self._outcomes) > KEEP_OUTCOMES:
                self._outcomes.popitem(last=False)
            waiting = self._waiters.pop(job_id, [])
        for loop, future in waiting:
            with contextlib.suppress(RuntimeError):  # that request's event loop has closed
                loop.call_soon_threadsafe(_resolve, future, outcome)


def _claimed(repo: Repository, scored: Scored, name: str, options: dict[str, Any]) -> Scored:
    """The stored report made the uploader's own when the job carries an owner (see uploads)."""
    owner = Ownership.from_option(options.get("owner"))
    if owner is None or not scored.stored:
        return scored
    return Scored(claim(repo, scored.report, name, scored.cached, owner), stored=True, cached=scored.cached)


def _resolve(future: asyncio.Future[Outcome], outcome: Outcome) -> None:
    if not future.done():
        future.set_result(outcome)


# -- job status (GET /api/v1/jobs/{id}) ---------------------------------------------------------


def find_job(repo: Repository, job_id: str, queue: ScoreQueue | None = None) -> dict[str, Any] | None:
    """The status document of a score job, or None when ``job_id`` is no score job."""
    job = ScoreJobs(repo.store).get(job_id)
    if job is None:
        return None
    report_id = job["report_id"]
    now = time.time()
    created, started, finished = job["created_at"], job["started_at"], job["finished_at"]
    return {
        "job_id": job_id,
        "id": job_id,
        "kind": "score",
        "status": job["status"],
        "name": job["name"],
        "bytes": job["bytes"],
        "sha256": job["sha256"],
        "origin": job["origin"],
        "report_id": report_id,
        "report_url": f"/api/v1/reports/{report_id}" if report_id else None,
        "error": job["error"],
        "attempts": job["attempts"],
        "queue_position": queue.position(job_id) if queue is not None and job["status"] == "queued" else None,
        "elapsed_seconds": _elapsed(started or created, finished, now),
        "created_at": _iso(created),
        "started_at": _iso(started),
        "finished_at": _iso(finished),
    }


def job_status(repo: Repository, job_id: str, queue: ScoreQueue | None = None) -> dict[str, Any]:
    found = find_job(repo, job_id, queue)
    if found is None:
        raise NotFound(f"No job with id {job_id!r}.", code="job-not-found")
    return found


def jobs_by_status(repo: Repository) -> dict[str, int]:
    """Score jobs by state, for /metrics."""
    return ScoreJobs(repo.store).by_status()


def _elapsed(start: Any, end: Any, now: float) -> float:
    from datetime import UTC

    if start is None:
        return 0.0
    stop = end.replace(tzinfo=UTC).timestamp() if end is not None else now
    return round(max(0.0, stop - start.replace(tzinfo=UTC).timestamp()), 1)


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"
