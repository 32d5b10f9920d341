"""GET /api/v1/portals, GET /api/v1/portals/{id}, ``odq catalog --kind dir`` and ``odq portals``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli
from app.main import create_app
from app.services import portals
from app.settings import Settings


def _folder(corpus: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "manchester"
    (folder / "2014").mkdir(parents=True)
    src = corpus / "portals" / "tw-data-gov-tw"
    for name in ("office-calendar_ROC106_2017.csv", "office-calendar_ROC107_2018.csv"):
        (folder / "2014" / name).write_bytes((src / name).read_bytes())
    (folder / "ecb.csv").write_bytes(
        (corpus / "portals" / "nyc-open-data" / "ecb_violations.csv").read_bytes()
    )
    return folder


def test_api_lists_and_reads_portals(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    with TestClient(create_app(settings)) as client:
        empty = client.get("/api/v1/portals")
        assert empty.status_code == 200 and empty.json() == {"portals": [], "total": 0}
        repo = client.app.state.repo  # type: ignore[attr-defined]
        made = portals.score_directory(repo, settings, _folder(corpus, tmp_path), "demo")
        board = client.get("/api/v1/portals").json()
        assert board["total"] == 1
        row = board["portals"][0]
        assert (row["id"], row["name"], row["rank"], row["datasets"]) == (made["id"], "demo", 1, 3)
        assert row["score"] == made["score"] and len(row["history"]) == 1
        by_id = client.get(f"/api/v1/portals/{made['id']}")
        by_name = client.get("/api/v1/portals/demo")
        assert by_id.status_code == by_name.status_code == 200
        body = by_id.json()
        assert body["run_id"] == by_name.json()["run_id"] == made["run_id"]
        assert {d["id"] for d in body["datasets"]} == {
            "2014/office-calendar_ROC106_2017.csv",
            "2014/office-calendar_ROC107_2018.csv",
            "ecb.csv",
        }
        series = [c for c in body["clusters"] if c["kind"] == "series"]
        assert len(series) == 1 and series[0]["size"] == 2
        assert client.get("/api/v1/portals?limit=1&offset=1").json()["portals"] == []
        missing = client.get("/api/v1/portals/nope")
        assert missing.status_code == 404 and missing.json()["code"] == "portal-not-found"


def test_cli_catalog_dir_and_portals(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODQ_DATA_DIR", str(tmp_path / "var"))
    folder = _folder(corpus, tmp_path)
    runner = CliRunner()
    text = runner.invoke(cli, ["catalog", str(folder), "--kind", "dir", "--portal", "demo"])
    assert text.exit_code == 0, text.output
    assert "portal demo" in text.output and "split-series" in text.output
    again = runner.invoke(cli, ["catalog", str(folder), "--portal", "demo", "--format", "json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert report["portal"]["name"] == "demo" and len(report["history"]) == 2
    ranking = runner.invoke(cli, ["portals", "--format", "json"])
    assert ranking.exit_code == 0
    rows = json.loads(ranking.output)["portals"]
    assert [(r["name"], r["rank"], r["datasets"]) for r in rows] == [("demo", 1, 3)]
    assert rows[0]["previous_score"] == report["history"][0][1]
    table = runner.invoke(cli, ["portals"])
    assert table.exit_code == 0 and "demo" in table.output


def test_cli_catalog_dir_needs_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODQ_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(cli, ["catalog", str(tmp_path / "no-such-folder"), "--kind", "dir"])
    assert result.exit_code == 2 and "not a folder" in result.output
