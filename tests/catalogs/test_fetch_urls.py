"""Scoring a URL: ``POST /api/v1/score`` with a ``url`` (JSON body, multipart field or plain form)
and ``odq score URL``, against a real HTTP server on 127.0.0.1 serving a real portal file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_fetch import LocalServer, send

from app.main import create_app
from app.settings import Settings
from tests.conftest import CORPUS, score_path

CPI = CORPUS / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part1.csv"
ODQ = Path(sys.executable).parent / "odq"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    body = CPI.read_bytes()
    with LocalServer() as s:
        s.routes["/data/cpi.csv"] = lambda h: send(h, 200, body, {"Content-Type": "text/csv"})
        s.routes["/moved.csv"] = lambda h: send(h, 302, b"", {"Location": "/data/cpi.csv"})
        s.routes["/page.csv"] = lambda h: send(
            h,
            200,
            b"<!DOCTYPE html><html><body><h1>Download</h1></body></html>",
            {"Content-Type": "text/html"},
        )
        s.routes["/error.csv"] = lambda h: send(h, 500, b"oops")
        yield s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", fetch_allow="127.0.0.1", fetch_per_host_rps=0, fetch_retries=0)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_json_url_is_scored_like_the_file(client: TestClient, server: LocalServer) -> None:
    url = server.url("/data/cpi.csv")
    r = client.post("/api/v1/score", json={"url": url})
    assert r.status_code == 200, r.text[:400]
    report = r.json()
    expected = score_path(CPI)
    assert report["source"]["url"] == url and report["source"]["name"] == "cpi.csv"
    assert report["source"]["http_status"] == 200
    assert (
        report["source"]["encoding"] == "gb18030" and report["source"]["rows"] == expected["source"]["rows"]
    )
    assert report["score"] == expected["score"]
    assert {f["code"] for f in report["findings"]} == {f["code"] for f in expected["findings"]}
    # the same bytes again: the stored result, as this request's own (unlisted) report
    again = client.post("/api/v1/score", json={"url": url})
    assert again.headers["x-odq-cached"] == "true" and again.json()["id"] != report["id"]
    assert again.json()["score"] == report["score"]


@pytest.mark.parametrize(
    "kwargs",
    [
        lambda url: {"data": {"url": url}},  # plain HTML form
        lambda url: {"data": {"url": url}, "files": {"note": (None, "from a form")}},  # multipart
    ],
    ids=["urlencoded", "multipart"],
)
def test_url_as_a_form_field(client: TestClient, server: LocalServer, kwargs: object) -> None:
    r = client.post("/api/v1/score", **kwargs(server.url("/moved.csv")))  # type: ignore[operator]
    assert r.status_code == 200, r.text[:400]
    assert r.json()["source"]["name"] == "cpi.csv"  # named after where the redirect ended


def test_a_failed_download_is_a_scored_report(client: TestClient, server: LocalServer) -> None:
    r = client.post("/api/v1/score", json={"url": server.url("/error.csv")})
    assert r.status_code == 200
    report = r.json()
    assert report["score"] == 0 and report["fatal"] == "download-failed"
    assert [f["code"] for f in report["findings"]] == ["download-failed"]
    assert report["source"]["http_status"] == 500 and report["source"]["error_code"] == "download-failed"
    assert "HTTP 500" in report["findings"][0]["examples"][0]["value"]
    assert client.get("/health").json()["reports"] == 0  # not stored


def test_html_behind_a_csv_link(client: TestClient, server: LocalServer) -> None:
    report = client.post("/api/v1/score", json={"url": server.url("/page.csv")}).json()
    codes = {f["code"] for f in report["findings"]}
    assert codes & {"format-mismatch", "unreadable-file"}, codes
    assert report["source"]["format"] == "html"


def test_loopback_is_refused_without_the_allowlist(tmp_path: Path, server: LocalServer) -> None:
    before = sum(server.hits.values())
    with TestClient(create_app(Settings(data_dir=tmp_path / "strict"))) as strict:
        r = strict.post("/api/v1/score", json={"url": server.url("/data/cpi.csv")})
        assert r.status_code == 400 and r.json()["code"] == "url-refused"
        r = strict.post("/api/v1/score", json={"url": f"http://localhost:{server.port}/data/cpi.csv"})
        assert r.status_code == 400 and r.json()["code"] == "url-refused"
    assert sum(server.hits.values()) == before  # nothing reached the server
    assert not any(p.is_file() for p in (tmp_path / "strict" / "blobs").rglob("*"))


def _odq(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ODQ), *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_scores_a_url(tmp_path: Path, server: LocalServer) -> None:
    env = {**os.environ, "ODQ_DATA_DIR": str(tmp_path / "var"), "ODQ_FETCH_ALLOW": "127.0.0.1"}
    done = _odq("score", server.url("/data/cpi.csv"), "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (
        report["source"]["url"] == server.url("/data/cpi.csv") and report["source"]["encoding"] == "gb18030"
    )
    failed = _odq("score", server.url("/error.csv"), "--format", "json", "--fail-under", "1", env=env)
    assert failed.returncode == 1 and json.loads(failed.stdout)["fatal"] == "download-failed"


def test_cli_refuses_a_private_url(tmp_path: Path) -> None:
    env = {**os.environ, "ODQ_DATA_DIR": str(tmp_path / "var")}
    env.pop("ODQ_FETCH_ALLOW", None)
    done = _odq("score", "http://169.254.169.254/latest/meta-data/", "--no-store", env=env)
    assert done.returncode == 2 and "url-refused" in done.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/data.csv",
        "http://localhost./data.csv",
        "http://api.LOCALHOST/data.csv",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://printer.local/data.csv",
        "http://nas.home.arpa/data.csv",
        "http://x.invalid/data.csv",
        "http://portal.test/data.csv",
        "http://www.example/data.csv",
        "http://hidden.onion/data.csv",
    ],
)
def test_special_use_host_names_are_a_400_not_a_report(client: TestClient, url: str) -> None:
    r = client.post("/api/v1/score", json={"url": url})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "url-refused" and "special-use" in r.json()["error"]
    assert client.get("/api/v1/reports").json()["reports"] == []


def test_a_host_that_does_not_resolve_is_a_400_not_a_report(client: TestClient) -> None:
    """The name is looked up (it is not special-use) and has no address: 400 host-not-found,
    never a report scored 0."""
    r = client.post("/api/v1/score", json={"url": "http://no-such-host.example.org/data.csv"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "host-not-found" and "no-such-host.example.org" in r.json()["error"]
    assert client.get("/api/v1/reports").json()["reports"] == []


def test_ipv6_loopback_is_called_a_loopback_address(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "strict"))) as strict:
        r = strict.post("/api/v1/score", json={"url": "http://[::1]:8000/data.csv"})
    assert r.status_code == 400 and r.json()["code"] == "url-refused"
    assert "a loopback address" in r.json()["error"] and "private" not in r.json()["error"]


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://metadata.google.internal/computeMetadata/v1/", "url-refused"),
        ("http://localhost./data.csv", "url-refused"),
        ("http://no-such-host.example.org/data.csv", "host-not-found"),
        ("HTTP://no-such-host.example.org/data.csv", "host-not-found"),  # a URL, whatever its case
    ],
)
def test_cli_refuses_special_and_unresolvable_hosts(tmp_path: Path, url: str, code: str) -> None:
    env = {**os.environ, "ODQ_DATA_DIR": str(tmp_path / "var")}
    env.pop("ODQ_FETCH_ALLOW", None)
    done = _odq("score", url, "--no-store", "--format", "json", env=env)
    assert done.returncode == 2 and code in done.stderr, done.stderr
    assert done.stdout == ""
