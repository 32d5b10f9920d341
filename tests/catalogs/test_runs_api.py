"""Catalog runs through the API: POST /api/v1/catalogs answers 202 with a job id at once and the
run goes on in the server; GET /api/v1/jobs/{id} shows counts, rate and ETA; only a portal's key
holders may score into it; an unfinished run resumes when the app starts."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib
from fastapi.testclient import TestClient
from portal_server import FixturePortal
from runs_support import open_repo, settings_for

from app.main import create_app
from app.services.catalogs import create_run
from app.storage.catalogs import CatalogRuns
from app.storage.keys import KeyRepository

ADMIN = "admin-token-for-tests"


@pytest.fixture(scope="module")
def portal() -> Iterator[FixturePortal]:
    with FixturePortal.start(slow_seconds=5.0) as p:
        yield p


def wait_done(client: TestClient, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        r = client.get(f"/api/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        status = r.json()
        seen.append(status)
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {seen[-1] if seen else None}")


def test_post_catalogs_runs_in_the_background(portal: FixturePortal, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "var", admin_token=ADMIN)
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        r = client.post(
            "/api/v1/catalogs",
            json={"source": portal.ckan_url, "kind": "ckan", "portal": "fixture"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
        assert r.status_code == 202, r.text
        assert time.monotonic() - started < 2.0  # answered before the run (≥ 3 s of faults) ends
        job_id = r.json()["job_id"]
        assert r.headers["location"] == f"/api/v1/jobs/{job_id}"
        status = wait_done(client, job_id)
        assert status["status"] == "done", status
        counts = status["counts"]
        assert counts["total"] == counts["harvested"] == len(portal.served)
        assert counts["done"] + counts["failed"] == len(portal.served) and counts["pending"] == 0
        assert status["rate_per_minute"] > 0 and status["eta_seconds"] == 0.0
        assert status["portal_pass"]["datasets"] == len(portal.served)

        datasets = client.get(f"/api/v1/jobs/{job_id}/datasets").json()["datasets"]
        assert sorted(d["key"] for d in datasets) == sorted(s.key for s in portal.served)

        # The portal the run fed, as JSON and as DQV.
        body = client.get("/api/v1/portals/fixture").json()
        assert len(body["datasets"]) == len(portal.served)
        ld = client.get("/api/v1/portals/fixture", headers={"Accept": "application/ld+json"})
        assert ld.headers["content-type"].startswith("application/ld+json")
        graph = rdflib.Graph().parse(data=ld.text, format="json-ld")
        dqv = rdflib.Namespace("http://www.w3.org/ns/dqv#")
        assert len(list(graph.subjects(rdflib.RDF.type, dqv.QualityMeasurement))) >= len(portal.served)

        # The run as DQV: one dcat:Dataset per served dataset.
        run_ld = client.get(f"/api/v1/jobs/{job_id}", headers={"Accept": "application/ld+json"})
        run_graph = rdflib.Graph().parse(data=run_ld.text, format="json-ld")
        dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
        assert len(set(run_graph.subjects(rdflib.RDF.type, dcat.Dataset))) == len(portal.served)
        json.loads(run_ld.text)


def test_writing_into_a_portal_needs_its_key(portal: FixturePortal, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "var", admin_token=ADMIN)
    with TestClient(create_app(settings)) as client:
        _, key_a = KeyRepository(client.app.state.store).create("portal-a")
        body = {"source": portal.ckan_url, "kind": "ckan", "portal": "portal-b"}
        r = client.post("/api/v1/catalogs", json=body)
        assert r.status_code == 401 and r.json()["code"] == "missing-key"
        r = client.post("/api/v1/catalogs", json=body, headers={"X-API-Key": key_a})
        assert r.status_code == 403 and r.json()["code"] == "wrong-portal"
        local = {"source": "/etc", "kind": "dir", "portal": "portal-a"}
        r = client.post("/api/v1/catalogs", json=local, headers={"X-API-Key": key_a})
        assert r.status_code == 400 and r.json()["code"] == "invalid-source"
        r = client.post(
            "/api/v1/catalogs", json={**body, "executor": "threads"}, headers={"X-API-Key": key_a}
        )
        assert r.status_code == 422 and r.json()["code"] == "invalid-request"
        assert r.json()["detail"]["errors"][0]["loc"] == ["body", "executor"]
        for raw in (b"{not json", b"\xff\xfe", b"[" * 30_000):  # with a key, a body that is not JSON is a 422
            r = client.post(
                "/api/v1/catalogs",
                content=raw,
                headers={"X-API-Key": key_a, "content-type": "application/json"},
            )
            assert r.status_code == 422 and r.json()["code"] == "invalid-request", raw[:10]
        assert CatalogRuns(client.app.state.store).unfinished_runs() == []


def test_an_unfinished_run_resumes_when_the_app_starts(portal: FixturePortal, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "var")
    with open_repo(settings) as repo:  # a run recorded, then the process stopped before any work
        job_id = create_run(repo, portal.ckan_url, kind="ckan")
    with TestClient(create_app(settings)) as client:
        status = wait_done(client, job_id)
        assert status["status"] == "done"
        assert status["counts"]["total"] == len(portal.served)
