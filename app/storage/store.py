"""The Store: one DuckDB connection per process, a cursor per thread, one writer at a time.

DuckDB allows a single read-write process per file; inside it, one connection is shared and each
thread works through its own cursor (a DuckDB cursor is a separate connection to the same database
with its own transaction; connection objects are not safe to share across threads). Writes go
through :meth:`Store.transaction`, which serialises them with a lock so concurrent transactions
never conflict. SQL lives only in ``app.storage`` (this package's ``repository`` and ``migrate``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

import duckdb

from app.storage import migrate as migrations
from app.storage.connection import MEMORY, StoreLocked, connect, rollback_quietly

__all__ = ["Store", "StoreLocked"]


class Store:
    """Owns the DuckDB connection of this process. Use :meth:`open` to also apply migrations."""

    def __init__(self, path: Path | str) -> None:
        self.path: Path | str = path if str(path) == MEMORY else Path(path)
        self._con = connect(path)  # raises StoreLocked when another process holds the file
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(
        cls, path: Path | str, *, migrate: bool = True, migrations_dir: Path | str | None = None
    ) -> Self:
        """Connect to ``path`` (parent directories are created) and apply pending migrations."""
        store = cls(path)
        if migrate:
            try:
                store.migrate(migrations_dir)
            except BaseException:
                store.close()
                raise
        return store

    # -- connections -------------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (created on first use, closed with the store)."""
        if self._closed:
            raise RuntimeError(f"store {self.path} is closed")
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Hold the write lock and run the block in one transaction on this thread's cursor.

        Commits when the block ends, rolls back when it raises. Not reentrant: nesting raises.
        """
        if getattr(self._local, "in_transaction", False):
            raise RuntimeError("Store.transaction() is not reentrant")
        cur = self.cursor()
        with self._write_lock:
            self._local.in_transaction = True
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    rollback_quietly(cur)
                    raise
                # A failed COMMIT (e.g. a constraint violation found at commit) raises here; DuckDB
                # has then already ended the transaction.
                cur.execute("COMMIT")
            finally:
                self._local.in_transaction = False

    # -- migrations --------------------------------------------------------------------------

    def migrate(
        self, migrations_dir: Path | str | None = None, upto: int | None = None
    ) -> list[migrations.Migration]:
        """Apply pending migrations (each in one transaction with its record), those up to version
        ``upto`` when given; return those applied."""
        directory = migrations.DEFAULT_MIGRATIONS_DIR if migrations_dir is None else migrations_dir
        with self._write_lock:
            return migrations.apply_pending(self._con, directory, upto)

    def migration_status(self, migrations_dir: Path | str | None = None) -> list[migrations.MigrationStatus]:
        """Like :func:`app.storage.migrate.status`, through this open store (reads only)."""
        directory = migrations.DEFAULT_MIGRATIONS_DIR if migrations_dir is None else migrations_dir
        return migrations.merge_status(migrations.discover(directory), migrations.applied(self.cursor()))

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection and, with it, every thread's cursor. Idempotent."""
        if self._closed:
            return
        with self._write_lock:
            self._closed = True
            self._con.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}{', closed' if self._closed else ''})"
