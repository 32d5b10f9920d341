"""Tables inside HTML pages: the "Excel" export that is really an HTML table.

Many portal systems (and Excel's own "Save as Web Page") export a ``.xls`` that is an HTML
``<table>``, often GB2312-encoded with a ``<meta charset>``. It is data in the wrong format, so
it is read, with a ``format-mismatch`` finding, instead of being scored 0 as an unreadable page.
An error or login page served in place of a download has no data table and stays unreadable.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from app.ingest.sniff import normalise_codec

MIN_ROWS = 2
MIN_COLUMNS = 2
"""A data table has a header and at least one row, and two columns or more: a one-column or
one-row table on a web page is layout, not data."""
MAX_SPAN = 1000
"""colspan/rowspan above this are clamped: a hostile ``colspan=99999999`` must not allocate."""
MAX_CELLS = 2_000_000
"""Cells read from one page (spans included): 30 cells of colspan=1000 rowspan=1000 in a 20 KB
page would otherwise become 30 million; a page past this is refused with the reason."""
_BREAK = "\x1e"  # a <br> inside a cell; the page's own line breaks are white space
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class HtmlTooLarge(ValueError):
    """The page's tables hold more cells than MAX_CELLS (a hostile span, or a dump too big)."""


class _Tables(HTMLParser):
    """Collects every ``<table>`` as rows of cell texts; nested tables are collected on their own
    and their text is not added to the outer cell. colspan repeats an empty cell after the
    value; rowspan leaves empty cells below it, as a spreadsheet shows merged cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.cells = 0
        # per open table: its rows, the columns still covered by a rowspan (column → rows left),
        # and whether its last row is still open
        self._stack: list[tuple[list[list[str]], dict[int, int], list[bool]]] = []
        self._cell: list[str] | None = None
        self._span = 1
        self._rowspan = 1
        self._outer: list[tuple[list[str] | None, int, int]] = []  # the enclosing table's open cell

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._outer.append((self._cell, self._span, self._rowspan))
            self._cell = None
            self._stack.append(([], {}, [False]))
        elif not self._stack:
            return
        elif tag == "tr":
            self._close_cell()
            self._end_row()
            rows, _, open_row = self._stack[-1]
            rows.append([])
            open_row[0] = True
        elif tag in ("td", "th"):
            self._close_cell()
            rows, _, open_row = self._stack[-1]
            if not open_row[0]:  # a cell without its <tr>
                rows.append([])
                open_row[0] = True
            self._cell = []
            values = dict(attrs)
            self._span = _span(values.get("colspan"))
            self._rowspan = _span(values.get("rowspan"))
        elif tag == "br" and self._cell is not None:
            self._cell.append(_BREAK)

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag in ("td", "th"):
            self._close_cell()
        elif tag == "tr":
            self._close_cell()
            self._end_row()
        elif tag == "table":
            self._close_cell()
            self._end_row()
            rows, _, _ = self._stack.pop()
            self.tables.append(rows)
            self._cell, self._span, self._rowspan = self._outer.pop() if self._outer else (None, 1, 1)

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _add(self, row: list[str], values: list[str]) -> None:
        self.cells += len(values)
        if self.cells > MAX_CELLS:
            raise HtmlTooLarge(f"the page's tables hold more than {MAX_CELLS:,} cells")
        row.extend(values)

    def _covered(self, row: list[str], pending: dict[int, int]) -> None:
        """Empty cells where a rowspan from above covers the next column(s) of ``row``."""
        while pending.get(len(row), 0) > 0:
            pending[len(row)] -= 1
            self._add(row, [""])

    def _end_row(self) -> None:
        """Close the open row: columns after its last cell that a rowspan covers get their empty
        cells now, so the span does not run on into the next row."""
        rows, pending, open_row = self._stack[-1]
        if not open_row[0]:
            return
        open_row[0] = False
        row = rows[-1]
        last = max((c for c, left in pending.items() if left > 0), default=-1)
        while len(row) <= last:
            if pending.get(len(row), 0) > 0:
                self._covered(row, pending)
            else:
                self._add(row, [""])  # a gap before a covered column: a missing cell

    def _close_cell(self) -> None:
        if self._cell is None or not self._stack:
            return
        rows, pending, _ = self._stack[-1]
        row = rows[-1]
        self._covered(row, pending)
        text = "\n".join(" ".join(part.split()) for part in "".join(self._cell).split(_BREAK)).strip()
        start = len(row)
        self._add(row, [text] + [""] * (self._span - 1))
        if self._rowspan > 1:
            for col in range(start, start + self._span):
                pending[col] = self._rowspan - 1
        self._cell = None


def _span(value: str | None) -> int:
    try:
        return max(1, min(MAX_SPAN, int(str(value).strip())))
    except ValueError:
        return 1


def page_encoding(path: Path, sniffed: str | None) -> str:
    """The page's declared ``<meta charset>`` (GB2312/GBK read as GB18030), else the sniffed one."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    found = _CHARSET.search(head)
    if found:
        try:
            return normalise_codec(found.group(1).decode("ascii"))
        except LookupError:
            pass
    return sniffed or "utf-8"


def largest_table(path: Path, encoding: str) -> tuple[list[list[str]], int] | None:
    """The table with the most cells (at least MIN_ROWS × MIN_COLUMNS) and how many tables the
    page holds, or None when it holds no data table."""
    parser = _Tables()
    with path.open(encoding=encoding, errors="replace") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), ""):
            parser.feed(chunk)
    parser.close()
    candidates = [
        rows
        for rows in parser.tables
        if len(rows) >= MIN_ROWS and max((len(r) for r in rows), default=0) >= MIN_COLUMNS
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda rows: sum(len(r) for r in rows)), len(parser.tables)
