"""Every error is JSON ``{"ok": false, "status", "code", "error"}`` with its HTTP status (the
Datasette habit of STYLE.md), and a failed upload leaves nothing behind in data_dir/blobs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from api_support import assert_error, leftovers
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount

from app.main import create_app
from app.settings import Settings

MiB = 1024 * 1024
BOUNDARY = "odq-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def part_head(name: str = "file", filename: str | None = "data.csv") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: text/csv\r\n\r\n".encode()


CLOSE = f"\r\n--{BOUNDARY}--\r\n".encode()
BAD_SUITE = b'{"expectations": [{"type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "a"}}]}'
"""A suite with a misspelled expectation type (GX itself would skip it silently)."""


def csv_of_size(size: int) -> bytes:
    """A plain CSV of exactly ``size`` bytes."""
    head = b"id,value\n"
    line = b"1,abcdefghijklmnopqrstuvwxyz\n"
    body = head + line * ((size - len(head)) // len(line) + 1)
    return body[: size - 1] + b"\n"


@pytest.fixture
def small_limit(data_dir: Path) -> Iterator[tuple[TestClient, Path]]:
    with TestClient(create_app(Settings(data_dir=data_dir, max_upload_mb=1))) as c:
        yield c, data_dir / "blobs"


# -- one case per error -----------------------------------------------------------------------


def test_unknown_report_id(client: TestClient) -> None:
    assert_error(client.get("/api/v1/reports/0123456789abcdef0123456789abcdef"), 404, "report-not-found")
    assert_error(client.get("/api/v1/reports/%E4%B8%8D%20存在'--"), 404, "report-not-found")


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/nothing", "/api/v2/score", "/api/v1/reports/a/b"])
def test_unknown_route(client: TestClient, path: str) -> None:
    assert_error(client.get(path), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/score"),
        ("PUT", "/api/v1/score"),
        ("PATCH", "/api/v1/reports/x"),
        ("POST", "/health"),
    ],
)
def test_wrong_method(client: TestClient, method: str, path: str) -> None:
    assert_error(client.request(method, path), 405, "method-not-allowed")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": b"a,b\n1,2\n", "headers": {"content-type": "text/csv"}},
        {"content": b'{"url": "x"}', "headers": {"content-type": "text/plain"}},  # JSON, but not declared
        {"data": {"file": "a,b"}},  # application/x-www-form-urlencoded
        {"content": b"a,b\n1,2\n", "headers": {"content-type": "multipart/form-data"}},  # no boundary
        {"content": b"a,b\n1,2\n"},  # no content type at all
    ],
    ids=["text-csv", "json-as-text", "urlencoded", "multipart-without-boundary", "no-content-type"],
)
def test_not_multipart(client: TestClient, data_dir: Path, kwargs: dict[str, Any]) -> None:
    assert_error(client.post("/api/v1/score", **kwargs), 415, "unsupported-media-type")
    assert leftovers(data_dir / "blobs") == []


@pytest.mark.parametrize(
    "body",
    [
        part_head("comment", None) + b"no file here" + CLOSE,  # only a plain field
        part_head("data", "data.csv") + b"a,b\n1,2\n" + CLOSE,  # a file under another name
        part_head("file", None) + b"a,b\n1,2\n" + CLOSE,  # "file" sent as a plain field
        f"--{BOUNDARY}--\r\n".encode(),  # no part at all
    ],
    ids=["plain-field", "other-field-name", "file-without-filename", "empty-form"],
)
def test_multipart_without_a_file(client: TestClient, data_dir: Path, body: bytes) -> None:
    assert_error(
        client.post("/api/v1/score", content=body, headers={"content-type": MULTIPART}), 400, "missing-file"
    )
    assert leftovers(data_dir / "blobs") == []


@pytest.mark.parametrize(
    "body",
    [
        b"this is not a multipart body at all",
        f"--{BOUNDARY}\r\nContent-Disposition form-data name file\r\n\r\nabc".encode() + CLOSE,
        # Cut off before the closing boundary: the part is incomplete and must not be scored.
        part_head() + b"id,name\n1,a\n2,b\n",
        part_head() + b"id,name\n1,a\n2,b\n" + f"\r\n--{BOUNDARY}".encode(),
    ],
    ids=["garbage", "broken-part-header", "truncated-in-part", "truncated-before-close"],
)
def test_malformed_multipart(client: TestClient, data_dir: Path, body: bytes) -> None:
    r = client.post("/api/v1/score", content=body, headers={"content-type": MULTIPART})
    assert_error(r, 400, "malformed-multipart")
    assert leftovers(data_dir / "blobs") == []
    assert client.get("/health").json()["reports"] == 0


def test_two_files_in_one_request(client: TestClient, data_dir: Path) -> None:
    r = client.post(
        "/api/v1/score", files=[("file", ("a.csv", b"a\n1\n2\n")), ("file", ("b.csv", b"b\n3\n4\n"))]
    )
    assert_error(r, 400, "too-many-files")
    assert leftovers(data_dir / "blobs") == []


def test_upload_over_the_limit_while_streaming(small_limit: tuple[TestClient, Path]) -> None:
    """No Content-Length (chunked): the limit is enforced as the bytes arrive."""
    client, blob_dir = small_limit

    def body() -> Iterator[bytes]:
        yield part_head("file", "big.csv")
        for _ in range(32):
            yield b"x" * (64 * 1024)  # 2 MiB in all
        yield CLOSE

    r = client.post("/api/v1/score", content=body(), headers={"content-type": MULTIPART})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_error(r, 413, "file-too-large")
    assert leftovers(blob_dir) == []  # no partial blob, no .upload-* temp file
    # The service is still fine afterwards.
    ok = client.post("/api/v1/score", files={"file": ("small.csv", b"a,b\n1,2\n3,4\n")})
    assert ok.status_code == 200, ok.text[:300]


def test_upload_over_the_limit_with_content_length(small_limit: tuple[TestClient, Path]) -> None:
    client, blob_dir = small_limit
    r = client.post("/api/v1/score", files={"file": ("big.csv", csv_of_size(2 * MiB), "text/csv")})
    assert int(r.request.headers["content-length"]) > 2 * MiB
    assert_error(r, 413, "file-too-large")
    assert leftovers(blob_dir) == []


def test_declared_content_length_over_the_limit_is_refused_from_the_header(
    small_limit: tuple[TestClient, Path],
) -> None:
    """Only the header is over the limit (the body is a few bytes), so the 413 comes from it."""
    client, blob_dir = small_limit
    body = part_head() + b"a,b\n1,2\n" + CLOSE
    r = client.post(
        "/api/v1/score",
        content=body,
        headers={"content-type": MULTIPART, "content-length": str(3 * MiB)},
    )
    assert_error(r, 413, "file-too-large")
    assert leftovers(blob_dir) == []


def test_a_file_of_exactly_the_limit_is_accepted_one_byte_more_is_not(
    small_limit: tuple[TestClient, Path],
) -> None:
    client, blob_dir = small_limit
    data = csv_of_size(1 * MiB)
    assert len(data) == MiB
    over = client.post("/api/v1/score", files={"file": ("over.csv", data + b"\n", "text/csv")})
    assert_error(over, 413, "file-too-large")
    assert leftovers(blob_dir) == []
    ok = client.post("/api/v1/score", files={"file": ("limit.csv", data, "text/csv")})
    assert ok.status_code == 200, ok.text[:300]
    assert ok.json()["source"]["bytes"] == MiB


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("limit=0", 400, "invalid-limit"),
        ("limit=-1", 400, "invalid-limit"),
        ("limit=201", 400, "invalid-limit"),
        ("limit=abc", 422, "invalid-request"),
    ],
)
def test_bad_list_limit(client: TestClient, query: str, status: int, code: str) -> None:
    assert_error(client.get(f"/api/v1/reports?{query}"), status, code)


def test_an_unexpected_failure_is_a_json_500(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("app.services.scoring.score_blob", boom)
    with TestClient(create_app(Settings(data_dir=data_dir)), raise_server_exceptions=False) as client:
        r = client.post("/api/v1/score", files={"file": ("a.csv", b"a,b\n1,2\n")})
    assert_error(r, 500, "internal-error")
    assert "secret internal detail" not in r.text  # logged, not shown
    assert "secret internal detail" in caplog.text


# -- the error shape over every route ---------------------------------------------------------


@dataclass
class Probe:
    """A request that must fail at a route, with the status and code it must fail with."""

    method: str
    path: str
    status: int
    code: str
    kwargs: dict[str, Any] = field(default_factory=dict)


# (method, route path) → requests that fail there. A route added without an entry fails
# test_every_route_has_an_error_probe: add the errors it can return here.
ERROR_PROBES: dict[tuple[str, str], list[Probe]] = {
    ("POST", "/api/v1/score"): [
        Probe("POST", "/api/v1/score", 415, "unsupported-media-type", {"content": b"a,b\n"}),
        # URL scoring: the SSRF guard refuses before anything is fetched (no network needed)
        Probe(
            "POST", "/api/v1/score", 400, "url-refused", {"json": {"url": "http://169.254.169.254/latest/"}}
        ),
        Probe(
            "POST",
            "/api/v1/score",
            400,
            "url-refused",
            {"data": {"url": "http://2130706433/a.csv"}, "files": {}},
        ),
        Probe("POST", "/api/v1/score", 400, "bad-url", {"json": {"url": "file:///etc/passwd"}}),
        Probe("POST", "/api/v1/score", 400, "missing-url", {"json": {"link": "https://example.org/a.csv"}}),
        Probe(
            "POST",
            "/api/v1/score",
            400,
            "invalid-json",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        Probe(
            "POST",
            "/api/v1/score",
            400,
            "file-and-url",
            {"data": {"url": "https://example.org/a.csv"}, "files": {"file": ("a.csv", b"a\n1\n")}},
        ),
        Probe(
            "POST",
            "/api/v1/score",
            400,
            "missing-file",
            {"files": {"other": ("a.csv", b"a\n1\n")}},
        ),
        Probe(
            "POST",
            "/api/v1/score",
            400,
            "malformed-multipart",
            {"content": b"garbage", "headers": {"content-type": MULTIPART}},
        ),
        Probe(
            "POST",
            "/api/v1/score",
            413,
            "file-too-large",
            {"content": b"--x--\r\n", "headers": {"content-type": MULTIPART, "content-length": str(10**12)}},
        ),
        Probe(
            "POST",
            "/api/v1/score",
            401,
            "invalid-key",
            {"files": {"file": ("a.csv", b"a\n1\n")}, "headers": {"authorization": "Bearer odq_not-a-key"}},
        ),
        Probe(
            "POST",
            "/api/v1/score",
            422,
            "unknown-expectation",
            {"files": {"file": ("a.csv", b"a\n1\n"), "expectations": ("suite.json", BAD_SUITE)}},
        ),
        Probe(
            "POST",
            "/api/v1/score",
            422,
            "invalid-schema",
            {"files": {"file": ("a.csv", b"a\n1\n"), "schema": ("schema.json", b'{"fields": "a"}')}},
        ),
    ],
    ("GET", "/api/v1/reports/{report_id}/expectations"): [
        Probe("GET", "/api/v1/reports/no-such-report/expectations", 404, "report-not-found"),
    ],
    ("GET", "/api/v1/portals/{portal}/expectations"): [
        Probe("GET", "/api/v1/portals/demo/expectations", 404, "suite-not-found"),
        Probe("GET", "/api/v1/portals/-bad-/expectations", 404, "portal-not-found"),
    ],
    ("PUT", "/api/v1/portals/{portal}/expectations"): [
        Probe("PUT", "/api/v1/portals/demo/expectations", 401, "missing-key", {"content": BAD_SUITE}),
        Probe(
            "PUT",
            "/api/v1/portals/demo/expectations",
            401,
            "invalid-key",
            {"content": BAD_SUITE, "headers": {"x-api-key": "odq_not-a-key"}},
        ),
    ],
    ("GET", "/api/v1/reports/{report_id}"): [
        Probe("GET", "/api/v1/reports/no-such-report", 404, "report-not-found"),
    ],
    ("DELETE", "/api/v1/reports/{report_id}"): [
        Probe("DELETE", "/api/v1/reports/no-such-report", 404, "report-not-found"),
    ],
    ("GET", "/api/v1/reports"): [
        Probe("GET", "/api/v1/reports?limit=0", 400, "invalid-limit"),
        Probe("GET", "/api/v1/reports?limit=x", 422, "invalid-request"),
    ],
    ("GET", "/api/v1/portals"): [
        Probe("GET", "/api/v1/portals?limit=0", 400, "invalid-limit"),
        Probe("GET", "/api/v1/portals?offset=-1", 400, "invalid-limit"),
        Probe("GET", "/api/v1/portals?limit=x", 422, "invalid-request"),
    ],
    ("GET", "/api/v1/portals/{portal_id}"): [
        Probe("GET", "/api/v1/portals/no-such-portal", 404, "portal-not-found"),
        Probe("GET", "/api/v1/portals/%E4%B8%8D%20存在'--", 404, "portal-not-found"),
    ],
    ("POST", "/api/v1/keys"): [
        Probe("POST", "/api/v1/keys", 401, "missing-key", {"json": {"portal": "demo"}}),
        Probe("POST", "/api/v1/keys", 401, "invalid-key", {"json": {}, "headers": {"x-api-key": "odq_nope"}}),
    ],
    ("GET", "/api/v1/keys"): [
        Probe("GET", "/api/v1/keys", 401, "missing-key"),
        Probe("GET", "/api/v1/keys", 401, "invalid-key", {"headers": {"authorization": "Basic YTpi"}}),
    ],
    ("DELETE", "/api/v1/keys/{key_id}"): [
        Probe("DELETE", "/api/v1/keys/key_000000000000", 401, "missing-key"),
    ],
    ("GET", "/health"): [
        Probe("DELETE", "/health", 405, "method-not-allowed"),
    ],
    ("POST", "/api/v1/catalogs"): [
        Probe("POST", "/api/v1/catalogs", 401, "missing-key", {"json": {"source": "https://example.org/"}}),
        # Authentication comes first: an invalid body from a caller without a key is a 401.
        Probe("POST", "/api/v1/catalogs", 401, "missing-key", {"json": {"kind": "ckan"}}),
        # ... and so is a body that is not JSON at all (FastAPI reads a declared body first).
        Probe(
            "POST",
            "/api/v1/catalogs",
            401,
            "missing-key",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        Probe(
            "POST",
            "/api/v1/catalogs",
            401,
            "invalid-key",
            {"json": {"source": "https://example.org/"}, "headers": {"X-API-Key": "odq_not-a-key"}},
        ),
    ],
    ("GET", "/api/v1/jobs/{job_id}"): [
        Probe("GET", "/api/v1/jobs/no-such-job", 404, "job-not-found"),
    ],
    ("GET", "/api/v1/jobs/{job_id}/datasets"): [
        Probe("GET", "/api/v1/jobs/no-such-job/datasets", 404, "job-not-found"),
    ],
}


def _walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        # Pages outside the schema (the offline /docs and /redoc) are not API routes.
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods or ():
                if method != "HEAD":
                    yield method, prefix + route.path
        # FastAPI ≥ 0.16x keeps an included router as one wrapper route: walk into it.
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _walk(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, Mount) and route.routes:
            yield from _walk(route.routes, prefix + route.path)


def api_routes() -> list[tuple[str, str]]:
    """Every (method, path) of an API route in the app, found by walking ``app.routes``."""
    app = create_app(Settings(data_dir=Path("unused-never-started")))
    return sorted(set(_walk(app.routes)))


def test_every_route_has_an_error_probe() -> None:
    routes = api_routes()
    assert routes, "no routes found"
    missing = [r for r in routes if r not in ERROR_PROBES]
    assert not missing, f"routes without an error test (add them to ERROR_PROBES): {missing}"
    stale = [r for r in ERROR_PROBES if r not in routes]
    assert not stale, f"ERROR_PROBES names routes that no longer exist: {stale}"


def test_every_openapi_operation_is_a_probed_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert operations == set(ERROR_PROBES)


@pytest.mark.parametrize(
    "probe",
    [p for probes in ERROR_PROBES.values() for p in probes],
    ids=lambda p: f"{p.method} {p.path} {p.status}",
)
def test_error_shape_on_every_route(client: TestClient, data_dir: Path, probe: Probe) -> None:
    assert_error(client.request(probe.method, probe.path, **probe.kwargs), probe.status, probe.code)
    assert leftovers(data_dir / "blobs") == []


@pytest.mark.parametrize(
    "route", sorted(r for r in ERROR_PROBES if r[1].startswith("/api/")), ids=lambda r: f"{r[0]} {r[1]}"
)
def test_errors_of_each_api_route_are_documented(client: TestClient, route: tuple[str, str]) -> None:
    """The statuses a /api/v1 route answers with are in its OpenAPI responses, with the error shape."""
    method, path = route
    op = client.get("/openapi.json").json()["paths"][path][method.lower()]
    for probe in ERROR_PROBES[route]:
        response = op["responses"].get(str(probe.status))
        assert response is not None, f"{method} {path} does not document {probe.status}"
        schema = response["content"]["application/json"]["schema"]
        assert set(schema["required"]) == {"ok", "status", "code", "error"}


@pytest.mark.parametrize("route", sorted(ERROR_PROBES), ids=lambda r: f"{r[0]} {r[1]}")
def test_wrong_method_on_every_route(client: TestClient, route: tuple[str, str]) -> None:
    path = route[1]
    concrete = path.replace("{report_id}", "0" * 32)
    allowed = {m for m, p in ERROR_PROBES if p == path}
    wrong = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in allowed)
    response = client.request(wrong, concrete)
    assert_error(response, 405, "method-not-allowed")
    if path.startswith("/api/"):  # every method the path serves, also those of its other routes
        assert {m.strip() for m in response.headers["Allow"].split(",")} - {"HEAD"} == allowed
