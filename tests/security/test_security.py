"""Every attack of the hardening issue, each refused or neutralised with the expected status or
finding: a key of portal A writing to portal B, no key on a write route, a revoked key, SSRF
spellings, an XLSX bomb, a 1 GB gzip of zeros, SQL in column names, path traversal in file names,
XSS in values; and the limits around them (anonymous scoring, rate limit, worker limits)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx2
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from security_support import (
    ADMIN_TOKEN,
    PORTAL_A,
    PORTAL_B,
    Canary,
    Redirector,
    Secured,
    free_port,
    make_settings,
    serving,
)

from app.api.auth import RateLimiter
from app.main import create_app
from app.storage.keys import hash_key

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SUITE = {"name": "s", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "id"}}]}
ODQ = Path(sys.executable).with_name("odq")


def assert_error(response: httpx2.Response, status: int, code: str) -> dict[str, Any]:
    """The one error shape, with its status and code."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["ok"] is False and body["status"] == status, body
    assert body["code"] == code and KEBAB.match(body["code"]), body
    assert isinstance(body["error"], str) and body["error"].strip(), body
    return body


def finding(report: dict[str, Any], code: str) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["code"] == code]
    assert len(found) == 1, [f["code"] for f in report["findings"]]
    return found[0]


def score_upload(client: TestClient, name: str, data: bytes, **kwargs: Any) -> httpx2.Response:
    return client.post("/api/v1/score?wait=true", files={"file": (name, data)}, **kwargs)


def put_suite(s: Secured, portal: str, headers: dict[str, str]) -> httpx2.Response:
    return s.client.put(f"/api/v1/portals/{portal}/expectations", content=json.dumps(SUITE), headers=headers)


# == keys and roles ==============================================================================


def test_a_key_of_portal_a_cannot_write_to_portal_b(secured: Secured) -> None:
    s = secured
    body = assert_error(put_suite(s, PORTAL_B, s.auth(PORTAL_A)), 403, "wrong-portal")
    assert s.keys[PORTAL_A] not in json.dumps(body)
    assert_error(
        s.client.get(f"/api/v1/portals/{PORTAL_B}/expectations"), 404, "suite-not-found"
    )  # not stored
    catalog = {"source": "https://catalog.example.org/api/3/action/package_search", "portal": PORTAL_B}
    assert_error(
        s.client.post("/api/v1/catalogs", json=catalog, headers=s.auth(PORTAL_A)), 403, "wrong-portal"
    )
    # The same key writes to its own portal, and the administrator to any.
    assert put_suite(s, PORTAL_A, s.auth(PORTAL_A)).status_code == 200
    assert put_suite(s, PORTAL_B, s.admin).status_code == 200
    stored = s.client.get(f"/api/v1/portals/{PORTAL_B}/expectations").json()
    assert stored["meta"]["odq"]  # written by the administrator, not by portal A


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("PUT", f"/api/v1/portals/{PORTAL_A}/expectations", {"content": json.dumps(SUITE)}),
        ("POST", "/api/v1/catalogs", {"json": {"source": "https://example.org/catalog", "portal": PORTAL_A}}),
        ("POST", "/api/v1/catalogs", {"json": {"source": "https://example.org/catalog"}}),
        ("POST", "/api/v1/keys", {"json": {"portal": PORTAL_A}}),
        ("GET", "/api/v1/keys", {}),
        ("DELETE", "/api/v1/keys/key_000000000000", {}),
    ],
)
def test_no_key_on_a_write_route_is_401(
    secured: Secured, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    r = secured.client.request(method, path, **kwargs)
    assert_error(r, 401, "missing-key")
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused(secured: Secured) -> None:
    s = secured
    assert put_suite(s, PORTAL_A, s.auth(PORTAL_A)).status_code == 200
    revoked = s.client.delete(f"/api/v1/keys/{s.key_ids[PORTAL_A]}", headers=s.admin)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    for headers in (s.auth(PORTAL_A), {"X-API-Key": s.keys[PORTAL_A]}):
        r = put_suite(s, PORTAL_A, headers)
        assert_error(r, 401, "revoked-key")
        assert "www-authenticate" in r.headers
        # Not even anonymous scoring goes through with a revoked key.
        assert_error(score_upload(s.client, "a.csv", b"a,b\n1,2\n", headers=headers), 401, "revoked-key")
    assert s.client.get("/health").json()["reports"] == 0
    assert put_suite(s, PORTAL_B, s.auth(PORTAL_B)).status_code == 200  # other keys still work
    listed = {k["id"]: k for k in s.client.get("/api/v1/keys", headers=s.admin).json()["keys"]}
    assert listed[s.key_ids[PORTAL_A]]["revoked_at"] is not None
    assert listed[s.key_ids[PORTAL_B]]["revoked_at"] is None
    assert_error(s.client.delete("/api/v1/keys/key_nonexistent", headers=s.admin), 404, "key-not-found")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Authorization": "Bearer odq_made-up-key"}, "invalid-key"),
        ({"Authorization": "Bearer "}, "invalid-key"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "invalid-key"),
        ({"Authorization": f"Token {ADMIN_TOKEN}"}, "invalid-key"),
        ({"X-API-Key": "   "}, "invalid-key"),
        ({"X-API-Key": ADMIN_TOKEN + "x"}, "invalid-key"),
        ({"X-API-Key": ADMIN_TOKEN[:-1]}, "invalid-key"),
    ],
)
def test_a_bad_credential_is_401_never_anonymous(
    secured: Secured, headers: dict[str, str], code: str
) -> None:
    """Anonymous scoring is on, yet a request that sends a wrong credential is refused, not
    served as anonymous (a client that meant to authenticate must learn its key is wrong)."""
    r = score_upload(secured.client, "a.csv", b"a,b\n1,2\n", headers=headers)
    assert_error(r, 401, code)
    assert_error(put_suite(secured, PORTAL_A, headers), 401, code)
    assert secured.client.get("/health").json()["reports"] == 0


def test_a_portal_key_cannot_manage_keys(secured: Secured) -> None:
    s = secured
    assert_error(s.client.get("/api/v1/keys", headers=s.auth(PORTAL_A)), 403, "admin-only")
    r = s.client.post("/api/v1/keys", json={"portal": PORTAL_B}, headers=s.auth(PORTAL_A))
    assert_error(r, 403, "admin-only")
    r = s.client.delete(f"/api/v1/keys/{s.key_ids[PORTAL_B]}", headers=s.auth(PORTAL_A))
    assert_error(r, 403, "admin-only")
    assert put_suite(s, PORTAL_B, s.auth(PORTAL_B)).status_code == 200  # B's key was not revoked
    # Only a hostile portal name is refused, before anything is stored.
    bad = s.client.post("/api/v1/keys", json={"portal": "../etc"}, headers=s.admin)
    assert_error(bad, 422, "invalid-request")


def test_last_used_time_is_recorded(secured: Secured) -> None:
    s = secured
    before = {k["id"]: k for k in s.client.get("/api/v1/keys", headers=s.admin).json()["keys"]}
    assert before[s.key_ids[PORTAL_A]]["last_used_at"] is None
    assert put_suite(s, PORTAL_A, s.auth(PORTAL_A)).status_code == 200
    after = {k["id"]: k for k in s.client.get("/api/v1/keys", headers=s.admin).json()["keys"]}
    assert after[s.key_ids[PORTAL_A]]["last_used_at"] is not None
    assert after[s.key_ids[PORTAL_B]]["last_used_at"] is None


def test_keys_are_shown_once_never_stored_nor_logged(
    secured: Secured, caplog: pytest.LogCaptureFixture
) -> None:
    s = secured
    caplog.set_level(logging.DEBUG)
    put_suite(s, PORTAL_A, s.auth(PORTAL_A))
    put_suite(s, PORTAL_A, s.auth(PORTAL_B))
    s.client.delete(f"/api/v1/keys/{s.key_ids[PORTAL_B]}", headers=s.admin)
    put_suite(s, PORTAL_B, s.auth(PORTAL_B))
    score_upload(s.client, "a.csv", b"a,b\n1,2\n", headers=s.auth(PORTAL_A))
    listing = s.client.get("/api/v1/keys", headers=s.admin).text
    for key in (*s.keys.values(), ADMIN_TOKEN):
        assert key not in caplog.text
        assert key not in listing
    # Only hashes are in the database.
    store = s.client.app.state.store  # type: ignore[attr-defined]
    rows = store.cursor().execute("SELECT * FROM api_keys").fetchall()
    dumped = repr(rows)
    for key in s.keys.values():
        assert key not in dumped
        assert hash_key(key) in dumped
        assert key[:12] in dumped  # the recognisable prefix, 8 random characters of 43


def test_keys_from_the_command_line(tmp_path: Path) -> None:
    """`odq keys create` prints the key once (stdout holds nothing else); list and revoke; a key
    revoked on the command line is refused by the server."""
    data_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")} | {"ODQ_DATA_DIR": str(data_dir)}

    def odq(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ODQ), "keys", *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    created = odq("create", "--portal", PORTAL_A, "--label", "cli")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert re.fullmatch(r"odq_[A-Za-z0-9_-]{43}", key), created.stdout
    assert "cannot be shown again" in created.stderr
    listed = odq("list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    (record,) = json.loads(listed.stdout)
    assert record["portal"] == PORTAL_A and key.startswith(record["prefix"]) and record["revoked"] is False
    assert key not in listed.stdout and key not in odq("list").stdout
    assert odq("create", "--portal", "../../etc").returncode == 2
    assert odq("revoke", "key_doesnotexist").returncode == 2
    with TestClient(create_app(make_settings(data_dir))) as client:
        ok = client.put(
            f"/api/v1/portals/{PORTAL_A}/expectations", content=json.dumps(SUITE), headers={"X-API-Key": key}
        )
        assert ok.status_code == 200, ok.text
    revoked = odq("revoke", record["id"])
    assert revoked.returncode == 0, revoked.stderr
    with TestClient(create_app(make_settings(data_dir))) as client:
        r = client.put(
            f"/api/v1/portals/{PORTAL_A}/expectations", content=json.dumps(SUITE), headers={"X-API-Key": key}
        )
        assert_error(r, 401, "revoked-key")
    # The key itself is nowhere in the database file.
    con = duckdb.connect(str(data_dir / "odq.duckdb"), read_only=True)
    try:
        assert con.execute(
            "SELECT count(*) FROM api_keys WHERE key_hash = ?", [hash_key(key)]
        ).fetchall() == [(1,)]
    finally:
        con.close()
    assert key.encode() not in (data_dir / "odq.duckdb").read_bytes()


def test_a_short_admin_token_is_refused_without_echoing_it() -> None:
    from pydantic import ValidationError

    from app.settings import Settings

    with pytest.raises(ValidationError) as info:
        Settings(admin_token="guessable-123")
    assert "admin_token" in str(info.value) and "guessable-123" not in str(info.value)


def test_keys_on_the_command_line_wait_for_no_server(tmp_path: Path) -> None:
    """While a server holds the database, `odq keys` says so (exit 2) instead of failing on the lock."""
    from app.storage.store import Store

    data_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")} | {"ODQ_DATA_DIR": str(data_dir)}
    with Store.open(data_dir / "odq.duckdb"):
        done = subprocess.run(
            [str(ODQ), "keys", "create", "--portal", PORTAL_A],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 2 and done.stdout == ""
    assert "in use by a running server" in done.stderr


def test_anonymous_scoring_can_be_turned_off(data_dir: Path) -> None:
    with TestClient(create_app(make_settings(data_dir, anonymous_scoring=False))) as client:
        r = score_upload(client, "a.csv", b"a,b\n1,2\n3,4\n")
        assert_error(r, 401, "missing-key")
        created = client.post(
            "/api/v1/keys", json={"portal": PORTAL_A}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        key = created.json()["key"]
        ok = score_upload(client, "a.csv", b"a,b\n1,2\n3,4\n", headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200, ok.text
        assert client.get("/health").json()["reports"] == 1


def test_anonymous_scoring_is_rate_limited_per_client(data_dir: Path) -> None:
    app = create_app(make_settings(data_dir, anonymous_rate_per_minute=3))
    with TestClient(app, client=("198.51.100.7", 40000)) as client:
        other = TestClient(app, client=("198.51.100.8", 40000))
        for i in range(3):
            assert score_upload(client, f"{i}.csv", f"a,b\n{i},2\n".encode()).status_code == 200
        r = score_upload(client, "4.csv", b"a,b\n4,2\n")
        body = assert_error(r, 429, "rate-limited")
        wait = int(r.headers["retry-after"])
        assert 1 <= wait <= 60 and body["detail"]["retry_after"] == wait
        # Refused before the upload was kept.
        assert client.get("/health").json()["reports"] == 3
        blobs = [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]
        assert len(blobs) == 3
        # Another client, and a client with a key, are not limited by this one.
        assert score_upload(other, "5.csv", b"a,b\n5,2\n").status_code == 200
        key = client.post(
            "/api/v1/keys", json={"portal": PORTAL_A}, headers={"X-API-Key": ADMIN_TOKEN}
        ).json()["key"]
        for i in range(4):
            keyed = score_upload(client, f"k{i}.csv", f"a,b\nk{i},2\n".encode(), headers={"X-API-Key": key})
            assert keyed.status_code == 200, keyed.text


def test_the_rate_limit_refills_over_the_minute() -> None:
    now = [1000.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # one request every 10 s
    assert [limiter.acquire("a") for _ in range(6)] == [0] * 6
    assert limiter.acquire("a") == 10
    assert limiter.acquire("b") == 0
    now[0] += 9.9
    assert limiter.acquire("a") == 1  # 0.99 of a request refilled: wait the rest
    now[0] += 0.2
    assert limiter.acquire("a") == 0
    now[0] += 3600
    assert [limiter.acquire("a") for _ in range(7)] == [0] * 6 + [10]  # capacity, not more


# == SSRF ========================================================================================


SPELLINGS = [
    "http://127.0.0.1:{port}/data.csv",
    "http://localhost:{port}/data.csv",
    "http://LocalHost.:{port}/data.csv",
    "http://127.0.0.1.:{port}/data.csv",
    "http://2130706433:{port}/data.csv",
    "http://0177.0.0.1:{port}/data.csv",
    "http://0x7f.0.0.1:{port}/data.csv",
    "http://0x7f000001:{port}/data.csv",
    "http://127.1:{port}/data.csv",
    "http://0:{port}/data.csv",
    "http://0.0.0.0:{port}/data.csv",
    "http://[::1]:{port}/data.csv",
    "http://[::ffff:127.0.0.1]:{port}/data.csv",
    "http://[::ffff:7f00:1]:{port}/data.csv",
    "http://[::127.0.0.1]:{port}/data.csv",
    "http://[64:ff9b::7f00:1]:{port}/data.csv",
    "http://[0:0:0:0:0:0:0:1]:{port}/data.csv",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://10.0.0.1/data.csv",
    "http://172.16.0.1/data.csv",
    "http://192.168.1.1/data.csv",
    "http://100.64.0.1/data.csv",
    "http://[fd00::1]/data.csv",
    "http://user:pass@127.0.0.1:{port}/data.csv",
    "file:///etc/passwd",
    "ftp://127.0.0.1:{port}/data.csv",
    "gopher://127.0.0.1:{port}/_GET",
    "http:///etc/passwd",
    "//127.0.0.1:{port}/data.csv",
    "127.0.0.1:{port}/data.csv",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_ssrf_spellings_are_refused(secured: Secured, canary: Canary, spelling: str) -> None:
    """Every spelling is a 400, ``LocalHost.`` included: a special-use name is refused by name,
    before any resolver is asked."""
    url = spelling.format(port=canary.port)
    r = secured.client.post("/api/v1/score", json={"url": url})
    body = r.json()
    assert r.status_code == 400, (url, r.status_code, body)
    assert body["code"] in ("url-refused", "bad-url"), body
    assert canary.hits == []
    assert "secret" not in r.text
    assert secured.client.get("/health").json()["reports"] == 0


def test_a_redirect_to_an_internal_address_is_refused(data_dir: Path, canary_2: Canary) -> None:
    """127.0.0.1 is allowed (as an operator might allow one internal host); it redirects to
    127.0.0.2, which is not: the redirect is checked again and refused, the target never reached."""
    target = f"http://127.0.0.2:{canary_2.port}/secret.csv"
    for server in serving(Redirector("127.0.0.1", target)):
        settings = make_settings(data_dir, fetch_allow="127.0.0.1/32", fetch_robots=False, fetch_retries=0)
        with TestClient(create_app(settings)) as client:
            r = client.post("/api/v1/score", json={"url": f"http://127.0.0.1:{server.port}/data.csv"})
            assert_error(r, 400, "url-refused")
        assert server.hits and set(server.hits) == {"/data.csv"}  # the allowed hop was fetched …
    assert canary_2.hits == []  # … its redirect was not followed


# == hostile files ===============================================================================


def _refused_bomb(client: TestClient, path: Path, name: str) -> dict[str, Any]:
    started = time.monotonic()
    r = score_upload(client, name, path.read_bytes())
    elapsed = time.monotonic() - started
    assert r.status_code == 200, r.text[:300]
    report = r.json()
    assert report["score"] == 0 and report["fatal"] == "decompression-bomb", report["findings"]
    bomb = finding(report, "decompression-bomb")
    assert bomb["message"].startswith("decompression bomb: ")
    assert bomb["dimension"] == "validity" and bomb["severity"] == "error" and bomb["level"] == "file"
    assert bomb["title"] == "The file is a decompression bomb" and bomb["fix"].startswith(
        "Publish the table uncompressed"
    )
    # Its own code, not the generic one.
    assert "unreadable-file" not in [f["code"] for f in report["findings"]]
    assert elapsed < 20, f"refusing the bomb took {elapsed:.1f} s"
    assert client.get("/health").json()["status"] == "up"
    return report


def test_an_xlsx_bomb_is_refused_before_inflating(secured: Secured, bombs: dict[str, Path]) -> None:
    path = bombs["xlsx"]
    assert path.stat().st_size < 2 * 1024 * 1024  # 1 MB that inflates to 1 GB
    report = _refused_bomb(secured.client, path, "budget.xlsx")
    assert report["source"]["format"] == "xlsx"
    assert "xl/worksheets/sheet1.xml" in finding(report, "decompression-bomb")["message"]


def test_a_valid_workbook_of_the_same_make_is_read(secured: Secured, tmp_path: Path) -> None:
    """The control of the bomb test: the same workbook without the padding scores normally."""
    from hostile import write_xlsx

    report = score_upload(secured.client, "ok.xlsx", write_xlsx(tmp_path / "ok.xlsx").read_bytes()).json()
    assert report["fatal"] is None and report["source"]["rows"] == 2 and report["source"]["columns"] == 2


@pytest.mark.parametrize("kind", ["gzip", "gzip-forged-size"])
def test_a_1_gb_gzip_of_zeros_is_refused(secured: Secured, bombs: dict[str, Path], kind: str) -> None:
    """Refused from the size its trailer declares, or, when the trailer lies, by the cap on the
    bytes inflated so far: never inflated to the end."""
    path = bombs[kind]
    assert path.stat().st_size < 2 * 1024 * 1024
    report = _refused_bomb(secured.client, path, "zeros.csv.gz")
    assert report["source"]["format"].startswith("gzip")
    message = finding(report, "decompression-bomb")["message"]
    assert ("declares 1,073,741,824 bytes" in message) == (kind == "gzip")


def test_a_zip_bomb_is_refused(secured: Secured, bombs: dict[str, Path]) -> None:
    report = _refused_bomb(secured.client, bombs["zip"], "data.zip")
    assert report["source"]["format"] == "zip"


def test_the_report_page_names_a_bomb_in_both_languages(secured: Secured, bombs: dict[str, Path]) -> None:
    report = _refused_bomb(secured.client, bombs["zip"], "data.zip")
    zh = secured.client.get(f"/reports/{report['id']}?lang=zh")
    en = secured.client.get(f"/reports/{report['id']}?lang=en")
    assert zh.status_code == en.status_code == 200
    assert 'id="f-decompression-bomb"' in zh.text and "解压炸弹" in zh.text
    assert "以未压缩或正常压缩" in zh.text  # the fix, in Chinese
    assert "The file is a decompression bomb" in en.text or "Decompression bomb" in en.text


def test_a_gzipped_csv_is_scored(secured: Secured, corpus: Path) -> None:
    import gzip

    raw = (corpus / "portals/cn-data-stats-gov-cn/cpi-monthly-by-province_2020Q1_part1.csv").read_bytes()
    plain = score_upload(secured.client, "cpi.csv", raw).json()
    zipped = score_upload(secured.client, "cpi.csv.gz", gzip.compress(raw)).json()
    assert zipped["source"]["format"] == "gzip/csv" and zipped["source"]["encoding"] == "gb18030"
    assert zipped["score"] == plain["score"] and zipped["fatal"] is None
    assert [f["code"] for f in zipped["findings"]] == [f["code"] for f in plain["findings"]]


@pytest.mark.parametrize(
    ("overrides", "limit"),
    [
        ({"worker_memory_mb": 128}, "memory limit of 128 MiB"),
        ({"worker_cpu_seconds": 1}, "CPU-time limit of 1 s"),
        ({"worker_timeout_s": 0.5}, "longer than the limit of 0.5 s"),
    ],
    ids=["memory", "cpu", "wall-clock"],
)
def test_a_pathological_file_costs_one_worker_and_a_finding(
    data_dir: Path, heavy_csv: Path, overrides: dict[str, Any], limit: str
) -> None:
    with TestClient(create_app(make_settings(data_dir, **overrides))) as client:
        started = time.monotonic()
        r = score_upload(client, "heavy.csv", heavy_csv.read_bytes())
        elapsed = time.monotonic() - started
        assert r.status_code == 200, r.text[:300]
        report = r.json()
        assert report["score"] == 0 and report["fatal"] == "resource-limit"
        f = finding(report, "resource-limit")
        assert limit in f["message"] and f["points_lost"] > 0 and f["examples"][0]["value"] == "heavy.csv"
        assert report["source"]["format"] == "csv"  # sniffed by the worker before it died
        assert elapsed < 30
        # The report is stored like any other, and the server goes on scoring.
        assert client.get(f"/api/v1/reports/{report['id']}").json()["fatal"] == "resource-limit"
        ok = score_upload(client, "ok.csv", b"id,name\n1,a\n2,b\n3,c\n")
        assert ok.status_code == 200 and ok.json()["fatal"] is None


@pytest.mark.slow
def test_a_live_server_survives_a_pathological_file(tmp_path: Path, heavy_csv: Path) -> None:
    """A real `odq serve`: while a worker burns its CPU budget on the pathological file, the
    server answers at once; the worker ends, the server does not."""
    data_dir = tmp_path / "var"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")} | {
        "ODQ_DATA_DIR": str(data_dir),
        "ODQ_WORKER_CPU_SECONDS": "1",
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(ODQ), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, server)
        with httpx2.Client(base_url=base, timeout=60) as http:
            import threading

            result: dict[str, Any] = {}
            upload = threading.Thread(
                target=lambda: result.update(
                    r=http.post(
                        "/api/v1/score?wait=true", files={"file": ("heavy.csv", heavy_csv.read_bytes())}
                    )
                )
            )
            upload.start()
            time.sleep(1.0)
            t = time.monotonic()
            assert http.get("/health").status_code == 200
            assert time.monotonic() - t < 1.0  # the server is not busy with the file
            upload.join(60)
            report = result["r"].json()
            assert report["fatal"] == "resource-limit"
            assert server.poll() is None
            ok = http.post("/api/v1/score?wait=true", files={"file": ("ok.csv", b"id,name\n1,a\n2,b\n")})
            assert ok.status_code == 200 and ok.json()["fatal"] is None
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        log.close()


def _wait_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "odq serve exited"
        try:
            if httpx2.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("odq serve did not come up")


# == SQL in column names =========================================================================

HOSTILE_LABELS = [
    "id",
    '"; DROP TABLE reports; --',
    "'); DELETE FROM api_keys; --",
    "x' OR '1'='1",
    'a"b""c',
    "",
    "dup",
    "dup",
    "tab\there\x01\x07\x1b[31m",
    "c1",
    "__row",
    "L" * 10_000,
]


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_sql_in_column_names_stays_data(secured: Secured) -> None:
    header = ",".join(_csv_cell(label) for label in HOSTILE_LABELS)
    rows = [",".join(_csv_cell(f"{r}-{i}") for i in range(len(HOSTILE_LABELS))) for r in range(5)]
    data = ("\n".join([header, *rows]) + "\n").encode()
    r = score_upload(secured.client, "columns.csv", data)
    assert r.status_code == 200, r.text[:300]
    report = r.json()
    names = [c["name"] for c in report["columns"]]
    assert names == HOSTILE_LABELS  # every label verbatim, none lost or merged
    assert {f["code"] for f in report["findings"]} >= {"blank-header", "duplicate-header"}
    # The database is intact and the labels are rows of data, not identifiers.
    store = secured.client.app.state.store  # type: ignore[attr-defined]
    cur = store.cursor()
    tables = {t for (t,) in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"reports", "api_keys", "resource_columns"} <= tables
    assert cur.execute("SELECT count(*) FROM api_keys").fetchall() == [(2,)]
    sha = report["source"]["sha256"]
    labels = cur.execute(
        "SELECT label FROM resource_columns WHERE resource_sha256 = ? ORDER BY field", [sha]
    ).fetchall()
    assert [label for (label,) in labels] == HOSTILE_LABELS
    columns = [
        c
        for (c,) in cur.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'data' AND table_name = ? ORDER BY column_index",
            [f"r_{sha}"],
        ).fetchall()
    ]
    assert columns[0] == "__row" and columns[1:] == [f"c{i}" for i in range(1, len(HOSTILE_LABELS) + 1)]
    again = secured.client.get(f"/api/v1/reports/{report['id']}").json()
    assert [c["name"] for c in again["columns"]] == HOSTILE_LABELS


def test_sql_in_json_keys_stays_data(secured: Secured) -> None:
    records = [{'"; DROP TABLE reports; --': i, "k'ey": f"v{i}", "": i * 2} for i in range(5)]
    r = score_upload(secured.client, "records.json", json.dumps(records).encode())
    assert r.status_code == 200
    assert [c["name"] for c in r.json()["columns"]] == ['"; DROP TABLE reports; --', "k'ey", ""]
    assert secured.client.get("/api/v1/reports").status_code == 200


# == path traversal in file names ================================================================

TRAVERSALS = [
    ("../../../../../../tmp/odq-escape.csv", "odq-escape.csv"),
    ("..\\..\\..\\windows\\odq-escape.csv", "odq-escape.csv"),
    ("/etc/odq-escape.csv", "odq-escape.csv"),
    ("blobs/../../odq-escape.csv", "odq-escape.csv"),
    ("..", ".."),
    ("%2e%2e%2fodq-escape.csv", "%2e%2e%2fodq-escape.csv"),
    ("odq\x00escape.csv", "odqescape.csv"),
    ("odq\x1b[31mescape\x7f.csv", "odq[31mescape.csv"),
    ("", "upload"),
]
BOUNDARY = "odq-security-boundary"


def raw_upload(filename: str, data: bytes) -> bytes:
    """A multipart body with the file name exactly as given (clients would percent-encode
    control characters; an attacker does not)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    return head.encode("utf-8") + data + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize(("filename", "shown"), TRAVERSALS)
def test_upload_file_names_never_become_paths(secured: Secured, filename: str, shown: str) -> None:
    data = f"id,name\n1,{filename!r}\n2,b\n".encode()
    r = secured.client.post(
        "/api/v1/score",
        content=raw_upload(filename, data),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert r.status_code == 200, r.text[:300]
    report = r.json()
    assert report["source"]["name"] == shown
    # Only the database and blobs named by their sha256 are written.
    written = sorted(
        p.relative_to(secured.data_dir).as_posix() for p in secured.data_dir.rglob("*") if p.is_file()
    )
    sha = report["source"]["sha256"]
    assert f"blobs/{sha[:2]}/{sha}" in written
    for path in written:
        assert path.startswith("odq.duckdb") or re.fullmatch(r"blobs/[0-9a-f]{2}/[0-9a-f]{64}", path), written
    assert not list(secured.data_dir.parent.rglob("*escape*"))
    assert not Path("/tmp/odq-escape.csv").exists()


# == XSS in values ===============================================================================

XSS = "<script>alert('odq')</script>"
IMG = '"><img src=x onerror="alert(1)">'
FORMULA = '=HYPERLINK("http://evil.example/","x")'


def test_xss_in_values_is_kept_as_data_and_escaped_on_pages(secured: Secured) -> None:
    header = f"id,{_csv_cell(XSS)},amount"
    rows = [f"{i},{_csv_cell(IMG if i % 2 else XSS)},{i * 10}" for i in range(1, 12)]
    rows.append(f"12,x,{_csv_cell(FORMULA)}")  # a type-error: the formula is an example value
    data = ("\n".join([header, *rows]) + "\n").encode()
    r = score_upload(secured.client, "xss.csv", data)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    report = r.json()
    assert report["columns"][1]["name"] == XSS  # data, not escaped or stripped in the JSON
    stored = secured.client.get(f"/api/v1/reports/{report['id']}")
    assert stored.headers["content-type"].startswith("application/json")
    assert stored.json()["columns"][1]["name"] == XSS

    page = secured.client.get(f"/reports/{report['id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert XSS not in page.text and 'onerror="alert(1)"' not in page.text
    soup = BeautifulSoup(page.text, "html.parser")
    assert not [s for s in soup.find_all("script") if "alert(" in (s.string or "")]
    assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
    assert XSS in soup.get_text()  # shown, as text

    assert FORMULA in [e["value"] for e in finding(report, "type-error")["examples"]]
    import csv
    import io

    cells = [
        c
        for row in csv.reader(io.StringIO(secured.client.get(f"/reports/{report['id']}/findings.csv").text))
        for c in row
    ]
    assert "'" + FORMULA in cells  # a spreadsheet shows it as text, never runs it
    assert not [c for c in cells if c.startswith(("=", "@"))]


def test_a_worker_gives_the_same_report_rows_and_signatures(tmp_path: Path, corpus: Path) -> None:
    """Parsing in a worker changes nothing of the result: report, kept rows and signatures are
    those of parsing in the server process."""
    from app.storage.portals import PortalStore

    path = corpus / "portals/cn-data-stats-gov-cn/cpi-monthly-by-province_2020Q1_part1.csv"
    seen = []
    for isolate in (True, False):
        settings = make_settings(tmp_path / f"var-{isolate}", isolate_parsing=isolate)
        with TestClient(create_app(settings)) as client:
            report = score_upload(client, path.name, path.read_bytes()).json()
            sha = report["source"]["sha256"]
            repo = client.app.state.repo  # type: ignore[attr-defined]
            sigs = PortalStore(repo).load_signatures({sha})[sha]
            rows = repo.preview_rows(sha, limit=100)
            seen.append(
                (
                    {k: v for k, v in report.items() if k not in ("id", "created_at")},
                    rows,
                    (sigs.content_hash, sigs.rows, sigs.row_minhash.tolist()),
                )
            )
    assert seen[0] == seen[1]
    assert seen[0][0]["score"] > 0 and len(seen[0][1]["rows"]) == 31
