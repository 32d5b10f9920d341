"""Reads of the kept rows for the web pages: the first rows of a resource and the rows that a
report's examples point at. Both are capped in rows and columns, so a page never grows with the
size of the file, and the cost of a read is bounded by the cap, not by the file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.storage.repository import Repository, _check_sha256

MAX_ROWS = 50
"""No read here returns more rows than this, whatever is asked."""
MAX_COLUMNS = 30
"""Cells beyond this column are not read (pages show at most this many columns)."""


class PreviewReader:
    """Capped row reads through the repository's store (one cursor per thread)."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    def _shape(self, sha256: str) -> tuple[list[str], str, int] | None:
        """Labels, the (capped) select list and the table's number of cell columns."""
        _check_sha256(sha256)
        cur = self.repo.store.cursor()
        labels = [
            r[0]
            for r in cur.execute(
                "SELECT label FROM resource_columns WHERE resource_sha256 = ? ORDER BY field", [sha256]
            ).fetchall()
        ]
        if not labels:
            return None
        width = cur.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'data' AND table_name = ?"
            " AND column_name <> '__row'",
            [f"r_{sha256}"],
        ).fetchall()[0][0]
        if not width:
            return None
        # c1..cN are generated names, never taken from the file: safe as identifiers.
        columns = ", ".join(['"__row"', *(f'"c{i}"' for i in range(1, min(width, MAX_COLUMNS) + 1))])
        return labels, columns, int(width)

    def first_rows(self, sha256: str, limit: int = 20) -> dict[str, Any] | None:
        """``{"columns": [labels], "width": N, "rows": [[row, cells…]…]}`` of the first ``limit`` rows."""
        shape = self._shape(sha256)
        if shape is None:
            return None
        labels, columns, width = shape
        limit = max(0, min(limit, MAX_ROWS))
        table = f'data."r_{sha256}"'
        cur = self.repo.store.cursor()
        # Row numbers only grow, with few gaps (title, header and blank lines): a bound on the row
        # number lets DuckDB skip the rest of the table; when too few rows fall under it, read all.
        rows = cur.execute(
            f'SELECT {columns} FROM {table} WHERE "__row" <= ? ORDER BY "__row" LIMIT ?',
            [limit * 4 + 200, limit],
        ).fetchall()
        if len(rows) < limit:
            rows = cur.execute(f'SELECT {columns} FROM {table} ORDER BY "__row" LIMIT ?', [limit]).fetchall()
        return {"columns": labels, "width": width, "rows": [list(r) for r in rows]}

    def rows_at(self, sha256: str, rows: Iterable[int]) -> list[list[Any]]:
        """The kept rows whose spreadsheet numbers are in ``rows`` (at most MAX_ROWS of them), in
        row order; numbers with no kept row (title, header or blank lines) are simply absent."""
        wanted = sorted({int(r) for r in rows if r is not None})[:MAX_ROWS]
        if not wanted:
            return []
        shape = self._shape(sha256)
        if shape is None:
            return []
        _, columns, _ = shape
        found = (
            self.repo.store.cursor()
            .execute(
                f'SELECT {columns} FROM data."r_{sha256}" WHERE "__row" IN (SELECT unnest(?::BIGINT[]))'
                ' ORDER BY "__row"',
                [wanted],
            )
            .fetchall()
        )
        return [list(r) for r in found]
