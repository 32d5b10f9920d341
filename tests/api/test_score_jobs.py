"""The durable scoring queue behind POST /api/v1/score: a fresh upload not scored within
ODQ_SCORE_WAIT_SECONDS is answered 202 with a job that ends with the report a direct score gives;
a full queue is refused at once (503 queue-full, Retry-After); clients that cannot poll ask to
wait (``?wait=true``, ``Prefer: wait=N``). Real app, real DuckDB, real parsing workers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.ops.ops_support import generated_csv

ROWS = 300_000  # about 9 MB: several seconds to score, so the jobs behind it wait


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_csv(tmp_path_factory.mktemp("jobs") / "big.csv", ROWS, seed=3)


def app_client(data_dir: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(data_dir=data_dir, anonymous_rate_per_minute=0, **settings)))


def post(client: TestClient, name: str, data: bytes, path: str = "/api/v1/score", **kwargs: Any) -> Any:
    return client.post(path, files={"file": (name, data, "text/csv")}, **kwargs)


def follow(client: TestClient, status_url: str, timeout: float = 240) -> dict[str, Any]:
    """GET the job until it has finished; returns its last status document."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        job = client.get(status_url)
        assert job.status_code == 200, job.text[:300]
        body: dict[str, Any] = job.json()
        seen.append(body["status"])
        if body["status"] in ("done", "failed"):
            assert set(seen) <= {"queued", "running", "done"}, seen
            return body
        assert time.monotonic() < deadline, f"job not finished in {timeout} s: {body}"
        time.sleep(0.1)


def until_running(client: TestClient, status_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while client.get(status_url).json()["status"] == "queued":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A report without what differs between two scorings of the same bytes (id, time, timings)."""
    out = {k: v for k, v in report.items() if k not in ("id", "created_at", "timings", "elapsed_seconds")}
    return out


@pytest.fixture
def direct_report(tmp_path: Path, big_csv: Path) -> dict[str, Any]:
    """The big file scored by a client that waits (its own data dir)."""
    with app_client(tmp_path / "direct") as client:
        r = post(client, big_csv.name, big_csv.read_bytes(), "/api/v1/score?wait=true")
        assert r.status_code == 200, r.text[:300]
        assert "preference-applied" not in r.headers
        return dict(r.json())


def test_a_slow_upload_gets_202_and_its_job_ends_with_the_direct_report(
    tmp_path: Path, big_csv: Path, direct_report: dict[str, Any]
) -> None:
    with app_client(tmp_path / "var", score_wait_seconds=0.2) as client:
        started = time.monotonic()
        r = post(client, big_csv.name, big_csv.read_bytes())
        assert time.monotonic() - started < 30
        assert r.status_code == 202, r.text[:300]
        body = r.json()
        assert body["status"] in ("queued", "running")
        assert body["status_url"] == f"/api/v1/jobs/{body['job_id']}"
        assert r.headers["location"] == body["status_url"]
        assert int(r.headers["retry-after"]) >= 1
        job = follow(client, r.headers["location"])
        assert job["status"] == "done", job
        assert job["kind"] == "score" and job["origin"] == "api" and job["attempts"] == 1
        assert job["name"] == big_csv.name and job["bytes"] == big_csv.stat().st_size
        assert job["report_url"] == f"/api/v1/reports/{job['report_id']}"
        report = client.get(job["report_url"]).json()
        assert report["id"] == job["report_id"]
        assert report["source"]["rows"] == ROWS
        assert comparable(report) == comparable(direct_report)
        # The same bytes again: the stored result at once, no new job, as this upload's own report.
        again = post(client, big_csv.name, big_csv.read_bytes())
        assert again.status_code == 200 and again.headers["x-odq-cached"] == "true"
        assert again.json()["id"] != report["id"] and comparable(again.json()) == comparable(report)
        assert client.get("/health").json()["reports"] == 2


def test_a_small_file_is_answered_with_its_report(tmp_path: Path, corpus_file: Path) -> None:
    with app_client(tmp_path / "var") as client:  # the default wait
        r = post(client, corpus_file.name, corpus_file.read_bytes())
        assert r.status_code == 200, r.text[:300]
        assert r.headers["x-odq-cached"] == "false"
        job = client.get(f"/api/v1/jobs/{r.headers['x-odq-job']}").json()
        assert job["status"] == "done" and job["report_id"] == r.json()["id"]


def test_a_full_queue_is_refused_at_once(tmp_path: Path, big_csv: Path) -> None:
    settings = {"score_workers": 1, "score_queue_max": 1, "score_wait_seconds": 0}
    with app_client(tmp_path / "var", **settings) as client:
        stored = post(client, "stored.csv", b"id,name\n1,x\n2,y\n", "/api/v1/score?wait=true")
        assert stored.status_code == 200, stored.text[:300]
        first = post(client, big_csv.name, big_csv.read_bytes())
        assert first.status_code == 202, first.text[:300]
        until_running(client, first.headers["location"])
        second = post(client, "second.csv", b"id,name\n1,a\n2,b\n")
        assert second.status_code == 202, second.text[:300]
        assert second.json()["status"] == "queued" and second.json()["queue_position"] == 1
        started = time.monotonic()
        third = post(client, "third.csv", b"id,name\n1,c\n2,d\n")
        assert time.monotonic() - started < 10
        assert third.status_code == 503, third.text[:300]
        assert third.json()["code"] == "queue-full"
        assert "Retry-After" in third.json()["error"]
        assert int(third.headers["retry-after"]) >= 1
        # A stored report is still answered while the queue is full (it needs no worker).
        again = post(client, "stored.csv", b"id,name\n1,x\n2,y\n")
        assert again.status_code == 200 and again.json()["score"] == stored.json()["score"]
        assert follow(client, first.headers["location"])["status"] == "done"
        assert follow(client, second.headers["location"])["status"] == "done"
        # Room again: the refused upload is taken.
        retried = post(client, "third.csv", b"id,name\n1,c\n2,d\n")
        assert retried.status_code == 202, retried.text[:300]
        assert follow(client, retried.headers["location"])["status"] == "done"


def test_clients_that_cannot_poll_ask_to_wait(tmp_path: Path, big_csv: Path) -> None:
    data = big_csv.read_bytes()
    with app_client(tmp_path / "var", score_wait_seconds=0) as client:
        asked = post(client, big_csv.name, data, headers={"Prefer": "wait=300"})
        assert asked.status_code == 200, asked.text[:300]
        assert asked.headers["preference-applied"] == "wait=300"
        assert asked.json()["source"]["rows"] == ROWS
        small = b"id,name\n1,a\n2,b\n3,c\n"
        at_once = post(client, "async.csv", small, headers={"Prefer": "respond-async"})
        assert at_once.status_code == 202 and at_once.headers["preference-applied"] == "respond-async"
        assert follow(client, at_once.headers["location"])["status"] == "done"
        # Stored already: 200 even when asked not to wait.
        stored = post(client, "async.csv", small, "/api/v1/score?wait=false")
        assert stored.status_code == 200 and stored.headers["x-odq-cached"] == "true"
        bad = post(client, "x.csv", small, "/api/v1/score?wait=soon")
        assert bad.status_code == 400 and bad.json()["code"] == "invalid-wait"


def test_unknown_job(client: TestClient) -> None:
    r = client.get("/api/v1/jobs/" + "0" * 32)
    assert r.status_code == 404 and r.json()["code"] == "job-not-found"


def test_openapi_documents_the_job(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    score = paths["/api/v1/score"]["post"]["responses"]
    assert {"200", "202", "503"} <= set(score)
    accepted = score["202"]["content"]["application/json"]["schema"]
    assert {"job_id", "status", "status_url"} <= set(accepted["required"])
    job = paths["/api/v1/jobs/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    kinds = [s.get("properties", {}).get("kind", {}).get("const") for s in job["oneOf"]]
    assert "score" in kinds


@pytest.fixture
def queued_app(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path / "var", score_workers=1, score_wait_seconds=0) as client:
        yield client


def test_jobs_run_first_in_first_out(queued_app: TestClient, big_csv: Path) -> None:
    client = queued_app
    first = post(client, big_csv.name, big_csv.read_bytes())
    until_running(client, first.headers["location"])
    later = [post(client, f"f{i}.csv", f"id,v\n1,{i}\n2,{i + 1}\n".encode()) for i in range(4)]
    assert [r.json()["queue_position"] for r in later] == [1, 2, 3, 4]
    jobs = [follow(client, r.headers["location"]) for r in [first, *later]]
    assert all(j["status"] == "done" for j in jobs)
    starts = [j["started_at"] for j in jobs]
    assert starts == sorted(starts)
    assert len({j["report_id"] for j in jobs}) == 5


def test_identical_uploads_of_two_uploaders_get_their_own_reports(
    queued_app: TestClient, big_csv: Path
) -> None:
    client = queued_app
    first = post(client, big_csv.name, big_csv.read_bytes())
    until_running(client, first.headers["location"])
    twice = post(client, "mine.csv", big_csv.read_bytes())  # another uploader, while it is being scored
    assert twice.status_code == 202 and twice.json()["job_id"] != first.json()["job_id"]
    assert twice.headers["x-odq-delete-token"] != first.headers["x-odq-delete-token"]
    jobs = [follow(client, r.headers["location"]) for r in (first, twice)]
    assert all(j["status"] == "done" for j in jobs)
    assert jobs[0]["report_id"] != jobs[1]["report_id"]
    names = [client.get(f"/api/v1/reports/{j['report_id']}").json()["source"]["name"] for j in jobs]
    assert names == [big_csv.name, "mine.csv"]
    assert client.get("/health").json()["reports"] == 2
    # Finished: the same bytes now get the stored result at once, no job, as a third report.
    again = post(client, "again.csv", big_csv.read_bytes())
    assert again.status_code == 200 and again.json()["id"] not in {j["report_id"] for j in jobs}
    assert again.json()["source"]["name"] == "again.csv"


def test_a_job_the_store_cannot_start_fails_at_once(tmp_path: Path) -> None:
    """The store failing under a job (outside a shutdown) fails that job for its waiters and in
    its row, instead of leaving it "running" until the next restart. The fault is injected: a
    DuckDB write error cannot be provoked on demand."""
    with app_client(tmp_path / "var", score_wait_seconds=5) as client:
        queue = client.app.state.score_queue  # type: ignore[attr-defined]
        real_start = queue.jobs.start

        def broken(job_id: str) -> int:
            raise RuntimeError("disk full")

        queue.jobs.start = broken
        try:
            r = post(client, "fresh.csv", b"id,name\n1,a\n2,b\n3,c\n")
        finally:
            queue.jobs.start = real_start
        assert r.status_code == 500, r.text[:300]  # a server fault, not the file's: said at once
        assert r.json()["code"] == "internal-error"
        job_id = r.json()["error"].rsplit("(job ", 1)[1].rstrip(")")
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        assert job["status"] == "failed"
