"""The web form's uploads are private: listed nowhere, each browser sees its own file name, and
only the browser that uploaded gets the delete button (a plain form POST)."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

DATA = "区县,人口\n东城区,708829\n西城区,1106214\nPRIVATE-ROW-7,1\n".encode()


def upload(client: TestClient, name: str, data: bytes = DATA) -> str:
    r = client.post("/upload", files={"file": (name, data, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    m = re.fullmatch(r"/reports/([0-9a-f]{32})", r.headers["location"])
    assert m, r.headers["location"]
    return m.group(1)


def page(client: TestClient, path: str) -> BeautifulSoup:
    r = client.get(path, headers={"accept-language": "en"})
    assert r.status_code == 200, r.text[:300]
    return BeautifulSoup(r.text, "html.parser")


def test_two_browsers_upload_the_same_bytes_under_their_own_names(client: TestClient) -> None:
    first = upload(client, "population.csv")
    client.cookies.clear()  # another browser
    second = upload(client, "我的人口表_草稿.csv")
    assert first != second
    mine = page(client, f"/reports/{second}").get_text()
    assert "我的人口表_草稿.csv" in mine and "population.csv" not in mine
    assert "population.csv" in page(client, f"/reports/{first}").get_text()
    home = client.get("/").text
    for hidden in (first, second, "population.csv", "我的人口表_草稿.csv", "PRIVATE-ROW-7"):
        assert hidden not in home


def test_only_the_uploading_browser_can_delete(client: TestClient) -> None:
    report_id = upload(client, "draft.csv")
    form = page(client, f"/reports/{report_id}").find("form", id="delete-report")
    assert form is not None and form["action"] == f"/reports/{report_id}/delete"
    token = form.find("input", attrs={"name": "token"})["value"]
    cookies = dict(client.cookies)
    client.cookies.clear()  # another browser: no button, and a wrong token is refused
    assert page(client, f"/reports/{report_id}").find("form", id="delete-report") is None
    refused = client.post(f"/reports/{report_id}/delete", data={"token": "not-the-token"})
    assert refused.status_code == 403 and "wrong-delete-token" in refused.text
    client.cookies.update(cookies)

    repo = client.app.state.repo  # type: ignore[attr-defined]
    sha = repo.get_report(report_id)["source"]["sha256"]
    blob = Path(repo.get_resource(sha)["blob_path"])
    assert blob.is_file()
    r = client.post(f"/reports/{report_id}/delete", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/reports/{report_id}").status_code == 404
    assert client.get(f"/api/v1/reports/{report_id}").status_code == 404
    assert repo.preview_rows(sha) is None and not blob.exists()
