"""Export the whole data folder (database and blobs), and restore it into an empty one.

An export is a folder: one Parquet file per table (``<schema>.<table>.parquet``, zstd), the blobs
under ``blobs/ab/<sha256>`` (content-addressed, as in the data folder), and ``manifest.json``
listing every file with its sha256 (each table with its row count), plus the applied migrations.
Blob paths in the tables are written relative (``blobs/ab/<sha256>``): an export names no path
of the machine it was made on. Every table is read in one transaction, so the export is one
consistent snapshot; every file is flushed to the disk, the manifest last.

An import takes no SQL from the export: the tables are built by this version's own migrations
(up to the export's last one), the rows are read from the Parquet files into the known tables
(the loaded rows of a resource into ``data."r_<sha256>"``), and then the migrations made since
are applied. Before the database is touched, every file is checked against its sha256 and every
name against what ODQ writes; a manifest naming anything else is refused. The database is built
in a temporary file beside the target, checked (row counts), and only then moved into place
(``os.replace``): a failed import leaves the target as it was. The blobs are copied into the
data folder's blob store and the tables' blob paths pointed at them, so interrupted score jobs
finish after a restore on another path. The target must be empty: no file, or a database whose
tables hold no rows (a freshly migrated one).

DuckDB's own ``EXPORT DATABASE`` was tried first: it names files by replacing digits with ``_``,
so two ``data."r_<sha256>"`` tables can map to the same file, and its ``load.sql`` holds absolute
paths (and is SQL to execute), so a moved export no longer loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from app.storage import migrate as migrations
from app.storage.connection import connect, rollback_quietly
from app.storage.files import fsync_dir, fsync_file, replace_durably
from app.storage.store import Store
from profilers import jsontext

MANIFEST = "manifest.json"
FORMAT = "odq-export"
FORMAT_VERSION = 2
"""Version 1 exports carried the ``CREATE`` statements to run; they are refused (export again)."""
_MANIFEST_KEYS = {"format", "format_version", "created_at", "duckdb_version", "migrations", "tables", "blobs"}
_TABLE_KEYS = {"schema", "name", "file", "rows", "sha256"}
_BLOB_KEYS = {"file", "sha256", "bytes"}

BLOBS = "blobs"
BLOB_COLUMN = "blob_path"
"""Columns holding the path of a blob: relative in an export, in the data folder once restored."""

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,120}$")
_TABLE_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,250}\.parquet$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_BLOB_FILE = re.compile(r"^blobs/(?P<prefix>[0-9a-f]{2})/(?P<sha256>[0-9a-f]{64})$")
_DATA_TABLE = re.compile(r"^r_[0-9a-f]{64}$")
_DATA_COLUMN = re.compile(r"^(__row|c[1-9][0-9]{0,5})$")
_COPY_CHUNK = 1 << 20


class BackupError(Exception):
    """The export or import cannot be done (the message says why); nothing was changed."""


@dataclass(frozen=True)
class TableExport:
    schema: str
    name: str
    file: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class BlobExport:
    file: str  # blobs/ab/<sha256>
    sha256: str
    bytes: int


@dataclass(frozen=True)
class ExportSummary:
    directory: Path
    tables: list[TableExport]
    blobs: list[BlobExport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def blob_bytes(self) -> int:
        return sum(b.bytes for b in self.blobs)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _user_tables(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = cur.execute(
        """
        SELECT schema_name, table_name FROM duckdb_tables()
        WHERE NOT internal AND NOT temporary AND database_name = current_database()
        ORDER BY schema_name = 'main' DESC, schema_name, table_name
        """
    ).fetchall()
    return [(str(s), str(t)) for s, t in rows]


def _columns(cur: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = cur.execute(
        """
        SELECT column_name FROM duckdb_columns()
        WHERE database_name = current_database() AND schema_name = ? AND table_name = ?
        ORDER BY column_index
        """,
        [schema, table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _file_name(schema: str, table: str, index: int) -> str:
    if _PLAIN.match(schema) and _PLAIN.match(table):
        return f"{schema}.{table}.parquet"
    return f"table-{index:05d}.parquet"  # a name that is not a plain identifier never becomes a path


def _relative_blob_sql(column: str) -> str:
    """The SQL expression of a blob path made relative (``blobs/ab/<sha256>``); '' for a path
    that is not a blob of the store (no machine path leaves in an export)."""
    c = _ident(column)
    return (
        f"CASE WHEN {c} IS NULL THEN NULL "
        f"WHEN regexp_matches({c}, '(^|/)[0-9a-f]{{2}}/[0-9a-f]{{64}}$') THEN '{BLOBS}/' || right({c}, 67) "
        f"ELSE '' END AS {c}"
    )


def _blob_files(blob_dir: Path) -> list[tuple[str, Path]]:
    """``(sha256, path)`` of every blob in the store (``ab/<sha256>``), in name order."""
    if not blob_dir.is_dir():
        return []
    found: list[tuple[str, Path]] = []
    for prefix in sorted(blob_dir.iterdir()):
        if not (prefix.is_dir() and re.fullmatch(r"[0-9a-f]{2}", prefix.name)):
            continue
        for path in sorted(prefix.iterdir()):
            if _SHA256.match(path.name) and path.name.startswith(prefix.name) and path.is_file():
                found.append((path.name, path))
    return found


def _copy_hashed(source: Path, target: Path) -> tuple[str, int]:
    """Copy ``source`` to ``target`` (through a temporary name, flushed before the rename);
    returns the sha256 and size of the bytes copied."""
    digest = hashlib.sha256()
    size = 0
    temp = target.with_name(f".{target.name}.part-{os.getpid()}")
    try:
        with source.open("rb") as src, temp.open("wb") as dst:
            for chunk in iter(lambda: src.read(_COPY_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        replace_durably(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return digest.hexdigest(), size


class Backup:
    """Export and import around a :class:`Store` (all the SQL of backups lives here)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def export(self, directory: Path, blob_dir: Path | None = None) -> ExportSummary:
        """Write every table of the database, and every blob of ``blob_dir`` (default: the
        ``blobs`` folder beside the database), to ``directory`` (created; must be empty)."""
        directory = Path(directory)
        if blob_dir is None:
            blob_dir = Path(self.store.path).parent / BLOBS
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise BackupError(f"{directory} exists and is not an empty folder; export into a new one.")
        directory.mkdir(parents=True, exist_ok=True)
        cur = self.store.cursor()
        tables: list[TableExport] = []
        cur.execute("BEGIN TRANSACTION")  # one snapshot of all tables
        try:
            migrations_done = self._migrations(cur)
            for index, (schema, name) in enumerate(_user_tables(cur), start=1):
                file = _file_name(schema, name, index)
                target = directory / file
                source = f"{_ident(schema)}.{_ident(name)}"
                select = "*"
                if schema == "main" and BLOB_COLUMN in _columns(cur, schema, name):
                    select = f"* REPLACE ({_relative_blob_sql(BLOB_COLUMN)})"
                counted = cur.execute(f"SELECT count(*) FROM {source}").fetchall()
                cur.execute(
                    f"COPY (SELECT {select} FROM {source}) TO {_literal(str(target))} "
                    "(FORMAT parquet, COMPRESSION zstd)"
                ).fetchall()
                fsync_file(target)
                tables.append(TableExport(schema, name, file, int(counted[0][0]), _file_sha256(target)))
        finally:
            rollback_quietly(cur)  # read only: nothing to commit
        blobs: list[BlobExport] = []
        for sha256, path in _blob_files(blob_dir):
            relative = f"{BLOBS}/{sha256[:2]}/{sha256}"
            target = directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            got, size = _copy_hashed(path, target)
            if got != sha256:  # a damaged blob is left out, not passed on under a false name
                target.unlink()
                continue
            blobs.append(BlobExport(relative, sha256, size))
        for folder in {directory / Path(b.file).parent for b in blobs}:
            fsync_dir(folder)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "duckdb_version": duckdb.__version__,
            "migrations": migrations_done,
            "tables": [t.__dict__ for t in tables],
            "blobs": [b.__dict__ for b in blobs],
        }
        temp = directory / f".{MANIFEST}.part"
        temp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        replace_durably(temp, directory / MANIFEST)  # the manifest last: its presence means complete
        return ExportSummary(directory, tables, blobs)

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


# -- import -----------------------------------------------------------------------------------


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    try:
        manifest = jsontext.loads(path.read_bytes())
    except FileNotFoundError:
        raise BackupError(f"{directory} is not an ODQ export: {MANIFEST} is missing.") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not an {FORMAT} manifest of version {FORMAT_VERSION}.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is an {FORMAT} manifest of version {manifest.get('format_version')!r}; this ODQ restores "
            f"version {FORMAT_VERSION} only (version 1 carried SQL to run): export again with this version."
        )
    _no_other_keys(Path(directory), manifest, _MANIFEST_KEYS, "the manifest")
    return manifest


def _no_other_keys(directory: Path, entry: dict[str, Any], allowed: set[str], what: str) -> None:
    other = sorted(set(entry) - allowed)
    if other:
        raise _refuse(
            directory,
            f"{what} holds {', '.join(repr(k) for k in other)}, which no ODQ export has "
            "(an import never runs SQL or statements from an export)",
        )


@dataclass(frozen=True)
class _Plan:
    """What an import will do, every name and file checked."""

    tables: list[TableExport]
    blobs: list[BlobExport]
    migrations: list[int]


def _refuse(directory: Path, what: str) -> BackupError:
    return BackupError(f"{directory / MANIFEST} is refused, nothing was changed: {what}.")


def _entries(directory: Path, manifest: dict[str, Any]) -> _Plan:
    """The manifest's tables, blobs and migrations, each checked against what ODQ writes."""
    raw_tables, raw_blobs = manifest.get("tables"), manifest.get("blobs", [])
    raw_migrations = manifest.get("migrations", [])
    if not isinstance(raw_tables, list) or not isinstance(raw_blobs, list):
        raise _refuse(directory, "'tables' and 'blobs' must be lists")
    if not isinstance(raw_migrations, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in raw_migrations
    ):
        raise _refuse(directory, "'migrations' must be a list of version numbers")
    if not raw_migrations:
        raise _refuse(directory, "it lists no migrations")
    known = {m.version for m in migrations.discover()}
    newer = sorted(set(raw_migrations) - known)
    if newer:
        raise _refuse(directory, f"it was made by a newer ODQ (migrations {newer} are unknown here)")
    if sorted(raw_migrations) != sorted(known)[: len(raw_migrations)]:
        raise _refuse(directory, "its migrations are not a prefix of this version's")
    tables: list[TableExport] = []
    seen_tables: set[tuple[str, str]] = set()
    seen_files: set[str] = set()
    for i, t in enumerate(raw_tables, start=1):
        if not isinstance(t, dict):
            raise _refuse(directory, f"table #{i} is not an object")
        _no_other_keys(directory, t, _TABLE_KEYS, f"table #{i}")
        schema, name, file, rows, sha256 = (t.get(k) for k in ("schema", "name", "file", "rows", "sha256"))
        if not (isinstance(schema, str) and isinstance(name, str)):
            raise _refuse(directory, f"table #{i} has no schema and name")
        label = f"{schema}.{name}"
        if not (schema == "main" and _PLAIN.match(name)) and not (
            schema == "data" and _DATA_TABLE.match(name)
        ):
            raise _refuse(directory, f"{label!r} is not a table ODQ writes")
        if not (isinstance(file, str) and _TABLE_FILE.match(file)):
            raise _refuse(directory, f"the file of {label} is not a plain Parquet file name")
        if not (isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0):
            raise _refuse(directory, f"the row count of {label} is not a number")
        if not (isinstance(sha256, str) and _SHA256.match(sha256)):
            raise _refuse(directory, f"the sha256 of {label} is not a sha256")
        if (schema, name) in seen_tables or file in seen_files:
            raise _refuse(directory, f"{label} or its file is listed twice")
        seen_tables.add((schema, name))
        seen_files.add(file)
        tables.append(TableExport(schema, name, file, rows, sha256))
    blobs: list[BlobExport] = []
    seen_blobs: set[str] = set()
    for i, b in enumerate(raw_blobs, start=1):
        if not isinstance(b, dict):
            raise _refuse(directory, f"blob #{i} is not an object")
        _no_other_keys(directory, b, _BLOB_KEYS, f"blob #{i}")
        file, sha256, size = b.get("file"), b.get("sha256"), b.get("bytes")
        match = _BLOB_FILE.match(file) if isinstance(file, str) else None
        if match is None or match["sha256"] != sha256 or not sha256.startswith(match["prefix"]):
            raise _refuse(directory, f"blob #{i} is not named blobs/ab/<its sha256>")
        if not (isinstance(size, int) and not isinstance(size, bool) and size >= 0):
            raise _refuse(directory, f"the size of blob {sha256} is not a number")
        if sha256 in seen_blobs:
            raise _refuse(directory, f"blob {sha256} is listed twice")
        seen_blobs.add(sha256)
        blobs.append(BlobExport(match.string, match["sha256"], size))
    return _Plan(tables, blobs, sorted(raw_migrations))


def _verify_files(directory: Path, plan: _Plan) -> None:
    """Every file of the plan is a regular file inside ``directory`` with its sha256."""
    root = directory.resolve()
    named = [(t.file, t.sha256, f"table {t.schema}.{t.name}") for t in plan.tables]
    named += [(b.file, b.sha256, f"blob {b.sha256}") for b in plan.blobs]
    for relative, sha256, what in named:
        path = directory / relative
        if path.is_symlink() or not path.is_file() or not path.resolve().is_relative_to(root):
            raise BackupError(f"{directory}: the file of {what} ({relative}) is missing.")
        if _file_sha256(path) != sha256:
            raise BackupError(f"{path} does not match its sha256 in the manifest (damaged or edited).")


def is_empty_database(path: Path) -> bool:
    """True when ``path`` does not exist or none of its tables holds a row (migrations aside)."""
    if not path.exists():
        return True
    con = connect(path)
    try:
        cur = con.cursor()
        for schema, name in _user_tables(cur):
            if (schema, name) == ("main", migrations.MIGRATIONS_TABLE):
                continue
            rows = cur.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {_ident(schema)}.{_ident(name)} LIMIT 1)"
            )
            if rows.fetchall()[0][0]:
                return False
        return True
    finally:
        con.close()


def import_database(db_path: Path, directory: Path, blob_dir: Path | None = None) -> ExportSummary:
    """Restore the export in ``directory`` as the database ``db_path``, which must be empty, and
    its blobs into ``blob_dir`` (default: the ``blobs`` folder beside the database)."""
    directory = Path(directory)
    db_path = Path(db_path)
    blob_dir = db_path.parent / BLOBS if blob_dir is None else Path(blob_dir)
    plan = _entries(directory, read_manifest(directory))
    _verify_files(directory, plan)
    if not is_empty_database(db_path):  # raises StoreLocked when a server holds it
        raise BackupError(f"{db_path} already holds data; import into an empty data folder.")

    temp = db_path.with_name(f".{db_path.name}.import-{os.getpid()}")
    _remove_database(temp)
    try:
        store = Store(temp)
        try:
            _build(store, directory, plan, blob_dir)
        finally:
            store.close()
        for blob in plan.blobs:  # verified above; copied (and flushed) before the database is named
            target = blob_dir / blob.sha256[:2] / blob.sha256
            if not target.is_file() or target.stat().st_size != blob.bytes:
                target.parent.mkdir(parents=True, exist_ok=True)
                _copy_hashed(directory / blob.file, target)
        _remove_database(db_path)
        replace_durably(temp, db_path)
    except duckdb.Error as exc:
        raise BackupError(f"the import failed, {db_path} is unchanged: {exc}") from exc
    finally:
        _remove_database(temp)
    return ExportSummary(directory, plan.tables, plan.blobs)


def _build(store: Store, directory: Path, plan: _Plan, blob_dir: Path) -> None:
    """The tables of this version's migrations (up to the export's), the export's rows in them,
    blob paths pointed at ``blob_dir``, then the migrations made since; row counts checked."""
    store.migrate(upto=plan.migrations[-1])
    cur = store.cursor()
    known = set(_user_tables(cur))
    for t in plan.tables:
        if t.schema == "main" and (t.schema, t.name) not in known:
            raise _refuse(directory, f"{t.schema}.{t.name} is not a table of this version's schema")
    with store.transaction() as cur:
        cur.execute(f"DELETE FROM {migrations.MIGRATIONS_TABLE}")  # the export's own records instead
        for t in plan.tables:
            source = f"read_parquet({_literal(str(directory / t.file))})"
            target = f"{_ident(t.schema)}.{_ident(t.name)}"
            if t.schema == "data":
                described = cur.execute(
                    f"SELECT name FROM parquet_schema({_literal(str(directory / t.file))})"
                )
                names = [str(r[0]) for r in described.fetchall()[1:]]  # the first row is the root
                if not names or not all(_DATA_COLUMN.match(n) for n in names):
                    raise _refuse(directory, f"{t.schema}.{t.name} has columns ODQ does not write")
                cur.execute(f"CREATE TABLE {target} AS SELECT * FROM {source}")
            else:
                cur.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {source}")
            if BLOB_COLUMN in _columns(cur, t.schema, t.name) and t.schema == "main":
                column = _ident(BLOB_COLUMN)
                cur.execute(
                    f"UPDATE {target} SET {column} = ? || substr({column}, {len(BLOBS) + 1}) "
                    f"WHERE {column} LIKE '{BLOBS}/%'",
                    [str(blob_dir)],
                )
        recorded = sorted(
            int(r[0]) for r in cur.execute(f"SELECT version FROM {migrations.MIGRATIONS_TABLE}").fetchall()
        )
        if recorded != plan.migrations:
            raise _refuse(
                directory, f"its migration records {recorded} differ from its list {plan.migrations}"
            )
        for t in plan.tables:
            got = cur.execute(f"SELECT count(*) FROM {_ident(t.schema)}.{_ident(t.name)}").fetchall()
            if int(got[0][0]) != t.rows:
                raise BackupError(
                    f"{t.schema}.{t.name}: {got[0][0]} rows restored, the manifest says {t.rows}."
                )
    store.migrate()  # those made since the export
    store.cursor().execute("CHECKPOINT")


def _remove_database(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
