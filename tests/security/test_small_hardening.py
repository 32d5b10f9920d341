"""The smaller findings of the hostile test: forwarded headers believed only from the configured
proxies, half-received uploads removed at start-up, a 405 naming every allowed method, OpenAPI
bounds that are the server's own, and authentication answered before body validation."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from security_support import PORTAL_A, Secured, make_settings

from app.main import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ops"))
from ops_support import running

RATE = 3


def _score_urls(base_url: str, addresses: list[str]) -> list[int]:
    """One scoring request per forwarded address (a URL the SSRF guard refuses: no work is done,
    but each request takes its turn of the anonymous rate limit first)."""
    return [
        httpx2.post(
            f"{base_url}/api/v1/score",
            json={"url": "http://127.0.0.1:9/never"},
            headers={"X-Forwarded-For": address},
            timeout=30,
        ).status_code
        for address in addresses
    ]


@pytest.fixture(scope="module")
def addresses() -> list[str]:
    return [f"203.0.113.{i}" for i in range(1, 2 * RATE + 1)]


def test_a_loopback_client_cannot_escape_the_rate_limit_by_forwarding(
    tmp_path: Path, addresses: list[str]
) -> None:
    env = {"ODQ_ANONYMOUS_RATE_PER_MINUTE": str(RATE)}
    with running(tmp_path / "var", tmp_path / "server.log", **env) as server:
        codes = _score_urls(server.base_url, addresses)
    assert codes[:RATE] == [400] * RATE  # refused URLs, but counted
    assert codes[RATE:] == [429] * RATE, codes


def test_forwarded_addresses_count_behind_a_trusted_proxy(tmp_path: Path, addresses: list[str]) -> None:
    env = {"ODQ_ANONYMOUS_RATE_PER_MINUTE": str(RATE), "ODQ_TRUSTED_PROXIES": "127.0.0.1"}
    with running(tmp_path / "var", tmp_path / "server.log", **env) as server:
        codes = _score_urls(server.base_url, addresses)  # each forwarded client has its own turns
        again = _score_urls(server.base_url, [addresses[0]] * RATE)
    assert codes == [400] * len(addresses)
    assert again == [400] * (RATE - 1) + [429]


def test_half_received_uploads_are_removed_at_start_up(tmp_path: Path) -> None:
    blobs = tmp_path / "var" / "blobs"
    (blobs / "ab").mkdir(parents=True)
    kept = blobs / "ab" / ("ab" + "0" * 62)
    kept.write_bytes(b"id\n1\n")
    partial = [blobs / ".upload-x1y2z3", blobs / ".upload-crashed"]
    for path in partial:
        path.write_bytes(b"id,name\n1,half a fi")
    with TestClient(create_app(make_settings(tmp_path / "var"))) as client:
        assert client.get("/health").status_code == 200
        assert not [p for p in partial if p.exists()]
        assert kept.read_bytes() == b"id\n1\n"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", f"/api/v1/portals/{PORTAL_A}/expectations", {"GET", "PUT"}),
        ("DELETE", "/api/v1/keys", {"GET", "POST"}),
        ("PUT", "/api/v1/reports", {"GET"}),
        ("GET", "/api/v1/score", {"POST"}),
    ],
)
def test_a_405_names_every_method_of_the_path(
    secured: Secured, method: str, path: str, allowed: set[str]
) -> None:
    r = secured.client.request(method, path, headers=secured.admin)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["Allow"].split(",")} - {"HEAD"} == allowed
    assert r.json()["code"] == "method-not-allowed"


def _parameter(spec: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    params = spec["paths"][path]["get"]["parameters"]
    return dict(next(p["schema"] for p in params if p["name"] == name))


@pytest.fixture
def spec(secured: Secured) -> Iterator[dict[str, Any]]:
    yield secured.client.get("/openapi.json").json()


@pytest.mark.parametrize(("path", "name"), [("/api/v1/reports", "limit"), ("/api/v1/portals", "limit")])
def test_the_schema_bounds_are_the_servers(
    secured: Secured, spec: dict[str, Any], path: str, name: str
) -> None:
    bounds = _parameter(spec, path, name)
    low, high = bounds["minimum"], bounds["maximum"]
    for value, accepted in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        r = secured.client.get(path, params={name: value})
        assert (r.status_code == 200) is accepted, (value, r.status_code, r.text[:200])


def test_the_schema_refuses_an_empty_url_as_the_server_does(secured: Secured, spec: dict[str, Any]) -> None:
    body = spec["paths"]["/api/v1/score"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["url"]["minLength"] == 1
    for url in ("", "   "):
        r = secured.client.post("/api/v1/score", json={"url": url})
        assert r.status_code == 400 and r.json()["code"] == "missing-url"


@pytest.mark.parametrize("body", [{}, {"source": ""}, {"source": "https://example.org/", "workers": 0}])
def test_starting_a_catalog_run_authenticates_before_validating(
    secured: Secured, body: dict[str, Any]
) -> None:
    r = secured.client.post("/api/v1/catalogs", json=body)
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "missing-key"
    assert r.headers.get("WWW-Authenticate")
