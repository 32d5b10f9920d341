"""Uploads are private by default: unlisted, each uploader's own report under their own name, and
deletable only with the delete token their upload's answer carried."""

from __future__ import annotations

import re
from pathlib import Path

from api_support import assert_error
from fastapi.testclient import TestClient

from app.storage.keys import KeyRepository

DATA = "地区,年份,人口\n北京,2020,2189\n上海,2020,2487\n广州,2020,1867\nSECRET-ROW,2020,1\n".encode()


def _upload(client: TestClient, name: str, content: bytes = DATA, **kwargs: object) -> dict[str, object]:
    r = client.post("/api/v1/score?wait=true", files={"file": (name, content, "text/csv")}, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    assert "delete_token" not in body  # the token is no part of the report
    return {**body, "delete_token": r.headers.get("X-ODQ-Delete-Token")}


def _portal_key(client: TestClient, portal: str = "demo") -> str:
    _, key = KeyRepository(client.app.state.repo.store).create(portal)  # type: ignore[attr-defined]
    return key


def test_same_bytes_two_uploaders_each_see_their_own_name(client: TestClient) -> None:
    first = _upload(client, "population.csv")
    second = _upload(client, "我的人口表_草稿.csv")
    assert first["id"] != second["id"]
    assert first["delete_token"] != second["delete_token"]
    assert second["source"]["name"] == "我的人口表_草稿.csv"  # type: ignore[index]
    assert "population.csv" not in client.get(f"/api/v1/reports/{second['id']}").text
    assert client.get(f"/api/v1/reports/{first['id']}").json()["source"]["name"] == "population.csv"
    assert client.get(f"/api/v1/reports/{second['id']}").json()["source"]["name"] == "我的人口表_草稿.csv"


def test_anonymous_uploads_are_listed_nowhere_but_open_by_link(client: TestClient) -> None:
    report = _upload(client, "draft-budget.csv")
    assert client.get("/api/v1/reports").json()["reports"] == []
    home = client.get("/")
    assert "draft-budget.csv" not in home.text and str(report["id"]) not in home.text
    assert client.get(f"/api/v1/reports/{report['id']}").status_code == 200
    assert "draft-budget.csv" in client.get(f"/reports/{report['id']}").text


def test_publish_needs_a_key_and_a_published_upload_is_listed(client: TestClient) -> None:
    r = client.post(
        "/api/v1/score?wait=true", files={"file": ("open.csv", DATA, "text/csv")}, data={"publish": "true"}
    )
    assert_error(r, 401, "publish-needs-key")
    key = _portal_key(client)
    published = _upload(
        client, "open.csv", data={"publish": "true"}, headers={"Authorization": f"Bearer {key}"}
    )
    listed = client.get("/api/v1/reports").json()["reports"]
    assert [r["id"] for r in listed] == [published["id"]]
    assert "open.csv" in client.get("/").text


def test_delete_removes_the_report_its_rows_and_blob(client: TestClient, data_dir: Path) -> None:
    report = _upload(client, "to-delete.csv")
    rid, sha = str(report["id"]), str(report["source"]["sha256"])  # type: ignore[index]
    repo = client.app.state.repo  # type: ignore[attr-defined]
    assert repo.preview_rows(sha) is not None
    blob = Path(repo.get_resource(sha)["blob_path"])
    assert blob.is_file()

    r = client.delete(f"/api/v1/reports/{rid}", headers={"X-ODQ-Delete-Token": str(report["delete_token"])})
    assert r.status_code == 200, r.text
    assert_error(client.get(f"/api/v1/reports/{rid}"), 404, "report-not-found")
    assert client.get(f"/reports/{rid}").status_code == 404
    assert repo.preview_rows(sha) is None
    assert repo.get_resource(sha) is None
    assert not blob.exists()
    assert repo.count_findings(rid) == 0
    again = client.delete(
        f"/api/v1/reports/{rid}", headers={"X-ODQ-Delete-Token": str(report["delete_token"])}
    )
    assert_error(again, 404, "report-not-found")


def test_delete_is_refused_with_another_uploaders_token(client: TestClient) -> None:
    mine = _upload(client, "mine.csv")
    theirs = _upload(client, "theirs.csv")
    refused = client.delete(
        f"/api/v1/reports/{mine['id']}", headers={"X-ODQ-Delete-Token": str(theirs["delete_token"])}
    )
    assert_error(refused, 403, "wrong-delete-token")
    assert_error(client.delete(f"/api/v1/reports/{mine['id']}"), 403, "wrong-delete-token")
    assert client.get(f"/api/v1/reports/{mine['id']}").status_code == 200
    # Deleting one of two reports of the same bytes keeps the other's rows and blob.
    ok = client.delete(
        f"/api/v1/reports/{theirs['id']}", headers={"X-ODQ-Delete-Token": str(theirs["delete_token"])}
    )
    assert ok.status_code == 200
    assert client.get(f"/api/v1/reports/{mine['id']}").json()["source"]["name"] == "mine.csv"
    sha = str(mine["source"]["sha256"])  # type: ignore[index]
    assert client.app.state.repo.preview_rows(sha) is not None  # type: ignore[attr-defined]


def test_rows_are_not_shown_without_the_link(client: TestClient) -> None:
    report = _upload(client, "secret.csv")
    assert "SECRET-ROW" in client.get(f"/reports/{report['id']}").text  # by its link: shown
    # Someone without the link follows every report the site offers.
    offered = set(re.findall(r"/reports/([0-9a-f]{32})", client.get("/").text + client.get("/portals").text))
    offered |= {r["id"] for r in client.get("/api/v1/reports").json()["reports"]}
    for report_id in offered:
        assert "SECRET-ROW" not in client.get(f"/reports/{report_id}").text
        assert "SECRET-ROW" not in client.get(f"/reports/{report_id}/findings.csv").text
