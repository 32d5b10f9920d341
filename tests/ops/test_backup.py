"""`odq export DIR` writes every table to Parquet; `odq import DIR` restores them into an empty
database, all or nothing. Round-tripped through the real console script on real corpus files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
from ops_support import CORPUS, ODQ, odq_env

from app.ingest.blobs import store_file
from app.services.scoring import score_blob
from app.storage.backup import BackupError, import_database
from app.storage.repository import Repository
from app.storage.store import Store

FILES = [
    CORPUS / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part1.csv",
    CORPUS / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part2.csv",
]


def odq(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(ODQ), *args],
        env=odq_env(data_dir),
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def snapshot(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted, by 'schema.table'."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal ORDER BY ALL"
        ).fetchall()
        return {
            f"{s}.{t}": sorted(
                con.execute(f'SELECT * FROM "{s}"."{t}"').fetchall(), key=lambda r: json.dumps(r, default=str)
            )
            for s, t in tables
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding two scored corpus files (reports, findings, scores and loaded rows)."""
    data_dir = tmp_path_factory.mktemp("backup-source") / "var"
    with Store.open(data_dir / "odq.duckdb") as store:
        repo = Repository(store)
        for path in FILES:
            blob = store_file(path, data_dir / "blobs", limit=1 << 30)
            score_blob(blob, path.name, repo)
        assert repo.count_reports() == 2
    return data_dir


def test_export_then_import_round_trips_every_row(source: Path, tmp_path: Path) -> None:
    export_dir = tmp_path / "export"
    done = odq("export", str(export_dir), data_dir=source)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((export_dir / "manifest.json").read_text(encoding="utf-8"))
    names = {f"{t['schema']}.{t['name']}" for t in manifest["tables"]}
    assert {"main.reports", "main.findings", "main.scores", "main.resources", "main.odq_migrations"} <= names
    assert sum(1 for n in names if n.startswith("data.r_")) == 2  # the loaded rows of both files
    for t in manifest["tables"]:
        assert (export_dir / t["file"]).is_file()
        parquet = str(export_dir / t["file"])
        rows = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [parquet]).fetchall()[0][0]
        assert rows == t["rows"], t["name"]

    target = tmp_path / "restored" / "var"
    done = odq("import", str(export_dir), data_dir=target)
    assert done.returncode == 0, done.stderr
    assert snapshot(target / "odq.duckdb") == snapshot(source / "odq.duckdb")

    # The restored database is a working store: nothing to migrate, reports readable, and
    # scoring the same bytes again finds the stored report.
    with Store.open(target / "odq.duckdb") as store:
        assert store.migrate() == []
        repo = Repository(store)
        assert repo.count_reports() == 2
        blob = store_file(FILES[0], target / "blobs", limit=1 << 30)
        again = score_blob(blob, FILES[0].name, repo)
        assert again.cached
        assert repo.get_report(again.report["id"]) == again.report


def test_import_refuses_a_database_with_data(source: Path, tmp_path: Path) -> None:
    export_dir = tmp_path / "export"
    assert odq("export", str(export_dir), data_dir=source).returncode == 0
    before = snapshot(source / "odq.duckdb")
    done = odq("import", str(export_dir), data_dir=source)
    assert done.returncode == 2
    assert "already holds data" in done.stderr
    assert snapshot(source / "odq.duckdb") == before


def test_import_into_a_migrated_empty_database_is_allowed(source: Path, tmp_path: Path) -> None:
    export_dir = tmp_path / "export"
    assert odq("export", str(export_dir), data_dir=source).returncode == 0
    target = tmp_path / "fresh" / "var"
    assert odq("migrate", data_dir=target).returncode == 0
    assert odq("import", str(export_dir), data_dir=target).returncode == 0
    assert snapshot(target / "odq.duckdb") == snapshot(source / "odq.duckdb")


def test_export_refuses_a_folder_that_is_not_empty(source: Path, tmp_path: Path) -> None:
    export_dir = tmp_path / "export"
    export_dir.mkdir()
    (export_dir / "keep.txt").write_text("mine")
    done = odq("export", str(export_dir), data_dir=source)
    assert done.returncode == 2
    assert sorted(p.name for p in export_dir.iterdir()) == ["keep.txt"]


def test_a_damaged_export_changes_nothing(source: Path, tmp_path: Path) -> None:
    export_dir = tmp_path / "export"
    assert odq("export", str(export_dir), data_dir=source).returncode == 0
    manifest = json.loads((export_dir / "manifest.json").read_text(encoding="utf-8"))
    reports = next(t for t in manifest["tables"] if t["name"] == "reports")
    (export_dir / reports["file"]).write_bytes(b"PAR1 not really parquet PAR1")
    target = tmp_path / "restored" / "var"
    with pytest.raises(BackupError, match="sha256"):
        import_database(target / "odq.duckdb", export_dir)
    assert not (target / "odq.duckdb").exists()
    assert not list(target.parent.rglob(".odq.duckdb.import-*"))

    # A manifest whose count disagrees with its (intact) file: the import is rolled back.
    assert odq("export", str(tmp_path / "export2"), data_dir=source).returncode == 0
    manifest = json.loads((tmp_path / "export2" / "manifest.json").read_text(encoding="utf-8"))
    for t in manifest["tables"]:
        if t["name"] == "findings":
            t["rows"] += 1
    (tmp_path / "export2" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupError, match="rows restored"):
        import_database(target / "odq.duckdb", tmp_path / "export2")
    assert not (target / "odq.duckdb").exists()


def test_export_and_import_refuse_a_database_held_by_a_server(source: Path, tmp_path: Path) -> None:
    from ops_support import running

    with running(source, tmp_path / "server.log"):
        done = odq("export", str(tmp_path / "export"), data_dir=source)
        assert done.returncode == 2
        assert "in use by a running server" in done.stderr
        done = odq("import", str(tmp_path / "export"), data_dir=source)
        assert done.returncode == 2


def test_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    done = odq("import", str(tmp_path / "junk"), data_dir=tmp_path / "var")
    assert done.returncode == 2
    assert "not an ODQ export" in done.stderr
