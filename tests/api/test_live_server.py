"""The real server: `odq serve` in a subprocess, spoken to over TCP with httpx2 (streaming
uploads), stopped and started again on the same data dir."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from api_support import (
    CPI_PART2,
    LiveServer,
    assert_error,
    assert_report_shape,
    codes,
    leftovers,
    live_server,
    sha256_bytes,
    strict_json,
)

BOUNDARY = "odq-live-boundary"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("live")
    with live_server(root / "var", root / "logs") as s:
        yield s


def stream_upload(client: httpx2.Client, path: Path, name: str | None = None) -> httpx2.Response:
    """POST the file as multipart, the body streamed from the open file (never read whole here)."""
    with (
        path.open("rb") as fh,
        client.stream(
            "POST", "/api/v1/score", files={"file": (name or path.name, fh, "text/csv")}
        ) as response,
    ):
        response.read()
        return response


def chunked_upload(client: httpx2.Client, path: Path, name: str) -> httpx2.Response:
    """The same, sent chunked (no Content-Length): the body is a generator of small pieces."""

    def body() -> Iterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        with path.open("rb") as fh:
            while chunk := fh.read(512):
                yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    return client.post(
        "/api/v1/score",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def test_health(server: LiveServer) -> None:
    r = httpx2.get(f"{server.base_url}/health", timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True
    assert isinstance(body["reports"], int)


def test_docs_and_openapi(server: LiveServer) -> None:
    with httpx2.Client(base_url=server.base_url, timeout=10) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert docs.headers["content-type"].startswith("text/html")
        assert "<html" in docs.text.lower()
        assert "/openapi.json" in docs.text

        schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/v1/score"]["post"]
    body = op["requestBody"]
    assert body["required"] is True
    multipart = body["content"]["multipart/form-data"]["schema"]
    assert multipart["properties"]["file"]["format"] == "binary"
    assert multipart["properties"]["url"]["type"] == "string"  # a file or a URL
    assert body["content"]["application/json"]["schema"]["required"] == ["url"]
    for path in ("/api/v1/reports/{report_id}", "/api/v1/reports", "/health"):
        assert path in schema["paths"], path


def test_streaming_upload_returns_the_report(server: LiveServer, corpus_file: Path) -> None:
    data = corpus_file.read_bytes()
    with httpx2.Client(base_url=server.base_url, timeout=60) as client:
        r = stream_upload(client, corpus_file)
        assert r.status_code == 200, r.text[:500]
        report: dict[str, Any] = strict_json(r.text)
        assert_report_shape(report)
        src = report["source"]
        assert (src["name"], src["sha256"], src["bytes"]) == (corpus_file.name, sha256_bytes(data), len(data))
        assert (src["format"], src["encoding"], src["header_row"], src["rows"]) == ("csv", "gb18030", 4, 31)
        assert {"title-rows", "empty-column", "footer-notes"} <= codes(report)

        fetched = client.get(f"/api/v1/reports/{report['id']}")
        assert fetched.status_code == 200
        assert strict_json(fetched.text) == report

        # The same bytes sent chunked under another name: the same stored report.
        again = chunked_upload(client, corpus_file, "same-bytes.csv")
        assert again.status_code == 200, again.text[:500]
        assert "content-length" not in {k.lower() for k in again.request.headers}
        assert again.json()["id"] != report["id"]  # the stored result, as this upload's own report
        assert again.json()["score"] == report["score"]
        assert again.headers.get("x-odq-cached") == "true"

        other = chunked_upload(client, CPI_PART2, CPI_PART2.name)
        assert other.status_code == 200, other.text[:500]
        assert other.json()["id"] != report["id"]
        listed = {x["id"] for x in client.get("/api/v1/reports").json()["reports"]}
        assert not {report["id"], other.json()["id"]} & listed  # uploads are unlisted
        token = {"X-ODQ-Delete-Token": other.headers["x-odq-delete-token"]}
        assert client.delete(f"/api/v1/reports/{other.json()['id']}", headers=token).status_code == 200
        assert_error(client.get(f"/api/v1/reports/{other.json()['id']}"), 404, "report-not-found")


def test_errors_over_tcp_have_the_error_shape(server: LiveServer) -> None:
    with httpx2.Client(base_url=server.base_url, timeout=10) as client:
        assert_error(client.get("/api/v1/reports/nope"), 404, "report-not-found")
        assert_error(client.get("/nowhere"), 404, "not-found")
        assert_error(client.get("/api/v1/score"), 405, "method-not-allowed")
        assert_error(client.post("/api/v1/score", content=b"a,b\n1,2\n"), 415, "unsupported-media-type")
        assert_error(client.get("/api/v1/reports", params={"limit": 0}), 400, "invalid-limit")


def test_content_length_over_the_limit_is_answered_before_the_body(server: LiveServer) -> None:
    """Declare 1 TB and send none of it: the 413 must come from the header alone."""
    url = urlsplit(server.base_url)
    assert url.hostname is not None and url.port is not None
    request = (
        "POST /api/v1/score HTTP/1.1\r\n"
        f"Host: {url.hostname}:{url.port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {10**12}\r\n"
        "\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)  # the headers only: no byte of the body is ever sent
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without a response: {received!r}"
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
        assert length is not None, head
        while len(body) < int(length.group(1)):
            chunk = sock.recv(65536)
            assert chunk, "connection closed in the middle of the response"
            body += chunk
    assert time.monotonic() - started < 10
    assert head.startswith(b"HTTP/1.1 413"), received[:300]
    assert head.lower().count(b"content-type: application/json") == 1, head
    error = strict_json(body.decode())
    assert error["ok"] is False and error["status"] == 413 and error["code"] == "file-too-large"
    assert not [n for n in leftovers(server.data_dir / "blobs") if Path(n).name.startswith(".upload-")]


def test_reports_survive_a_restart(corpus_file: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    with live_server(data_dir, tmp_path / "logs") as first:
        with httpx2.Client(base_url=first.base_url, timeout=60) as client:
            r = stream_upload(client, corpus_file)
        assert r.status_code == 200, r.text[:500]
        report = strict_json(r.text)
    assert first.process.returncode is not None, "the server was stopped"
    assert (data_dir / "odq.duckdb").is_file()
    assert not any(p.name.startswith(".upload-") for p in (data_dir / "blobs").rglob("*"))

    with live_server(data_dir, tmp_path / "logs") as second:
        assert second.base_url != first.base_url or second.process.pid != first.process.pid
        with httpx2.Client(base_url=second.base_url, timeout=60) as client:
            fetched = client.get(f"/api/v1/reports/{report['id']}")
            assert fetched.status_code == 200, fetched.text[:500]
            assert strict_json(fetched.text) == report
            assert client.get("/health").json()["reports"] == 1
            again = stream_upload(client, corpus_file, "after-restart.csv")
            assert again.json()["id"] != report["id"] and again.json()["score"] == report["score"]
            assert again.json()["source"]["name"] == "after-restart.csv"
