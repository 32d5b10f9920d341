"""Request ids, /metrics in the Prometheus text format, and JSON log lines without secrets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from ops_support import CORPUS, running

from app.main import create_app
from app.observability import JsonFormatter, redact, request_id_from
from app.settings import Settings

CPI = CORPUS / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part1.csv"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=tmp_path / "var", anonymous_rate_per_minute=0))) as c:
        yield c


def parse_metrics(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample line of the exposition as {(name, labels): value}; fails on a malformed line."""
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in {"counter", "gauge", "histogram"}, line
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"not an exposition line: {line!r}"
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
        base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in types or base in types, f"sample without # TYPE: {line}"
    return out


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_request_id_is_kept_returned_or_made(client: TestClient) -> None:
    r = client.get("/health", headers={"X-Request-ID": "portal-42.run:7"})
    assert r.headers["x-request-id"] == "portal-42.run:7"
    made = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    for unsafe in ("a" * 129, "<script>alert(1)</script>", "two words", ""):
        got = client.get("/api/v1/reports/x", headers={"X-Request-ID": unsafe}).headers["x-request-id"]
        assert got != unsafe and re.fullmatch(r"[0-9a-f]{32}", got)
    # Errors carry it too (the 404 above, a 415 here).
    assert "x-request-id" in client.post("/api/v1/score", content=b"a,b\n").headers
    assert request_id_from(None) != request_id_from(None)


def test_metrics_count_requests_latency_and_scored_rows(client: TestClient) -> None:
    data = CPI.read_bytes()
    for _ in range(2):  # scored, then the stored report reused
        assert client.post("/api/v1/score", files={"file": (CPI.name, data)}).status_code == 200
    assert client.get("/api/v1/reports/nope").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse_metrics(r.text)

    score = {"method": "POST", "route": "/api/v1/score"}
    assert value(samples, "odq_http_requests_total", status="200", **score) == 2
    assert (
        value(
            samples,
            "odq_http_requests_total",
            method="GET",
            route="/api/v1/reports/{report_id}",
            status="404",
        )
        == 1
    )
    assert value(samples, "odq_http_requests_total", method="GET", route="(unmatched)", status="404") == 1
    assert not any(dict(labels).get("route") == "/metrics" for _, labels in samples)
    # The histogram: cumulative buckets ending at +Inf = count.
    buckets = sorted(
        (float(dict(labels)["le"]), v)
        for (name, labels), v in samples.items()
        if name == "odq_http_request_duration_seconds_bucket" and dict(labels).get("route") == "/api/v1/score"
    )
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert buckets[-1] == (float("inf"), 2)
    assert value(samples, "odq_http_request_duration_seconds_count", **score) == 2
    assert value(samples, "odq_http_request_duration_seconds_sum", **score) > 0

    assert value(samples, "odq_reports_total", cached="false") == 1
    assert value(samples, "odq_reports_total", cached="true") == 1
    assert value(samples, "odq_scored_rows_total") == 31
    assert value(samples, "odq_scored_bytes_total") == len(data)
    assert value(samples, "odq_http_requests_in_flight") == 1  # the scrape itself
    assert value(samples, "process_resident_memory_bytes") > 10_000_000
    assert value(samples, "odq_queue_depth") == 0


def test_metrics_are_outside_the_api_schema(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_job_counts_come_from_the_job_runner_and_a_failing_collector_is_counted(client: TestClient) -> None:
    app = client.app
    app.state.job_stats = lambda: {"queued": 3, "running": 1, "done": 7}  # type: ignore[attr-defined]

    def broken() -> list[object]:
        raise RuntimeError("collector down")

    app.state.metrics.register_collector(broken)  # type: ignore[attr-defined]
    r = client.get("/metrics")
    assert r.status_code == 200
    samples = parse_metrics(r.text)
    assert value(samples, "odq_queue_depth") == 3
    assert value(samples, "odq_jobs", state="running") == 1
    assert value(samples, "odq_jobs", state="done") == 7
    assert value(samples, "odq_jobs", state="failed") == 0
    assert value(samples, "odq_metrics_collector_errors") == 1


def test_redaction() -> None:
    assert "s3cr3t" not in redact("Authorization: Bearer s3cr3t")
    assert "s3cr3t" not in redact("calling with api_key=s3cr3t&x=1")
    assert "s3cr3t" not in redact('{"token": "s3cr3t"}')
    assert "odq_AbCdEf123456" not in redact("key odq_AbCdEf123456 revoked")
    assert redact("GET /api/v1/reports 200") == "GET /api/v1/reports 200"


def test_json_formatter_writes_one_object_with_the_extras() -> None:
    import logging

    record = logging.LogRecord("odq.test", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.route = "/x"
    line = JsonFormatter().format(record)
    obj = json.loads(line)
    assert (obj["level"], obj["logger"], obj["msg"], obj["route"]) == (
        "warning",
        "odq.test",
        "hello world",
        "/x",
    )
    assert "\n" not in line


def test_served_logs_are_json_lines_with_request_ids_and_no_keys(tmp_path: Path) -> None:
    secret = "odq_SeCrEtKeY0123456789"
    log_path = tmp_path / "server.log"
    with (
        running(tmp_path / "var", log_path) as server,
        httpx2.Client(base_url=server.base_url, timeout=60) as c,
    ):
        ok = c.post(
            "/api/v1/score", files={"file": (CPI.name, CPI.read_bytes())}, headers={"X-Request-ID": "rid-1"}
        )
        assert ok.status_code == 200
        c.get(f"/api/v1/reports?api_key={secret}", headers={"X-Request-ID": "rid-2"})
        c.get("/health", headers={"Authorization": f"Bearer {secret}", "X-API-Key": secret})
        c.post(
            "/api/v1/score",
            files={"file": ("a.csv", b"a,b\n1,2\n")},
            headers={"Authorization": f"Bearer {secret}", "X-Request-ID": "rid-3"},
        )
    text = log_path.read_text(encoding="utf-8")
    assert secret not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    access = {x["request_id"]: x for x in lines if x["logger"] == "odq.access"}
    assert access["rid-1"]["route"] == "/api/v1/score"
    assert access["rid-1"]["status"] == 200
    assert access["rid-1"]["duration_ms"] > 0
    assert access["rid-2"]["path"] == "/api/v1/reports"  # the query string is not logged
    assert access["rid-3"]["status"] in (401, 200)
    assert all({"ts", "level", "logger", "msg", "request_id"} <= set(x) for x in lines)


def test_metrics_count_catalog_runs_by_state(client: TestClient) -> None:
    """odq_jobs comes from the catalog_runs table of the running app."""
    from app.storage.catalogs import CatalogRuns

    runs = CatalogRuns(client.app.state.repo.store)  # type: ignore[attr-defined]
    first = runs.create_run("a.csv", "manifest", portal=None, executor="inline", metadata_only=True)
    runs.create_run("b.csv", "manifest", portal=None, executor="inline", metadata_only=True)
    runs.update_run(first, status="done")
    samples = client.get("/metrics").text
    assert 'odq_jobs{state="done"} 1' in samples
    assert 'odq_jobs{state="queued"} 1' in samples
    assert "odq_queue_depth 1" in samples


def test_metrics_count_score_jobs_with_catalog_runs(tmp_path: Path) -> None:
    """odq_jobs and odq_queue_depth count the score queue's jobs (one worker: one running, the
    next queued) together with the catalog runs, from the tables of the running app."""
    import time

    from ops_support import generated_csv

    from app.storage.catalogs import CatalogRuns

    big = generated_csv(tmp_path / "big.csv", 300_000, seed=5)
    settings = Settings(
        data_dir=tmp_path / "var", anonymous_rate_per_minute=0, score_workers=1, score_wait_seconds=0
    )
    with TestClient(create_app(settings)) as client:
        CatalogRuns(client.app.state.repo.store).create_run(  # type: ignore[attr-defined]
            "c.csv", "manifest", portal=None, executor="inline", metadata_only=True
        )
        first = client.post("/api/v1/score", files={"file": (big.name, big.read_bytes())})
        assert first.status_code == 202, first.text[:300]
        deadline = time.monotonic() + 60
        while client.get(first.headers["location"]).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        second = client.post("/api/v1/score", files={"file": ("s.csv", b"id,v\n1,a\n2,b\n")})
        assert second.status_code == 202 and second.json()["status"] == "queued"
        busy = parse_metrics(client.get("/metrics").text)
        for location in (first.headers["location"], second.headers["location"]):
            while client.get(location).json()["status"] != "done":
                assert time.monotonic() < deadline + 240
                time.sleep(0.1)
        idle = parse_metrics(client.get("/metrics").text)

    def value(
        samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
    ) -> float:
        return samples[(name, frozenset(labels.items()))]

    assert value(busy, "odq_jobs", state="running") == 1
    assert value(busy, "odq_jobs", state="queued") == 2  # the second upload and the catalog run
    assert value(busy, "odq_queue_depth") == 2
    assert value(busy, "odq_jobs", state="done") == 0
    assert value(idle, "odq_jobs", state="done") == 2
    assert value(idle, "odq_jobs", state="running") == 0
    assert value(idle, "odq_queue_depth") == 1  # the catalog run nobody started
