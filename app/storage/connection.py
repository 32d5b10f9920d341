"""Opening the DuckDB file, with a typed error when another process holds it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb

MEMORY = ":memory:"


class StoreLocked(Exception):
    """Another process holds the DuckDB file (DuckDB allows one read-write process).

    Callers fall back: hand the work to the running server, or score without storing.
    """

    def __init__(self, path: Path | str, detail: str = "") -> None:
        self.path = Path(path)
        self.detail = detail
        super().__init__(
            f"database {self.path} is locked by another process" + (f": {detail}" if detail else "")
        )


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` that creates parent directories and raises :class:`StoreLocked` on a lock.

    ``":memory:"`` opens a private in-memory database.
    """
    if str(path) == MEMORY:
        return duckdb.connect(MEMORY)
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        # DuckDB 2.0: 'IO Error: Could not set lock on file "...": Conflicting lock is held in ... (PID n)'
        if "lock" in str(exc).lower():
            raise StoreLocked(path, str(exc)) from exc
        raise


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK if a transaction is open (DuckDB has already ended one whose COMMIT failed)."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")
