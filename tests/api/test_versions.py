"""A report made by other scoring rules is never served as current. The same bytes scored before and
after a change of the rules (scoring version, weights or check catalogue): reading the old report
scores the file again from its stored bytes, `odq rescore` does it for every stored report, portals
follow, and the old report stays stored with its version and score (history)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from api_support import run_odq, strict_json
from fastapi.testclient import TestClient

from app.services.portals import DatasetEntry, add_datasets
from app.services.rescore import rescore_all
from app.services.scoring import successor_id
from app.services.uploads import token_digest
from app.storage.portals import PortalStore
from app.storage.repository import Repository
from app.storage.store import Store
from scoring import SCORING_VERSION, scoring_digest

OLD_ID = "1" * 32


def _post(client: TestClient, name: str, data: bytes) -> dict[str, Any]:
    r = client.post("/api/v1/score", files={"file": (name, data, "text/csv")})
    assert r.status_code == 200, r.text[:300]
    return dict(strict_json(r.text))


def _as_version_1(report: dict[str, Any], report_id: str = OLD_ID) -> dict[str, Any]:
    """The report these bytes had under scoring v1: another version, no digest, another score."""
    old = copy.deepcopy(report)
    old.update(id=report_id, scoring_version="1", score=92.5, band="excellent")
    old.pop("scoring_digest")
    return old


def test_reading_a_report_of_older_rules_scores_the_file_again(client: TestClient, corpus_file: Path) -> None:
    repo: Repository = client.app.state.repo  # type: ignore[attr-defined]
    now = _post(client, corpus_file.name, corpus_file.read_bytes())
    assert now["scoring_version"] == SCORING_VERSION and now["scoring_digest"] == scoring_digest()
    repo.save_report(_as_version_1(now), "declared=csv")

    served = client.get(f"/api/v1/reports/{OLD_ID}").json()
    # the old report's successor: its own id (derived from the old one), the fresh score
    assert served["id"] == successor_id(OLD_ID) != now["id"]
    assert served["score"] == now["score"] != 92.5
    assert served["scoring_version"] == SCORING_VERSION
    assert served["rescored_from"]["id"] == OLD_ID and served["rescored_from"]["scoring_version"] == "1"
    assert served["rescored_from"]["score"] == 92.5
    kept = repo.get_report(OLD_ID)  # history keeps the old score with its version
    assert kept is not None and (kept["scoring_version"], kept["score"]) == ("1", 92.5)
    page = client.get(f"/reports/{OLD_ID}")
    assert page.status_code == 200 and "92.5" not in page.text
    # a current report is served exactly as stored, and reading the old id again finds the same
    # successor (nothing is scored or copied again)
    assert client.get(f"/api/v1/reports/{now['id']}").json() == now
    count = repo.count_reports()
    assert client.get(f"/api/v1/reports/{OLD_ID}").json() == served
    assert repo.count_reports() == count


def test_a_rescored_report_stays_its_uploaders(client: TestClient, corpus_file: Path) -> None:
    """Another uploader of the same bytes never sees the re-scored report of an older upload:
    the successor keeps the old report's name, its privacy and its delete token."""
    repo: Repository = client.app.state.repo  # type: ignore[attr-defined]
    data = corpus_file.read_bytes()
    other = _post(client, "published.csv", data)  # the first upload of these bytes is another's
    r = client.post("/api/v1/score", files={"file": ("我的人口表_草稿.csv", data, "text/csv")})
    assert r.status_code == 200
    mine, token = r.json(), r.headers["X-ODQ-Delete-Token"]
    # the same upload as if it had been scored before the rules changed: its uploader's, unlisted
    old = _as_version_1(mine, report_id="3" * 32)
    repo.save_report(old, "declared=csv;old")
    repo.own_report(old["id"], False, token_digest(token))
    assert other["source"]["name"] == "published.csv" != mine["source"]["name"]

    served = client.get(f"/api/v1/reports/{old['id']}").json()
    assert served["source"]["name"] == "我的人口表_草稿.csv" and served["rescored_from"]["id"] == old["id"]
    assert served["id"] not in {mine["id"], other["id"], old["id"]}
    listed = {x["id"] for x in client.get("/api/v1/reports").json()["reports"]}
    assert served["id"] not in listed
    gone = client.delete(f"/api/v1/reports/{served['id']}", headers={"X-ODQ-Delete-Token": token})
    assert gone.status_code in (200, 204), gone.text


def test_an_old_report_whose_bytes_are_gone_is_marked_not_current(
    client: TestClient, corpus_file: Path
) -> None:
    repo: Repository = client.app.state.repo  # type: ignore[attr-defined]
    now = _post(client, corpus_file.name, corpus_file.read_bytes())
    stale = copy.deepcopy(now)
    stale.update(id="2" * 32, scoring_digest="0" * 16)  # same version, other weights
    repo.save_report(stale, "declared=csv;rules=" + "0" * 16)
    resource = repo.get_resource(now["source"]["sha256"])
    assert resource is not None
    Path(resource["blob_path"]).unlink()
    served = client.get(f"/api/v1/reports/{stale['id']}").json()
    assert served["id"] == stale["id"] and served["current"] is False
    assert "0" * 16 in served["superseded"] and scoring_digest() in served["superseded"]


def test_rescore_all_rescores_stale_reports_and_portals_follow(client: TestClient, corpus_file: Path) -> None:
    repo: Repository = client.app.state.repo  # type: ignore[attr-defined]
    now = _post(client, corpus_file.name, corpus_file.read_bytes())
    old = _as_version_1(now)
    repo.save_report(old, "declared=csv")
    add_datasets(repo, "council", [DatasetEntry(key="cpi", title=None, name=corpus_file.name, report=old)])
    pstore = PortalStore(repo)
    portal = pstore.find_portal("council")
    assert portal is not None and pstore.datasets(portal["id"])[0]["report_id"] == OLD_ID

    done = rescore_all(repo)
    assert (done.stale, done.rescored, done.kept) == (1, 1, [])
    assert done.portals == [portal["id"]]
    (dataset,) = pstore.datasets(portal["id"])
    assert (dataset["report_id"], dataset["score"]) == (successor_id(OLD_ID), now["score"])
    # the old report stays as history; re-scoring it again finds its successor and adds nothing
    assert rescore_all(repo).stale == 1
    assert repo.count_reports() == 3  # the upload, its old-rules version and that one's successor


def test_odq_rescore_command(corpus_file: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    assert run_odq("score", str(corpus_file), "--format", "json", data_dir=data_dir).returncode == 0
    with Store.open(data_dir / "odq.duckdb") as store:
        repo = Repository(store)
        ((report_id,),) = store.cursor().execute("SELECT id FROM reports").fetchall()  # unlisted
        current = repo.get_report(report_id)
        assert current is not None
        repo.save_report(_as_version_1(current), "declared=csv")
    done = run_odq("rescore", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "1 report(s) made by other rules; 1 re-scored under version 2" in done.stdout
