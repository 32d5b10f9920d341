"""Use-case: score a whole catalog, durably.

A run is harvested into rows first (``catalog_items``, one per dataset, with its record), then the
pending rows are sent to an executor (inline, process pool, Dask) and every result comes back to
this process, the single writer, which stores it in one transaction with the item's new status.
A run killed at any point is resumed by :func:`resume_unfinished` (the CLI and the server both call
it): the harvest is repeated only if it had not finished (new keys only), and only pending items
are scored — nothing twice, nothing lost. One dataset that fails never stops the run.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.catalogs.common import declared_rows
from app.errors import AppError, BadRequest, NotFound
from app.ingest.fetch import FetchError, check_url, is_url
from app.jobs.executors import EXECUTORS, ExecutorUnavailable, ThreadExecutor, default_workers, make_executor
from app.jobs.work import (
    WorkerConfig,
    WorkResult,
    WorkSpec,
    choose_distribution,
    compact_metadata,
    fetched_url,
    field_names,
    prefetch,
    process_item,
    resolve_link,
)
from app.settings import Settings
from app.storage.catalogs import CatalogRuns, ItemResult, utcnow
from app.storage.repository import Repository
from scoring import band_for

log = logging.getLogger(__name__)

KINDS = ("auto", "ckan", "dcat", "datajson", "socrata", "ods", "manifest", "dir")
HARVEST_BATCH = 1000
WRITE_BATCH_SECONDS = 0.5  # results are stored at least this often (and at most 200 per transaction)
WRITE_BATCH_MAX = 200
REPORT_BATCH_MAX = 5  # … and as soon as this many carry a report (a crash redoes at most these)
SIGNATURE_BATCH_SECONDS = 5.0  # signatures (recomputable from the blobs) are written in larger batches
SIGNATURE_BATCH_MAX = 100
RATE_WINDOW = timedelta(minutes=5)

Progress = Callable[[dict[str, Any]], None]


RUN_RETRY_AFTER = 60  # seconds a caller over a run quota is asked to wait (Retry-After)


class CatalogError(BadRequest):
    code = "catalog-error"


class TooManyRuns(AppError):
    """429: this key already has ``ODQ_CATALOG_RUNS_PER_KEY`` runs going."""

    status = 429
    code = "too-many-runs"

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after_seconds=RUN_RETRY_AFTER)
        self.headers = {"Retry-After": str(RUN_RETRY_AFTER)}


class RunsFull(AppError):
    """503: the server already runs ``ODQ_CATALOG_RUNS_MAX`` catalog runs."""

    status = 503
    code = "runs-full"

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after_seconds=RUN_RETRY_AFTER)
        self.headers = {"Retry-After": str(RUN_RETRY_AFTER)}


def run_catalog(
    repo: Repository,
    settings: Settings,
    source: str,
    *,
    kind: str = "auto",
    portal: str | None = None,
    executor: str = "inline",
    workers: int | None = None,
    scheduler: str | None = None,
    metadata_only: bool = False,
    check_links: bool = True,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Harvest ``source``, score every dataset, store everything; return the run summary. The
    caller is the operator (the CLI): local sources are accepted."""
    run_id = create_run(
        repo,
        source,
        kind=kind,
        portal=portal,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        metadata_only=metadata_only,
        check_links=check_links,
        operator=True,
        settings=settings,
    )
    return execute_run(repo, settings, run_id, progress=progress, stop=stop)


def create_run(
    repo: Repository,
    source: str,
    *,
    kind: str = "auto",
    portal: str | None = None,
    executor: str = "inline",
    workers: int | None = None,
    scheduler: str | None = None,
    metadata_only: bool = False,
    check_links: bool = True,
    operator: bool = False,
    settings: Settings | None = None,
) -> str:
    """Record a new run (status queued) and return its id; nothing is fetched yet. A metadata-only
    run HEADs each dataset's link unless ``check_links`` is false (then no request per dataset).

    ``source`` must be an http(s) URL the guard would fetch, unless ``operator`` (the CLI or the
    administrator's key): only the operator may name a local folder or file. With ``settings``,
    ``workers`` is checked against ``ODQ_CATALOG_WORKERS`` (the most anyone but the operator may
    ask for) and ``ODQ_CATALOG_WORKERS_MAX`` (the most anyone may)."""
    if kind not in KINDS:
        raise BadRequest(f"Unknown kind {kind!r}: choose one of {', '.join(KINDS)}.", code="invalid-kind")
    if executor not in EXECUTORS:
        raise BadRequest(
            f"Unknown executor {executor!r}: choose one of {', '.join(EXECUTORS)}.", code="invalid-executor"
        )
    if not source or not source.strip():
        raise BadRequest("No catalog source given.", code="missing-source")
    if workers is not None and workers < 1:
        raise BadRequest("workers must be at least 1.", code="invalid-workers")
    check_source(source, operator=operator, allow=settings.fetch_allow if settings is not None else "")
    if settings is not None and workers is not None:
        most = settings.catalog_workers_max if operator else settings.catalog_workers
        if workers > most:
            who = "" if operator else " without the administrator's key (ODQ_CATALOG_WORKERS)"
            limit = " (ODQ_CATALOG_WORKERS_MAX)" if operator else ""
            raise BadRequest(
                f"A catalog run may use at most {most} workers{who}{limit}; ask for {most} or fewer.",
                code="too-many-workers",
            )
    return CatalogRuns(repo.store).create_run(
        source.strip(),
        kind,
        portal=portal,
        executor=executor,
        metadata_only=metadata_only,
        options={"workers": workers, "scheduler": scheduler, "check_links": check_links},
    )


def check_source(source: str, *, operator: bool, allow: str = "") -> None:
    """Raise ``invalid-source`` (400) unless ``source`` is an http(s) URL the guard accepts (its
    syntax and host: a special-use name or a host that is no host name is refused here, before
    any run exists), or a local path given by the operator. ``HTTPS://../../srv`` is a URL with
    the host ``..``, never a folder."""
    from app.ingest.fetch import Allowlist

    source = source.strip()
    if is_url(source):
        try:
            check_url(source, Allowlist(allow))
        except FetchError as exc:
            raise BadRequest(exc.message, code="invalid-source") from exc
        return
    if not operator:
        # A local path would read the server's own files: only the operator may do that.
        raise BadRequest("The source must be an http(s) URL.", code="invalid-source")


def local_root(source: str) -> str | None:
    """The folder a local source's links may name files in (the folder itself, or the folder of
    a manifest or catalog file), resolved; None for a URL source (its links must be URLs)."""
    if is_url(source):
        return None
    path = Path(source.strip()).resolve()
    return str(path if path.is_dir() else path.parent)


def workers_for(settings: Settings, asked: int | None) -> int:
    """Worker processes of a run: what it asked for (checked when the run was created), else
    one per core up to ``ODQ_CATALOG_WORKERS``; never above ``ODQ_CATALOG_WORKERS_MAX``."""
    if asked is None:
        return max(1, min(default_workers(), settings.catalog_workers, settings.catalog_workers_max))
    return max(1, min(asked, settings.catalog_workers_max))


def execute_run(
    repo: Repository,
    settings: Settings,
    run_id: str,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Run (or resume) ``run_id`` to the end: harvest if not complete, score pending items,
    portal pass. Returns the summary (also what ``GET /api/v1/jobs/{id}`` shows)."""
    runs = CatalogRuns(repo.store)
    run = runs.get_run(run_id)
    if run is None:
        raise NotFound(f"No job with id {run_id!r}.", code="job-not-found")
    try:
        tally = None
        if run["total"] is None:
            tally = _harvest(runs, settings, run)
            run = runs.get_run(run_id) or run
        runs.mark_started(run_id)
        _score_pending(repo, runs, settings, run, progress, stop)
        if stop is not None and stop.is_set():
            return job_status(repo, run_id)  # left running: resumed at the next start
        catalog = _catalog_summary(runs, run, tally)
        summary = {"catalog": catalog, "portal": _portal_pass(repo, runs, run, catalog)}
        runs.update_run(run_id, status="done", finished_at=utcnow(), portal_json=summary)
    except (CatalogError, ExecutorUnavailable) as exc:
        runs.update_run(run_id, status="failed", error=str(exc), finished_at=utcnow())
        raise
    except Exception as exc:
        if repo.store.closed:
            raise
        log.exception("catalog run %s failed", run_id)
        runs.update_run(run_id, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=utcnow())
        raise
    return job_status(repo, run_id)


def resume_unfinished(
    repo: Repository,
    settings: Settings,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """Finish every run a crash or a shutdown left unfinished; returns their summaries."""
    out = []
    for run in CatalogRuns(repo.store).unfinished_runs():
        if stop is not None and stop.is_set():
            break
        try:
            out.append(execute_run(repo, settings, run["id"], progress=progress, stop=stop))
        except Exception as exc:  # a run that cannot finish is marked failed; the others go on
            log.warning("resuming run %s failed: %s", run["id"], exc)
            out.append(job_status(repo, run["id"]))
    return out


def job_status(repo: Repository, run_id: str) -> dict[str, Any]:
    """A run with its counts, rate (datasets per minute) and ETA (seconds)."""
    runs = CatalogRuns(repo.store)
    run = runs.get_run(run_id)
    if run is None:
        raise NotFound(f"No job with id {run_id!r}.", code="job-not-found")
    counts = runs.counts(run_id)
    finished = counts["done"] + counts["failed"]
    total = run["total"] if run["total"] is not None else counts["harvested"]
    rate = None
    eta = None
    started = run["started_at"]
    if started is not None:
        now = utcnow() if run["finished_at"] is None else run["finished_at"]
        window_start = max(started, now - RATE_WINDOW)
        elapsed = (now - window_start).total_seconds()
        recent = runs.finished_since(run_id, window_start) if run["finished_at"] is None else finished
        if run["finished_at"] is not None:
            elapsed = (now - started).total_seconds()
        if elapsed > 0 and recent:
            rate = round(recent / elapsed * 60.0, 2)
            remaining = max(0, (total or 0) - finished)
            eta = round(remaining / (recent / elapsed), 1) if run["status"] != "done" else 0.0
    return {
        "job_id": run_id,
        "id": run_id,
        "kind": "catalog",
        "status": run["status"],
        "source": run["source"],
        "catalog_kind": run["kind"],
        "portal": run["portal"],
        "executor": run["executor"],
        "metadata_only": run["metadata_only"],
        "error": run["error"],
        "counts": {"total": total, **counts, "finished": finished},
        "rate_per_minute": rate,
        "eta_seconds": eta,
        "created_at": _iso(run["created_at"]),
        "started_at": _iso(run["started_at"]),
        "finished_at": _iso(run["finished_at"]),
        "portal_pass": (run["portal_summary"] or {}).get("portal"),
        "catalog": (run["portal_summary"] or {}).get("catalog"),
    }


def run_items(repo: Repository, run_id: str) -> list[dict[str, Any]]:
    """The datasets of a run with their outcome (record left out)."""
    if CatalogRuns(repo.store).get_run(run_id) is None:
        raise NotFound(f"No job with id {run_id!r}.", code="job-not-found")
    items = CatalogRuns(repo.store).items(run_id)
    for item in items:
        item.pop("record", None)
    return items


# -- background runs (the API) ------------------------------------------------------------------


class BackgroundRuns:
    """Runs catalog jobs in threads of the server process (the server is the only writer). On
    shutdown :meth:`stop` asks them to stop between datasets; what is left is resumed at the
    next start (:meth:`resume`)."""

    def __init__(self, repo: Repository, settings: Settings) -> None:
        self.repo = repo
        self.settings = settings
        self.stop_event = threading.Event()
        self._threads: dict[str, threading.Thread] = {}
        self._owners: dict[str, str] = {}  # run id → the key that started it
        self._lock = threading.Lock()

    def submit(self, owner: str, create: Callable[[], str]) -> str:
        """Create a run with ``create()`` and start it, unless the quotas are full: the server
        already runs ``ODQ_CATALOG_RUNS_MAX`` (503 ``runs-full``) or ``owner`` (a key id) has
        ``ODQ_CATALOG_RUNS_PER_KEY`` going (429 ``too-many-runs``); both with Retry-After. Nothing
        is created when refused."""
        with self._lock:
            alive = [k for k, t in self._threads.items() if t.is_alive()]
            most = self.settings.catalog_runs_max
            if len(alive) >= most:
                raise RunsFull(
                    f"The server already runs {most} catalog runs (ODQ_CATALOG_RUNS_MAX); try again "
                    f"in {RUN_RETRY_AFTER} s (Retry-After)."
                )
            per_key = self.settings.catalog_runs_per_key
            if sum(1 for k in alive if self._owners.get(k) == owner) >= per_key:
                raise TooManyRuns(
                    f"This key already has {per_key} catalog runs going (ODQ_CATALOG_RUNS_PER_KEY); "
                    f"follow them at GET /api/v1/jobs/{{id}} and start another when one has finished."
                )
            run_id = create()
            self._owners[run_id] = owner
            self._start(run_id)
        return run_id

    def start(self, run_id: str) -> None:
        with self._lock:
            self._start(run_id)

    def _start(self, run_id: str) -> None:
        if run_id in self._threads and self._threads[run_id].is_alive():
            return
        thread = threading.Thread(target=self._run, args=(run_id,), name=f"odq-run-{run_id[:8]}", daemon=True)
        self._threads[run_id] = thread
        thread.start()

    def resume(self) -> list[str]:
        ids = [r["id"] for r in CatalogRuns(self.repo.store).unfinished_runs()]
        for run_id in ids:
            self.start(run_id)
        return ids

    def _run(self, run_id: str) -> None:
        try:
            execute_run(self.repo, self.settings, run_id, stop=self.stop_event)
        except Exception as exc:
            if not self.stop_event.is_set():
                log.warning("catalog run %s ended with an error: %s", run_id, exc)

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))

    def running(self) -> list[str]:
        return [k for k, t in self._threads.items() if t.is_alive()]


# -- internals ----------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Tally:
    """The catalog summary's inputs, gathered while a metadata-only harvest measures its records:
    per indicator (``INDICATORS`` order) the units meeting it and the units measured, and each
    dataset's key and title. Only used when this harvest stored every item of the run itself."""

    met: list[int]
    units: list[int]
    titles: list[tuple[str, str | None]] = dataclasses.field(default_factory=list)
    complete: bool = True


def _harvest(runs: CatalogRuns, settings: Settings, run: dict[str, Any]) -> _Tally | None:
    """Write every harvested record as a pending item (idempotent: a re-harvest adds new keys only).
    A metadata-only harvest returns what the catalog summary needs."""
    run_id, source = run["id"], run["source"]
    runs.update_run(run_id, status="harvesting")
    records, kind = _records(settings, source, run["kind"])
    runs.update_run(run_id, kind=kind)
    # Metadata-only needs no download: each record is measured here and stored finished, in
    # batches (a crash re-harvests; stored keys are kept). Without link checks records are
    # measured as the pages arrive; with them, once the harvest is whole, a batch at a time: its
    # links HEADed through one fetcher (per-host limits hold), each distinct URL once per run (a
    # large run's next batch is HEADed from a helper process while this one is measured), each
    # record measured by process_item, the batch stored, so a long, politely rate-limited run
    # shows its progress and a crash loses at most one batch of link checks.
    measure = bool(run["metadata_only"])
    link_checks = measure and bool((run["options"] or {}).get("check_links", True))
    tally = None
    fresh = runs.counts(run_id)["harvested"] == 0  # else a resumed harvest: the summary reads the store
    if measure:
        from profilers.metadata import INDICATORS

        tally = _Tally([0] * len(INDICATORS), [0] * len(INDICATORS), complete=fresh)
    # Records are stored only once the harvest has finished: a harvest that fails half-way
    # stores nothing.
    try:
        batches = _batches(
            records, run["created_at"].date(), tally, hold=link_checks, root=local_root(source)
        )
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()  # an error on our side: the harvest (and its fetcher) ends now
    stored = set() if fresh else runs.item_keys(run_id)
    linker = _Linker(settings, run, sum(len(b[2]) for b in batches)) if link_checks else None
    try:
        specs = None
        for n, (batch, done, held) in enumerate(batches):
            if linker is not None and tally is not None:
                new = [i for i, item in enumerate(batch) if item[1] not in stored]  # not checked again
                batch = [batch[i] for i in new]
                specs = linker.specs([held[i] for i in new]) if specs is None else specs
                following = None
                if n + 1 < len(batches):  # the next batch's links are checked while this one is measured
                    following = linker.specs([h for h in batches[n + 1][2] if h[0] not in stored])
                    linker.ahead(following)
                done = linker.measure(specs, tally)
                specs = following
            inserted = runs.add_items(run_id, batch, done if measure else None)
            if tally is not None and inserted != len(batch):
                tally.complete = False
    finally:
        if linker is not None:
            linker.close()
    runs.update_run(run_id, total=runs.counts(run_id)["harvested"])
    return tally if tally is not None and tally.complete else None


_Batch = tuple[list[tuple[int, str, str | None, dict[str, Any]]], list[ItemResult], list[tuple[str, Any]]]


def _batches(
    records: Iterator[Any],
    reference: Any,
    tally: _Tally | None,
    hold: bool = False,
    root: str | None = None,
) -> list[_Batch]:
    """The harvested records as items to store, in batches: with ``tally`` (metadata-only) each
    is measured now and comes with its result, or with ``hold`` (link checks to come) is held
    with its record for ``_Linker.measure``; else each is pending. ``root``: the folder of a
    local source (see :func:`local_root`)."""
    seen: dict[str, int] = {}
    batches: list[_Batch] = []
    batch: list[tuple[int, str, str | None, dict[str, Any]]] = []
    done: list[ItemResult] = []
    held: list[tuple[str, Any]] = []
    for ordinal, record in enumerate(records, start=1):
        key = str(getattr(record, "id", None) or f"dataset-{ordinal}")
        # Catalogs repeat ids now and then: the n-th repeat gets "#n", the same on every harvest.
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n:
            key = f"{key}#{n + 1}"
        if tally is not None:
            batch.append((ordinal, key, record.title, _record_summary(record)))
            if hold:
                held.append((key, record))
            else:
                done.append(_measure_metadata(key, record, reference, tally, root))
            tally.titles.append((key, record.title))
        else:
            batch.append((ordinal, key, record.title, record_to_dict(record)))
        if len(batch) >= HARVEST_BATCH:
            batches.append((batch, done, held))
            batch, done, held = [], [], []
    batches.append((batch, done, held))
    return batches


class _Linker:
    """Link checks of a metadata-only harvest: each batch's chosen links HEADed by a
    :class:`~app.jobs.links.LinkChecker` (each distinct URL once per run; one fetcher, so the
    per-host limits hold), then each record measured by ``process_item`` with what its HEAD
    found: the same result an item scored later would get."""

    def __init__(self, settings: Settings, run: dict[str, Any], links: int) -> None:
        from app.ingest.fetch import Fetcher
        from app.jobs.links import LinkChecker

        self.config = dataclasses.replace(
            worker_config(settings, True, signatures=False),
            reference_date=run["created_at"].date().isoformat(),
            check_links=True,
            local_root=local_root(run["source"]),
        )
        self.fetcher = Fetcher(settings)
        self.checker = LinkChecker(self.config.settings, self.fetcher, links=links)

    def specs(self, held: list[tuple[str, Any]]) -> list[WorkSpec]:
        return [WorkSpec(key, record_to_dict(record), self.config, source=record) for key, record in held]

    def ahead(self, specs: list[WorkSpec]) -> None:
        """Start on the links of a later batch (sent from the checker's helper process)."""
        self.checker.ahead([url for url in map(fetched_url, specs) if url])

    def measure(self, specs: list[WorkSpec], tally: _Tally) -> list[ItemResult]:
        from profilers.metadata import INDICATORS

        urls = [fetched_url(spec) for spec in specs]
        answers = iter(self.checker.checked([url for url in urls if url]))
        for spec, url in zip(specs, urls, strict=True):
            if url:
                spec.fetched = next(answers)
        items = []
        for spec in specs:
            result = process_item(spec)
            counts = (result.metadata or {}).get("mqa_counts") or {}
            for n, indicator in enumerate(INDICATORS):
                met, units = counts.get(indicator.key, (0, 0))
                tally.met[n] += met
                tally.units[n] += units
            items.append(_to_item(result, spec.record))
        return items

    def close(self) -> None:
        log.info("link checks: %d distinct links asked", self.checker.asked)
        self.checker.close()
        self.fetcher.close()


SUMMARY_FIELDS = ("id", "title", "publisher", "licence", "modified", "issued", "frequency", "landing_page")


def _record_summary(record: Any) -> dict[str, Any]:
    """What a finished metadata-only item keeps of its record (no raw source, no distributions)."""
    out = {k: getattr(record, k, None) for k in SUMMARY_FIELDS}
    out["distributions"] = [
        {"url": d.url or d.access_url, "format": d.format} for d in record.distributions[:20]
    ]
    rows = declared_rows(record)
    if rows is not None:
        out["declared_rows"] = rows
    return out


def _measure_metadata(
    key: str, record: Any, reference: Any, tally: _Tally | None = None, root: str | None = None
) -> ItemResult:
    """The metadata checks of one record, without any link check: its MQA score (0–100, from the
    405-point scale) and the findings, compactly (no examples). Adds its MQA counts to ``tally``.
    A link that is not an http(s) URL (outside a local source's folder ``root``) is ``bad-url``:
    nothing is opened, whether the file exists or not."""
    metadata, mqa = compact_metadata(record, reference)
    if tally is not None:
        met, units = tally.met, tally.units
        for n, r in enumerate(mqa.indicators):  # INDICATORS order
            met[n] += r.met
            units[n] += r.units
    score = metadata["score"]
    dist = next((d for d in record.distributions if d.url or d.access_url), None)
    url = (dist.url or dist.access_url) if dist else None
    code = None  # no link is no failure when nothing is to be downloaded (MQA scores it)
    if url and resolve_link(str(url), root).refused is not None:
        code = "bad-url"
    return ItemResult(
        key,
        "done",
        url=url,
        error_code=code,
        outcome={"metadata": metadata},
        score=score,
        band=band_for(score),
    )


def record_to_dict(record: Any) -> dict[str, Any]:
    """A DatasetRecord as plain data, shallowly (``dataclasses.asdict`` deep-copies the raw source
    record, which costs more than everything else a metadata-only run does)."""
    if not dataclasses.is_dataclass(record):
        return dict(record)
    data = {name: getattr(record, name) for name in field_names(type(record))}
    data["distributions"] = [
        {name: getattr(d, name) for name in field_names(type(d))} for d in data.get("distributions") or []
    ]
    return data


def _records(settings: Settings, source: str, kind: str) -> tuple[Iterator[Any], str]:
    """The records of ``source`` through the catalog adapters (app.catalogs)."""
    try:
        from app import catalogs
    except ImportError as exc:  # pragma: no cover - the adapters ship with the app
        raise CatalogError(f"catalog adapters are not available: {exc}") from exc
    from app.ingest.fetch import Fetcher, FetchError

    fetcher = Fetcher(settings) if is_url(source) else None

    def failed(exc: Exception) -> CatalogError:
        code = f"{getattr(exc, 'code', '')}: " if isinstance(exc, FetchError | catalogs.CatalogError) else ""
        return CatalogError(f"could not harvest {source}: {code}{exc}", code="harvest-failed")

    def guarded(records: Iterator[Any]) -> Iterator[Any]:
        """The records as they are harvested (an error while harvesting is a CatalogError)."""
        try:
            yield from records
        except (FetchError, catalogs.CatalogError, ValueError, OSError) as exc:
            raise failed(exc) from exc
        finally:
            if fetcher is not None:
                fetcher.close()

    try:
        if kind == "auto":
            kind = catalogs.detect_kind(source, fetcher)
    except (FetchError, catalogs.CatalogError, ValueError, OSError) as exc:
        if fetcher is not None:
            fetcher.close()
        raise failed(exc) from exc
    except BaseException:
        if fetcher is not None:
            fetcher.close()
        raise
    return guarded(catalogs.harvest(source, kind, fetcher)), kind


def worker_config(
    settings: Settings, metadata_only: bool, signatures: bool = False, root: str | None = None
) -> WorkerConfig:
    fields = {
        k: v
        for k, v in settings.model_dump(mode="json").items()
        if k.startswith("fetch_") or k in ("data_dir",)
    }
    return WorkerConfig(
        blob_dir=str(Path(settings.blob_dir).resolve()),
        settings=fields,
        max_bytes=int(settings.fetch_max_mb * 1024 * 1024),
        metadata_only=metadata_only,
        signatures=signatures,
        local_root=root,
    )


def _score_pending(
    repo: Repository,
    runs: CatalogRuns,
    settings: Settings,
    run: dict[str, Any],
    progress: Progress | None,
    stop: threading.Event | None,
) -> None:
    run_id = run["id"]
    pending = runs.pending(run_id)
    if not pending:
        return
    config = dataclasses.replace(
        worker_config(
            settings,
            bool(run["metadata_only"]),
            signatures=bool(run["portal"]),
            root=local_root(run["source"]),
        ),
        reference_date=run["created_at"].date().isoformat(),
        check_links=bool((run["options"] or {}).get("check_links", True)),
    )
    urls = []
    for _, record in pending:
        dist = choose_distribution(record)
        if dist is not None:
            urls.append(str(dist.get("url") or dist.get("access_url")))
    states = {} if run["metadata_only"] else runs.fetch_states(urls)

    def specs() -> Iterator[WorkSpec]:
        for key, record in pending:
            if stop is not None and stop.is_set():
                return
            dist = choose_distribution(record)
            url = str(dist.get("url") or dist.get("access_url")) if dist else ""
            cond = {url: states[url]} if url in states else {}
            yield WorkSpec(key, record, config, cond)

    options = run["options"] or {}
    total = run["total"] or len(pending)
    buffer: list[ItemResult] = []
    signatures: list[tuple[str, Any]] = []
    scored = 0  # results in ``buffer`` with a report (costly to redo after a crash)
    last_write = last_sigs = time.monotonic()
    finished = total - len(pending)
    # Every request of the run goes through ONE fetcher in this process (threads of it wait on
    # the network), so its per-host limits hold however many workers score: the executor's
    # workers only read the downloaded blobs, profile and score. A few fetches per worker keep
    # the workers fed (more threads only contend with the scoring for this process's GIL); a
    # metadata-only run is all network, so it takes as many as one host allows.
    from app.ingest.fetch import Fetcher

    executor: Any = make_executor(
        run["executor"], workers_for(settings, options.get("workers")), options.get("scheduler")
    )
    fetcher: Fetcher | None = None
    fetch_pool: ThreadExecutor | None = None

    def fetched() -> Iterator[WorkSpec]:
        if fetcher is None or fetch_pool is None:
            yield from specs()
            return
        for spec, out in fetch_pool.map_unordered(functools.partial(prefetch, fetcher=fetcher), specs()):
            yield out if isinstance(out, WorkSpec) else spec  # prefetch never raises; belt and braces

    try:
        if any(is_url(u) for u in urls):
            fetcher = Fetcher(settings)
            threads = max(4, settings.fetch_per_host)
            if not run["metadata_only"]:
                threads = min(threads, 4 * executor.workers)
            # at most ``2 × threads`` blobs are fetched ahead of the scoring
            fetch_pool = ThreadExecutor(threads, window=2 * threads)
        for spec, out in executor.map_unordered(process_item, fetched()):
            result = out if isinstance(out, WorkResult) else _crashed(spec, out)
            buffer.append(_to_item(result, spec.record))
            if result.report is not None or result.resource is not None:
                scored += 1
            if result.signatures is not None and result.resource is not None:
                signatures.append((result.resource["sha256"], result.signatures))
            finished += 1
            now = time.monotonic()
            if (
                len(buffer) >= WRITE_BATCH_MAX
                or scored >= REPORT_BATCH_MAX
                or now - last_write >= WRITE_BATCH_SECONDS
            ):
                runs.complete(run_id, buffer)
                buffer, scored, last_write = [], 0, now
            if len(signatures) >= SIGNATURE_BATCH_MAX or (
                signatures and now - last_sigs >= SIGNATURE_BATCH_SECONDS
            ):
                _save_signatures(repo, signatures)
                signatures, last_sigs = [], now
            if progress is not None:
                progress({"run_id": run_id, "finished": finished, "total": total, "key": spec.key})
            if stop is not None and stop.is_set():
                break
        _store(repo, runs, run_id, buffer, signatures)
        buffer = []
    finally:
        if buffer and not repo.store.closed:
            _store(repo, runs, run_id, buffer, signatures)
        executor.close()
        if fetch_pool is not None:
            fetch_pool.close()
        if fetcher is not None:
            fetcher.close()


def _store(
    repo: Repository,
    runs: CatalogRuns,
    run_id: str,
    results: list[ItemResult],
    signatures: list[tuple[str, Any]],
) -> None:
    """The results (one transaction), then the signatures the portal pass compares (a crash
    between the two loses nothing: the pass recomputes missing signatures from the blobs)."""
    runs.complete(run_id, results)
    _save_signatures(repo, signatures)


def _save_signatures(repo: Repository, signatures: list[tuple[str, Any]]) -> None:
    """The MinHash signatures of scored blobs, in one transaction (each sha once). They are
    written less often than the results: a crash loses only what the portal pass can recompute
    from the blobs."""
    if signatures:
        from app.storage.portals import PortalStore

        PortalStore(repo).save_many(list(dict(signatures).items()))


def _crashed(spec: WorkSpec, exc: BaseException) -> WorkResult:
    return WorkResult(spec.key, "failed", error_code="worker-error", error=f"{type(exc).__name__}: {exc}")


def _to_item(result: WorkResult, record: dict[str, Any]) -> ItemResult:
    outcome: dict[str, Any] = {"seconds": result.seconds, "worker": result.worker}
    if result.metadata is not None:
        outcome["metadata"] = result.metadata
    if result.error:
        outcome["error"] = result.error
    if result.links:
        outcome["links"] = result.links
    if result.fetch and result.fetch.get("url"):
        outcome["final"] = {k: result.fetch.get(k) for k in ("http_status", "content_type")}
    return ItemResult(
        key=result.key,
        status=result.status,
        report=result.report,
        options_key=result.options_key,
        reuse_report_id=result.reuse_report_id,
        url=result.url,
        http_status=result.http_status,
        error_code=result.error_code,
        outcome=outcome,
        fetch=result.fetch,
        resource=result.resource,
        score=result.metadata_score if result.report is None and result.reuse_report_id is None else None,
        band=band_for(result.metadata_score)
        if result.metadata_score is not None and result.report is None and result.reuse_report_id is None
        else None,
    )


def _catalog_summary(runs: CatalogRuns, run: dict[str, Any], tally: _Tally | None = None) -> dict[str, Any]:
    """Catalog-level metadata quality: the MQA value of the whole catalog (points × share of the
    datasets/distributions meeting each indicator) and datasets that share a title. ``tally``:
    the same inputs, gathered by the harvest that stored every item (no need to read them back)."""
    from profilers.metadata import INDICATORS, MqaResult, catalog_mqa, duplicate_titles
    from profilers.metadata.mqa import IndicatorResult
    from profilers.record import DatasetRecord

    met = {i.key: 0 for i in INDICATORS}
    units = {i.key: 0 for i in INDICATORS}
    measured = 0
    records = []
    if tally is not None:
        records = [DatasetRecord(id=key, title=title) for key, title in tally.titles]
        measured = len(tally.titles)
        for n, ind in enumerate(INDICATORS):
            met[ind.key] = tally.met[n]
            units[ind.key] = tally.units[n]
    else:
        for key, title, counts in runs.mqa_counts(run["id"]):
            records.append(DatasetRecord(id=key, title=title))
            if counts:
                measured += 1
                for k, (m, u) in counts.items():
                    if k in met:
                        met[k] += m
                        units[k] += u
    mqa = None
    if measured:
        # catalog_mqa sums met and units over the datasets: one result holding the sums is the same.
        mqa = catalog_mqa([MqaResult([IndicatorResult(i, met[i.key], units[i.key]) for i in INDICATORS])])
        mqa["datasets"] = measured
    return {"mqa": mqa, "findings": duplicate_titles(records)}


def _portal_pass(
    repo: Repository, runs: CatalogRuns, run: dict[str, Any], catalog: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Feed the run's datasets to the portal service and run its pass (one DuckDB join)."""
    portal = run["portal"]
    if not portal:
        return None
    try:
        from app.services import portals
    except ImportError:
        log.warning("portal service not available: run %s not added to portal %s", run["id"], portal)
        return None
    items = runs.items(run["id"])
    entries = []
    for item in items:
        report = repo.get_report(item["report_id"]) if item["report_id"] else None
        entries.append(
            portals.DatasetEntry(
                key=item["key"],
                title=item["title"],
                name=item["url"] or item["key"],
                report=report,
                url=item["url"],
                metadata=_entry_metadata(run, item),
                extra_findings=list((item["outcome"].get("metadata") or {}).get("findings") or []),
            )
        )
    started = time.perf_counter()
    portals.add_datasets(repo, portal, entries, kind=run["kind"], source=run["source"])
    given = {**catalog, "run_id": run["id"], "source": run["source"]} if catalog is not None else None
    portal_report = portals.run_portal_pass(repo, portal, catalog=given)  # with the catalog-level findings
    return {
        "portal": portal,
        "datasets": len(entries),
        "score": portal_report.get("score") if isinstance(portal_report, dict) else None,
        "depth": (
            (portal_report.get("depth") or {}).get("level") if isinstance(portal_report, dict) else None
        ),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _entry_metadata(run: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """What a portal keeps of an item's record, with how deeply it was assessed (``depth``:
    ``metadata-only`` or ``links-checked`` when no content was asked for), its MQA score and the
    record count its catalog declares (``declared_rows``)."""
    record = item["record"]
    out = {k: v for k, v in record.items() if k not in ("raw", "distributions")}
    rows = declared_rows(record)
    if rows is not None:
        out["declared_rows"] = rows
    if run["metadata_only"]:
        checked = any(link.get("checked") for link in (item["outcome"].get("links") or []))
        out["depth"] = "links-checked" if checked or item.get("http_status") is not None else "metadata-only"
        metadata = item["outcome"].get("metadata") or {}
        if isinstance(metadata.get("score"), int | float):
            out["mqa_score"] = float(metadata["score"])
    return out


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def runs_by_status(repo: Repository) -> dict[str, int]:
    """Catalog runs by state (queued, harvesting, running, done, failed …), for /metrics."""
    return CatalogRuns(repo.store).runs_by_status()
