"""Link checks of a metadata-only catalog run: the HEAD of each chosen link, each distinct URL
once per run.

Catalogs point many datasets at one URL (dados.gov.br: 800 datasets, 431 distinct first links,
320 of them one documentation page), so a run asks each URL once and gives every record that
names it the same answer: fewer requests to the portal, and a politely rate-limited run ends
sooner.

The HEADs of a large run are sent from a helper process (its own fetcher and a few threads):
one HEAD costs the client about half a millisecond of interpreter time, which would otherwise
leave no time in the coordinator to measure and store the records. Every request of the link
phase goes through that one fetcher, so the per-host limits and rate hold; the coordinator makes
no request meanwhile. Should the helper die, the rest is checked in this process: no record is
lost to it. A small run stays in this process (starting a helper costs about a third of a second).
"""

from __future__ import annotations

import collections
import functools
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from app.jobs.work import head_link

log = logging.getLogger(__name__)

THREADS = 4
"""Threads sending HEADs: enough to overlap the network waits of several hosts (each still
limited by ODQ_FETCH_PER_HOST and its rate); more only contend for the interpreter (10,000
link-checked records on loopback, in the coordinator: 9.5-9.9 s with 2 or 4 threads, 10.3 s with
8, 10.6 s with 16)."""

PROCESS_MIN = 2000
"""Links to check from which a helper process sends the HEADs (below, they are sent from here)."""

REMEMBERED = 100_000
"""Distinct URLs whose answer a run keeps (the oldest are forgotten, and asked again if met)."""

_HELPER: tuple[Any, ThreadPoolExecutor] | None = None  # in the helper process: (fetcher, threads)


def _start_helper(settings: dict[str, Any]) -> None:
    global _HELPER
    from app.ingest.fetch import Fetcher
    from app.settings import Settings

    _HELPER = (Fetcher(Settings(**settings)), ThreadPoolExecutor(THREADS, thread_name_prefix="odq-link"))


def _helper_heads(urls: list[str]) -> list[dict[str, Any]]:
    assert _HELPER is not None, "the link helper was not started"
    fetcher, threads = _HELPER
    return list(threads.map(functools.partial(head_link, fetcher=fetcher), urls))


class LinkChecker:
    """``checked(urls)`` gives the HEAD of each URL (as ``prefetch`` records it), asking each
    distinct URL once per checker. ``ahead(urls)`` starts on a later batch's URLs while the
    caller measures this one (with the helper process; in-process it is a no-op). Use as a
    context manager, or call ``close``."""

    def __init__(self, settings: dict[str, Any], fetcher: Any, *, links: int) -> None:
        self.fetcher = fetcher  # the coordinator's, for in-process checks
        self.known: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self.asked = 0  # HEADs sent (distinct URLs), for the run's log
        self._pending: list[tuple[list[str], Future[list[dict[str, Any]]]]] = []
        self._sent: set[str] = set()  # URLs of pending helper batches
        self._threads: ThreadPoolExecutor | None = None
        self._helper: ProcessPoolExecutor | None = None
        if links >= PROCESS_MIN and multiprocessing.cpu_count() > 1:
            # spawn: the coordinator may be a server with threads, which fork would copy mid-lock
            self._helper = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_helper,
                initargs=(settings,),
            )

    @property
    def in_process(self) -> bool:
        return self._helper is None

    def ahead(self, urls: list[str]) -> None:
        """Send ``urls`` not yet known to the helper now; their answers are collected later."""
        if self._helper is None:
            return
        fresh = self._fresh(urls)
        if fresh:
            try:
                self._pending.append((fresh, self._helper.submit(_helper_heads, fresh)))
                self._sent.update(fresh)
            except RuntimeError as exc:  # a broken pool refuses work: check here instead
                self._give_up(exc)

    def checked(self, urls: list[str]) -> list[dict[str, Any]]:
        """The HEAD of each of ``urls``, in order (each a copy: callers may keep them)."""
        self.ahead(urls)
        wanted = set(urls)
        while self._pending and wanted & self._sent:  # later batches' answers can wait
            sent, future = self._pending.pop(0)
            try:
                got = future.result()
            except Exception as exc:  # the helper died: the rest is checked in this process
                self._give_up(exc)
                got = self._here(sent)
            self._learn(sent, got)
        missing = self._fresh(urls)
        if missing:
            self._learn(missing, self._here(missing))
        return [dict(self.known[u]) for u in urls]

    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown(wait=True, cancel_futures=True)
            self._helper = None
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)
            self._threads = None

    def __enter__(self) -> LinkChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _fresh(self, urls: list[str]) -> list[str]:
        """The distinct URLs of ``urls`` neither known nor on their way (known ones are marked
        recent, so they are not forgotten before they are read)."""
        out: list[str] = []
        seen: set[str] = set()
        for url in urls:
            if url in self.known:
                self.known.move_to_end(url)
            elif url not in self._sent and url not in seen:
                seen.add(url)
                out.append(url)
        return out

    def _learn(self, urls: list[str], got: list[dict[str, Any]]) -> None:
        self.asked += len(urls)
        for url, fetched in zip(urls, got, strict=True):
            self.known[url] = fetched
            self._sent.discard(url)
        while len(self.known) > REMEMBERED:
            self.known.popitem(last=False)

    def _here(self, urls: list[str]) -> list[dict[str, Any]]:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(THREADS, thread_name_prefix="odq-link")
        head: Callable[[str], dict[str, Any]] = functools.partial(head_link, fetcher=self.fetcher)
        return list(self._threads.map(head, urls))

    def _give_up(self, exc: BaseException) -> None:
        """Stop the helper for good (no two fetchers may talk to one host at once)."""
        log.warning("the link-check helper failed (%s); checking the remaining links here", exc)
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.shutdown(wait=True, cancel_futures=True)  # a batch still running ends first
        for _sent, future in self._pending:
            future.cancel()
        # Pending batches are asked again here, by ``checked``, when their records come.
        self._pending = []
        self._sent.clear()
