"""The three executors — inline, a process pool, Dask on a LocalCluster bound to 127.0.0.1 — give
identical results on the same catalog served by the fixture portal; workers never open the
database (the run's data dir is locked by this process the whole time)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from portal_server import FixturePortal
from runs_support import open_repo, outcomes, settings_for

from app.jobs.executors import InlineExecutor, ProcessExecutor, make_executor
from app.services.catalogs import run_catalog
from app.storage.catalogs import CatalogRuns


@pytest.fixture(scope="module")
def portal() -> Iterator[FixturePortal]:
    with FixturePortal.start(slow_seconds=5.0) as p:
        yield p


def _run(
    portal: FixturePortal, data_dir: Path, executor: str
) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    settings = settings_for(data_dir)
    with open_repo(settings) as repo:
        status = run_catalog(repo, settings, portal.ckan_url, kind="ckan", executor=executor, workers=2)
        items = CatalogRuns(repo.store).items(status["job_id"])
        workers = {i["outcome"].get("worker") for i in items if i["outcome"].get("worker")}
        return status, outcomes(repo, status["job_id"]), workers


def test_inline_process_and_dask_give_identical_results(portal: FixturePortal, tmp_path: Path) -> None:
    inline_status, inline, inline_workers = _run(portal, tmp_path / "inline", "inline")
    process_status, process, process_workers = _run(portal, tmp_path / "process", "process")
    dask_status, dask, dask_workers = _run(portal, tmp_path / "dask", "dask")

    for status in (inline_status, process_status, dask_status):
        assert status["status"] == "done"
        assert status["counts"]["pending"] == 0
        assert status["counts"]["total"] == len(portal.served)
    assert inline == process == dask
    assert len(inline) == len(portal.served)
    # Scored elsewhere: the pool and the cluster ran the work in processes other than this one.
    assert inline_workers == {f"pid-{os.getpid()}"}
    assert process_workers and f"pid-{os.getpid()}" not in process_workers
    assert dask_workers and f"pid-{os.getpid()}" not in dask_workers
    assert len(process_workers) == 2  # both cores used


def _square(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x * x


def _die(x: int) -> int:
    if x == 2:
        os._exit(9)  # a worker process dies mid-task (as if killed by the OOM killer)
    return x


def test_a_failing_task_is_reported_and_the_others_go_on() -> None:
    for executor in (InlineExecutor(), ProcessExecutor(2)):
        with executor:
            got = dict(executor.map_unordered(_square, range(6)))
        assert {k: v for k, v in got.items() if k != 3} == {0: 0, 1: 1, 2: 4, 4: 16, 5: 25}
        assert isinstance(got[3], ValueError)


def test_a_dead_worker_process_costs_only_its_task() -> None:
    with ProcessExecutor(2) as executor:
        got = dict(executor.map_unordered(_die, range(8)))
    assert sorted(got) == list(range(8))
    assert {k: v for k, v in got.items() if k != 2} == {k: k for k in range(8) if k != 2}
    assert isinstance(got[2], BaseException)


def test_unknown_executor() -> None:
    with pytest.raises(ValueError, match="unknown executor"):
        make_executor("threads")
