"""No expensive work in the request path: expectation suites are built once with the report and
served as stored, uploads and URLs (the API's and the web form's) are jobs of the one bounded
score queue (503 with Retry-After when it is full), /health is answered while every scoring
worker is busy, a shutdown ends held work within ODQ_SHUTDOWN_SECONDS, declared suites and
schemas are capped, and a malformed multipart body or a number past the float range is a 4xx or
a report, never a 500."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from api_support import live_server, strict_json
from fastapi.testclient import TestClient
from trickle import csv_body, trickle_server

from app.main import create_app
from app.settings import Settings

LIVE_ENV = {
    "ODQ_FETCH_ALLOW": "127.0.0.1",
    "ODQ_FETCH_PER_HOST_RPS": "0",
    "ODQ_ANONYMOUS_RATE_PER_MINUTE": "0",
    "ODQ_SCORE_QUEUE_MAX": "500",
}


def suite_of(n: int) -> dict[str, Any]:
    return {
        "name": "many",
        "expectations": [
            {"type": "expect_column_to_exist", "kwargs": {"column": f"c{i}"}, "meta": {}} for i in range(n)
        ],
    }


@pytest.fixture
def app_client(data_dir: Path) -> Iterator[tuple[Any, TestClient]]:
    app = create_app(Settings(data_dir=data_dir, anonymous_rate_per_minute=0))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client


# ---- multipart ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/score", "/upload"])
def test_a_multipart_boundary_over_256_characters_is_400(
    app_client: tuple[Any, TestClient], path: str
) -> None:
    _, client = app_client
    boundary = "b" * 300
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\r\n1,2\r\n'
    )
    body += f"--{boundary}--\r\n"
    r = client.post(
        path, content=body.encode(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert r.status_code == 400, r.text[:300]
    assert 'data-code="malformed-multipart"' in r.text or r.json()["code"] == "malformed-multipart"


# ---- suites built once --------------------------------------------------------------------------


def test_the_suite_is_built_with_the_report_and_served_as_stored(app_client: tuple[Any, TestClient]) -> None:
    """Changing the kept rows after scoring changes nothing: the route never rebuilds the suite."""
    app, client = app_client
    data = b"id,amount\n1,10\n2,20\n3,30\n4,40\n"
    report = client.post("/api/v1/score?wait=true", files={"file": ("a.csv", data)}).json()
    sha = report["source"]["sha256"]
    cur = app.state.store.cursor()
    stored = cur.execute("SELECT basis FROM report_suites WHERE report_id = ?", [report["id"]]).fetchall()
    assert stored == [("rows",)]
    with app.state.store.transaction() as tx:
        tx.execute(f"UPDATE data.\"r_{sha}\" SET c2 = '99999'")
    r = client.get(f"/api/v1/reports/{report['id']}/expectations")
    assert r.status_code == 200, r.text[:300]
    between = [e for e in r.json()["expectations"] if e["type"] == "expect_column_values_to_be_between"]
    assert {"column": "amount", "min_value": 10, "max_value": 40} in [e["kwargs"] for e in between]


def test_a_number_past_the_float_range_never_makes_a_500(app_client: tuple[Any, TestClient]) -> None:
    _, client = app_client
    data = b"id,big,small\n1,1e400,-1e400\n2,5,3\n3,1e400,2\n4,7,1\n"
    r = client.post("/api/v1/score?wait=true", files={"file": ("inf.csv", data)})
    assert r.status_code == 200, r.text[:300]
    report = strict_json(r.text)
    r = client.get(f"/api/v1/reports/{report['id']}/expectations")
    assert r.status_code == 200, r.text[:300]
    suite = strict_json(r.text)
    bounds = {
        e["kwargs"]["column"]: (e["kwargs"]["min_value"], e["kwargs"]["max_value"])
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_between"
    }
    assert bounds["big"] == (5.0, None) and bounds["small"] == (None, 3.0)
    again = client.post("/api/v1/score?wait=true", files={"file": ("inf2.csv", data + b"5,1,1\n")}, data={})
    assert again.status_code == 200
    # The suite the server wrote runs on the file it came from.
    same = client.post(
        "/api/v1/score?wait=true",
        files={"file": ("inf.csv", data), "expectations": ("s.json", json.dumps(suite).encode())},
    )
    assert same.status_code == 200, same.text[:300]
    assert same.json()["checks"]["expectations"] == "pass"


# ---- caps on declared rules ---------------------------------------------------------------------


def test_suites_and_schemas_are_capped(data_dir: Path) -> None:
    settings = Settings(
        data_dir=data_dir,
        anonymous_rate_per_minute=0,
        suite_max_rules=50,
        suite_max_bytes=4096,
        admin_token="admin-secret-for-tests",  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings)) as client:
        many = json.dumps(suite_of(51)).encode()
        r = client.post(
            "/api/v1/score", files={"file": ("a.csv", b"c0\n1\n"), "expectations": ("s.json", many)}
        )
        assert r.status_code == 422 and r.json()["code"] == "too-many-rules", r.text[:300]
        assert "ODQ_SUITE_MAX_RULES" in r.json()["error"]
        fields = [{"name": f"f{i}", "type": "string"} for i in range(51)]
        schema = json.dumps({"fields": fields}).encode()
        r = client.post("/api/v1/score", files={"file": ("a.csv", b"f0\n1\n"), "schema": ("t.json", schema)})
        assert r.status_code == 422 and r.json()["code"] == "too-many-rules", r.text[:300]
        admin = {"Authorization": "Bearer admin-secret-for-tests"}
        r = client.put("/api/v1/portals/demo/expectations", content=many, headers=admin)
        assert r.status_code == 422 and r.json()["code"] == "too-many-rules", r.text[:300]
        big = json.dumps({**suite_of(1), "meta": {"pad": "x" * 5000}}).encode()
        r = client.put("/api/v1/portals/demo/expectations", content=big, headers=admin)
        assert r.status_code == 413 and r.json()["code"] == "suite-too-large", r.text[:300]
        r = client.post(
            "/api/v1/score", files={"file": ("a.csv", b"c0\n1\n"), "expectations": ("s.json", big)}
        )
        assert r.status_code == 400 and r.json()["code"] == "field-too-long", r.text[:300]
        fine = json.dumps(suite_of(50)).encode()
        r = client.put("/api/v1/portals/demo/expectations", content=fine, headers=admin)
        assert r.status_code == 200, r.text[:300]


# ---- the queue --------------------------------------------------------------------------------


def test_a_full_queue_refuses_the_web_form_with_503_and_urls_are_jobs(data_dir: Path) -> None:
    """One worker held by a slow URL, one job waiting (the queue's maximum): the form, its URL
    field and the API are refused at once with 503 and Retry-After; the URLs finish as jobs."""
    settings = Settings(
        data_dir=data_dir,
        anonymous_rate_per_minute=0,
        score_workers=1,
        score_queue_max=1,
        fetch_allow="127.0.0.1",
        fetch_per_host_rps=0,
    )
    with trickle_server() as slow, TestClient(create_app(settings)) as client:
        first = client.post("/api/v1/score?wait=0", json={"url": f"{slow.base_url}/slow-1.csv"})
        assert first.status_code == 202, first.text[:300]
        assert slow.wait_started(1) == 1  # the worker is downloading
        second = client.post("/api/v1/score?wait=0", json={"url": f"{slow.base_url}/slow-2.csv"})
        assert second.status_code == 202 and second.json()["queue_position"] == 1
        r = client.post(
            "/upload", files={"file": ("我的数据.csv", b"a,b\n1,2\n", "text/csv")}, follow_redirects=False
        )
        assert r.status_code == 503, r.text[:300]
        assert int(r.headers["retry-after"]) >= 1
        assert 'data-code="queue-full"' in r.text and "我的数据.csv" in r.text
        r = client.post("/upload", files={"file": ("", b"")}, data={"url": f"{slow.base_url}/slow-3.csv"})
        assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
        r = client.post("/api/v1/score", files={"file": ("b.csv", b"a,b\n3,4\n")})
        assert r.status_code == 503 and r.json()["code"] == "queue-full"
        slow.release.set()
        for accepted in (first, second):
            job = accepted.json()
            for _ in range(600):
                state = client.get(job["status_url"]).json()
                if state["status"] in ("done", "failed"):
                    break
                threading.Event().wait(0.05)
            assert state["status"] == "done", state
            report = client.get(state["report_url"]).json()
            assert report["source"]["url"].startswith(slow.base_url) and report["source"]["rows"] == 40


# ---- a real server under load ------------------------------------------------------------------


def _health_answers(base_url: str, times: int) -> list[int]:
    return [httpx2.get(f"{base_url}/health", timeout=5.0).status_code for _ in range(times)]


def test_health_answers_while_uploads_and_slow_urls_fill_the_server(tmp_path: Path) -> None:
    """45 URLs trickling a byte at a time and 20 form uploads in flight (each held behind the
    downloads): /health still answers, five times in a row, each within the client's 5 s."""
    with trickle_server() as slow, live_server(tmp_path / "var", tmp_path / "logs", **LIVE_ENV) as server:
        urls, forms = 45, 20
        pool = ThreadPoolExecutor(urls + forms)
        try:
            url_calls = [
                pool.submit(
                    httpx2.post,
                    f"{server.base_url}/api/v1/score",
                    json={"url": f"{slow.base_url}/slow-{i}.csv"},
                    timeout=300.0,
                )
                for i in range(urls)
            ]
            form_calls = [
                pool.submit(
                    httpx2.post,
                    f"{server.base_url}/upload",
                    files={"file": (f"f{i}.csv", csv_body(1000 + i) * 50, "text/csv")},
                    timeout=300.0,
                )
                for i in range(forms)
            ]
            assert slow.wait_started(1) >= 1
            assert _health_answers(server.base_url, 5) == [200] * 5
            slow.release.set()
            answered = [c.result() for c in url_calls + form_calls]
        finally:
            slow.release.set()
            pool.shutdown(wait=True)
        assert [r.status_code for r in answered[:urls]] == [200] * urls
        assert {r.status_code for r in answered[urls:]} == {303}  # sent on to the report page
        assert all(r.headers["location"].startswith("/reports/") for r in answered[urls:])


def test_a_shutdown_ends_held_downloads_within_the_stated_time(tmp_path: Path) -> None:
    """SIGTERM with three URL requests held by a trickling host: the server exits within
    ODQ_SHUTDOWN_SECONDS twice over plus the workers' end (the wait below), not when the host lets go."""
    env = {**LIVE_ENV, "ODQ_SHUTDOWN_SECONDS": "2"}
    with trickle_server() as slow, live_server(tmp_path / "var", tmp_path / "logs", **env) as server:
        pool = ThreadPoolExecutor(3)
        try:
            for i in range(3):
                pool.submit(
                    httpx2.post,
                    f"{server.base_url}/api/v1/score",
                    json={"url": f"{slow.base_url}/slow-{i}.csv"},
                    timeout=120.0,
                )
            assert slow.wait_started(2) >= 2
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pytest.fail(f"odq serve still running 20 s after SIGTERM:\n{server.log()}")
        finally:
            slow.release.set()
            pool.shutdown(wait=True)
