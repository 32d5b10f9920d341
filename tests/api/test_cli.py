"""The real `odq` console script (next to the interpreter), run as a subprocess with
ODQ_DATA_DIR in a temporary folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx2
import pytest
from api_support import (
    assert_report_shape,
    codes,
    live_server,
    run_odq,
    strict_json,
)
from fastapi.testclient import TestClient

EXPECTED_CODES = {"title-rows", "empty-column", "footer-notes"}


def json_report(corpus_file: Path, data_dir: Path, *extra: str) -> dict[str, Any]:
    done = run_odq("score", str(corpus_file), "--format", "json", *extra, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = strict_json(done.stdout)
    return report


@pytest.fixture(scope="module")
def unstored(corpus_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """``odq score --no-store --format json`` on the corpus file, once for the module."""
    data_dir = tmp_path_factory.mktemp("cli-unstored") / "var"
    return json_report(corpus_file, data_dir, "--no-store"), data_dir


def test_no_store_prints_the_report_and_leaves_no_database(unstored: tuple[dict[str, Any], Path]) -> None:
    report, data_dir = unstored
    assert_report_shape(report)
    assert codes(report) >= EXPECTED_CODES
    assert not (data_dir / "odq.duckdb").exists()
    assert not (data_dir / "blobs").exists() or not any((data_dir / "blobs").rglob("*"))


def test_score_prints_a_readable_report(
    corpus_file: Path, data_dir: Path, unstored: tuple[dict[str, Any], Path]
) -> None:
    report = unstored[0]
    done = run_odq("score", str(corpus_file), data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert corpus_file.name in text
    assert f"{report['score']:.1f}" in text
    assert report["band"] in text
    for code in EXPECTED_CODES:
        assert code in text, code
    # each finding says why it costs what it costs
    assert text.count("      why: keeps the file out of Excellent") == len(report["findings"])
    assert not text.lstrip().startswith("{")
    assert (data_dir / "odq.duckdb").is_file(), "stored by default"


def test_json_output_is_the_api_report(corpus_file: Path, data_dir: Path, client: TestClient) -> None:
    cli = json_report(corpus_file, data_dir.parent / "cli-var")
    assert_report_shape(cli)
    assert codes(cli) >= EXPECTED_CODES
    api = client.post(
        "/api/v1/score", files={"file": (corpus_file.name, corpus_file.read_bytes(), "text/csv")}
    ).json()

    def comparable(report: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in report.items() if k not in ("id", "created_at")}

    assert set(cli) == set(api)
    assert comparable(cli) == comparable(api)


def test_score_stores_the_report_once(corpus_file: Path, data_dir: Path) -> None:
    first = json_report(corpus_file, data_dir)
    again = json_report(corpus_file, data_dir)
    assert again["id"] == first["id"]
    assert (data_dir / "odq.duckdb").is_file()
    blobs = [p.name for p in (data_dir / "blobs").rglob("*") if p.is_file()]
    assert blobs == [first["source"]["sha256"]]


def test_fail_under(corpus_file: Path, data_dir: Path, unstored: tuple[dict[str, Any], Path]) -> None:
    score = unstored[0]["score"]
    assert score < 99
    below = run_odq("score", str(corpus_file), "--no-store", "--fail-under", "99", data_dir=data_dir)
    assert below.returncode == 1, below.stderr
    assert "empty-column" in below.stdout  # the report is still printed
    at = run_odq("score", str(corpus_file), "--no-store", "--fail-under", str(score), data_dir=data_dir)
    assert at.returncode == 0, at.stderr


def test_empty_file_is_a_report_not_a_crash(data_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    done = run_odq("score", str(empty), "--no-store", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "empty-file" in done.stdout
    failing = run_odq("score", str(empty), "--no-store", "--fail-under", "1", data_dir=data_dir)
    assert failing.returncode == 1, failing.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["score", "does-not-exist.csv"],
        ["score", "."],  # a folder, not a file
        ["score", "{corpus}", "--bogus"],
        ["score", "{corpus}", "--format", "xml"],
        ["score", "{corpus}", "--fail-under", "101"],
        ["score"],
        ["frobnicate"],
    ],
    ids=[
        "missing-file",
        "directory",
        "unknown-option",
        "bad-format",
        "fail-under-out-of-range",
        "no-path",
        "unknown-command",
    ],
)
def test_usage_errors_exit_2(args: list[str], corpus_file: Path, data_dir: Path) -> None:
    done = run_odq(*(a.replace("{corpus}", str(corpus_file)) for a in args), data_dir=data_dir)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout.strip() == "" or "Usage" in done.stdout
    assert done.stderr.strip(), "a usage error says what is wrong"
    assert not (data_dir / "odq.duckdb").exists()


def test_migrate_list_then_migrate(data_dir: Path) -> None:
    db = data_dir / "odq.duckdb"
    listed = run_odq("migrate", "--list", data_dir=data_dir)
    assert listed.returncode == 0, listed.stderr
    lines = dict(line.split(None, 1) for line in listed.stdout.splitlines() if line.strip())
    assert lines.get("0001_init", "").strip() == "pending", listed.stdout
    assert all(v.strip() == "pending" for v in lines.values()), listed.stdout
    assert not db.exists(), "--list only reads: it must not create the database"

    applied = run_odq("migrate", data_dir=data_dir)
    assert applied.returncode == 0, applied.stderr
    assert "0001_init.sql" in applied.stdout
    assert db.is_file()

    after = run_odq("migrate", "--list", data_dir=data_dir)
    assert after.returncode == 0, after.stderr
    lines = dict(line.split(None, 1) for line in after.stdout.splitlines() if line.strip())
    assert set(lines) >= {"0001_init"}
    for name, when in lines.items():
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", when.strip()), (name, when)

    again = run_odq("migrate", data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    assert "0001_init.sql" not in again.stdout


def test_score_while_a_server_holds_the_database(corpus_file: Path, data_dir: Path, tmp_path: Path) -> None:
    with live_server(data_dir, tmp_path / "logs") as server:
        done = run_odq("score", str(corpus_file), data_dir=data_dir)
        assert done.returncode == 0, (done.stdout, done.stderr)
        for code in EXPECTED_CODES:
            assert code in done.stdout, code
        assert "not stored" in done.stderr, done.stderr

        as_json = run_odq("score", str(corpus_file), "--format", "json", data_dir=data_dir)
        assert as_json.returncode == 0, as_json.stderr
        assert_report_shape(strict_json(as_json.stdout))
        assert "not stored" in as_json.stderr

        # The server's database did not get the report.
        listed = httpx2.get(f"{server.base_url}/api/v1/reports", timeout=10).json()
        assert listed["reports"] == []
        assert server.process.poll() is None, server.log()
    assert server.process.returncode is not None
