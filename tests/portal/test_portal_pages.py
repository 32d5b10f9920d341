"""A portal report's datasets are paged (``datasets_limit``, ``datasets_offset``, ``datasets_order``)
with a total count, from the run's own dataset rows; runs stored before keep working."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from portal_support import Env

from app.main import create_app
from app.services import portals
from app.settings import Settings


def _worst_first(datasets: list[dict[str, Any]]) -> list[str]:
    unscored = sorted(d["id"] for d in datasets if d["score"] is None)
    scored = sorted((d for d in datasets if d["score"] is not None), key=lambda d: (d["score"], d["id"]))
    return unscored + [d["id"] for d in scored]


def test_pages_of_the_corpus_portal_cover_every_dataset_once(
    corpus_portal: dict[str, Any], corpus_env: Env
) -> None:
    everything = corpus_portal["datasets"]
    total = len(everything)
    assert total > 20 and corpus_portal["datasets_total"] == total
    full = portals.get_portal(corpus_env.repo, "corpus")
    assert full["datasets"] == everything and full["datasets_total"] == total
    assert [d["id"] for d in everything] == sorted(d["id"] for d in everything)  # key order

    for order, expected in (("key", [d["id"] for d in everything]), ("worst", _worst_first(everything))):
        seen: list[str] = []
        for offset in range(0, total, 7):
            page = portals.get_portal(
                corpus_env.repo, "corpus", datasets_limit=7, datasets_offset=offset, datasets_order=order
            )
            assert page["datasets_total"] == total
            assert page["datasets_page"] == {"offset": offset, "limit": 7, "order": order}
            assert len(page["datasets"]) == min(7, total - offset)
            seen += [d["id"] for d in page["datasets"]]
        assert seen == expected
    past = portals.get_portal(corpus_env.repo, "corpus", datasets_limit=5, datasets_offset=total)
    assert past["datasets"] == [] and past["datasets_total"] == total
    # everything but the list describes the whole portal, whatever the page
    assert past["findings"] == full["findings"] and past["clusters"] == full["clusters"]
    assert past["score"] == full["score"]


def test_a_run_stored_with_its_datasets_inside_is_paged_the_same(
    corpus_portal: dict[str, Any], corpus_env: Env
) -> None:
    """Runs stored before the datasets had rows of their own keep the list in the report."""
    store = corpus_env.repo.store
    report = dict(corpus_portal)
    report["run_id"] = "legacy-" + report["run_id"]
    report.pop("datasets_total")
    report.pop("datasets_page")
    with store.transaction() as cur:
        cur.execute(
            "INSERT INTO portal_runs (id, portal_id, created_at, scoring_version, score, band, datasets,"
            " fragmentation, report_json) VALUES (?, ?, now()::TIMESTAMP + INTERVAL 1 DAY, ?, ?, ?, ?, ?, ?)",
            [
                report["run_id"], report["id"], report["scoring_version"], report["score"], report["band"],
                len(report["datasets"]), report["fragmentation_index"], json.dumps(report),
            ],
        )  # fmt: skip
    try:
        everything = corpus_portal["datasets"]
        page = portals.get_portal(
            corpus_env.repo, "corpus", datasets_limit=4, datasets_offset=2, datasets_order="worst"
        )
        assert page["run_id"] == report["run_id"]
        assert page["datasets_total"] == len(everything)
        assert [d["id"] for d in page["datasets"]] == _worst_first(everything)[2:6]
    finally:
        with store.transaction() as cur:
            cur.execute("DELETE FROM portal_runs WHERE id = ?", [report["run_id"]])


def test_api_pages_datasets_and_refuses_bad_pages(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "three"
    folder.mkdir()
    src = corpus / "portals" / "tw-data-gov-tw"
    for name in ("office-calendar_ROC106_2017.csv", "office-calendar_ROC107_2018.csv"):
        (folder / name).write_bytes((src / name).read_bytes())
    (folder / "empty.csv").write_bytes(b"")
    settings = Settings(data_dir=tmp_path / "var")
    with TestClient(create_app(settings)) as client:
        repo = client.app.state.repo  # type: ignore[attr-defined]
        made = portals.score_directory(repo, settings, folder, "three")
        body = client.get("/api/v1/portals/three").json()  # the defaults: a small portal shows everything
        assert [d["id"] for d in body["datasets"]] == [d["id"] for d in made["datasets"]]
        assert body["datasets_total"] == 3
        assert body["datasets_page"] == {"offset": 0, "limit": 1000, "order": "key"}
        worst = client.get("/api/v1/portals/three?datasets_order=worst&datasets_limit=1").json()
        lowest = min(made["datasets"], key=lambda d: (d["score"], d["id"]))
        assert [d["id"] for d in worst["datasets"]] == [lowest["id"]] and worst["datasets_total"] == 3
        second = client.get("/api/v1/portals/three?datasets_limit=1&datasets_offset=1").json()
        assert [d["id"] for d in second["datasets"]] == [made["datasets"][1]["id"]]
        dqv = client.get("/api/v1/portals/three?datasets_limit=1", headers={"accept": "application/ld+json"})
        assert dqv.status_code == 200 and dqv.headers["content-type"].startswith("application/ld+json")
        for query, code in (
            ("datasets_limit=0", "invalid-limit"),
            ("datasets_limit=10001", "invalid-limit"),
            ("datasets_offset=-1", "invalid-limit"),
            ("datasets_offset=99999999999999999999", "invalid-limit"),
            ("datasets_order=best", "invalid-order"),
        ):
            bad = client.get(f"/api/v1/portals/three?{query}")
            assert bad.status_code == 400 and bad.json()["code"] == code, (query, bad.text)
            assert bad.json()["error"]
        assert client.get("/api/v1/portals/three?datasets_limit=x").status_code == 422
        described = client.get("/openapi.json").json()["paths"]["/api/v1/portals/{portal_id}"]["get"]
        params = {p["name"] for p in described["parameters"]}
        assert {"datasets_limit", "datasets_offset", "datasets_order"} <= params
        assert "datasets_total" in described["description"]
