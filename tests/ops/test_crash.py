"""Crash safety of the real server: SIGKILL while a file is scored and while reports are being
written, SIGTERM with a request in flight. After each, the database opens, no half-written report
is visible (a report, its findings and its scores are one transaction), every report a client was
answered with is still there, and the service goes on working."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx2
import pytest
from ops_support import CORPUS, Server, generated_csv

pytestmark = pytest.mark.slow

SMALL = CORPUS / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part1.csv"
BIG_ROWS = 400_000  # about 12 MB: scoring takes seconds, long enough to be killed in the middle


def integrity(db_path: Path) -> set[str]:
    """Open the file the server left behind and check that every report is whole; return the ids."""
    con = duckdb.connect(str(db_path))  # replays the WAL of the killed process
    try:
        orphans = con.execute(
            """
            SELECT (SELECT count(*) FROM findings WHERE report_id NOT IN (SELECT id FROM reports)),
                   (SELECT count(*) FROM scores WHERE report_id NOT IN (SELECT id FROM reports))
            """
        ).fetchall()[0]
        assert orphans == (0, 0), f"findings/scores without their report: {orphans}"
        partial = con.execute(
            """
            SELECT r.id,
                   json_array_length(r.report_json -> '$.findings') AS expected_findings,
                   (SELECT count(*) FROM findings f WHERE f.report_id = r.id) AS findings,
                   len(json_keys(r.report_json, '$.dimensions')) + 1 AS expected_scores,
                   (SELECT count(*) FROM scores s WHERE s.report_id = r.id) AS scores
            FROM reports r
            WHERE expected_findings <> findings OR expected_scores <> scores
            """
        ).fetchall()
        assert partial == [], f"half-written reports: {partial}"
        return {r[0] for r in con.execute("SELECT id FROM reports").fetchall()}
    finally:
        con.close()


def blobs_of(data_dir: Path) -> list[Path]:
    root = data_dir / "blobs"
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")] if root.exists() else []


def post_in_background(url: str, path: Path, out: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            with path.open("rb") as fh:
                out["response"] = httpx2.post(
                    f"{url}/api/v1/score?wait=true", files={"file": (path.name, fh, "text/csv")}, timeout=300
                )
        except httpx2.TransportError as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_for_blob(data_dir: Path, before: int, timeout: float = 60) -> None:
    """Until the upload is complete (its blob is committed): scoring starts right after."""
    deadline = time.monotonic() + timeout
    while len(blobs_of(data_dir)) <= before:
        assert time.monotonic() < deadline, "the upload never completed"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_csv(tmp_path_factory.mktemp("big") / "big.csv", BIG_ROWS, seed=1)


def test_sigkill_while_scoring(tmp_path: Path, big_csv: Path) -> None:
    data_dir = tmp_path / "var"
    server = Server(data_dir, tmp_path / "server.log").start()
    try:
        with httpx2.Client(base_url=server.base_url, timeout=60) as client:
            first = client.post("/api/v1/score?wait=true", files={"file": (SMALL.name, SMALL.read_bytes())})
        assert first.status_code == 200, first.text[:300]
        out: dict[str, Any] = {}
        thread = post_in_background(server.base_url, big_csv, out)
        wait_for_blob(data_dir, before=1)
        time.sleep(0.3)  # well inside the scoring of 400,000 rows
        assert server.kill(signal.SIGKILL) == -signal.SIGKILL
        thread.join(30)
        assert "response" not in out, "the big file was scored before the kill: make it bigger"
        assert isinstance(out.get("error"), httpx2.TransportError)
    finally:
        server.stop()

    assert integrity(data_dir / "odq.duckdb") == {first.json()["id"]}
    server.start()  # on the same data dir: the upload being scored is a durable job, resumed now
    try:
        wait_for_finished_jobs(server.base_url, 2)
    finally:
        server.stop()
    jobs = score_jobs(data_dir / "odq.duckdb")
    assert [(j["name"], j["status"]) for j in jobs] == [(SMALL.name, "done"), ("big.csv", "done")]
    assert jobs[1]["attempts"] == 2, jobs  # started before the kill, and once more after
    stored = integrity(data_dir / "odq.duckdb")
    assert stored == {first.json()["id"], jobs[1]["report_id"]}
    server.start()
    try:
        with httpx2.Client(base_url=server.base_url, timeout=300) as client:
            report = client.get(f"/api/v1/reports/{jobs[1]['report_id']}").json()
            assert report["source"]["rows"] == BIG_ROWS
            # Sending it again gives that result at once (the resumed job stored it), as a report of its own.
            with big_csv.open("rb") as fh:
                again = client.post("/api/v1/score", files={"file": (big_csv.name, fh, "text/csv")})
            assert again.status_code == 200, again.text[:300]
            assert again.headers["x-odq-cached"] == "true"
            assert again.json()["id"] != report["id"] and again.json()["score"] == report["score"]
            assert client.get("/health").json()["reports"] == 3
    finally:
        server.stop()


def score_jobs(db_path: Path) -> list[dict[str, Any]]:
    """The score_jobs rows the server left behind (read after it has stopped), in FIFO order."""
    con = duckdb.connect(str(db_path))
    try:
        rows = con.execute(
            "SELECT id, name, status, report_id, attempts FROM score_jobs ORDER BY seq"
        ).fetchall()
    finally:
        con.close()
    return [dict(zip(("id", "name", "status", "report_id", "attempts"), r, strict=True)) for r in rows]


def wait_for_finished_jobs(base_url: str, done: int, timeout: float = 240) -> None:
    """Until /metrics counts ``done`` finished jobs and none queued or running."""
    deadline = time.monotonic() + timeout
    wanted = [f'odq_jobs{{state="done"}} {done}', 'odq_jobs{state="queued"} 0', 'odq_jobs{state="running"} 0']
    while True:
        text = httpx2.get(f"{base_url}/metrics", timeout=30).text
        if all(line in text.splitlines() for line in wanted):
            return
        assert time.monotonic() < deadline, [x for x in text.splitlines() if x.startswith("odq_jobs")]
        time.sleep(0.2)


def test_sigkill_while_writing_reports(tmp_path: Path) -> None:
    """Four clients store small distinct files as fast as they can; the server is killed three
    times while they do, at different moments. Every report a client got a 200 for survives,
    none is partial."""
    data_dir = tmp_path / "var"
    files = tmp_path / "files"
    files.mkdir()
    server = Server(data_dir, tmp_path / "server.log")
    acknowledged: set[str] = set()
    lock = threading.Lock()
    seed = iter(range(1, 1_000_000))
    seed_lock = threading.Lock()

    def client_loop(url: str, stop: threading.Event) -> None:
        with httpx2.Client(base_url=url, timeout=60) as client:
            while not stop.is_set():
                with seed_lock:
                    n = next(seed)
                path = generated_csv(files / f"f{n}.csv", 1500, seed=n)
                try:
                    r = client.post("/api/v1/score?wait=true", files={"file": (path.name, path.read_bytes())})
                except httpx2.TransportError:
                    return
                assert r.status_code == 200, r.text[:300]
                with lock:
                    acknowledged.add(r.json()["id"])

    for delay in (0.0, 0.25, 0.6):
        server.start()
        stop = threading.Event()
        threads = [threading.Thread(target=client_loop, args=(server.base_url, stop)) for _ in range(4)]
        for t in threads:
            t.start()
        # Kill once reports are flowing (two more answered), at a different moment each round.
        target = len(acknowledged) + 2
        deadline = time.monotonic() + 180
        while len(acknowledged) < target:
            assert time.monotonic() < deadline, f"no report was answered in 180 s:\n{server.log()[-2000:]}"
            time.sleep(0.01)
        time.sleep(delay)
        server.kill(signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(60)
        stored = integrity(data_dir / "odq.duckdb")
        missing = acknowledged - stored
        assert not missing, f"reports answered with 200 but lost by the kill: {missing}"

    assert acknowledged, "no report was written before the kills"
    server.start()
    try:
        with httpx2.Client(base_url=server.base_url, timeout=60) as client:
            for report_id in sorted(acknowledged):
                assert client.get(f"/api/v1/reports/{report_id}").status_code == 200
            ok = client.post("/api/v1/score", files={"file": (SMALL.name, SMALL.read_bytes())})
            assert ok.status_code == 200, ok.text[:300]
            total = client.get("/health").json()["reports"]
    finally:
        server.stop()
    assert total == len(integrity(data_dir / "odq.duckdb"))


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path, big_csv: Path) -> None:
    data_dir = tmp_path / "var"
    server = Server(data_dir, tmp_path / "server.log").start()
    out: dict[str, Any] = {}
    try:
        thread = post_in_background(server.base_url, big_csv, out)
        wait_for_blob(data_dir, before=0)
        time.sleep(0.2)
        started = time.monotonic()
        code = server.kill(signal.SIGTERM)
        thread.join(60)
    finally:
        server.stop()
    # uvicorn ends with the signal it caught (re-raised after a clean shutdown), or 0.
    assert code in (0, -signal.SIGTERM), server.log()[-2000:]
    assert "Application shutdown complete" in server.log()
    assert time.monotonic() - started < 60
    response = out.get("response")
    assert response is not None, f"the request in flight was dropped: {out.get('error')!r}"
    assert response.status_code == 200, response.text[:300]
    report = response.json()
    assert report["source"]["rows"] == BIG_ROWS
    assert integrity(data_dir / "odq.duckdb") == {report["id"]}


def test_sigkill_with_queued_jobs_resumes_each_once(tmp_path: Path, big_csv: Path) -> None:
    """One scoring worker, a big upload running and four queued behind it: SIGKILL. At the next
    start every job is scored from its blob, each ends done with its own report, stored once."""
    data_dir = tmp_path / "var"
    env = {"ODQ_SCORE_WORKERS": "1", "ODQ_SCORE_WAIT_SECONDS": "0"}
    server = Server(data_dir, tmp_path / "server.log", env).start()
    small = [generated_csv(tmp_path / f"queued{i}.csv", 2000, seed=100 + i) for i in range(4)]
    try:
        with httpx2.Client(base_url=server.base_url, timeout=60) as client:
            with big_csv.open("rb") as fh:
                first = client.post("/api/v1/score", files={"file": (big_csv.name, fh, "text/csv")})
            assert first.status_code == 202, first.text[:300]
            ids = [first.json()["job_id"]]
            deadline = time.monotonic() + 60
            while client.get(first.headers["location"]).json()["status"] != "running":
                assert time.monotonic() < deadline, "the big job never started"
                time.sleep(0.02)
            for path in small:
                r = client.post("/api/v1/score", files={"file": (path.name, path.read_bytes())})
                assert r.status_code == 202 and r.json()["status"] == "queued", r.text[:300]
                ids.append(r.json()["job_id"])
            states = [client.get(f"/api/v1/jobs/{i}").json()["status"] for i in ids]
        assert states == ["running", "queued", "queued", "queued", "queued"], states
        assert server.kill(signal.SIGKILL) == -signal.SIGKILL
    finally:
        server.stop()

    assert integrity(data_dir / "odq.duckdb") == set()  # nothing was stored before the kill
    server.start()
    try:
        with httpx2.Client(base_url=server.base_url, timeout=60) as client:
            jobs = []
            for job_id in ids:
                deadline = time.monotonic() + 240
                while (job := client.get(f"/api/v1/jobs/{job_id}").json())["status"] not in (
                    "done",
                    "failed",
                ):
                    assert time.monotonic() < deadline, job
                    time.sleep(0.1)
                jobs.append(job)
            reports = [client.get(j["report_url"]).json() for j in jobs]
    finally:
        server.stop()
    assert [j["status"] for j in jobs] == ["done"] * 5, jobs
    assert [j["attempts"] for j in jobs] == [2, 1, 1, 1, 1]
    assert [r["source"]["name"] for r in reports] == [big_csv.name] + [p.name for p in small]
    assert reports[0]["source"]["rows"] == BIG_ROWS
    rows = score_jobs(data_dir / "odq.duckdb")
    assert [r["id"] for r in rows] == ids and all(r["status"] == "done" for r in rows)
    assert integrity(data_dir / "odq.duckdb") == {r["id"] for r in reports}  # five, each once
