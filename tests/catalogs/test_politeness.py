"""Politeness across a whole run: the per-host concurrency limit holds for a process pool (every
request goes through the coordinator's one fetcher), and requests to one host reuse keep-alive
connections (a HEAD does not cost a new TCP connection) that were opened to the checked address.

The fixture portal counts the TCP connections it accepts and the requests it is answering at
any moment (``max_in_flight``); ``delay_seconds`` makes every file answer take a while, so
requests that are allowed to overlap do."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_server import FixturePortal
from runs_support import open_repo, settings_for
from test_ssrf import StubResolver

from app.ingest.fetch import Fetcher
from app.services.catalogs import run_catalog
from app.storage.catalogs import CatalogRuns


@pytest.fixture
def slow_portal() -> Iterator[FixturePortal]:
    with FixturePortal.start(datasets=24, faults=False, delay_seconds=0.05) as portal:
        yield portal


def _file_urls(portal: FixturePortal) -> list[str]:
    return [portal.base_url + s.path for s in portal.served if s.path and s.path.startswith("/files/")]


@pytest.mark.parametrize("metadata_only", [False, True])
def test_the_per_host_limit_holds_across_a_process_pool(
    slow_portal: FixturePortal, tmp_path: Path, metadata_only: bool
) -> None:
    settings = settings_for(tmp_path / "var", fetch_per_host=1)
    with open_repo(settings) as repo:
        status = run_catalog(
            repo,
            settings,
            slow_portal.ckan_url,
            kind="ckan",
            executor="process",
            workers=2,
            metadata_only=metadata_only,
        )
        assert status["status"] == "done" and status["counts"]["pending"] == 0
        assert status["counts"]["total"] == len(slow_portal.served)
        items = CatalogRuns(repo.store).items(status["job_id"])
        workers = {i["outcome"].get("worker") for i in items}
    with slow_portal.state.lock:
        files = sum(
            n for p, n in slow_portal.state.hits.items() if p.startswith(("GET /files/", "HEAD /files/"))
        )
        most = slow_portal.state.max_in_flight
    assert files >= len(_file_urls(slow_portal))  # every link was requested …
    assert most == 1  # … never two at once, with two worker processes
    if metadata_only:
        # Nothing to load or profile: each record is measured with its HEAD while the catalog is
        # harvested, in this process (shipping a record to a worker costs more than measuring it).
        assert workers == {f"pid-{os.getpid()}"}
    else:  # the pool did the per-dataset work: downloading aside, scoring happened in its processes
        assert workers and f"pid-{os.getpid()}" not in workers


def test_the_fetcher_allows_exactly_the_per_host_limit(slow_portal: FixturePortal, tmp_path: Path) -> None:
    """The portal's counter sees overlapping requests, and one fetcher lets through as many at
    once as its per-host limit, no more (what the pool test relies on)."""
    settings = settings_for(tmp_path / "var", fetch_per_host=3)
    urls = _file_urls(slow_portal) * 2
    with Fetcher(settings) as fetcher:
        fetcher.head(urls[0])  # robots.txt and the first connection, before the threads start
        lock = threading.Lock()
        statuses: list[int | None] = []

        def work() -> None:
            while True:
                with lock:
                    if not urls:
                        return
                    url = urls.pop()
                got = fetcher.head(url)
                with lock:
                    statuses.append(got.status)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert statuses and set(statuses) == {200}
    assert slow_portal.state.max_in_flight == 3
    assert slow_portal.state.connections <= 3 + 1  # kept alive: one connection per slot at most


def test_heads_and_downloads_reuse_one_connection(tmp_path: Path) -> None:
    with FixturePortal.start(datasets=30, faults=False) as portal:
        settings = settings_for(tmp_path / "var")
        urls = _file_urls(portal)
        with Fetcher(settings) as fetcher:
            heads = [fetcher.head(u) for u in urls]
            downloads = [fetcher.download(u, settings.blob_dir, max_bytes=1 << 20) for u in urls[:10]]
            missing = fetcher.head(portal.base_url + "/files/no-such-file.csv")
        assert all(h.status == 200 and h.error_code is None for h in heads)
        assert all(d.blob is not None for d in downloads)  # HEAD then GET, each
        assert missing.status == 404
        # robots.txt (a 404 with a body), 30 HEADs, 10 HEAD + GET, a 404: one TCP connection.
        assert portal.state.connections == 1
        assert portal.hits("/robots.txt") == 1


def test_a_reused_connection_is_the_one_opened_to_the_checked_address(tmp_path: Path) -> None:
    """The host name is resolved (and its address checked) once, when the connection is opened;
    the requests that follow reuse that connection, so they reach that address and no other."""
    resolver = StubResolver()  # portal.example.org → 127.0.0.1
    with FixturePortal.start(datasets=12, faults=False) as portal:
        settings = settings_for(tmp_path / "var")
        with Fetcher(settings, resolver=resolver) as fetcher:
            named = [u.replace("127.0.0.1", "portal.example.org") for u in _file_urls(portal)]
            got = [fetcher.head(u) for u in named]
            refused = fetcher.head(f"http://127.0.0.2:{portal.port}/files/x.csv")
        assert all(g.status == 200 for g in got)
        assert resolver.calls == ["portal.example.org"]  # one resolution, one connection, all requests
        assert portal.state.connections == 1
        assert refused.error_code == "url-refused"  # another address is still checked
