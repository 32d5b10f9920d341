"""Read and profile a file in a worker process with CPU-time, memory and wall-clock limits.

A pathological file (a decompression bomb that slipped past the size checks, a regex-hostile
cell, a reader bug that loops or allocates without end) then costs one worker and becomes a
scored report with the named finding ``resource-limit`` (fatal, like ``unreadable-file``), never
a stuck or killed server.

Workers are forked from a ``forkserver`` process that has the readers and profilers imported
once, so a worker starts in milliseconds and never inherits the server's threads or its DuckDB
connection (the service process stays the only one that opens the database). Each file gets
its own budget:

- resident memory: the parent watches the worker's RSS and kills it past the budget;
- ``RLIMIT_AS`` (address space, a multiple of the budget): a backstop for a single huge
  allocation between two looks at the RSS (Python raises ``MemoryError``, Rust readers abort);
- CPU time: the parent reads the worker's CPU time at each look and kills it past the budget;
  ``RLIMIT_CPU``, moved to "CPU used so far + the budget" (whole seconds) before each file, is
  the backstop: the kernel ends the worker with SIGXCPU;
- a wall-clock deadline: the parent kills the worker (a reader blocked without using CPU).

A worker that finished a file within its limits scores the next one (a fresh process costs
about 0.3 s of Polars warm-up per file); one that hit a limit or failed is never reused, and
none scores more than ``TASKS_PER_WORKER`` files or keeps more than half its memory budget.

The loaded rows the service keeps (``data."r_<sha256>"``) come back as a Parquet file the
worker writes beside its work files, the portal signatures as data; the parent stores them.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import resource
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.lifeline import die_with_parent

log = logging.getLogger(__name__)

RESOURCE_LIMIT = "resource-limit"
ADDRESS_SPACE_FACTOR = 3
WATCH_EVERY = 0.2
"""Seconds between two looks at a worker's resident memory."""
TASKS_PER_WORKER = 50
"""Files one worker scores before a fresh one takes over."""
PRELOAD = ["app.services.scoring", "profilers.signatures", "charset_normalizer", "numpy", "numpy.ma"]
"""Imported once in the fork server, with every check module: a worker starts with the readers,
Polars and the registered checks loaded (importing them costs about 0.5 s per process). Only
imports: nothing may start Polars' thread pool in the fork server, whose threads a forked
worker would not have."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What a worker may use for one file."""

    memory_bytes: int = 4 * 1024**3
    """Resident memory."""
    cpu_seconds: int = 300
    wall_seconds: float = 600.0
    max_sheets: int = 20
    """Other data sheets of a workbook scored with its data sheet (``score_file``)."""


@dataclass(frozen=True, slots=True)
class KeptRows:
    """The loaded rows of a file, written by the worker: ``__row`` and ``c1..cN`` as Parquet."""

    labels: list[str]
    types: list[str]
    parquet: Path


@dataclass(slots=True)
class Isolated:
    report: dict[str, Any]
    rows: KeptRows | None = None
    signatures: Any = None
    """The table's ``profilers.signatures.Signatures`` when asked for (None for a fatal table)."""
    suite: dict[str, Any] | None = None
    """The GX suite the table meets when asked for (None for a fatal table)."""
    limit: str | None = None
    """None when the worker finished; else ``memory``, ``cpu``, ``time`` or ``crash``."""


# -- the worker ---------------------------------------------------------------------------------


def _address_space() -> int:
    """This process's virtual size in bytes (Linux), 0 where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class _Task:
    path: str
    name: str
    sha256: str
    url: str | None
    rows_path: str | None
    signatures: bool
    options: dict[str, Any]
    """Further keyword arguments of ``score_file`` (a declared suite or schema)."""
    suite_name: str | None = None
    """Build the GX suite the table meets under this name (``profilers.expectations``)."""


def _serve(conn: Connection, limits: Limits) -> None:
    """The worker's main loop: score the tasks sent on ``conn`` until None or end of file."""
    die_with_parent()  # its parent, the fork server, ends with the server
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which ends its workers
    # Address space runs far ahead of resident memory (allocators and Polars reserve more than
    # they touch: a 10,000-column table maps 5 GB for 3 GB resident), so the hard limit is a
    # multiple of the budget, on top of what the worker maps when it starts (about 0.5 GB).
    space = _address_space() + ADDRESS_SPACE_FACTOR * limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (space, space))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker ended by a limit leaves no core file
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        # SIGXCPU (which ends the process) once this file has used its CPU budget.
        soft = math.ceil(_cpu_used()) + limits.cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (soft if cpu_hard < 0 else min(soft, cpu_hard), cpu_hard))
        if not _score_task(conn, task):
            return


def _score_task(conn: Connection, task: _Task) -> bool:
    """Score one task and send its messages: the sniffed format first (so a report can name it
    even if reading dies), then the report. False when the worker must not be reused."""
    try:
        from app.ingest.sniff import sniff
        from app.services.scoring import score_file

        sniffed = sniff(Path(task.path), task.name)
        conn.send(("sniffed", sniffed.format, sniffed.declared, sniffed.encoding))
        kept: dict[str, Any] = {}

        def keep(table: Any) -> None:
            if task.rows_path is not None:
                table.data.select("__row", *table.cols).write_parquet(task.rows_path)
                kept["labels"] = list(table.labels)
                kept["types"] = [s.type for s in table.stats]
            if task.signatures:
                kept["signatures"] = _signatures(table)
            if task.suite_name is not None:
                kept["suite"] = table_suite(table, task.suite_name)

        wants = task.rows_path is not None or task.signatures or task.suite_name is not None
        report = score_file(
            Path(task.path),
            task.name,
            task.sha256,
            url=task.url,
            keep=keep if wants else None,
            **task.options,
        )
        conn.send(("report", report, kept))
        return True
    except MemoryError:
        conn.send(("limit", "memory", None))
    except Exception as exc:  # a bug, not the file's fault: the parent reports it as a crash
        conn.send(("error", f"{type(exc).__name__}: {exc}", None))
    return False


def table_suite(table: Any, name: str) -> dict[str, Any] | None:
    """The GX suite ``table`` meets (None when building it failed: the report stands without)."""
    try:
        from profilers.expectations import suite_from_table

        return suite_from_table(table, name)
    except Exception:  # a suite failure never fails the scoring of the file
        log.exception("expectation suite of %s failed", table.source.sha256[:12])
        return None


def _signatures(table: Any) -> Any:
    try:
        from profilers.signatures import signatures_of

        return signatures_of(table)
    except Exception:  # a signature failure never fails the scoring of the file
        log.exception("signatures of %s failed", table.source.sha256[:12])
        return None


# -- the parent ---------------------------------------------------------------------------------

_LOCK = threading.Lock()
_context: Any = None
_pools: dict[tuple[Limits, int], _Pool] = {}


def _mp_context() -> Any:
    global _context
    with _LOCK:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD + _check_modules())
            _context = ctx
        return _context


def _check_modules() -> list[str]:
    import pkgutil

    import profilers.checks

    return [f"profilers.checks.{m.name}" for m in pkgutil.iter_modules(profilers.checks.__path__)]


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    tasks: int = 0


@dataclass
class _Outcome:
    message: tuple[Any, ...] | None = None
    sniffed: tuple[str, str | None, str | None] | None = None
    limit: str | None = None
    exitcode: int | None = None
    seconds: float = 0.0


@dataclass
class _Pool:
    """Up to ``size`` workers with the same limits, idle ones kept for the next file."""

    limits: Limits
    size: int
    idle: list[_Worker] = field(default_factory=list)
    slots: threading.BoundedSemaphore = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(self.size)

    def run(self, task: _Task) -> _Outcome:
        with self.slots:
            worker = self._take()
            outcome = self._drive(worker, task)
            reusable = (
                outcome.limit is None
                and worker.tasks < TASKS_PER_WORKER
                and _resident(worker.process.pid) < self.limits.memory_bytes // 2
            )
            if reusable:
                with self.lock:
                    self.idle.append(worker)
            else:
                _retire(worker)
            return outcome

    def _take(self) -> _Worker:
        with self.lock:
            while self.idle:
                worker = self.idle.pop()
                if worker.process.is_alive():
                    return worker
                _retire(worker)
        ctx = _mp_context()
        parent, child = ctx.Pipe(duplex=True)
        process = ctx.Process(target=_serve, args=(child, self.limits), name="odq-worker", daemon=True)
        process.start()  # the first start also starts the fork server (about a second)
        child.close()
        return _Worker(process, parent)

    def _drive(self, worker: _Worker, task: _Task) -> _Outcome:
        """Send ``task`` and wait for its report, within the limits."""
        limits = self.limits
        out = _Outcome()
        worker.tasks += 1
        started = time.monotonic()
        cpu_start = _cpu_seconds(worker.process.pid)
        try:
            worker.conn.send(task)
            while True:
                remaining = limits.wall_seconds - (time.monotonic() - started)
                if remaining <= 0:
                    out.limit = "time"
                    break
                if not worker.conn.poll(min(remaining, WATCH_EVERY)):
                    if _resident(worker.process.pid) > limits.memory_bytes:
                        out.limit = "memory"
                        break
                    # RLIMIT_CPU counts whole seconds from a rounded start; this look is finer.
                    cpu = _cpu_seconds(worker.process.pid)
                    if cpu is not None and cpu_start is not None and cpu - cpu_start > limits.cpu_seconds:
                        out.limit = "cpu"
                        break
                    if not worker.process.is_alive() and not worker.conn.poll(0):
                        break
                    continue
                message = worker.conn.recv()
                if message[0] == "sniffed":
                    out.sniffed = (message[1], message[2], message[3])
                    continue
                out.message = message
                break
        except (EOFError, OSError):
            pass  # the worker died, perhaps in the middle of sending
        out.seconds = time.monotonic() - started
        if out.message is not None and out.message[0] == "report":
            return out
        worker.process.kill()
        worker.process.join(5)
        out.exitcode = worker.process.exitcode
        if out.limit is None:
            out.limit = _classify(out.message, out.exitcode)
        return out


def _retire(worker: _Worker) -> None:
    try:
        if worker.process.is_alive():
            worker.conn.send(None)
    except OSError:
        pass
    worker.conn.close()
    worker.process.join(2)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join(2)


def _pool(limits: Limits, workers: int) -> _Pool:
    with _LOCK:
        pool = _pools.get((limits, workers))
        if pool is None:
            pool = _pools[(limits, workers)] = _Pool(limits, workers)
        return pool


def warm(limits: Limits, workers: int | None = None) -> float:
    """Start the fork server and a worker for ``limits`` and have it score a two-line CSV, so the
    first upload waits neither for the processes nor for Polars' warm-up (about a second in
    all, once per process). Returns the seconds it took (0 when a worker was already idle)."""
    pool = _pool(limits, workers or default_workers())
    with pool.lock:
        if pool.idle:
            return 0.0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="odq-warm-") as work:
        path = Path(work) / "warm.csv"
        path.write_bytes(b"id,name\n1,a\n2,b\n")
        try:
            pool.run(_Task(str(path), path.name, "0" * 64, None, None, False, {}))
        except Exception:  # the first upload starts a worker instead
            log.warning("starting a parsing worker ahead of time failed", exc_info=True)
    return time.monotonic() - started


def score_isolated(
    path: Path,
    name: str,
    sha256: str,
    limits: Limits,
    url: str | None = None,
    rows_dir: Path | None = None,
    workers: int | None = None,
    signatures: bool = False,
    suite_name: str | None = None,
    **options: Any,
) -> Isolated:
    """Score ``path`` in a worker process under ``limits``. With ``rows_dir`` the worker also
    writes the loaded rows there as Parquet (``Isolated.rows``; the caller stores and removes
    them); with ``signatures`` it returns the table's signatures. ``options`` go to
    ``score_file`` (``suite``, ``schema``); with ``suite_name`` the worker also builds the GX
    suite the table meets (``Isolated.suite``). Never raises on the file: a worker that hits a
    limit or dies gives a fatal report."""
    rows_path = None
    if rows_dir is not None:
        rows_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=rows_dir, prefix="rows-", suffix=".parquet")
        os.close(fd)
        rows_path = tmp
    task = _Task(str(path), name, sha256, url, rows_path, signatures, options, suite_name)
    out = _pool(limits, workers or default_workers()).run(task)
    if out.limit is None and out.message is not None:
        kept = out.message[2]
        rows = None
        if rows_path is not None and "labels" in kept:
            rows = KeptRows(kept["labels"], kept["types"], Path(rows_path))
        elif rows_path is not None:
            Path(rows_path).unlink(missing_ok=True)
        return Isolated(out.message[1], rows, kept.get("signatures"), kept.get("suite"))
    if rows_path is not None:
        Path(rows_path).unlink(missing_ok=True)
    assert out.limit is not None
    log.warning(
        "worker for %s ended by the %s limit (exit %s) after %.1f s%s",
        sha256[:12],
        out.limit,
        out.exitcode,
        out.seconds,
        f": {out.message[1]}" if out.message is not None and out.message[0] == "error" else "",
    )
    return Isolated(limit_report(path, name, sha256, url, out.limit, limits, out.sniffed), limit=out.limit)


def _resident(pid: int) -> int:
    """Resident memory of a process in bytes (Linux), 0 when it cannot be read (it has ended)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, all threads) a process has used (Linux), None when unreadable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _classify(outcome: tuple[Any, ...] | None, exitcode: int | None) -> str:
    if outcome is not None and outcome[0] == "limit":
        return str(outcome[1])
    if exitcode == -signal.SIGXCPU:
        return "cpu"
    if exitcode in (-signal.SIGABRT, -signal.SIGKILL):
        # A Rust reader aborts when an allocation fails under RLIMIT_AS; the kernel's OOM killer
        # sends SIGKILL.
        return "memory"
    return "crash"


_MESSAGES = {
    "memory": "reading the file needed more than the worker's memory limit of {mem}",
    "cpu": "reading the file used more than the worker's CPU-time limit of {cpu} s",
    "time": "reading the file took longer than the limit of {wall} s",
    "crash": "the worker reading the file ended abnormally",
}


def limit_report(
    path: Path,
    name: str,
    sha256: str,
    url: str | None,
    limit: str,
    limits: Limits,
    sniffed: tuple[str, str | None, str | None] | None,
) -> dict[str, Any]:
    """The report of a file whose worker hit a limit: fatal, with one ``resource-limit`` finding."""
    from app.ingest.sniff import declared_format
    from app.services.report import build_report
    from app.storage.repository import new_report_id
    from profilers.context import SourceInfo, Structure, Table
    from profilers.profile import profile
    from profilers.types import CheckResult, Example, Finding
    from scoring import describe_code, score_table

    message = _MESSAGES[limit].format(
        mem=f"{limits.memory_bytes / 1024**2:,.0f} MiB",
        cpu=limits.cpu_seconds,
        wall=f"{limits.wall_seconds:g}",
    )
    fmt, declared, encoding = sniffed or ("unknown", declared_format(name), None)
    size = path.stat().st_size if path.exists() else 0
    source = SourceInfo(
        name=name, sha256=sha256, bytes=size, format=fmt, declared_format=declared, encoding=encoding, url=url
    )
    table = Table(source, Structure(fatal=(RESOURCE_LIMIT, message)))
    results, metrics = profile(table)
    described = describe_code(RESOURCE_LIMIT)
    finding = Finding(
        code=RESOURCE_LIMIT,
        dimension="validity",
        severity="error",
        level="file",
        count=1,
        share=1.0,
        title=str(described.get("title_en") or "The file could not be read within the resource limits"),
        fix=str(described.get("fix_en") or ""),
        examples=[Example(value=name)],
        message=message,
    )
    results.append(CheckResult(RESOURCE_LIMIT, "validity", "fail", [finding]))
    card = score_table(results, metrics)
    return build_report(new_report_id(), table, results, card)


def limits_from(settings: Any) -> Limits | None:
    """The worker limits of ``settings`` (an ``app.settings.Settings``), or None when parsing is
    not isolated (ODQ_ISOLATE_PARSING=false)."""
    if not settings.isolate_parsing:
        return None
    return Limits(
        memory_bytes=int(settings.worker_memory_mb * 1024 * 1024),
        cpu_seconds=int(settings.worker_cpu_seconds),
        wall_seconds=float(settings.worker_timeout_s),
        max_sheets=int(settings.max_sheets),
    )


def score_in_worker(
    path: Path,
    name: str,
    sha256: str,
    limits: Limits,
    url: str | None = None,
    save_rows: Callable[[list[str], list[str], Any], None] | None = None,
    save_signatures: Callable[[Any], None] | None = None,
    suite: Any = None,
    schema: Any = None,
    save_suite: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """``score_file`` in a worker: the report; the loaded rows handed to ``save_rows(labels,
    types, arrow_table)`` and the signatures to ``save_signatures(signatures)`` in this process
    (the one that owns the database). A declared ``suite`` or ``schema`` is applied in the worker;
    the GX suite the table meets is built there too and handed to ``save_suite(suite)``."""
    options: dict[str, Any] = {k: v for k, v in (("suite", suite), ("schema", schema)) if v is not None}
    options["max_sheets"] = limits.max_sheets
    want_signatures = save_signatures is not None
    with tempfile.TemporaryDirectory(prefix="odq-rows-") as rows_dir:
        done = score_isolated(
            path,
            name,
            sha256,
            limits,
            url=url,
            rows_dir=Path(rows_dir) if save_rows is not None else None,
            signatures=want_signatures,
            suite_name=name if save_suite is not None else None,
            **options,
        )
        if save_rows is not None and done.rows is not None:
            import pyarrow.parquet as pq

            save_rows(done.rows.labels, done.rows.types, pq.read_table(done.rows.parquet))
        if save_signatures is not None and done.limit is None and not done.report.get("fatal"):
            save_signatures(done.signatures)
        if save_suite is not None and done.suite is not None:
            save_suite(done.suite)
    return done.report
