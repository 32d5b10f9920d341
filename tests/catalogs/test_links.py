"""Link checks of metadata-only runs: each distinct URL is asked once per run, a large run sends its
HEADs from a helper process with the same results and the same per-host limit, and a helper
that dies loses no link check."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from portal_server import FixturePortal
from runs_support import open_repo, settings_for

from app.ingest.fetch import Fetcher
from app.jobs import links
from app.jobs.links import LinkChecker
from app.services.catalogs import run_catalog, worker_config
from app.storage.catalogs import CatalogRuns


def _heads(portal: FixturePortal, prefix: str = "HEAD ") -> int:
    with portal.state.lock:
        return sum(n for p, n in portal.state.hits.items() if isinstance(p, str) and p.startswith(prefix))


def _run(
    portal: FixturePortal, data_dir: Path, **extra: Any
) -> tuple[dict[str, Any], dict[str, tuple[Any, ...]]]:
    settings = settings_for(data_dir, fetch_per_host_rps=0, **extra)
    with open_repo(settings) as repo:
        status = run_catalog(
            repo, settings, portal.ckan_url, kind="ckan", metadata_only=True, check_links=True
        )
        items = {
            i["key"]: (i["status"], i["error_code"], i["http_status"], i["score"], i["band"], i["url"])
            for i in CatalogRuns(repo.store).items(status["job_id"])
        }
    return status, items


@pytest.fixture
def shared_portal() -> Iterator[FixturePortal]:
    """300 datasets over the corpus's 50 files, with the faults: datasets share links."""
    with FixturePortal.start(datasets=300) as portal:
        yield portal


def test_a_link_shared_by_many_datasets_is_asked_once(shared_portal: FixturePortal, tmp_path: Path) -> None:
    status, items = _run(shared_portal, tmp_path / "var")
    linked = [s for s in shared_portal.served if s.path]
    distinct = {s.path for s in linked}
    assert len(linked) > 2 * len(distinct)  # the case: links are shared
    assert status["counts"]["total"] == len(shared_portal.served) == len(items)
    # one HEAD per distinct link (redirects and a refused HEAD's GET aside: the faults' own hops)
    assert _heads(shared_portal, "HEAD /files/") == len({p for p in distinct if p.startswith("/files/")})
    # every dataset got its link's answer: all datasets sharing a URL agree, the files are 200
    by_url: dict[str, set[tuple[Any, ...]]] = {}
    for status_, code, http, _score, _band, url in items.values():
        by_url.setdefault(url, set()).add((status_, code, http))
    assert all(len(answers) == 1 for answers in by_url.values())
    files = [v for v in items.values() if v[5] and "/files/" in v[5]]
    assert files and all(v[2] == 200 and v[0] == "done" for v in files)


def test_the_helper_process_gives_the_in_process_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FixturePortal.start(datasets=260, links="distinct") as portal:
        here_status, here = _run(portal, tmp_path / "here")
        heads_here = _heads(portal, "HEAD /files/")
        monkeypatch.setattr(links, "PROCESS_MIN", 1)  # the helper from the first link on
        helper_status, helper = _run(portal, tmp_path / "helper")
        heads_helper = _heads(portal, "HEAD /files/") - heads_here
    assert here == helper
    assert here_status["catalog"] == helper_status["catalog"]
    # each distinct file link asked once by either (the 429 fault answers 429 only once ever,
    # so the runs differ in its retries: the fixture's state, not the checker's)
    assert heads_helper == heads_here == 250


def test_the_helper_keeps_the_per_host_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(links, "PROCESS_MIN", 1)
    with FixturePortal.start(datasets=24, faults=False, delay_seconds=0.05, links="distinct") as portal:
        status, _items = _run(portal, tmp_path / "var", fetch_per_host=1)
        most = portal.state.max_in_flight
        heads = _heads(portal)
    assert status["counts"]["done"] == 24 and heads == 24
    assert most == 1  # four threads in the helper, one request at a time to the host


def test_a_helper_that_dies_loses_no_link_check(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "var", fetch_per_host_rps=0)
    fields = worker_config(settings, True).settings
    with FixturePortal.start(datasets=60, faults=False, links="distinct") as portal:
        urls = [portal.base_url + s.path + f"?copy={n}" for n, s in enumerate(portal.served) if s.path]
        with Fetcher(settings) as fetcher, LinkChecker(fields, fetcher, links=links.PROCESS_MIN) as checker:
            assert not checker.in_process
            first = checker.checked(urls[:20])
            helper_pid = checker._helper.submit(os.getpid).result()  # type: ignore[union-attr]
            assert helper_pid != os.getpid()
            checker.ahead(urls[20:40])
            os.kill(helper_pid, signal.SIGKILL)
            rest = checker.checked(urls[20:40]) + checker.checked(urls[40:])
            assert checker.in_process  # the rest was checked here
        heads = _heads(portal)
    answers = first + rest
    assert [a["url"] for a in answers] == urls
    assert all(a["status"] == 200 and a["error_code"] is None for a in answers)
    assert len(urls) <= heads <= len(urls) + 20  # at most the killed batch asked twice


def test_a_record_measured_where_it_was_harvested_is_measured_as_in_a_worker(tmp_path: Path) -> None:
    """The link checks hand ``process_item`` the harvested record itself (``source``); a worker
    rebuilds it from the plain dict. Both must give the same result."""
    import dataclasses
    from datetime import date

    from app.catalogs import harvest
    from app.jobs.work import WorkSpec, process_item
    from app.services.catalogs import record_to_dict
    from tests.catalogs.test_metadata_only_fast_path import BRAZIL

    config = dataclasses.replace(
        worker_config(settings_for(tmp_path / "var"), True),
        reference_date=date(2026, 11, 27).isoformat(),
        check_links=False,
    )
    for n, record in enumerate(list(harvest(str(BRAZIL), "ckan"))[:150]):
        here = process_item(WorkSpec(f"k{n}", record_to_dict(record), config, source=record))
        there = process_item(WorkSpec(f"k{n}", record_to_dict(record), config))
        here.seconds = there.seconds = 0.0
        assert here == there
        assert here.metadata and here.metadata["findings"] is not None
