"""POST /api/v1/score with real portal files: the report of DESIGN §8, stored once per content,
returned as stored by GET /api/v1/reports/{id} and listed by GET /api/v1/reports."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
from api_support import (
    CPI_PART2,
    assert_report_shape,
    codes,
    flatten,
    sha256_bytes,
    strict_json,
)
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.storage.keys import KeyRepository
from app.storage.repository import Repository
from app.storage.store import Store
from scoring import SCORING_VERSION


def post_file(client: TestClient, name: str, data: bytes, ctype: str = "text/csv") -> Any:
    r = client.post("/api/v1/score", files={"file": (name, data, ctype)})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("application/json")
    return r


def test_score_returns_the_report_of_design_8(client: TestClient, corpus_file: Path) -> None:
    data = corpus_file.read_bytes()
    report = strict_json(post_file(client, corpus_file.name, data).text)

    assert_report_shape(report)
    assert report["scoring_version"] == SCORING_VERSION
    src = report["source"]
    assert src["name"] == corpus_file.name
    assert src["sha256"] == sha256_bytes(data)
    assert src["bytes"] == len(data)
    assert (src["format"], src["encoding"], src["header_row"], src["rows"], src["columns"]) == (
        "csv",
        "gb18030",
        4,
        31,
        4,
    )
    assert {"validity", "uniqueness", "completeness", "consolidation"} <= set(report["dimensions"])
    # The defects this file really has: three title lines, an empty March column, notes below.
    assert {"title-rows", "empty-column", "footer-notes"} <= codes(report)
    assert flatten(report, ["code", "row"], {"title-rows"}) == [
        ["title-rows", 1],
        ["title-rows", 2],
        ["title-rows", 3],
    ]
    assert ["empty-column", 2, "2020年3月"] in flatten(report, ["code", "field", "column"])
    assert report["score"] < 100
    # Every point lost traces to a finding of an applicable dimension.
    for dim, body in report["dimensions"].items():
        mine = {f["code"] for f in report["findings"] if f["dimension"] == dim}
        assert set(body["findings"]) == mine, dim
    assert [c["name"] for c in report["columns"]] == ["地区", "2020年3月", "2020年2月", "2020年1月"]
    for column in report["columns"]:
        assert {"name", "type", "nulls", "distinct"} <= set(column), column


def test_get_report_returns_the_same_object(client: TestClient, corpus_file: Path) -> None:
    posted = strict_json(post_file(client, corpus_file.name, corpus_file.read_bytes()).text)
    r = client.get(f"/api/v1/reports/{posted['id']}")
    assert r.status_code == 200, r.text[:500]
    assert strict_json(r.text) == posted


def test_same_bytes_are_scored_once(data_dir: Path, corpus_file: Path) -> None:
    data = corpus_file.read_bytes()
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        first = post_file(client, corpus_file.name, data)
        again = post_file(client, "renamed-copy.csv", data)
        assert first.headers.get("x-odq-cached") == "false"
        assert again.headers.get("x-odq-cached") == "true"
        one, two = strict_json(first.text), strict_json(again.text)
        # The stored result, as this uploader's own report under the name they gave it.
        assert two["id"] != one["id"]
        assert two["source"]["name"] == "renamed-copy.csv" and one["source"]["name"] == corpus_file.name
        assert two["score"] == one["score"] and two["findings"] == one["findings"]
        assert client.get("/api/v1/reports").json()["reports"] == []  # uploads are unlisted

    # The app is closed: the file is free to open and count.
    with duckdb.connect(str(data_dir / "odq.duckdb"), read_only=True) as con:

        def count(sql: str, *params: Any) -> int:
            row = con.execute(sql, list(params)).fetchone()
            assert row is not None
            return int(row[0])

        assert count("SELECT count(*) FROM resources") == 1
        assert count("SELECT count(*) FROM resources WHERE id = ?", one["source"]["sha256"]) == 1
        assert count("SELECT count(*) FROM reports") == 2
        assert count("SELECT count(*) FROM findings") == 2 * len(one["findings"])
        assert count("SELECT count(*) FROM findings WHERE report_id = ?", one["id"]) == len(one["findings"])
    blobs = [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]
    assert [p.name for p in blobs] == [one["source"]["sha256"]]
    assert blobs[0].read_bytes() == data


def test_stored_report_is_readable_through_the_repository(data_dir: Path, corpus_file: Path) -> None:
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        posted = strict_json(post_file(client, corpus_file.name, corpus_file.read_bytes()).text)
    with Store.open(data_dir / "odq.duckdb") as store:
        repo = Repository(store)
        assert repo.get_report(posted["id"]) == posted
        assert repo.count_reports() == 1
        assert repo.count_findings(posted["id"]) == len(posted["findings"])
        assert repo.scores(posted["id"])["overall"]["score"] == posted["score"]


def test_concurrent_uploads_of_the_same_bytes_store_one_report(data_dir: Path, corpus_file: Path) -> None:
    data = corpus_file.read_bytes()
    ids: list[str] = []
    errors: list[BaseException] = []
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:

        def upload(i: int) -> None:
            try:
                r = client.post("/api/v1/score", files={"file": (f"copy-{i}.csv", data, "text/csv")})
                assert r.status_code == 200, r.text[:300]
                ids.append(r.json()["id"])
            except BaseException as exc:  # collected and re-raised in the test thread
                errors.append(exc)

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        # each uploader gets a report of their own, of one stored resource
        assert len(ids) == 4 and len(set(ids)) == 4, ids
        assert client.get("/health").json()["reports"] == 4
        names = {client.get(f"/api/v1/reports/{i}").json()["source"]["name"] for i in ids}
        assert names == {f"copy-{i}.csv" for i in range(4)}


def test_reports_lists_newest_first_and_honours_limit(client: TestClient, corpus_file: Path) -> None:
    _, key = KeyRepository(client.app.state.repo.store).create("demo")  # type: ignore[attr-defined]
    published = {"data": {"publish": "true"}, "headers": {"Authorization": f"Bearer {key}"}}
    first = client.post(
        "/api/v1/score", files={"file": (corpus_file.name, corpus_file.read_bytes())}, **published
    ).json()  # type: ignore[arg-type]
    second = client.post(
        "/api/v1/score", files={"file": (CPI_PART2.name, CPI_PART2.read_bytes())}, **published
    ).json()  # type: ignore[arg-type]
    assert first["id"] != second["id"]
    r = client.get("/api/v1/reports")
    assert r.status_code == 200
    listed = r.json()["reports"]
    assert {x["id"] for x in listed} == {first["id"], second["id"]}
    for entry in listed:
        assert {"id", "name", "score", "band", "created_at"} <= set(entry)
    by_id = {x["id"]: x for x in listed}
    assert by_id[first["id"]]["name"] == corpus_file.name
    assert by_id[second["id"]]["name"] == CPI_PART2.name
    assert len(client.get("/api/v1/reports", params={"limit": 1}).json()["reports"]) == 1
    assert client.get("/health").json()["reports"] == 2


def test_upload_file_name_is_display_only(client: TestClient, data_dir: Path) -> None:
    """A path in the multipart file name never becomes a path on disk."""
    data = "编号,名称\n1,甲\n2,乙\n3,丙\n".encode()
    r = post_file(client, "../../etc/evil\\..\\name.csv", data)
    report = r.json()
    assert report["source"]["name"] == "name.csv"
    assert sorted(p.name for p in data_dir.parent.iterdir()) == ["var"]
    assert {p.name for p in data_dir.iterdir()} <= {"odq.duckdb", "odq.duckdb.wal", "blobs"}


def test_a_chinese_file_name_is_kept(client: TestClient) -> None:
    """Browsers send UTF-8 file names unescaped in Content-Disposition."""
    r = post_file(client, "各区财政支出.csv", b"a,b\n1,2\n3,4\n")
    assert r.json()["source"]["name"] == "各区财政支出.csv"
