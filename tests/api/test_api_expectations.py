"""Suites and schemas over the API and the CLI: uploaded with the data, refused with a 4xx that
names what is wrong, kept per portal (written only with the portal's key), and generated from a
stored report so a portal can run it in its own pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import CORPUS, assert_error, assert_report_shape, leftovers
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from app.cli import app as cli
from app.ingest.blobs import store_file
from app.main import create_app
from app.services import expectations as service
from app.services.scoring import score_blob
from app.settings import Settings
from app.storage.keys import KeyRepository
from app.storage.repository import Repository

CALENDAR = CORPUS / "portals" / "tw-data-gov-tw" / "office-calendar_ROC114_2025.csv"
CALENDAR_2021 = CORPUS / "portals" / "tw-data-gov-tw" / "office-calendar_ROC110_2021.csv"
PEER = CORPUS / "peer-cases" / "frictionless"

SUITE: dict[str, Any] = {
    "name": "calendar",
    "expectations": [
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "星期", "regex": "^[一二三四五]$"},
        },
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "是否放假", "value_set": [0]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "西元日期"}},
    ],
}
OLD_SUITE: dict[str, Any] = {
    "expectation_suite_name": "calendar",
    "expectations": [
        {"expectation_type": e["type"], "kwargs": e["kwargs"], "meta": {}} for e in SUITE["expectations"]
    ],
}
MISSPELLED: dict[str, Any] = {
    "expectations": [
        {"type": "expect_column_values_to_match_regexp", "kwargs": {"column": "星期", "regex": "x"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "星期"}},
    ]
}


def post(client: TestClient, path: Path, **fields: Any) -> Any:
    files: dict[str, Any] = {"file": (path.name, path.read_bytes())}
    for key, value in fields.items():
        files[key] = (f"{key}.json", json.dumps(value).encode())
    return client.post("/api/v1/score?wait=true", files=files)


def failed_counts(report: dict[str, Any]) -> list[int]:
    return [f["count"] for f in report["findings"] if f["code"] == "expectation-failed"]


def test_score_with_an_uploaded_suite(client: TestClient) -> None:
    r = post(client, CALENDAR, expectations=SUITE)
    assert r.status_code == 200, r.text[:500]
    report = r.json()
    assert_report_shape(report)
    assert sorted(failed_counts(report)) == [104, 115]  # weekend days, holidays
    assert report["declared"]["expectations"]["expectations"] == 3
    assert report["checks"]["expectations"] == "fail"
    # The suite is part of the stored report's key: a plain request gets its own report …
    plain = post(client, CALENDAR)
    assert plain.headers["x-odq-cached"] == "false"
    assert plain.json()["id"] != report["id"] and failed_counts(plain.json()) == []
    # … the same suite (here in its 0.x shape) gets the stored result back, as this upload's own report.
    again = post(client, CALENDAR, expectations=OLD_SUITE)
    assert again.headers["x-odq-cached"] == "true"
    assert again.json()["id"] != report["id"]
    assert sorted(failed_counts(again.json())) == [104, 115]


def test_suite_sent_as_a_text_field(client: TestClient) -> None:
    r = client.post(
        "/api/v1/score",
        files={"file": (CALENDAR.name, CALENDAR.read_bytes())},
        data={"expectations": json.dumps(SUITE)},
    )
    assert r.status_code == 200, r.text[:300]
    assert sorted(failed_counts(r.json())) == [104, 115]


def test_misspelled_expectation_type_is_refused_by_name(client: TestClient, data_dir: Path) -> None:
    body = assert_error(post(client, CALENDAR, expectations=MISSPELLED), 422, "unknown-expectation")
    assert "expect_column_values_to_match_regexp" in body["error"]
    assert "did you mean expect_column_values_to_match_regex" in body["error"]
    assert body["detail"]["unknown"] == ["expect_column_values_to_match_regexp"]
    assert leftovers(data_dir / "blobs") == []  # the data file was not kept
    assert client.get("/health").json()["reports"] == 0


def test_score_with_a_schema(client: TestClient) -> None:
    schema = json.loads((PEER / "schema-valid.json").read_text())
    r = post(client, PEER / "schema-errors.csv", schema=schema)
    assert r.status_code == 200, r.text[:300]
    found = sorted(
        (e["row"], e["field"] or 0, f["code"])
        for f in r.json()["findings"]
        if f["code"] in ("type-error", "constraint-error", "duplicate-key")
        for e in f["examples"]
    )
    assert found[:3] == [(4, 0, "duplicate-key"), (4, 1, "type-error"), (4, 2, "constraint-error")]
    package = {"resources": [{"name": "x", "path": "elsewhere/x.csv", "schema": schema}]}
    assert (
        post(client, PEER / "schema-errors.csv", schema=package).json()["declared"]["schema"]["resource"]
        == "x"
    )
    bad = {"resources": [{"path": "a.csv"}, {"path": "b.csv"}]}
    assert_error(post(client, PEER / "schema-errors.csv", schema=bad), 422, "resource-not-found")


def test_generated_suite_round_trip(client: TestClient) -> None:
    """The suite exported from a report passes on the same file and catches another year."""
    report = post(client, CALENDAR).json()
    r = client.get(f"/api/v1/reports/{report['id']}/expectations")
    assert r.status_code == 200, r.text[:300]
    suite = r.json()
    assert suite["meta"]["basis"] == "rows" and suite["meta"]["report_id"] == report["id"]
    types = {e["type"] for e in suite["expectations"]}
    assert {"expect_column_values_to_be_unique", "expect_column_values_to_be_between"} <= types
    assert {"expect_column_values_to_be_in_set", "expect_column_values_to_not_be_null"} <= types
    same = post(client, CALENDAR, expectations=suite).json()
    assert failed_counts(same) == [] and same["checks"]["expectations"] == "pass"
    other = post(client, CALENDAR_2021, expectations=suite).json()
    assert 365 in failed_counts(other)  # every 2021 date is outside the 2025 range


def test_generated_suite_without_kept_rows(data_dir: Path) -> None:
    """The suite is built from the rows when the report is made, whether or not they are kept."""
    with TestClient(create_app(Settings(data_dir=data_dir, store_rows=False))) as client:
        report = post(client, CALENDAR).json()
        suite = client.get(f"/api/v1/reports/{report['id']}/expectations").json()
    assert suite["meta"]["basis"] == "rows"
    assert "expect_column_values_to_be_in_set" in {e["type"] for e in suite["expectations"]}


def test_report_without_stored_suite_gets_column_statistics_suite(data_dir: Path) -> None:
    """A report made before suites were stored: the suite of its column statistics."""
    app = create_app(Settings(data_dir=data_dir))
    with TestClient(app) as client:
        report = post(client, CALENDAR).json()
        with app.state.store.transaction() as cur:
            cur.execute("DELETE FROM report_suites")
        suite = client.get(f"/api/v1/reports/{report['id']}/expectations").json()
    assert suite["meta"]["basis"] == "column statistics"
    assert suite["expectations"][0]["kwargs"]["column_list"] == ["西元日期", "星期", "是否放假", "備註"]
    assert {
        "type": "expect_column_values_to_be_unique",
        "kwargs": {"column": "西元日期"},
        "meta": {},
    } in suite["expectations"]


# ---- a portal's suite ----------------------------------------------------------------------


@pytest.fixture
def keyed(data_dir: Path) -> Iterator[tuple[TestClient, str, str]]:
    """A client, a key of portal 'demo' and a key of portal 'other'."""
    app = create_app(Settings(data_dir=data_dir, admin_token=SecretStr("admin-secret-for-tests")))
    with TestClient(app) as client:
        keys = KeyRepository(app.state.store)
        _, demo = keys.create("demo")
        _, other = keys.create("other")
        yield client, demo, other


def test_portal_suite_is_written_with_the_portal_key(keyed: tuple[TestClient, str, str]) -> None:
    client, demo, other = keyed
    url = "/api/v1/portals/demo/expectations"
    assert_error(client.put(url, json=SUITE), 401, "missing-key")
    assert_error(client.put(url, json=SUITE, headers={"x-api-key": other}), 403, "wrong-portal")
    assert_error(client.get(url), 404, "suite-not-found")
    r = client.put(url, json=OLD_SUITE, headers={"authorization": f"Bearer {demo}"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["expectations"] == 3 and r.json()["portal"] == "demo"
    stored = client.get(url).json()
    assert [e["type"] for e in stored["expectations"]] == [e["type"] for e in SUITE["expectations"]]
    assert stored["meta"]["odq"]["fingerprint"] == r.json()["fingerprint"]
    # The administrator may write any portal's suite; a bad suite is refused by name.
    body = assert_error(
        client.put(url, json=MISSPELLED, headers={"x-api-key": "admin-secret-for-tests"}), 422
    )
    assert body["code"] == "unknown-expectation" and "expect_column_values_to_match_regexp" in body["error"]
    assert_error(client.put(url, content=b"{not json", headers={"x-api-key": demo}), 422, "invalid-suite")
    huge = b'{"expectations": [' + b" " * (2 * 1024 * 1024) + b"]}"
    assert_error(client.put(url, content=huge, headers={"x-api-key": demo}), 413, "suite-too-large")
    assert client.get(url).json()["meta"]["odq"]["fingerprint"] == r.json()["fingerprint"]  # unchanged


def test_portal_suite_applies_to_the_portals_datasets(
    keyed: tuple[TestClient, str, str], data_dir: Path
) -> None:
    client, demo, _ = keyed
    assert (
        client.put("/api/v1/portals/demo/expectations", json=SUITE, headers={"x-api-key": demo}).status_code
        == 200
    )
    repo: Repository = client.app.state.repo  # type: ignore[attr-defined]
    suite = service.portal_suite(repo, "demo")
    assert suite is not None and service.portal_suite(repo, "other") is None
    blob = store_file(CALENDAR, data_dir / "blobs", limit=1 << 30)
    scored = score_blob(blob, CALENDAR.name, repo, suite=suite)
    assert sorted(failed_counts(scored.report)) == [104, 115]


# ---- the CLI --------------------------------------------------------------------------------


def run_cli(data_dir: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["score", *args], env={"ODQ_DATA_DIR": str(data_dir)})


def test_cli_expectations_and_schema(tmp_path: Path) -> None:
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps(OLD_SUITE))
    result = run_cli(
        tmp_path / "var", str(CALENDAR), "--expectations", str(suite), "--format", "json", "--no-store"
    )
    assert result.exit_code == 0, result.output
    assert sorted(failed_counts(json.loads(result.stdout))) == [104, 115]
    package = tmp_path / "datapackage.json"
    (tmp_path / "schema.json").write_text((PEER / "schema-valid.json").read_text())
    package.write_text(json.dumps({"resources": [{"path": "schema-errors.csv", "schema": "schema.json"}]}))
    result = run_cli(
        tmp_path / "var", str(PEER / "schema-errors.csv"), "--schema", str(package), "-f", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"type-error", "constraint-error", "duplicate-key"} <= {f["code"] for f in report["findings"]}


@pytest.mark.parametrize(
    ("option", "content", "message"),
    [
        ("--expectations", json.dumps(MISSPELLED), "expect_column_values_to_match_regexp"),
        ("--expectations", "[]", "A suite is a JSON object"),
        ("--schema", '{"fields": [{"name": "a", "type": "int"}]}', "unknown type 'int'"),
        ("--schema", None, "is not a file"),
    ],
)
def test_cli_bad_declarations_exit_2(tmp_path: Path, option: str, content: str | None, message: str) -> None:
    path = tmp_path / "rules.json"
    if content is not None:
        path.write_text(content)
    result = run_cli(tmp_path / "var", str(CALENDAR), option, str(path))
    assert result.exit_code == 2, result.output
    assert message in result.output
