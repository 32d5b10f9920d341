"""Helpers of the catalog-run tests: settings that let the fetcher reach the fixture portal on
127.0.0.1, a store on a temporary data dir, and the outcome of a run as comparable tuples."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.settings import Settings
from app.storage.catalogs import CatalogRuns
from app.storage.repository import Repository
from app.storage.store import Store

FETCH = {
    "fetch_allow": "127.0.0.1",  # the fixture portal; 127.0.0.2 and 169.254.169.254 stay refused
    "fetch_timeout": 2.0,  # the slow fault answers after 5 s (margin for a loaded machine)
    "fetch_deadline": 20.0,
    "fetch_max_mb": 1.0,  # the big faults are 3 MiB
    "fetch_retries": 2,
    "fetch_per_host_rps": 0.0,
    "fetch_per_host": 8,
}


def settings_for(data_dir: Path, **extra: Any) -> Settings:
    return Settings(data_dir=data_dir, **{**FETCH, **extra})


def env_for(data_dir: Path) -> dict[str, str]:
    """The same settings as environment variables, for a subprocess."""
    env = {f"ODQ_{k.upper()}": str(v) for k, v in FETCH.items()}
    env["ODQ_DATA_DIR"] = str(data_dir)
    return env


@contextmanager
def open_repo(settings: Settings) -> Iterator[Repository]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with Store.open(settings.db_path) as store:
        yield Repository(store)


def outcomes(repo: Repository, run_id: str) -> dict[str, tuple[Any, ...]]:
    """key → (status, error_code, score, band, ((code, count), …)) of every item of a run."""
    out: dict[str, tuple[Any, ...]] = {}
    for item in CatalogRuns(repo.store).items(run_id):
        report = repo.get_report(item["report_id"]) if item["report_id"] else None
        findings = tuple(sorted((f["code"], f["count"]) for f in report["findings"])) if report else ()
        out[item["key"]] = (item["status"], item["error_code"], item["score"], item["band"], findings)
    return out
