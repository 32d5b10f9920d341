"""Export the whole database to Parquet, and restore it into an empty one.

An export is a folder: one Parquet file per table (``<schema>.<table>.parquet``, zstd) and
``manifest.json`` listing each table with its ``CREATE TABLE`` statement, its row count and the
sha256 of its file, plus the applied migrations. Every table is read in one transaction, so the
export is one consistent snapshot even while reports are being written.

An import builds the database in a temporary file beside the target, checks every table's row
count against the manifest, and only then moves it into place (``os.replace``): a failed import
leaves the target as it was. The target must be empty: no file, or a database whose tables hold
no rows (a freshly migrated one).

DuckDB's own ``EXPORT DATABASE`` was tried first: it names files by replacing digits with ``_``,
so two ``data."r_<sha256>"`` tables can map to the same file, and its ``load.sql`` holds absolute
paths, so a moved export no longer loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from app.storage.connection import connect, rollback_quietly
from app.storage.store import Store

MANIFEST = "manifest.json"
FORMAT = "odq-export"
FORMAT_VERSION = 1

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,120}$")


class BackupError(Exception):
    """The export or import cannot be done (the message says why); nothing was changed."""


@dataclass(frozen=True)
class TableExport:
    schema: str
    name: str
    file: str
    rows: int
    sql: str
    sha256: str


@dataclass(frozen=True)
class ExportSummary:
    directory: Path
    tables: list[TableExport]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _user_tables(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    rows = cur.execute(
        """
        SELECT schema_name, table_name, sql FROM duckdb_tables()
        WHERE NOT internal AND NOT temporary AND database_name = current_database()
        ORDER BY schema_name = 'main' DESC, schema_name, table_name
        """
    ).fetchall()
    return [(str(s), str(t), str(q)) for s, t, q in rows]


def _user_views(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    rows = cur.execute(
        """
        SELECT schema_name, view_name, sql FROM duckdb_views()
        WHERE NOT internal AND NOT temporary AND database_name = current_database()
        ORDER BY schema_name, view_name
        """
    ).fetchall()
    return [(str(s), str(v), str(q)) for s, v, q in rows]


def _user_schemas(cur: duckdb.DuckDBPyConnection) -> list[str]:
    rows = cur.execute(
        """
        SELECT schema_name FROM duckdb_schemas()
        WHERE NOT internal AND database_name = current_database() AND schema_name <> 'main'
        ORDER BY schema_name
        """
    ).fetchall()
    return [str(r[0]) for r in rows]


def _file_name(schema: str, table: str, index: int) -> str:
    if _PLAIN.match(schema) and _PLAIN.match(table):
        return f"{schema}.{table}.parquet"
    return f"table-{index:05d}.parquet"  # a name that is not a plain identifier never becomes a path


class Backup:
    """Export and import around a :class:`Store` (all the SQL of backups lives here)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def export(self, directory: Path) -> ExportSummary:
        """Write every table of the database to ``directory`` (created; must be empty)."""
        directory = Path(directory)
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise BackupError(f"{directory} exists and is not an empty folder; export into a new one.")
        directory.mkdir(parents=True, exist_ok=True)
        cur = self.store.cursor()
        tables: list[TableExport] = []
        cur.execute("BEGIN TRANSACTION")  # one snapshot of all tables
        try:
            schemas = _user_schemas(cur)
            views = _user_views(cur)
            migrations = self._migrations(cur)
            for index, (schema, name, sql) in enumerate(_user_tables(cur), start=1):
                file = _file_name(schema, name, index)
                target = directory / file
                source = f"{_ident(schema)}.{_ident(name)}"
                counted = cur.execute(f"SELECT count(*) FROM {source}").fetchall()
                cur.execute(
                    f"COPY (SELECT * FROM {source}) TO {_literal(str(target))} "
                    "(FORMAT parquet, COMPRESSION zstd)"
                ).fetchall()
                tables.append(TableExport(schema, name, file, int(counted[0][0]), sql, _file_sha256(target)))
        finally:
            rollback_quietly(cur)  # read only: nothing to commit
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "duckdb_version": duckdb.__version__,
            "migrations": migrations,
            "schemas": schemas,
            "tables": [t.__dict__ for t in tables],
            "views": [{"schema": s, "name": v, "sql": q} for s, v, q in views],
        }
        (directory / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return ExportSummary(directory, tables)

    @staticmethod
    def _migrations(cur: duckdb.DuckDBPyConnection) -> list[int]:
        exists = cur.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'odq_migrations' AND schema_name = 'main'"
        ).fetchall()
        if not exists[0][0]:
            return []
        return [
            int(r[0]) for r in cur.execute("SELECT version FROM odq_migrations ORDER BY version").fetchall()
        ]


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} is not an ODQ export: {MANIFEST} is missing.") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is not an {FORMAT} manifest of version {FORMAT_VERSION}.")
    return manifest


def is_empty_database(path: Path) -> bool:
    """True when ``path`` does not exist or none of its tables holds a row (migrations aside)."""
    if not path.exists():
        return True
    con = connect(path)
    try:
        cur = con.cursor()
        for schema, name, _ in _user_tables(cur):
            if (schema, name) == ("main", "odq_migrations"):
                continue
            rows = cur.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {_ident(schema)}.{_ident(name)} LIMIT 1)"
            )
            if rows.fetchall()[0][0]:
                return False
        return True
    finally:
        con.close()


def import_database(db_path: Path, directory: Path) -> ExportSummary:
    """Restore the export in ``directory`` as the database ``db_path``, which must be empty."""
    directory = Path(directory)
    db_path = Path(db_path)
    manifest = read_manifest(directory)
    entries = [TableExport(**t) for t in manifest["tables"]]
    for t in entries:
        file = directory / t.file
        if Path(t.file).name != t.file or not file.is_file():
            raise BackupError(f"{directory}: the file of table {t.schema}.{t.name} ({t.file}) is missing.")
        if _file_sha256(file) != t.sha256:
            raise BackupError(f"{file} does not match its sha256 in the manifest (damaged or edited).")
    if not is_empty_database(db_path):  # raises StoreLocked when a server holds it
        raise BackupError(f"{db_path} already holds data; import into an empty data folder.")

    temp = db_path.with_name(f".{db_path.name}.import-{os.getpid()}")
    _remove_database(temp)
    try:
        store = Store(temp)
        try:
            with store.transaction() as cur:
                for schema in manifest.get("schemas", []):
                    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
                for t in entries:
                    cur.execute(t.sql)
                    cur.execute(
                        f"INSERT INTO {_ident(t.schema)}.{_ident(t.name)} "
                        f"SELECT * FROM read_parquet({_literal(str(directory / t.file))})"
                    )
                for view in manifest.get("views", []):
                    cur.execute(view["sql"])
            cur = store.cursor()
            for t in entries:
                got = cur.execute(f"SELECT count(*) FROM {_ident(t.schema)}.{_ident(t.name)}").fetchall()
                if int(got[0][0]) != t.rows:
                    raise BackupError(
                        f"{t.schema}.{t.name}: {got[0][0]} rows restored, the manifest says {t.rows}."
                    )
            cur.execute("CHECKPOINT")
        finally:
            store.close()
        _remove_database(db_path)
        os.replace(temp, db_path)
    except duckdb.Error as exc:
        raise BackupError(f"the import failed, {db_path} is unchanged: {exc}") from exc
    finally:
        _remove_database(temp)
    return ExportSummary(directory, entries)


def _remove_database(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
