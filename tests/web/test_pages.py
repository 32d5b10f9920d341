"""The pages rendered on the server, read with BeautifulSoup: the report page shows the very
report the JSON API returns, every value from a file is escaped, pages carry a CSP forbidding
inline script, the findings CSV cannot run formulas, the methodology follows the weights."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from web_support import CPI_PART1

from app.main import create_app
from app.settings import Settings
from app.storage.keys import KeyRepository
from app.web.pages import CSP


def upload(client: TestClient, name: str, data: bytes, **fields: str) -> str:
    """Submit the home page form; return the report id the browser is sent to."""
    r = client.post("/upload", files={"file": (name, data, "text/csv")}, data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    location = r.headers["location"]
    m = re.fullmatch(r"/reports/([0-9a-f]{32})", location)
    assert m, location
    return m.group(1)


def soup(response: Any) -> BeautifulSoup:
    assert response.headers["content-type"].startswith("text/html"), response.headers
    return BeautifulSoup(response.text, "html.parser")


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


# -- home and upload ------------------------------------------------------------------------------


def test_home_has_a_plain_html_form_with_the_size_limit(client: TestClient) -> None:
    r = client.get("/", headers={"accept-language": "en"})
    assert r.status_code == 200
    page = soup(r)
    form = page.find("form", id="upload-form")
    assert form is not None
    assert form["action"] == "/upload" and form["method"] == "post"
    assert form["enctype"] == "multipart/form-data"
    file_input = form.find("input", attrs={"type": "file"})
    assert file_input["name"] == "file"
    # every input has a label
    for field in form.find_all("input"):
        assert page.find("label", attrs={"for": field["id"]}) is not None, field
    assert "512 MiB" in page.get_text()
    assert form.find("button", attrs={"type": "submit"}) is not None


def test_upload_a_corpus_file_and_read_the_report(client: TestClient) -> None:
    report_id = upload(client, CPI_PART1.name, CPI_PART1.read_bytes())
    page = soup(client.get(f"/reports/{report_id}", headers={"accept-language": "en"}))
    summary = page.find(id="summary")
    # GB18030, three title rows, notes below and an empty column: four routine fixes, so Good, low in
    # the band (RUBRIC.md: several routine fixes put a file near the bottom of Good)
    assert summary["data-score"] == "58.16"
    assert page.find(id="score").get_text(strip=True) == "58.2"  # shown to one decimal
    assert page.find(id="band").get_text(strip=True) == "Good"
    codes = [li["data-code"] for li in page.select("#findings > li")]
    # four routine faults at full extent cost the same (one step of Good each); ties go by code
    assert codes == ["empty-column", "footer-notes", "legacy-encoding", "title-rows"]
    title_rows = page.find(id="f-title-rows")
    assert "数据库：分省月度数据" in title_rows.get_text()
    facts = page.find(id="source").get_text(" ")
    assert "gb18030" in facts and "31 × 4" in facts
    # fix these three to gain N points
    fixes = page.find(id="fixes")
    assert [li["data-code"] for li in fixes.find_all("li")] == [
        "empty-column",
        "footer-notes",
        "legacy-encoding",
    ]
    assert "21.3" in fixes.find("h3").get_text()  # three of the four steps down Good: 79.49 - 58.16
    # the preview starts at the first data row (header on row 4) and marks the empty column
    preview = page.find(id="preview")
    assert preview.select("tbody tr")[0]["data-row"] == "5"
    assert "empty-column" in preview.select("thead th")[2].get("title", "")
    # an upload is private: the recent list on the home page does not link to it
    home = soup(client.get("/"))
    assert home.find("a", href=f"/reports/{report_id}") is None


def test_the_html_page_and_the_json_api_show_the_same_report(client: TestClient) -> None:
    report_id = upload(client, CPI_PART1.name, CPI_PART1.read_bytes())
    api = client.get(f"/api/v1/reports/{report_id}").json()
    page = soup(client.get(f"/reports/{report_id}", headers={"accept-language": "en"}))
    summary = page.find(id="summary")
    assert summary["data-report-id"] == api["id"]
    assert float(summary["data-score"]) == api["score"]
    assert summary["data-band"] == api["band"]
    items = page.select("#findings > li")
    assert [li["data-code"] for li in items] == [f["code"] for f in api["findings"]]
    assert [int(li["data-count"]) for li in items] == [f["count"] for f in api["findings"]]
    # each finding says why it costs what it costs: the band its rubric class bounds
    assert [li.select_one("p.why").get_text() for li in items] == [
        f"Why it costs this: {f['reason']}" for f in api["findings"]
    ]
    assert all(f["reason"] and f["rubric"] for f in api["findings"])
    assert [float(li["data-points"]) for li in items] == [f["points_lost"] for f in api["findings"]]
    dims = {tr["data-dimension"]: float(tr["data-score"]) for tr in page.select("#dimensions tbody tr")}
    assert dims == {k: d["score"] for k, d in api["dimensions"].items()}
    # examples in the page are the API's examples
    for li, f in zip(items, api["findings"], strict=True):
        shown = [[td.get_text() for td in tr.find_all("td")] for tr in li.select("table.examples tbody tr")]
        expected = [
            [
                "" if e["row"] is None else str(e["row"]),
                "" if e["field"] is None else str(e["field"]),
                e["column"] or "",
                e["value"] or "",
            ]
            for e in f["examples"]
        ]
        assert [row[:3] for row in shown] == [row[:3] for row in expected]
        for got, want in zip(shown, expected, strict=True):
            assert got[3] == want[3] or (want[3].startswith(got[3][:-1]) and got[3].endswith("…"))


def test_an_empty_form_is_an_html_error_page(client: TestClient) -> None:
    r = client.post("/upload", files={"file": ("", b"", "application/octet-stream")})
    assert r.status_code == 400
    page = soup(r)
    assert page.find(attrs={"data-code": "missing-file"}) is not None
    assert r.headers["content-security-policy"] == CSP


def test_unknown_report_is_an_html_404(client: TestClient) -> None:
    r = client.get("/reports/" + "0" * 32, headers={"accept-language": "en"})
    assert r.status_code == 404
    assert soup(r).find(attrs={"data-code": "report-not-found"}) is not None
    # the API keeps its JSON errors
    api = client.get("/api/v1/reports/" + "0" * 32)
    assert api.status_code == 404 and api.json()["code"] == "report-not-found"


# -- languages ---------------------------------------------------------------------------------------


def test_language_from_accept_language_and_the_switch(client: TestClient) -> None:
    zh = soup(client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}))
    assert zh.html["lang"] == "zh-CN"
    assert zh.find("h1").get_text() == "为数据文件评分"
    en = soup(client.get("/", headers={"accept-language": "en-GB,en;q=0.9"}))
    assert en.html["lang"] == "en"
    assert en.find("h1").get_text() == "Score a data file"
    # the switch link flips the language and keeps it in a cookie
    switch = en.find(id="lang-switch")
    assert switch["href"] == "/?lang=zh"
    r = client.get(switch["href"], headers={"accept-language": "en"})
    assert soup(r).html["lang"] == "zh-CN"
    assert "odq_lang=zh" in r.headers["set-cookie"]
    again = soup(client.get("/methodology", headers={"accept-language": "en"}))
    assert again.html["lang"] == "zh-CN"  # the cookie wins over the header
    client.cookies.clear()


def test_findings_titles_and_fixes_in_both_languages(client: TestClient) -> None:
    report_id = upload(client, CPI_PART1.name, CPI_PART1.read_bytes())
    en = soup(client.get(f"/reports/{report_id}?lang=en"))
    zh = soup(client.get(f"/reports/{report_id}?lang=zh"))
    client.cookies.clear()
    assert en.select_one("#f-title-rows .f-title").get_text() == "Title lines above the header"
    assert zh.select_one("#f-title-rows .f-title").get_text() == "表头上方有标题行"
    assert "元数据" in zh.select_one("#f-title-rows .fix").get_text()
    assert zh.find(id="band").get_text() == "良好"


# -- safety ------------------------------------------------------------------------------------------


XSS_HEADER = "<script>alert('header')</script>"
XSS_CELL = '<img src=x onerror="alert(1)">'
XSS_NAME = "<svg onload=alert(1)>'.csv"


def test_markup_in_file_names_columns_and_cells_renders_as_text(client: TestClient) -> None:
    rows = [["id", XSS_HEADER, "name"]]
    rows += [[str(i), f"v{i}", f"n{i}"] for i in range(1, 6)]
    rows += [["6", XSS_CELL, "  <b>bold</b>  "], ["6", XSS_CELL, "  <b>bold</b>  "]]
    # scored into a portal with its key, so the home page lists it
    _, key = KeyRepository(client.app.state.repo.store).create("demo")  # type: ignore[attr-defined]
    report_id = upload(client, XSS_NAME, csv_bytes(rows), portal="demo", key=key)
    r = client.get(f"/reports/{report_id}", headers={"accept-language": "en"})
    page = soup(r)
    scripts = page.find_all("script")
    assert [s.get("src", "").split("?")[0] for s in scripts] == ["/static/odq.js"]
    assert all(not s.string for s in scripts)
    assert page.find("img", attrs={"onerror": True}) is None
    assert page.find("svg", attrs={"onload": True}) is None
    assert page.find("b") is None
    text = page.get_text()
    assert XSS_HEADER in text and XSS_CELL in text and XSS_NAME in text
    assert page.find(id="report-title").get_text() == XSS_NAME
    # the raw markup never appears unescaped
    assert XSS_CELL not in r.text and XSS_HEADER not in r.text
    # the home page lists the name as text too
    home = client.get("/")
    assert soup(home).find("svg", attrs={"onload": True}) is None
    assert XSS_NAME in soup(home).get_text()


@pytest.mark.parametrize("path", ["/", "/methodology", "/portals", "/reports/" + "0" * 32])
def test_pages_send_a_csp_that_forbids_inline_script(client: TestClient, path: str) -> None:
    r = client.get(path)
    policy = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["default-src"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    page = soup(r)
    for tag in page.find_all(True):
        assert not any(a.startswith("on") for a in tag.attrs), tag
        assert "style" not in tag.attrs, tag  # style-src 'self' would block it
    assert all(s.get("src") for s in page.find_all("script"))


def test_static_files_are_local(client: TestClient) -> None:
    page = soup(client.get("/"))
    refs = [t.get("href") or t.get("src") for t in page.find_all(["link", "script", "img"])]
    assert refs and all(ref.startswith("/") and not ref.startswith("//") for ref in refs), refs
    css = client.get("/static/odq.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "http://" not in css.text and "https://" not in css.text
    assert client.get("/static/../settings.py").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404


def test_findings_csv_is_formula_injection_safe(client: TestClient) -> None:
    rows = [["id", "=SUM(A1:A2)", "amount"]]
    evil = {5: '=HYPERLINK("http://evil.example","x")', 6: "+1+2", 7: "-3+4", 8: "@SUM(A1)"}
    rows += [[str(i), f"v{i}", evil.get(i, str(i * 10))] for i in range(1, 41)]
    report_id = upload(client, "formula.csv", csv_bytes(rows))
    r = client.get(f"/reports/{report_id}/findings.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header, body = table[0], table[1:]
    assert header[:3] == ["code", "dimension", "severity"]
    values = [row[header.index("value")] for row in body if row[0] == "type-error"]
    assert sorted(values) == sorted("'" + v for v in evil.values())
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), row
    # numbers stay numbers
    counts = {row[0]: row[header.index("count")] for row in body}
    assert counts["type-error"] == "4"
    api = client.get(f"/api/v1/reports/{report_id}").json()
    assert set(counts) == {f["code"] for f in api["findings"]}


# -- methodology -------------------------------------------------------------------------------------


def test_methodology_lists_every_dimension_code_and_band_of_the_weights(client: TestClient) -> None:
    from scoring import load_weights

    weights = load_weights()
    page = soup(client.get("/methodology", headers={"accept-language": "en"}))
    dims = {
        tr["data-dimension"]: float(tr["data-weight"]) for tr in page.select("#method-dimensions tbody tr")
    }
    assert dims == {k: d.weight for k, d in weights.dimensions.items()}
    codes = {tr["data-code"]: float(tr["data-cap"]) for tr in page.select("#method-codes tbody tr")}
    assert codes == {c: s.rule.cap for c, s in weights.codes.items()}
    bands = [(tr["data-band"], float(tr["data-min"])) for tr in page.select("#method-bands tbody tr")]
    assert bands == [(b.name, b.min_score) for b in weights.bands]
    refs = page.find(id="method-references").get_text()
    assert "GB/T 36344" in refs and "MQA" in refs and "Frictionless" in refs
    from profilers import portal

    thresholds = {
        tr["data-threshold"]: float(tr.find("td").get_text()) for tr in page.select("#method-portal tbody tr")
    }
    assert thresholds["NEAR_DUPLICATE"] == portal.NEAR_DUPLICATE
    assert thresholds["CONTAINED"] == portal.CONTAINED
    title_row = page.select_one('#method-codes tr[data-code="blank-header"]')
    assert "blank-label" in title_row.get_text()


def test_methodology_changes_when_a_weight_changes(tmp_path: Path) -> None:
    from importlib.resources import files

    raw = json.loads(files("scoring").joinpath("weights", "v2.json").read_text(encoding="utf-8"))
    raw["dimensions"]["uniqueness"]["weight"] = 42
    raw["codes"]["duplicate-row"]["cap"] = 33
    raw["bands"]["levels"][0]["min"] = 90
    raw["classes"]["blemish"]["floor"] = 90  # the blemish class lies inside the Excellent band
    custom = tmp_path / "weights.json"
    custom.write_text(json.dumps(raw), encoding="utf-8")

    def methodology(settings: Settings) -> BeautifulSoup:
        with TestClient(create_app(settings)) as c:
            return soup(c.get("/methodology", headers={"accept-language": "en"}))

    before = methodology(Settings(data_dir=tmp_path / "a"))
    after = methodology(Settings(data_dir=tmp_path / "b", weights_file=custom))
    sel_dim = '#method-dimensions tr[data-dimension="uniqueness"]'
    sel_code = '#method-codes tr[data-code="duplicate-row"]'
    assert before.select_one(sel_dim)["data-weight"] == "20"
    assert after.select_one(sel_dim)["data-weight"] == "42"
    assert before.select_one(sel_code)["data-cap"] == "40"
    assert after.select_one(sel_code)["data-cap"] == "33"
    assert after.select_one('#method-bands tr[data-band="excellent"]')["data-min"] == "90"
    assert before.find(id="custom-weights") is None
    assert "weights.json" in after.find(id="custom-weights").get_text()
    # a later edit of the same file shows too (the file is re-read when it changes)
    time.sleep(0.01)
    raw["dimensions"]["uniqueness"]["weight"] = 7
    custom.write_text(json.dumps(raw), encoding="utf-8")
    again = methodology(Settings(data_dir=tmp_path / "c", weights_file=custom))
    assert again.select_one(sel_dim)["data-weight"] == "7"


# -- badges ------------------------------------------------------------------------------------------


def test_report_badge_in_the_current_language(client: TestClient) -> None:
    report_id = upload(client, CPI_PART1.name, CPI_PART1.read_bytes())
    en = client.get(f"/badge/report/{report_id}.svg", headers={"accept-language": "en"})
    assert en.status_code == 200 and en.headers["content-type"].startswith("image/svg+xml")
    svg = BeautifulSoup(en.text, "html.parser")
    assert svg.find("title").get_text() == "data quality: 58 · Good"
    zh = client.get(f"/badge/report/{report_id}.svg", headers={"accept-language": "zh"})
    assert "58 · 良好" in BeautifulSoup(zh.text, "html.parser").find("title").get_text()
    missing = client.get("/badge/report/nothing.svg", headers={"accept-language": "en"})
    assert missing.status_code == 404 and "not scored" in missing.text


# -- a URL, and scoring into a portal ------------------------------------------------------------


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving a copy of the corpus file (and a 404 for the rest)."""
    import functools
    import http.server
    import shutil
    import threading

    root = tmp_path / "www"
    root.mkdir()
    shutil.copy(CPI_PART1, root / CPI_PART1.name)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_score_a_url_through_the_form(tmp_path: Path, file_server: str) -> None:
    settings = Settings(data_dir=tmp_path / "var", fetch_allow="127.0.0.1", anonymous_rate_per_minute=0)
    with TestClient(create_app(settings)) as client:
        r = client.post("/upload", files={"file": ("", b"")}, data={"url": f"{file_server}/{CPI_PART1.name}"})
        assert r.status_code == 200, r.text[:500]
        assert re.search(r"/reports/[0-9a-f]{32}$", str(r.url)), r.url
        page = soup(r)
        assert page.find(id="summary")["data-score"] == "58.16"
        assert f"{file_server}/{CPI_PART1.name}" in page.find(id="source").get_text()
        # a URL that does not download is a report (score 0, download-failed), shown as is
        gone = client.post("/upload", files={"file": ("", b"")}, data={"url": f"{file_server}/missing.csv"})
        assert gone.status_code == 200
        failed = soup(gone)
        assert failed.find(id="summary")["data-score"] in ("0", "0.0")
        assert failed.find(id="f-download-failed") is not None
        # both a file and a URL: refused
        both = client.post(
            "/upload",
            files={"file": ("a.csv", b"a,b\n1,2\n")},
            data={"url": f"{file_server}/{CPI_PART1.name}"},
        )
        assert both.status_code == 400


def test_refused_url_is_an_html_error(client: TestClient) -> None:
    r = client.post("/upload", files={"file": ("", b"")}, data={"url": "http://127.0.0.1:9/secret.csv"})
    assert r.status_code == 400
    assert soup(r).find(attrs={"data-status": "400"}) is not None


def test_scoring_into_a_portal_needs_its_key(tmp_path: Path) -> None:
    admin = "admin-token-for-the-form-test"
    settings = Settings(data_dir=tmp_path / "var", admin_token=admin, anonymous_rate_per_minute=0)
    with TestClient(create_app(settings)) as client:
        data = CPI_PART1.read_bytes()
        anonymous = client.post(
            "/upload", files={"file": (CPI_PART1.name, data)}, data={"portal": "stats-demo"}
        )
        assert anonymous.status_code == 401
        assert client.get("/api/v1/portals").json()["portals"] == []
        bad_name = client.post(
            "/upload", files={"file": (CPI_PART1.name, data)}, data={"portal": "../x", "key": admin}
        )
        assert bad_name.status_code == 400
        ok = client.post(
            "/upload",
            files={"file": (CPI_PART1.name, data)},
            data={"portal": "stats-demo", "key": admin},
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text[:500]
        board = client.get("/api/v1/portals").json()["portals"]
        assert [(p["name"], p["datasets"]) for p in board] == [("stats-demo", 1)]
        leaderboard = soup(client.get("/portals"))
        assert leaderboard.select_one("#leaderboard tbody tr th a").get_text() == "stats-demo"


# -- size and time -------------------------------------------------------------------------------------


def messy_csv(rows: int) -> bytes:
    """Rows with faults spread through the file: placeholders, duplicates, stray spaces."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "district", "amount", "remark"])
    for i in range(rows):
        j = i - 1 if i % 97 == 0 and i else i  # duplicate rows
        w.writerow(
            [
                j,
                f" district {j % 13}" if j % 31 == 0 else f"district {j % 13}",
                "无" if j % 41 == 0 else str(j * 7 % 1000),
                "-" if j % 53 == 0 else "ok",
            ]
        )
    return out.getvalue().encode()


def test_the_report_page_does_not_grow_with_the_rows(client: TestClient) -> None:
    small_id = upload(client, "spending.csv", messy_csv(1_000))
    large_id = upload(client, "spending.csv", messy_csv(200_000))
    api_small = client.get(f"/api/v1/reports/{small_id}").json()
    api_large = client.get(f"/api/v1/reports/{large_id}").json()
    assert api_large["source"]["rows"] == 200_000
    assert {f["code"] for f in api_small["findings"]} == {f["code"] for f in api_large["findings"]}
    client.app.state.web_previews.clear()  # type: ignore[attr-defined]  # read the rows from DuckDB again
    started = time.perf_counter()
    large = client.get(f"/reports/{large_id}")
    elapsed = time.perf_counter() - started
    small = client.get(f"/reports/{small_id}")
    assert large.status_code == small.status_code == 200
    assert elapsed < 1.0, f"report page of 200,000 rows took {elapsed:.2f} s"
    # the same findings and a capped preview: the pages differ only by a few digits
    assert abs(len(large.content) - len(small.content)) < 0.02 * len(small.content)
    page = soup(large)
    assert len(page.select("#preview tbody tr")) == 20
    assert len(page.select("#example-rows tbody tr")) <= 12
    for li in page.select("#findings > li"):
        assert len(li.select("table.examples tbody tr")) <= 5


@pytest.mark.parametrize(
    ("name", "data", "fatal"),
    [
        ("empty.csv", b"", "empty-file"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "unreadable-file"),
    ],
)
def test_a_fatal_file_has_a_report_page(client: TestClient, name: str, data: bytes, fatal: str) -> None:
    report_id = upload(client, name, data)
    page = soup(client.get(f"/reports/{report_id}", headers={"accept-language": "en"}))
    assert page.find(id="summary")["data-score"] in ("0", "0.0")
    assert fatal in page.find(id="fatal").get_text()
    assert page.find(id=f"f-{fatal}") is not None
    assert page.find(id="preview") is None  # no rows were kept


@pytest.mark.parametrize(
    "path",
    [
        "/progress/" + "0" * 32,
        "/progress/nothing/state",
        "/reports/nothing/findings.csv",
        "/reports/x/dqv.jsonld",
        "/jobs/nothing",
        "/static/odq.exe",
    ],
)
def test_unknown_things_are_html_404s(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == CSP


def test_the_language_switch_on_a_form_answer_goes_to_a_page_that_exists(client: TestClient) -> None:
    r = client.post("/upload", files={"file": ("", b"")}, headers={"accept-language": "en"})
    assert r.status_code == 400
    href = soup(r).find(id="lang-switch")["href"]
    assert href == "/?lang=zh"
    assert client.get(href).status_code == 200
    client.cookies.clear()


def test_the_other_sheets_of_a_workbook_are_a_table_on_the_report_page(tmp_path: Path) -> None:
    """Each other data sheet with its score, up to ODQ_MAX_SHEETS (applied in the parsing worker);
    the ones past it say why they were not scored."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for year in range(2020, 2024):
        sheet = book.create_sheet(str(year))
        sheet.append([f"{year}年各区人口"])
        sheet.append(["地区", "年份", "人口"])
        for i in range(20):
            sheet.append([f"区{i}", year, 1000 + i])
    path = tmp_path / "years.xlsx"
    book.save(path)
    settings = Settings(data_dir=tmp_path / "var", anonymous_rate_per_minute=0, max_sheets=2)
    with TestClient(create_app(settings)) as client:
        report_id = upload(client, path.name, path.read_bytes())
        page = soup(client.get(f"/reports/{report_id}", headers={"accept-language": "en"}))
        report = client.get(f"/api/v1/reports/{report_id}").json()
    rows = page.select("#sheets tbody tr")
    assert [tr["data-sheet"] for tr in rows] == ["2021", "2022", "2023"]
    assert [tr["data-score"] for tr in rows] == [f"{s['score']}" for s in report["sheets"][:2]] + [""]
    assert rows[0].find("td", attrs={"data-band": True})["data-band"] == report["sheets"][0]["band"]
    assert "title-rows" in rows[0].get_text()
    assert "not scored: past the first 2 other sheets" in rows[2].get_text()
