"""A portal is scored on what was assessed: a metadata-only run of a Chinese portal's manifest
fails no dataset for lacking a download, leaves the content dimensions not assessed, reports
``low-capacity`` from the record counts the catalog declares (``数据量``), and is ranked only with
portals assessed at the same depth."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli
from app.main import create_app
from app.services import portals
from app.services.catalogs import run_catalog
from app.settings import Settings
from app.storage.catalogs import CatalogRuns
from app.storage.repository import Repository
from app.storage.store import Store
from tests.conftest import CORPUS

MANIFESTS = CORPUS / "catalogs" / "cn-open-data-portals"
DEYANG = MANIFESTS / "sichuan_deyang.json"
WEIGHTS = json.loads((Path(__file__).parents[2] / "scoring" / "weights" / "v2.json").read_text("utf-8"))
CONTENT_DIMENSIONS = {k for k, v in WEIGHTS["dimensions"].items() if v["content"]}


def _declared(path: Path) -> dict[str, int]:
    """The record count each row of a manifest declares (``数据量``), by its detail page (the
    dataset's id when the manifest has no id column), read straight from the file."""
    out = {}
    for row in json.loads(path.read_text("utf-8")):
        value = str(row.get("数据量") or "").strip()
        if value.isdigit():
            out[row["详情页网址"]] = int(value)
    return out


@pytest.fixture(scope="module")
def deyang(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = Settings(data_dir=tmp_path_factory.mktemp("deyang") / "var")
    settings.data_dir.mkdir(parents=True)
    with Store.open(settings.db_path) as store:
        repo = Repository(store)
        status = run_catalog(
            repo,
            settings,
            str(DEYANG),
            kind="manifest",
            metadata_only=True,
            check_links=True,
            portal="deyang",
        )
        yield settings, repo, status, portals.get_portal(repo, "deyang")


def test_no_dataset_fails_for_lacking_a_download(deyang: Any) -> None:
    _, repo, status, report = deyang
    rows = json.loads(DEYANG.read_text("utf-8"))
    assert status["counts"]["done"] == len(rows) == 1946 and status["counts"]["failed"] == 0
    items = CatalogRuns(repo.store).items(status["job_id"])
    assert not [i["key"] for i in items if i["status"] != "done" or i["error_code"] is not None]
    # no content was read: the report says so and scores no content dimension at all
    assert report["depth"] == {"level": "metadata-only", "read": 0, "datasets": 1946, "declared_counts": 1946}
    assert set(report["dimensions"]) & CONTENT_DIMENSIONS == {"consolidation"}
    # a record that declares no file at all keeps the catalog's ``no-distribution`` (accessibility,
    # a metadata fact), never a fatal content score; one declaring formats without a link has none
    no_format = {r["详情页网址"] for r in rows if not str(r.get("资源格式") or "").strip("[]' ")}
    assert len(no_format) == 1
    for d in report["datasets"]:
        codes = {f["code"] for f in d["findings"]}
        assert d["read"] is False and d["score"] is None and "download-failed" not in codes
        assert ("no-distribution" in codes) == (d["id"] in no_format)
    assert report["bands"] == dict.fromkeys(report["bands"], 0)  # no content score to band


def test_low_capacity_from_declared_counts(deyang: Any) -> None:
    *_, report = deyang
    declared = _declared(DEYANG)
    assert len(declared) == 1946
    low = {key for key, rows in declared.items() if rows <= 10}
    assert len(low) == 544  # the Deyang fragmentation the evaluations name
    finding = next(f for f in report["findings"] if f["code"] == "low-capacity")
    assert set(finding["datasets"]) == set(finding["declared"]) == low and finding["measured"] == []
    assert finding["share"] == round(len(low) / len(declared), 6)
    indicator = report["indicators"]["low_capacity_share"]
    assert (indicator["value"], indicator["declared"], indicator["measured"], indicator["of"]) == (
        round(len(low) / len(declared), 4),
        544,
        0,
        1946,
    )
    marked = {
        d["id"]
        for d in report["datasets"]
        if any(f["code"] == "low-capacity" and f.get("declared") for f in d["findings"])
    }
    assert marked == low
    assert {d["id"]: d["declared_rows"] for d in report["datasets"]} == declared


def test_portal_score_is_the_weighted_mean_of_what_was_assessed(deyang: Any) -> None:
    _, repo, status, report = deyang
    declared = _declared(DEYANG)
    # consolidation: each dataset 100 − the points of the content check's rule for its declared
    # count (share = (11 − rows) ÷ 11, cap and floor of the weights), averaged over the portal
    rule, floor = WEIGHTS["codes"]["low-capacity"], WEIGHTS["floor"]["points"]
    points = [
        min(rule["cap"], max(floor, rule["cap"] * min(1.0, (11 - rows) / 11 / rule["saturation"])))
        if rows <= 10
        else 0.0
        for rows in declared.values()
    ]
    consolidation = report["dimensions"]["consolidation"]
    assert consolidation["datasets"] == 1946
    assert consolidation["score"] == pytest.approx(100 - math.fsum(points) / len(points), abs=0.006)
    # metadata: the datasets' own MQA scores (0–100), averaged
    items = CatalogRuns(repo.store).items(status["job_id"])
    mqa = [i["outcome"]["metadata"]["score"] for i in items]
    assert report["dimensions"]["metadata"]["datasets_mean"] == pytest.approx(sum(mqa) / len(mqa), abs=0.006)
    # overall: the weighted mean of the dimensions assessed, with the weights of the rubric
    dims = report["dimensions"]
    weights = {k: WEIGHTS["dimensions"][k]["weight"] for k in dims}
    expected = math.fsum(weights[k] * d["score"] for k, d in dims.items()) / math.fsum(weights.values())
    assert report["score"] == pytest.approx(expected, abs=0.01)
    assert 40 < report["score"] < 70  # was 9.1 with the content dimensions counted as 0


def test_a_content_run_and_a_metadata_only_run_are_not_ranked_together(deyang: Any, corpus: Path) -> None:
    settings, repo, _, _ = deyang
    folder = settings.data_dir.parent / "folder"
    folder.mkdir(exist_ok=True)
    (folder / "ecb.csv").write_bytes(
        (corpus / "portals" / "nyc-open-data" / "ecb_violations.csv").read_bytes()
    )
    content = portals.score_directory(repo, settings, folder, "read")
    assert content["depth"]["level"] == "content" and content["depth"]["read"] == 1
    board = {r["name"]: r for r in portals.list_portals(repo)}
    assert (board["read"]["depth"], board["read"]["rank"]) == ("content", 1)
    assert (board["deyang"]["depth"], board["deyang"]["rank"]) == ("metadata-only", 1)
    assert [r["name"] for r in portals.list_portals(repo, "metadata-only")] == ["deyang"]
    assert [r["name"] for r in portals.list_portals(repo, "content")] == ["read"]
    assert portals.get_portal(repo, "deyang")["portals_ranked"] == 1


def test_depth_on_the_api_cli_and_page(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    with TestClient(create_app(settings)) as client:
        repo = client.app.state.repo  # type: ignore[attr-defined]
        run_catalog(
            repo,
            settings,
            str(MANIFESTS / "xinjiang_urumqi.json"),
            kind="manifest",
            metadata_only=True,
            check_links=False,
            portal="urumqi",
        )
        board = client.get("/api/v1/portals?depth=metadata-only").json()
        assert [(r["name"], r["depth"], r["rank"]) for r in board["portals"]] == [
            ("urumqi", "metadata-only", 1)
        ]
        assert client.get("/api/v1/portals?depth=content").json() == {"portals": [], "total": 0}
        bad = client.get("/api/v1/portals?depth=deep")
        assert bad.status_code == 400 and bad.json()["code"] == "invalid-depth"
        page = client.get("/portals")
        assert page.status_code == 200 and 'data-depth="metadata-only"' in page.text
        assert 'data-depth="metadata-only"' not in client.get("/portals?depth=content").text
        assert client.get("/portals?depth=deep").status_code == 400
        own = client.get(f"/portals/{board['portals'][0]['id']}", headers={"accept-language": "en"})
        assert own.status_code == 200 and 'id="depth" data-depth="metadata-only"' in own.text
        assert "content dimensions not assessed" in own.text
        report = client.get("/api/v1/portals/urumqi").json()
        assert report["depth"]["level"] == "metadata-only"
        assert not set(report["dimensions"]) & CONTENT_DIMENSIONS  # Urumqi declares no counts
    runner = CliRunner()
    env = {"ODQ_DATA_DIR": str(settings.data_dir)}
    listed = runner.invoke(cli, ["portals", "--depth", "metadata-only", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [r["depth"] for r in json.loads(listed.output)["portals"]] == ["metadata-only"]
    text = runner.invoke(cli, ["portals"], env=env)
    assert "depth metadata-only" in text.output


def test_a_manifest_whose_links_were_checked_is_links_checked(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "a.csv").write_text("year,value\n2020,1\n2021,2\n", "utf-8")
    (folder / "catalog.csv").write_text(
        "标题,数据量,文件\n人口,3,a.csv\n面积,5000,missing.csv\n无链接,2,\n", "utf-8"
    )
    settings = Settings(data_dir=tmp_path / "var")
    settings.data_dir.mkdir(parents=True)
    with Store.open(settings.db_path) as store:
        repo = Repository(store)
        for portal, check in (("checked", True), ("listed", False)):
            run_catalog(
                repo,
                settings,
                str(folder / "catalog.csv"),
                kind="manifest",
                metadata_only=True,
                check_links=check,
                portal=portal,
            )
        checked, listed = portals.get_portal(repo, "checked"), portals.get_portal(repo, "listed")
        assert checked["depth"]["level"] == "links-checked" and listed["depth"]["level"] == "metadata-only"
        for report in (checked, listed):
            low = next(f for f in report["findings"] if f["code"] == "low-capacity")
            assert len(low["declared"]) == 2  # 3 and 2 records declared; 5000 is not low
            assert report["indicators"]["low_capacity_share"]["value"] == round(2 / 3, 4)
        # a link checked and missing is the accessibility finding of that dataset, not a content 0
        assert "accessibility" in checked["dimensions"]
        assert not set(checked["dimensions"]) & (CONTENT_DIMENSIONS - {"consolidation"})
        board = portals.list_portals(repo)
        assert [(r["name"], r["depth"], r["rank"]) for r in board] == [
            ("checked", "links-checked", 1),
            ("listed", "metadata-only", 1),
        ]
