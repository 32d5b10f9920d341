from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from app.storage import MigrationError, Store
from app.storage.migrate import DEFAULT_MIGRATIONS_DIR, apply_pending, discover, pending, status


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def records(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute("SELECT version, name FROM odq_migrations ORDER BY version").fetchall()


@pytest.fixture
def mig_dir(tmp_path: Path) -> Path:
    """A private copy of the first real migration, to add others (good or broken) after it."""
    d = tmp_path / "migrations"
    d.mkdir()
    shutil.copy(DEFAULT_MIGRATIONS_DIR / "0001_init.sql", d)
    return d


def snapshot(directory: Path) -> dict[str, tuple[int, str]]:
    return {
        p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(directory.iterdir())
    }


def test_default_dir_is_the_repo_migrations_folder() -> None:
    assert Path(__file__).resolve().parents[2] / "migrations" == DEFAULT_MIGRATIONS_DIR
    assert [(m.version, m.name) for m in discover()][:1] == [(1, "init")]


def test_discover_sorts_and_ignores_non_sql(tmp_path: Path) -> None:
    (tmp_path / "0010_later.sql").write_text("SELECT 1;")
    (tmp_path / "0002_second.sql").write_text("SELECT 1;")
    (tmp_path / "README.md").write_text("not a migration")
    assert [(m.version, m.name, m.path.name) for m in discover(tmp_path)] == [
        (2, "second", "0002_second.sql"),
        (10, "later", "0010_later.sql"),
    ]


def test_duplicate_version_raises(tmp_path: Path) -> None:
    (tmp_path / "0002_jobs.sql").write_text("SELECT 1;")
    (tmp_path / "0002_portals.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"0002_jobs\.sql and 0002_portals\.sql"):
        discover(tmp_path)


@pytest.mark.parametrize("bad_name", ["2_jobs.sql", "0002-jobs.sql", "0002_Jobs.sql", "00002_jobs.sql"])
def test_misnamed_sql_file_raises(tmp_path: Path, bad_name: str) -> None:
    (tmp_path / bad_name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=bad_name.replace(".", r"\.")):
        discover(tmp_path)


def test_migrations_apply_once_and_are_recorded(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(db_path))
    try:
        applied = apply_pending(con)
        assert [m.version for m in applied] == [m.version for m in discover()]
        assert {"resources", "reports", "findings", "scores", "odq_migrations"} <= tables(con)
        assert records(con) == [(m.version, m.name) for m in discover()]
        assert pending(con, discover()) == []

        assert apply_pending(con) == []  # re-running applies nothing
        assert records(con) == [(m.version, m.name) for m in discover()]
    finally:
        con.close()


def test_store_open_applies_pending_and_reopen_applies_nothing(db_path: Path) -> None:
    with Store.open(db_path) as store:
        assert [s.applied_at is not None for s in store.migration_status()] == [True] * len(discover())
    with Store(db_path) as store:
        assert store.migrate() == []


@pytest.mark.parametrize(
    "broken_sql",
    [
        # fails at run time, after statements of the same file have run
        "CREATE TABLE partial (x INTEGER);\nINSERT INTO partial VALUES (1);\n"
        "INSERT INTO no_such_table VALUES (1);\n",
        # fails to parse
        "CREATE TABLE partial (x INTEGER);\nCREAT TABLE oops (y INTEGER);\n",
        # a file may not manage its own transaction
        "BEGIN;\nCREATE TABLE partial (x INTEGER);\nCOMMIT;\n",
    ],
    ids=["runtime-error", "syntax-error", "own-transaction"],
)
def test_broken_migration_rolls_back_completely(db_path: Path, mig_dir: Path, broken_sql: str) -> None:
    (mig_dir / "0002_good.sql").write_text("CREATE TABLE good (x INTEGER);\n")
    (mig_dir / "0003_broken.sql").write_text(broken_sql)
    db_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(db_path))
    try:
        with pytest.raises(MigrationError, match=r"0003_broken\.sql") as excinfo:
            apply_pending(con, mig_dir)
        assert isinstance(excinfo.value.__cause__, duckdb.Error)

        # the migrations before it stay applied; nothing of the broken one remains
        assert "good" in tables(con)
        assert "partial" not in tables(con)
        assert [v for v, _ in records(con)] == [1, 2]
        # the connection is usable (not left inside an aborted transaction)
        assert con.execute("SELECT count(*) FROM reports").fetchone() == (0,)

        # once fixed, it applies
        (mig_dir / "0003_broken.sql").write_text("CREATE TABLE partial (x INTEGER);\n")
        assert [m.version for m in apply_pending(con, mig_dir)] == [3]
        assert [v for v, _ in records(con)] == [1, 2, 3]
    finally:
        con.close()


def test_broken_migration_survives_reopen(db_path: Path, mig_dir: Path) -> None:
    (mig_dir / "0002_broken.sql").write_text("CREATE TABLE partial (x INTEGER);\nSELECT * FROM nope;\n")
    with pytest.raises(MigrationError, match=r"0002_broken\.sql"):
        Store.open(db_path, migrations_dir=mig_dir)
    # nothing was committed to the file either
    with Store(db_path) as store:
        cur = store.cursor()
        assert "partial" not in tables(cur)
        assert [v for v, _ in records(cur)] == [1]


def test_status_on_missing_file_does_not_create_it(tmp_path: Path) -> None:
    db_path = tmp_path / "nowhere" / "odq.duckdb"
    result = status(db_path)
    assert [(s.version, s.name, s.applied_at) for s in result] == [
        (m.version, m.name, None) for m in discover()
    ]
    assert not db_path.exists()
    assert not db_path.parent.exists()


def test_status_on_existing_file_does_not_modify_it(db_path: Path, mig_dir: Path) -> None:
    with Store.open(db_path, migrations_dir=mig_dir):
        pass
    (mig_dir / "0002_jobs.sql").write_text("CREATE TABLE jobs (id VARCHAR);\n")
    before = snapshot(db_path.parent)

    result = status(db_path, mig_dir)

    assert snapshot(db_path.parent) == before  # same files, mtimes and bytes (no WAL appeared)
    assert [(s.version, s.name) for s in result] == [(1, "init"), (2, "jobs")]
    assert result[0].applied_at is not None
    assert result[1].applied_at is None
    version, name, applied_at = result[1]  # plain tuples too
    assert (version, name, applied_at) == (2, "jobs", None)


def test_status_lists_recorded_versions_missing_from_disk(db_path: Path, mig_dir: Path) -> None:
    (mig_dir / "0002_extra.sql").write_text("CREATE TABLE extra (x INTEGER);\n")
    with Store.open(db_path, migrations_dir=mig_dir):
        pass
    (mig_dir / "0002_extra.sql").unlink()
    assert [(s.version, s.name, s.applied_at is not None) for s in status(db_path, mig_dir)] == [
        (1, "init", True),
        (2, "extra", True),
    ]


def test_status_of_a_file_this_process_holds(db_path: Path) -> None:
    with Store.open(db_path):
        result = status(db_path)
    assert all(s.applied_at is not None for s in result)


def test_status_of_an_empty_database_is_all_pending(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    duckdb.connect(str(db_path)).close()
    before = os.stat(db_path).st_mtime_ns
    assert all(s.applied_at is None for s in status(db_path))
    assert os.stat(db_path).st_mtime_ns == before
