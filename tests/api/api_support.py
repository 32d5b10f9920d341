"""Helpers of the API and CLI tests (imported by the tests of tests/api and their conftest):
the report and error shapes, the real `odq` console script, and a real `odq serve` process on a
free port that is always stopped, even when a test fails.

The corpus is ``../shared/corpus`` beside the repository (read-only), found from this file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
# A GB18030 file from the national statistics portal: three title lines above the header
# (header on line 4), 31 provinces, an empty March column and two note lines below the data.
CPI_PART1 = CORPUS / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part1.csv"
CPI_PART2 = CORPUS / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part2.csv"

ODQ = Path(sys.executable).parent / "odq"

BANDS = ("excellent", "good", "sufficient", "bad")
SOURCE_KEYS = {"name", "sha256", "bytes", "format", "encoding", "header_row", "rows", "columns"}
FINDING_KEYS = {
    "code",
    "dimension",
    "severity",
    "level",
    "count",
    "share",
    "points_lost",
    "fix",
    "examples",
}
EXAMPLE_KEYS = {"row", "field", "column", "value"}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

SERVER_START_TIMEOUT = 45.0
SERVER_STOP_TIMEOUT = 15.0

Report = dict[str, Any]


# -- helpers ----------------------------------------------------------------------------------


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity (Python writes them, JSON has no such thing)."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def flatten(report: Report, keys: list[str], codes: set[str] | None = None) -> list[list[Any]]:
    """One list per example of each finding (report order) holding ``keys``, finding keys and
    example keys mixed; a finding without examples gives one list with None for example keys."""
    out: list[list[Any]] = []
    for f in report["findings"]:
        if codes is not None and f["code"] not in codes:
            continue
        for ex in f["examples"] or [{}]:
            out.append([ex.get(k) if k in EXAMPLE_KEYS else f.get(k) for k in keys])
    return out


def codes(report: Report) -> set[str]:
    return {f["code"] for f in report["findings"]}


def band_of(score: float) -> str:
    """DESIGN §4: Excellent ≥ 86.7, Good ≥ 54.6, Sufficient ≥ 29.9, Bad below."""
    if score >= 86.7:
        return "excellent"
    if score >= 54.6:
        return "good"
    if score >= 29.9:
        return "sufficient"
    return "bad"


def assert_report_shape(report: Report) -> None:
    """The report of DESIGN §8 (keys and types; values are checked by each test)."""
    for key in ("id", "scoring_version", "created_at", "source", "score", "band", "dimensions"):
        assert key in report, f"report has no {key!r}"
    assert isinstance(report["id"], str) and report["id"]
    assert set(report["source"]) >= SOURCE_KEYS, SOURCE_KEYS - set(report["source"])
    assert isinstance(report["score"], int | float)
    assert 0 <= report["score"] <= 100
    assert report["band"] in BANDS
    assert report["band"] == band_of(report["score"]), (report["score"], report["band"])
    assert report["dimensions"], "no dimension applied"
    for key, dim in report["dimensions"].items():
        assert KEBAB.match(key), key
        assert {"score", "weight", "findings"} <= set(dim), (key, dim)
        assert dim["score"] is None or 0 <= dim["score"] <= 100, (key, dim)
    for f in report["findings"]:
        assert set(f) >= FINDING_KEYS, (f.get("code"), FINDING_KEYS - set(f))
        assert KEBAB.match(f["code"]), f["code"]
        assert f["dimension"] in report["dimensions"], (f["code"], f["dimension"])
        assert isinstance(f["count"], int) and f["count"] >= 1, f
        assert 0 <= f["share"] <= 1, f
        assert f["points_lost"] >= 0, f
        assert isinstance(f["fix"], str) and f["fix"], f
        for ex in f["examples"]:
            assert set(ex) >= EXAMPLE_KEYS, (f["code"], ex)
    assert isinstance(report.get("columns", []), list)


def assert_error(response: httpx2.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: JSON ``{"ok": false, "status", "code", "error"}`` with the HTTP status."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = strict_json(response.text)
    assert isinstance(body, dict), body
    assert body.get("ok") is False, body
    assert body.get("status") == status, body
    assert isinstance(body.get("code"), str) and KEBAB.match(body["code"]), body
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    if code is not None:
        assert body["code"] == code, body
    return body


def leftovers(blob_dir: Path) -> list[str]:
    """Every file under ``blob_dir`` (temp uploads included), relative."""
    if not blob_dir.exists():
        return []
    return sorted(str(p.relative_to(blob_dir)) for p in blob_dir.rglob("*") if p.is_file())


def odq_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a subprocess: this one without any ODQ_ setting, plus ``ODQ_DATA_DIR``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}
    env["ODQ_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_odq(
    *args: str, data_dir: Path, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    assert ODQ.exists(), f"the console script is expected next to the interpreter: {ODQ}"
    return subprocess.run(
        [str(ODQ), *args],
        env=odq_env(data_dir),
        cwd=cwd or data_dir.parent,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- a real server ----------------------------------------------------------------------------


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SERVER_STOP_TIMEOUT)


@contextlib.contextmanager
def live_server(data_dir: Path, log_dir: Path, **env: str) -> Iterator[LiveServer]:
    """Run ``odq serve --host 127.0.0.1 --port <free>`` on ``data_dir`` until the block ends.

    Waits (bounded) for ``GET /health``; fails with the server's output if it does not come up.
    ``env`` adds ODQ_ settings (``ODQ_FETCH_ALLOW="127.0.0.1"``).
    The process is terminated and reaped however the block ends.
    """
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ODQ), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=odq_env(data_dir, **env),
            cwd=data_dir.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(process, f"http://127.0.0.1:{port}", data_dir, log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"odq serve exited with {process.returncode}:\n{server.log()}")
            try:
                r = httpx2.get(f"{server.base_url}/health", timeout=2.0)
                if r.status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"odq serve did not answer /health within {SERVER_START_TIMEOUT:.0f} s:\n{server.log()}"
                )
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)
