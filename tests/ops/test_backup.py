"""`odq export DIR` writes every table to Parquet and every blob, with a manifest of their sha256;
`odq import DIR` checks every file, builds the tables from ODQ's own migrations (never from SQL in
the export) and restores into an empty data folder, all or nothing. Round-tripped through the
real console script on real corpus files, and through a real server finishing restored jobs."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx2
import pytest
from ops_support import CORPUS, ODQ, generated_csv, odq_env, running

from app.ingest.blobs import store_file
from app.services.scoring import score_blob
from app.storage.backup import BackupError, import_database
from app.storage.repository import Repository
from app.storage.score_jobs import ScoreJobs
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
    """Every row of every table, sorted, by 'schema.table'; the data folder's path, which a restore
    elsewhere changes in the blob paths, is written as '<data>'."""
    here = str(db_path.parent)

    def cell(value: object) -> object:
        return value.replace(here, "<data>") if isinstance(value, str) else value

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal ORDER BY ALL"
        ).fetchall()
        return {
            f"{s}.{t}": sorted(
                (tuple(cell(v) for v in row) for row in con.execute(f'SELECT * FROM "{s}"."{t}"').fetchall()),
                key=lambda r: json.dumps(r, default=str),
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

    # The blobs travel, content-addressed, and no path of this machine does.
    blobs = {b["sha256"]: b for b in manifest["blobs"]}
    assert len(blobs) == 2
    for sha, b in blobs.items():
        assert b["file"] == f"blobs/{sha[:2]}/{sha}"
        assert (export_dir / b["file"]).read_bytes() == (source / "blobs" / sha[:2] / sha).read_bytes()
    assert str(source) not in (export_dir / "manifest.json").read_text(encoding="utf-8")
    for t in manifest["tables"]:
        rows = (
            duckdb.connect()
            .execute("SELECT * FROM read_parquet(?)", [str(export_dir / t["file"])])
            .fetchall()
        )
        assert str(source) not in json.dumps(rows, default=str), t["name"]
    assert "sql" not in json.dumps(manifest).lower()

    target = tmp_path / "restored" / "var"
    done = odq("import", str(export_dir), data_dir=target)
    assert done.returncode == 0, done.stderr
    assert snapshot(target / "odq.duckdb") == snapshot(source / "odq.duckdb")
    con = duckdb.connect(str(target / "odq.duckdb"), read_only=True)
    paths = [Path(p) for (p,) in con.execute("SELECT blob_path FROM resources").fetchall()]
    con.close()
    assert sorted(p.name for p in paths) == sorted(blobs)
    for path in paths:  # pointed at the restored blob store, holding the right bytes
        assert path.parent.parent == target / "blobs"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name

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


# == a tampered export is refused before anything runs ==========================================


def _tampered(export_dir: Path, edit: Any) -> Path:
    manifest = json.loads((export_dir / "manifest.json").read_text(encoding="utf-8"))
    edit(manifest)
    (export_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return export_dir


def _first(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in manifest["tables"] if t["name"] == name)


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("copy-to", "'sql'"),
        ("read-text-view", "'views'"),
        ("table-name", "not a table ODQ writes"),
        ("file-path", "not a plain Parquet file name"),
        ("blob-path", "not named blobs/ab/<its sha256>"),
        ("version-1", "export again"),
    ],
)
def test_a_tampered_manifest_is_refused_and_runs_nothing(
    source: Path, tmp_path: Path, case: str, refusal: str
) -> None:
    export_dir = tmp_path / "export"
    assert odq("export", str(export_dir), data_dir=source).returncode == 0
    written = tmp_path / "written.txt"
    secret = tmp_path / "secret.txt"
    secret.write_text("the server's secret", encoding="utf-8")
    copy_to = f"COPY (SELECT 'owned') TO '{written}' (FORMAT csv)"

    def edit(manifest: dict[str, Any]) -> None:
        reports = _first(manifest, "reports")
        if case == "copy-to":  # what a version-1 manifest held, with a statement added
            reports["sql"] = f"CREATE TABLE reports (id VARCHAR); {copy_to}"
        elif case == "read-text-view":
            manifest["views"] = [
                {
                    "schema": "main",
                    "name": "v",
                    "sql": f"CREATE VIEW v AS SELECT * FROM read_text('{secret}')",
                }
            ]
        elif case == "table-name":
            reports["name"] = f'reports"; {copy_to}; --'
        elif case == "file-path":
            reports["file"] = f"../../{secret.name}"
        elif case == "blob-path":
            manifest["blobs"][0]["file"] = f"blobs/../../{secret.name}"
        elif case == "version-1":
            manifest["format_version"] = 1
            for t in manifest["tables"]:
                t["sql"] = copy_to

    _tampered(export_dir, edit)
    target = tmp_path / "restored" / "var"
    done = odq("import", str(export_dir), data_dir=target)
    assert done.returncode == 2, done.stdout + done.stderr
    assert refusal in done.stderr
    assert "Traceback" not in done.stderr
    assert not written.exists()
    assert not (target / "odq.duckdb").exists()
    assert not (target / "blobs").exists() or not any((target / "blobs").rglob("*"))
    assert "secret" not in done.stdout


def test_a_damaged_blob_is_refused_before_the_database_is_touched(source: Path, tmp_path: Path) -> None:
    export_dir = tmp_path / "export"
    assert odq("export", str(export_dir), data_dir=source).returncode == 0
    manifest = json.loads((export_dir / "manifest.json").read_text(encoding="utf-8"))
    (export_dir / manifest["blobs"][0]["file"]).write_bytes(b"id,name\n1,edited\n")
    target = tmp_path / "restored" / "var"
    with pytest.raises(BackupError, match="does not match its sha256"):
        import_database(target / "odq.duckdb", export_dir)
    assert not (target / "odq.duckdb").exists()


# == an export restored elsewhere finishes its interrupted jobs =================================

JOBS = 10


def test_a_restore_on_another_path_finishes_every_interrupted_job(tmp_path: Path) -> None:
    """Ten score jobs left queued or running (as a crash leaves them), exported; the source is
    then moved away, the export restored into an empty folder on another path, and a real server
    started there finishes every job from the restored blobs."""
    source = tmp_path / "first" / "var"
    ids: list[str] = []
    with Store.open(source / "odq.duckdb") as store:
        jobs = ScoreJobs(store)
        for i in range(JOBS):
            path = generated_csv(tmp_path / f"file-{i}.csv", rows=50 + i, seed=i)
            blob = store_file(path, source / "blobs", limit=1 << 30)
            job = jobs.create(
                origin="api", sha256=blob.sha256, name=path.name, size=blob.size, blob_path=str(blob.path)
            )
            if i % 2:
                jobs.start(job["id"])  # running when the server died
            ids.append(job["id"])
        assert jobs.by_status() == {"queued": JOBS // 2, "running": JOBS // 2}

    export_dir = tmp_path / "backup"
    done = odq("export", str(export_dir), data_dir=source)
    assert done.returncode == 0, done.stderr
    assert f"and {JOBS} file(s)" in done.stdout
    source.parent.rename(tmp_path / "gone")  # nothing of the first folder is left to lean on

    target = tmp_path / "elsewhere" / "restored" / "var"
    done = odq("import", str(export_dir), data_dir=target)
    assert done.returncode == 0, done.stderr
    with running(target, tmp_path / "server.log") as server:
        status: dict[str, dict[str, Any]] = {}
        for _ in range(600):  # bounded polling: every job finishes or the test fails
            status = {i: httpx2.get(f"{server.base_url}/api/v1/jobs/{i}", timeout=10).json() for i in ids}
            if all(s["status"] in ("done", "failed") for s in status.values()):
                break
            time.sleep(0.2)
        assert {i: s["status"] for i, s in status.items()} == dict.fromkeys(ids, "done"), [
            s.get("error") for s in status.values()
        ]
        for s in status.values():
            report = httpx2.get(f"{server.base_url}{s['report_url']}", timeout=10)
            assert report.status_code == 200
            assert report.json()["source"]["sha256"] == s["sha256"]
