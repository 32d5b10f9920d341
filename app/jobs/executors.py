"""Where per-dataset work runs: ``inline`` (this thread), ``process`` (a local process pool) or
``dask`` (a Dask distributed cluster; optional extra). All three take the same picklable task and
give the same results; only the writer that receives them touches the database.

``map_unordered(fn, items)`` yields ``(item, result)`` pairs as tasks finish, keeping a bounded
number in flight so a catalog of 100,000 datasets never sits in memory as futures. A task that
raises yields ``(item, exception)``; the caller turns it into a failed dataset and goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from app.lifeline import die_with_parent

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("inline", "process", "dask")


class ExecutorUnavailable(RuntimeError):
    """The executor cannot start (the dask extra is not installed, the scheduler is unreachable)."""


class Executor(Protocol):
    name: str
    workers: int

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]: ...

    def close(self) -> None: ...


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def make_executor(name: str, workers: int | None = None, scheduler: str | None = None) -> Executor:
    if name == "inline":
        return InlineExecutor()
    if name == "process":
        return ProcessExecutor(workers or default_workers())
    if name == "dask":
        return DaskExecutor(workers or default_workers(), scheduler)
    raise ValueError(f"unknown executor {name!r}: choose one of {', '.join(EXECUTORS)}")


class InlineExecutor:
    """Runs each task in the calling thread, in order."""

    name = "inline"
    workers = 1

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        for item in items:
            try:
                out: R | BaseException = fn(item)
            except Exception as exc:
                out = exc
            yield item, out

    def close(self) -> None:
        pass

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ThreadExecutor:
    """A thread pool in this process, for I/O-bound tasks (the downloads and link checks of a run).
    ``window``: tasks submitted and not yet taken by the caller (default four per thread)."""

    name = "inline"

    def __init__(self, workers: int, window: int | None = None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.workers = max(1, workers)
        self.window = max(1, window) if window is not None else self.workers * 4
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="odq-link")

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        source = iter(items)
        running: dict[Future[R], T] = {}
        exhausted = False
        while True:
            while not exhausted and len(running) < self.window:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                running[self._pool.submit(fn, item)] = item
            if not running:
                return
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                item = running.pop(fut)
                try:
                    yield item, fut.result()
                except Exception as exc:
                    yield item, exc

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class ProcessExecutor:
    """A pool of ``spawn``-ed worker processes (never forked from a process holding DuckDB and
    Polars thread pools). A worker that dies takes only its task with it: the pool is rebuilt and
    the tasks that were in flight are sent again."""

    name = "process"

    def __init__(self, workers: int, in_flight_per_worker: int = 4) -> None:
        self.workers = max(1, workers)
        self.window = self.workers * in_flight_per_worker
        self._ctx = multiprocessing.get_context("spawn")
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # Each worker ends when this process does, also when it is killed (app.lifeline).
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=self._ctx, initializer=die_with_parent
        )

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        source = iter(items)
        running: dict[Future[R], T] = {}
        # When the pool breaks, every task in flight fails with it and the culprit is unknown:
        # they are all sent again one at a time, so only the task that kills its worker fails.
        suspects: deque[T] = deque()
        exhausted = False
        while True:
            isolated = bool(suspects)
            if isolated:
                item = suspects.popleft()
                running[self._pool.submit(fn, item)] = item
            while not isolated and not exhausted and len(running) < self.window:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                running[self._pool.submit(fn, item)] = item
            if not running:
                return
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            broken: list[T] = []
            for fut in finished:
                item = running.pop(fut)
                try:
                    yield item, fut.result()
                except BrokenProcessPool as exc:
                    if isolated:
                        yield item, exc  # alone in the pool: this task killed its worker
                        self._restart()
                    else:
                        broken.append(item)
                except Exception as exc:
                    yield item, exc
            if broken:
                suspects.extend(broken + list(running.values()))
                running.clear()
                log.warning("a worker process died; retrying %d task(s) one at a time", len(suspects))
                self._restart()

    def _restart(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """The same tasks on Dask distributed: a running scheduler (``tcp://host:8786``) or, without
    one, a LocalCluster of single-threaded worker processes on 127.0.0.1."""

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None, in_flight_per_worker: int = 4) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # the optional extra
            raise ExecutorUnavailable(
                "the dask executor needs the optional extra: pip install 'odq[dask]'"
            ) from exc
        self._cluster: Any = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout="10s")
            else:
                self._cluster = LocalCluster(
                    n_workers=max(1, workers),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            if self._cluster is not None:
                self._cluster.close()
            raise ExecutorUnavailable(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
        info = self._client.scheduler_info()
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))
        self.window = max(self.workers, 1) * in_flight_per_worker
        self.scheduler = scheduler or str(self._cluster.scheduler_address)

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R | BaseException]]:
        from distributed import as_completed

        source = iter(items)
        running: dict[Any, T] = {}
        queue = as_completed()

        def submit_next() -> bool:
            try:
                item = next(source)
            except StopIteration:
                return False
            fut = self._client.submit(fn, item, pure=False)
            running[fut.key] = item
            queue.add(fut)
            return True

        for _ in range(self.window):
            if not submit_next():
                break
        for fut in queue:
            item = running.pop(fut.key)
            try:
                out: Any = fut.result()
            except Exception as exc:
                out = exc
            fut.release()
            yield item, out
            submit_next()

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
