"""The leaderboard and a portal page after scoring a small portal from the corpus (two series
split across files, one republished file), read with BeautifulSoup; the catalog-run form."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from web_support import ADMIN, portal_folder

from app.main import create_app
from app.settings import Settings


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("portal")
    folder = portal_folder(root)
    settings = Settings(data_dir=root / "var", admin_token=ADMIN, anonymous_rate_per_minute=0)
    with TestClient(create_app(settings)) as client:
        from app.services import portals

        report = portals.score_directory(client.app.state.repo, settings, folder, "stats-demo")  # type: ignore[attr-defined]
        yield client, folder, report


def soup(r: Any) -> BeautifulSoup:
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return BeautifulSoup(r.text, "html.parser")


def test_leaderboard(scored: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, _, _ = scored
    api = client.get("/api/v1/portals").json()["portals"]
    page = soup(client.get("/portals", headers={"accept-language": "en"}))
    rows = page.select("#leaderboard tbody tr")
    assert [tr["data-portal"] for tr in rows] == [p["id"] for p in api]
    first = rows[0]
    assert float(first["data-score"]) == api[0]["score"]
    assert first["data-rank"] == "1"
    cells = [td.get_text(strip=True) for td in first.find_all(["td", "th"])]
    assert cells[1] == "stats-demo" and cells[4] == "7"
    assert first.find("svg", class_="spark") is not None  # the history sparkline
    assert first.find("a")["href"] == f"/portals/{api[0]['id']}"


def test_portal_page_shows_clusters_series_and_the_merge(
    scored: tuple[TestClient, Path, dict[str, Any]],
) -> None:
    client, _, _ = scored
    pid = client.get("/api/v1/portals").json()["portals"][0]["id"]
    api = client.get(f"/api/v1/portals/{pid}").json()
    page = soup(client.get(f"/portals/{pid}", headers={"accept-language": "en"}))
    summary = page.find(id="summary")
    assert float(summary["data-score"]) == api["score"] and summary["data-band"] == api["band"]
    assert page.find(id="portal-title").get_text() == "stats-demo"
    assert page.find(id="dataset-count").get_text() == "7"
    # band distribution as counts (for screen readers) matches the API
    counts = [li.get_text() for li in page.select("#band-counts li")]
    assert counts == [
        f"{b}: {api['bands'][k]}"
        for b, k in zip(["Excellent", "Good", "Sufficient", "Bad"], api["bands"], strict=True)
    ]
    # duplicate / republication clusters and split series with their merge
    api_kinds = sorted(c["kind"] for c in api["clusters"])
    shown = sorted(li["data-code"] for li in page.select("#clusters > li, #series > li"))
    codes = {
        "series": "split-series",
        "republished": "republished-dataset",
        "duplicate": "duplicate-dataset",
        "near-duplicate": "near-duplicate-dataset",
        "contained": "contained-dataset",
    }
    assert shown == sorted(codes[k] for k in api_kinds)
    series = page.select("#series > li")
    assert len(series) == 2
    merge_texts = [li.find(class_="merge").get_text() for li in series]
    assert any("3 datasets into one table of 93 rows" in m for m in merge_texts), merge_texts
    members = {a.get_text() for a in page.select("#series a")}
    assert "cpi-monthly-by-province_2020Q1_part1.csv" in members
    # worst datasets link to their reports
    worst = page.select("#worst tbody tr a")
    assert worst and all(a["href"].startswith("/reports/") for a in worst)
    # the dimension scores are the API's
    dims = {
        tr["data-dimension"]: float(tr["data-score"]) for tr in page.select("#portal-dimensions tbody tr")
    }
    assert dims == {k: d["score"] for k, d in api["dimensions"].items()}
    assert page.find(id="history") is not None
    assert page.find("form", id="run-form")["action"] == f"/portals/{pid}/runs"


def test_portal_badge_and_dqv(scored: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, _, report = scored
    pid = client.get("/api/v1/portals").json()["portals"][0]["id"]
    badge = client.get(f"/badge/{pid}.svg", headers={"accept-language": "en"})
    assert badge.status_code == 200 and badge.headers["content-type"].startswith("image/svg+xml")
    assert f"{report['score']:.0f} · Excellent" in badge.text or f"{report['score']:.0f} · Good" in badge.text
    by_name = client.get("/badge/stats-demo.svg", headers={"accept-language": "zh"})
    assert by_name.status_code == 200 and "数据质量" in by_name.text
    assert client.get("/badge/nobody.svg").status_code == 404
    dqv = client.get(f"/portals/{pid}/dqv.jsonld")
    assert dqv.status_code == 200 and dqv.headers["content-type"].startswith("application/ld+json")
    assert "dqv" in dqv.text


def test_unknown_portal_is_an_html_404(scored: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, _, _ = scored
    r = client.get("/portals/nobody")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert BeautifulSoup(r.text, "html.parser").find(attrs={"data-code": "portal-not-found"}) is not None


def test_run_form_needs_a_valid_key(scored: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, folder, _ = scored
    pid = client.get("/api/v1/portals").json()["portals"][0]["id"]
    missing = client.post(f"/portals/{pid}/runs", data={"key": "", "source": str(folder)})
    assert missing.status_code == 401
    bad = client.post(f"/portals/{pid}/runs", data={"key": "not-a-key", "source": str(folder)})
    assert bad.status_code == 401
    assert BeautifulSoup(bad.text, "html.parser").find(attrs={"data-code": "invalid-key"}) is not None


def test_run_form_starts_a_run_and_the_job_page_reaches_the_portal(
    scored: tuple[TestClient, Path, dict[str, Any]],
) -> None:
    client, folder, _ = scored
    pid = client.get("/api/v1/portals").json()["portals"][0]["id"]
    before = len(client.get(f"/api/v1/portals/{pid}").json()["history"])
    r = client.post(
        f"/portals/{pid}/runs", data={"key": ADMIN, "source": str(folder)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:500]
    job_url = r.headers["location"]
    assert job_url.startswith("/jobs/")
    deadline = time.monotonic() + 120
    while True:
        page = client.get(job_url, follow_redirects=False)
        if page.status_code == 303:
            assert page.headers["location"] == f"/portals/{pid}"
            break
        assert page.status_code == 200, page.text[:500]
        assert BeautifulSoup(page.text, "html.parser").find(id="job") is not None
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.3)
    after = client.get(f"/api/v1/portals/{pid}").json()["history"]
    assert len(after) == before + 1


def test_portal_view_lists_broken_links_and_reads_every_history_shape() -> None:
    from app.web.i18n import Translator
    from app.web.views import build_portal_view, history_points
    from scoring import load_weights

    report = {
        "id": "p1",
        "portal": {"id": "p1", "name": "<i>demo</i>"},
        "score": 40.0,
        "band": "sufficient",
        "datasets": [
            {
                "id": "a",
                "title": "Budget 2024",
                "name": "https://example.org/a.csv",
                "url": "https://example.org/a.csv",
                "score": 0.0,
                "band": "bad",
                "report_id": "r1",
                "findings": [{"code": "download-failed", "count": 1}],
            },
            {
                "id": "b",
                "title": "Budget 2023",
                "name": "b.csv",
                "score": 80.0,
                "band": "good",
                "report_id": "r2",
                "findings": [{"code": "blank-row", "count": 3}],
            },
        ],
        "clusters": [],
        "findings": [],
        "history": [["2026-01-01T00:00:00Z", 30.0], ("2026-02-01T00:00:00Z", 40.0)],
    }
    view = build_portal_view(report, load_weights(), Translator("en"))
    assert [(link["title"], link["report_id"]) for link in view.links] == [("Budget 2024", "r1")]
    assert [d["title"] for d in view.worst] == ["Budget 2024", "Budget 2023"]
    assert [n for _, n in view.band_counts] == [0, 1, 0, 1]
    assert view.history == [("2026-01-01 00:00", 30.0), ("2026-02-01 00:00", 40.0)]
    assert "<i>" not in str(view.trend) and "<i>" not in str(view.band_chart)
    assert history_points([55.0, {"created_at": "2026-03-01", "score": 60}]) == [
        ("1", 55.0),
        ("2026-03-01", 60.0),
    ]
