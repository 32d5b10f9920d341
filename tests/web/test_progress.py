"""The progress page of a large upload from the web form follows its durable score job: it
moves on to the report, and a job a crash left unscored is scored at the next start, so its
progress page still reaches the report."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.ingest.blobs import BlobWriter
from app.main import create_app
from app.settings import Settings
from app.storage.score_jobs import ScoreJobs
from app.storage.store import Store

PROGRESS = re.compile(r"^/progress/([0-9a-f]{32})$")


def csv_bytes(rows: int, seed: int = 0) -> bytes:
    lines = ["id,district,amount,note"]
    lines += [
        f"{i},d{i % 12},{(i * 31 + seed) % 9000},{'暂无' if i % 50 == 0 else f'n{i}'}" for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def follow_state(client: TestClient, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/progress/{job_id}/state")
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        state: dict[str, Any] = r.json()
        assert state["state"] in ("queued", "running", "done"), state
        if state["state"] == "done":
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.1)


def test_a_large_upload_follows_its_job_to_the_report(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", anonymous_rate_per_minute=0, web_background_mb=0.01)
    data = csv_bytes(3000)
    assert len(data) > 0.01 * 1024 * 1024
    with TestClient(create_app(settings)) as client:
        r = client.post("/upload", files={"file": ("spending.csv", data, "text/csv")}, follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
        match = PROGRESS.match(r.headers["location"])
        assert match, r.headers["location"]
        job_id = match.group(1)
        page = client.get(f"/progress/{job_id}", follow_redirects=False)
        assert page.status_code in (200, 303)
        state = follow_state(client, job_id)
        assert state["name"] == "spending.csv" and state["bytes"] == len(data)
        assert state["report_url"] == f"/reports/{state['report_id']}"
        done = client.get(f"/progress/{job_id}", follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == state["report_url"]
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        assert job["kind"] == "score" and job["origin"] == "web" and job["report_id"] == state["report_id"]
        report = client.get(f"/api/v1/reports/{state['report_id']}").json()
        assert report["source"]["rows"] == 3000


def test_an_upload_left_by_a_crash_is_scored_at_the_next_start(tmp_path: Path) -> None:
    """The form had stored the file and written its job when the server died: the next start
    scores it, and the progress page the browser was on reaches the report."""
    settings = Settings(data_dir=tmp_path / "var", anonymous_rate_per_minute=0)
    settings.data_dir.mkdir(parents=True)
    data = csv_bytes(2000, seed=9)
    writer = BlobWriter(settings.blob_dir, settings.max_upload_bytes)
    writer.write(data)
    blob = writer.commit()
    with Store.open(settings.db_path) as store:
        jobs = ScoreJobs(store)
        job = jobs.create(
            origin="web",
            sha256=blob.sha256,
            name="left-behind.csv",
            size=blob.size,
            blob_path=str(blob.path),
            options={"store_rows": True},
        )
        jobs.start(job["id"])  # it was running when the server died
    with TestClient(create_app(settings)) as client:
        state = follow_state(client, job["id"])
        assert state["name"] == "left-behind.csv"
        done = client.get(f"/progress/{job['id']}", follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/reports/{state['report_id']}"
        page = client.get(done.headers["location"])
        assert page.status_code == 200 and "left-behind.csv" in page.text
        assert client.get(f"/api/v1/jobs/{job['id']}").json()["attempts"] == 2
        assert client.get("/health").json()["reports"] == 1


def test_an_unknown_progress_page_is_a_404(client: TestClient) -> None:
    assert client.get("/progress/" + "f" * 32).status_code == 404
    assert client.get("/progress/" + "f" * 32 + "/state").status_code == 404
