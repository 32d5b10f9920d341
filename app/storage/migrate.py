"""Forward-only schema migrations for the DuckDB store.

Migrations are files ``NNNN_name.sql`` in the repository's ``migrations/`` folder. Each one runs
once, inside one transaction together with the row that records it in ``odq_migrations``: either
both happen or neither does (the habit of sqlite-utils' ``migrations.py``). ``status`` only reads:
it never creates the database file and never writes to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from app.storage.connection import connect, rollback_quietly

DEFAULT_MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

MIGRATIONS_TABLE = "odq_migrations"

_FILE_RE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_RECORD_TABLE = f"""
CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    applied_at  TIMESTAMP NOT NULL
)
"""


class MigrationError(Exception):
    """A migration file is malformed or failed to apply; the message names the file."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: str

    @property
    def filename(self) -> str:
        return self.path.name


class MigrationStatus(NamedTuple):
    version: int
    name: str
    applied_at: datetime | None  # UTC; None while pending


def discover(directory: Path | str = DEFAULT_MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in ``directory``, sorted by version.

    Only ``*.sql`` files are considered; one whose name is not ``NNNN_name.sql`` (lowercase name)
    or whose version number is used twice raises :class:`MigrationError` rather than being skipped.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise MigrationError(f"migrations directory not found: {directory}")
    by_version: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files must be named NNNN_name.sql (e.g. 0002_jobs.sql)")
        version = int(match["version"])
        if version in by_version:
            raise MigrationError(
                f"duplicate migration version {version:04d}: {by_version[version].path.name} and {path.name}"
            )
        sql = path.read_text(encoding="utf-8")
        by_version[version] = Migration(version, match["name"], path, sql)
    return [by_version[v] for v in sorted(by_version)]


def _has_record_table(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [MIGRATIONS_TABLE],
    ).fetchone()
    return bool(row and row[0])


def applied(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, datetime]]:
    """``{version: (name, applied_at)}`` of the migrations recorded in the database (reads only)."""
    if not _has_record_table(con):
        return {}
    rows = con.execute(
        f"SELECT version, name, applied_at FROM {MIGRATIONS_TABLE} ORDER BY version"
    ).fetchall()
    return {int(version): (str(name), applied_at) for version, name, applied_at in rows}


def pending(con: duckdb.DuckDBPyConnection, migrations: list[Migration]) -> list[Migration]:
    """The migrations not yet recorded in the database, in version order (reads only)."""
    done = applied(con)
    return [m for m in migrations if m.version not in done]


def apply_pending(
    con: duckdb.DuckDBPyConnection, directory: Path | str = DEFAULT_MIGRATIONS_DIR, upto: int | None = None
) -> list[Migration]:
    """Apply each pending migration in its own transaction with its record; return those applied.
    With ``upto``, only the migrations of that version and below (a restore builds the schema its
    export was made with, loads the rows, then applies the rest).

    On failure the migration's transaction is rolled back (nothing of it remains, no record) and
    :class:`MigrationError` naming the file is raised; migrations applied before it stay applied.
    The caller must not hold an open transaction on ``con``.
    """
    migrations = discover(directory)
    con.execute(_CREATE_RECORD_TABLE)
    done: list[Migration] = []
    for migration in pending(con, migrations):
        if upto is not None and migration.version > upto:
            break
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                [migration.version, migration.name, _utcnow()],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            rollback_quietly(con)
            raise MigrationError(f"migration {migration.path} failed and was rolled back: {exc}") from exc
        except BaseException:
            rollback_quietly(con)
            raise
        done.append(migration)
    return done


def status(db_path: Path | str, directory: Path | str = DEFAULT_MIGRATIONS_DIR) -> list[MigrationStatus]:
    """Every known migration with its applied time (``None`` while pending), in version order.

    Reads only: a missing database file is not created (everything is pending), an existing one is
    opened ``read_only``. Versions recorded in the database but absent from ``directory`` are listed
    too, under their recorded name. Raises :class:`~app.storage.connection.StoreLocked` when another
    process holds the file.
    """
    migrations = discover(directory)
    db_path = Path(db_path)
    done: dict[int, tuple[str, datetime]] = {}
    if db_path.exists():
        try:
            con = connect(db_path, read_only=True)
        except duckdb.ConnectionException as exc:
            # This process already has the file open read-write (a Store): DuckDB refuses a second
            # configuration, but a plain connect shares the open instance. We still only read.
            if "different configuration" not in str(exc):
                raise
            con = connect(db_path)
        try:
            done = applied(con)
        finally:
            con.close()
    return merge_status(migrations, done)


def merge_status(migrations: list[Migration], done: dict[int, tuple[str, datetime]]) -> list[MigrationStatus]:
    names = {m.version: m.name for m in migrations}
    for version, (name, _) in done.items():
        names.setdefault(version, name)
    return [
        MigrationStatus(version, names[version], done[version][1] if version in done else None)
        for version in sorted(names)
    ]


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
