"""Migration 0010 keeps the reports stored before it (unlisted) and lets one stored report be
copied for another uploader, while two scorings of the same bytes still store one report."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.storage.migrate import DEFAULT_MIGRATIONS_DIR
from app.storage.repository import Repository
from app.storage.store import Store


def test_reports_before_0010_survive_unlisted_and_can_be_copied(
    tmp_path: Path, report_factory: Callable[..., dict[str, Any]]
) -> None:
    older = tmp_path / "migrations"
    older.mkdir()
    for path in sorted(DEFAULT_MIGRATIONS_DIR.glob("000*.sql")):  # 0001 … 0009
        shutil.copy(path, older / path.name)
    db = tmp_path / "odq.duckdb"
    report = report_factory()
    with Store.open(db, migrations_dir=older) as store:
        store.cursor().execute(
            "INSERT INTO reports (id, resource_sha256, scoring_version, name, created_at, report_json) "
            "VALUES (?, ?, '1', 'old.csv', '2025-01-01', ?)",
            [report["id"], report["source"]["sha256"], json.dumps(report)],
        )
    with Store.open(db) as store:  # every migration, 0010 included
        repo = Repository(store)
        assert repo.get_report(report["id"]) == report
        assert repo.list_reports() == []  # stored before: unlisted
        copy = repo.copy_report(report, "f" * 32, "mine.csv", False, "0" * 64)
        assert repo.get_report("f" * 32) == copy and copy["source"]["name"] == "mine.csv"
        assert repo.count_findings("f" * 32) == len(report["findings"])
        # the scored report of these bytes is still one: a second save returns the stored one
        again = dict(report, id="e" * 32)
        assert repo.save_report(again)["id"] == report["id"]
        assert repo.find_report(report["source"]["sha256"], "1")["id"] == report["id"]  # type: ignore[index]
