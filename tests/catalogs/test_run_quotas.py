"""Catalog runs are bounded: at most ODQ_CATALOG_RUNS_PER_KEY going per key (429 too-many-runs)
and ODQ_CATALOG_RUNS_MAX on the server (503 runs-full), both with Retry-After and nothing
recorded; a portal key may ask for at most ODQ_CATALOG_WORKERS workers, the administrator up to
ODQ_CATALOG_WORKERS_MAX (400 too-many-workers above). The runs are held open by a real portal on
127.0.0.1 whose catalog answers only when the test lets it: counts, never clocks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hostile_portal import HostileServer, hostile_server
from runs_support import FETCH

from app.main import create_app
from app.services import portals
from app.services.catalogs import workers_for
from app.settings import Settings
from app.storage.catalogs import CatalogRuns

ADMIN = "admin-token-for-run-quotas"


@contextmanager
def held_portal() -> Iterator[tuple[HostileServer, threading.Event]]:
    """A data.json portal whose catalog is answered only once ``release`` is set."""
    release = threading.Event()

    def catalog(query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        release.wait(60)
        body = {"dataset": [{"identifier": "one", "title": "One", "accessLevel": "public"}]}
        return 200, "application/json", json.dumps(body).encode()

    with hostile_server() as server:
        server.routes["/data.json"] = catalog
        try:
            yield server, release
        finally:
            release.set()


@contextmanager
def app(tmp_path: Path, **extra: Any) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    fetch = {**FETCH, "fetch_timeout": 90.0, "fetch_deadline": 120.0}  # the held catalog answers late
    settings = Settings(data_dir=tmp_path / "var", admin_token=ADMIN, **{**fetch, **extra})
    with TestClient(create_app(settings)) as client:
        keys = {"admin": {"X-API-Key": ADMIN}}
        for portal in ("a", "b"):
            r = client.post("/api/v1/keys", json={"portal": portal, "label": "t"}, headers=keys["admin"])
            assert r.status_code == 201, r.text
            keys[portal] = {"X-API-Key": r.json()["key"]}
        yield client, keys


def wait_finished(client: TestClient, job_ids: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [client.get(f"/api/v1/jobs/{j}").json()["status"] for j in job_ids]
        running = client.app.state.catalog_runs.running()  # type: ignore[attr-defined]
        if all(s in ("done", "failed") for s in states) and not running:
            return
        time.sleep(0.1)
    raise AssertionError(f"runs did not finish: {states}")


def start(client: TestClient, source: str, key: dict[str, str], portal: str, **extra: Any) -> Any:
    return client.post(
        "/api/v1/catalogs",
        json={"source": source, "kind": "datajson", "portal": portal, **extra},
        headers=key,
    )


def test_runs_are_capped_per_key_and_per_server(tmp_path: Path) -> None:
    with (
        held_portal() as (server, release),
        app(tmp_path, catalog_runs_per_key=2, catalog_runs_max=3) as (
            client,
            keys,
        ),
    ):
        source = f"{server.base}/data.json"
        accepted = [start(client, source, keys["a"], "a") for _ in range(2)]
        assert [r.status_code for r in accepted] == [202, 202], [r.text for r in accepted]

        over_key = start(client, source, keys["a"], "a")
        assert over_key.status_code == 429, over_key.text
        assert over_key.json()["code"] == "too-many-runs"
        assert int(over_key.headers["retry-after"]) > 0

        other = start(client, source, keys["b"], "b")
        assert other.status_code == 202, other.text  # another key has its own quota …
        full = start(client, source, keys["b"], "b")
        assert full.status_code == 503, full.text  # … but the server's is full
        assert full.json()["code"] == "runs-full" and int(full.headers["retry-after"]) > 0
        admin = start(client, source, keys["admin"], "a")
        assert admin.status_code == 503 and admin.json()["code"] == "runs-full"  # the admin too

        runs = CatalogRuns(client.app.state.store)  # type: ignore[attr-defined]
        assert len(runs.unfinished_runs()) == 3  # the refused requests recorded nothing

        release.set()
        job_ids = [r.json()["job_id"] for r in (*accepted, other)]
        wait_finished(client, job_ids)
        again = start(client, source, keys["a"], "a")
        assert again.status_code == 202, again.text  # finished runs free their places
        wait_finished(client, [again.json()["job_id"]])
    assert sum(1 for p in server.hits if p == "/data.json") == 4


def test_the_web_form_counts_against_the_same_quota(tmp_path: Path) -> None:
    with held_portal() as (server, release), app(tmp_path, catalog_runs_per_key=1) as (client, keys):
        folder = tmp_path / "portal"
        folder.mkdir()
        (folder / "a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
        portals.score_directory(
            client.app.state.repo,  # type: ignore[attr-defined]
            client.app.state.settings,  # type: ignore[attr-defined]
            folder,
            "a",
        )
        portal_id = client.get("/api/v1/portals").json()["portals"][0]["id"]
        source = f"{server.base}/data.json"
        first = start(client, source, keys["a"], "a")
        assert first.status_code == 202, first.text
        web = client.post(
            f"/portals/{portal_id}/runs",
            data={"key": keys["a"]["X-API-Key"], "source": source},
            follow_redirects=False,
        )
        assert web.status_code == 429, web.text
        release.set()
        wait_finished(client, [first.json()["job_id"]])


@pytest.mark.parametrize(
    ("who", "workers", "status"),
    [
        ("a", 3, 202),
        ("a", 4, 400),  # above ODQ_CATALOG_WORKERS without the administrator's key
        ("a", 64, 400),
        ("admin", 4, 202),
        ("admin", 6, 202),
        ("admin", 7, 400),  # above ODQ_CATALOG_WORKERS_MAX for everyone
        ("admin", 64, 400),
    ],
)
def test_workers_per_run_are_capped(tmp_path: Path, who: str, workers: int, status: int) -> None:
    with (
        held_portal() as (server, release),
        app(tmp_path, catalog_workers=3, catalog_workers_max=6) as (
            client,
            keys,
        ),
    ):
        r = start(client, f"{server.base}/data.json", keys[who], "a", workers=workers)
        assert r.status_code == status, r.text
        if status == 400:
            assert r.json()["code"] == "too-many-workers"
            assert CatalogRuns(client.app.state.store).unfinished_runs() == []  # type: ignore[attr-defined]
        release.set()
        if status == 202:
            wait_finished(client, [r.json()["job_id"]])


def test_a_run_that_asks_for_no_workers_gets_at_most_the_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, catalog_workers=2, catalog_workers_max=5)
    assert 1 <= workers_for(settings, None) <= 2
    assert workers_for(settings, 4) == 4
    assert workers_for(settings, 40) == 5  # a run recorded under looser settings is held to today's max
