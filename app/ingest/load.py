"""Load any supported file into a profiler ``Table``: sniff, decode, read, find the layout.

Nothing here raises on bad data: a file that cannot be read becomes a ``Table`` whose
structure names the fatal defect, so it is scored (0, with the finding) like any other.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import polars as pl

from app.ingest import htmltable, markup
from app.ingest.grid import Grid, cell_text, read_text_grid
from app.ingest.layout import TAIL_ROWS, detect_layout
from app.ingest.sniff import EXCEL, MARKUP, STRUCTURED, TABULAR_TEXT, Sniffed, sniff
from app.ingest.text import prepare_utf8
from profilers import jsontext
from profilers.context import SourceInfo, Structure, Table
from profilers.types import MAX_EXAMPLES

log = logging.getLogger(__name__)

HEAD_RECORDS = 60
MAX_COLUMNS = 20_000
MAX_CELLS = 50_000_000
"""Largest sheet or Parquet table read (rows × columns): a 5 KB workbook with one cell at XFD1048576
would otherwise ask for a 17-billion-cell grid."""
MAX_ZIP_MEMBER_BYTES = 512 * 1024 * 1024
MAX_ZIP_RATIO = 200
"""A member that inflates more than 200× its compressed size is treated as a zip bomb."""
RATIO_FLOOR_BYTES = 64 * 1024 * 1024
"""Inside an XLSX or a gzip stream the ratio counts only past this many inflated bytes: a 30 KB
workbook of one repeated row is very compressible but no bomb; a bomb must also be big."""
MAX_XLSX_INFLATED_BYTES = 1024 * 1024 * 1024
"""Largest sum of a workbook's inflated parts (sheets, shared strings, styles): past 1 GiB of XML
the sheet would exceed MAX_CELLS or the memory of a worker anyway."""

_UNREADABLE = {
    "html": "an HTML page without a data table, not a data file (often an error or login page served "
    "instead of the download)",
    "pdf": "a PDF document, not machine-readable data",
    "binary": "binary content that is neither text nor a known spreadsheet format",
}


def load_table(
    path: Path, name: str, sha256: str, workdir: Path, url: str | None = None, sheet: str | None = None
) -> Table:
    """``sheet``: read that sheet of a workbook instead of the data sheet ``_data_sheet`` picks (the
    other sheets of a workbook are then not listed: the table is one sheet, scored on its own)."""
    size = path.stat().st_size
    sniffed = sniff(path, name)
    source = SourceInfo(
        name=name,
        sha256=sha256,
        bytes=size,
        format=sniffed.format,
        declared_format=sniffed.declared,
        encoding=sniffed.encoding,
        url=url,
    )
    structure = Structure()
    if sniffed.mismatch and sniffed.declared is not None:
        structure.format_mismatch = (sniffed.declared, sniffed.format)
    table = Table(source, structure)
    try:
        _load_into(table, path, sniffed, workdir, sheet)
    except _Unreadable as exc:
        structure.fatal = (exc.code, str(exc))
    except Exception as exc:
        # A reader failed in a way no rule above foresaw (a corrupt zip member, a JSON nested
        # too deep, a Polars error): the file is still scored, as unreadable, and the error logged.
        log.warning("reader failed on %s: %s: %s", sha256[:12], type(exc).__name__, exc)
        log.debug("reader failure", exc_info=True)
        table.labels, table.data = [], pl.DataFrame()
        structure.fatal = (
            "unreadable-file",
            f"the file could not be read as {sniffed.format} ({type(exc).__name__})",
        )
    if structure.fatal is None and table.labels and table.rows == 0:
        structure.fatal = ("header-only", "the table has a header but no data rows")
    source.rows = table.rows if structure.fatal is None else 0
    source.columns = len(table.labels)
    return table


class _Unreadable(Exception):
    code = "unreadable-file"


class _Bomb(_Unreadable):
    """A compressed input that would inflate past the limits: refused before it is inflated."""

    code = "decompression-bomb"


def _load_into(table: Table, path: Path, sniffed: Sniffed, workdir: Path, sheet: str | None = None) -> None:
    fmt = sniffed.format
    structure = table.structure
    if fmt == "empty":
        structure.fatal = ("empty-file", "the file has no content")
        return
    if fmt == "html" and _load_html(table, path, sniffed):
        return
    if fmt in _UNREADABLE:
        raise _Unreadable(f"the content is {_UNREADABLE[fmt]}")
    if fmt == "zip":
        _load_zip(table, path, sniffed, workdir)
        return
    if fmt == "gzip":
        _load_gzip(table, path, workdir)
        return
    if fmt in TABULAR_TEXT:
        _load_text(table, path, sniffed, workdir)
    elif fmt in EXCEL:
        _load_excel(table, path, sheet)
    elif fmt in STRUCTURED:
        _load_structured(table, path, fmt)
    elif fmt in MARKUP:
        _load_markup(table, path, fmt)
    else:  # pragma: no cover - every sniffed format is handled above
        raise _Unreadable(f"unsupported format {fmt}")


def _load_text(table: Table, path: Path, sniffed: Sniffed, workdir: Path) -> None:
    assert sniffed.encoding is not None
    if sniffed.encoding == "utf-8" and not sniffed.bom and sniffed.line_ending != "\r":
        # Clean UTF-8 needs no copy: Polars validates it while reading the lines.
        try:
            _grid_into(table, read_text_grid(path, sniffed.delimiter, strict_utf8=True), sniffed.delimiter)
            return
        except UnicodeError:
            pass
    prepared = prepare_utf8(path, sniffed.encoding, sniffed.bom, sniffed.line_ending, workdir)
    s = table.structure
    table.source.encoding = prepared.encoding if not sniffed.bom else f"{prepared.encoding} (BOM)"
    s.encoding_errors = prepared.errors
    s.encoding_error_rows = prepared.error_lines
    s.nul_bytes = prepared.nul_bytes
    if prepared.redetected_from:
        s.notes.append(f"started as {prepared.redetected_from}, decoded as {prepared.encoding}")
    _grid_into(table, read_text_grid(prepared.path, sniffed.delimiter), sniffed.delimiter)


def _grid_into(table: Table, grid: Grid, delimiter: str) -> None:
    table.source.delimiter = delimiter
    table.structure.unclosed_quote_row = grid.unclosed_quote_row
    table.structure.stray_quote_rows = grid.stray_quote_rows
    _table_from_grid(table, grid, delimiter)


def _load_excel(table: Table, path: Path, only: str | None = None) -> None:
    """Read the data sheet (``_data_sheet``), or the sheet ``only``, through fastexcel (calamine into Arrow: no Python object
    per cell), every cell as text. fastexcel starts at the first used row, so the rows are
    renumbered from the sheet's start to keep spreadsheet row numbers. A legacy ``.xls`` that
    calamine cannot open (a bare BIFF2-5 stream from Excel 2-95) is read by xlrd instead."""
    import fastexcel
    from python_calamine import CalamineWorkbook

    _check_zip_bomb(path)  # before any reader inflates a part (shared strings are read at open)
    try:
        reader = fastexcel.read_excel(str(path))
        calamine = CalamineWorkbook.from_path(str(path))
        chosen = None
        frame = pl.DataFrame()
        first_row = 0
        _check_xlsx_dimensions(path)
        cells_of: dict[str, int] = {}
        if only is None:
            table.structure.sheet_names = list(reader.sheet_names)
        for sheet_name in reader.sheet_names if only is None else [only]:
            sheet = reader.load_sheet(sheet_name, header_row=None, dtypes="string")
            if sheet.height == 0 or sheet.width == 0:
                continue
            candidate = sheet.to_polars()
            cells = _filled_cells(candidate)
            if cells and (not cells_of or cells > max(cells_of.values())):
                frame = candidate
            if cells:
                cells_of[sheet_name] = cells
                if only is None:
                    table.structure.sheets.append((sheet_name, candidate.height, candidate.width, cells))
        if cells_of:
            chosen = _data_sheet(cells_of)
            if _filled_cells(frame) != cells_of[chosen]:
                frame = reader.load_sheet(chosen, header_row=None, dtypes="string").to_polars()
            start = calamine.get_sheet_by_name(chosen).start
            first_row = start[0] if start else 0
        sheets = len(reader.sheet_names)
    except Exception as exc:  # fastexcel/calamine raise several error types for broken workbooks
        if _is_bare_biff(path):
            chosen, frame, first_row, sheets = _read_legacy_xls(path)
        else:
            detail = (
                str(exc).strip().splitlines()[0].replace(str(path), "the file") if str(exc).strip() else ""
            )
            raise _Unreadable(f"the workbook cannot be opened ({type(exc).__name__}: {detail})") from exc
    if chosen is None:
        table.structure.fatal = ("empty-file", "the workbook has no cells with values")
        return
    table.source.sheet = chosen
    if sheets > 1 and only is None:
        table.structure.notes.append(f"scored sheet {chosen!r} of {sheets}")
    table.source.encoding = None
    cols = frame.columns
    filled = pl.any_horizontal([pl.col(c).is_not_null() & (pl.col(c) != "") for c in cols])
    grid = frame.select(
        pl.int_range(first_row + 1, first_row + 1 + frame.height, dtype=pl.Int64).alias("__row"),
        pl.when(filled).then(pl.concat_list([pl.col(c).fill_null("") for c in cols])).alias("__fields"),
    )
    _table_from_grid(table, Grid(grid), ",")


def _filled_cells(frame: pl.DataFrame) -> int:
    if frame.width == 0:
        return 0
    filled = pl.sum_horizontal([pl.col(c).is_not_null() & (pl.col(c) != "") for c in frame.columns])
    return int(frame.select(filled.sum()).item() or 0)


DATA_SHEET_SHARE = 0.5
"""The scored sheet is the first one holding at least half as many filled cells as the fullest:
a cover or 说明 sheet of a few lines before the data is passed over, while of several yearly sheets
of about the same size the first is still the one scored (and the others named in a note)."""


def _data_sheet(filled: dict[str, int]) -> str:
    most = max(filled.values())
    return next(name for name, cells in filled.items() if cells >= DATA_SHEET_SHARE * most)


def _is_bare_biff(path: Path) -> bool:
    """A worksheet stream without the OLE container: it opens with a BIFF2-5 BOF record."""
    with path.open("rb") as fh:
        head = fh.read(2)
    return head in (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")


def _read_legacy_xls(path: Path) -> tuple[str | None, pl.DataFrame, int, int]:
    """The first sheet with values of a bare BIFF workbook, through xlrd, as text cells the way
    calamine renders them (integral numbers without ``.0``, dates in ISO 8601)."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), logfile=io.StringIO())  # warnings kept off stdout
    except Exception as exc:  # xlrd raises XLRDError, struct.error, IndexError on broken streams
        raise _Unreadable(f"the legacy Excel workbook cannot be opened ({type(exc).__name__})") from exc
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        if sheet.nrows == 0 or sheet.ncols == 0:
            continue
        if sheet.nrows * sheet.ncols > MAX_CELLS:
            raise _Unreadable(f"the sheet is {sheet.nrows:,} × {sheet.ncols:,} cells, over {MAX_CELLS:,}")
        columns: list[list[str | None]] = [[] for _ in range(sheet.ncols)]
        for r in range(sheet.nrows):
            for c, cell in enumerate(sheet.row(r)):
                columns[c].append(_xlrd_text(cell, book.datemode))
            for c in range(len(sheet.row(r)), sheet.ncols):
                columns[c].append(None)
        frame = pl.DataFrame({f"column_{i}": pl.Series(v, dtype=pl.String) for i, v in enumerate(columns)})
        return sheet.name, frame, 0, book.nsheets
    return None, pl.DataFrame(), 0, book.nsheets


def _xlrd_text(cell: Any, datemode: int) -> str | None:
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_DATE:
        with contextlib.suppress(ValueError, OverflowError, xlrd.xldate.XLDateError):
            value = xlrd.xldate.xldate_as_datetime(value, datemode)  # else the serial stays a number
    elif kind == xlrd.XL_CELL_BOOLEAN:
        value = bool(value)
    elif kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERR")
    return cell_text(value)


def _check_xlsx_dimensions(path: Path) -> None:
    """Refuse a workbook whose declared used range is huge before any reader builds its grid
    (calamine allocates the whole range: one cell at XFD1048576 asks for 17 billion cells)."""
    import re

    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with zf.open(name) as fh:
                head = fh.read(4096).decode("utf-8", "replace")
            m = re.search(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', head)
            if not m or not m.group(3):
                continue
            rows = int(m.group(4)) - int(m.group(2)) + 1
            cols = _col_number(m.group(3)) - _col_number(m.group(1)) + 1
            if rows * cols > MAX_CELLS:
                raise _Unreadable(
                    f"a sheet spans {rows:,} rows × {cols:,} columns, over the limit of {MAX_CELLS:,} cells"
                )


def _inflation_limit(compressed: int) -> int:
    """Most bytes a compressed stream of ``compressed`` bytes may inflate to."""
    return min(MAX_ZIP_MEMBER_BYTES, max(RATIO_FLOOR_BYTES, compressed * MAX_ZIP_RATIO))


def _check_zip_bomb(path: Path) -> None:
    """Refuse a workbook whose parts declare a bomb's sizes, from the zip directory alone (nothing
    is inflated): one part over MAX_ZIP_MEMBER_BYTES or over MAX_ZIP_RATIO× its compressed size
    (past RATIO_FLOOR_BYTES), or all parts together over MAX_XLSX_INFLATED_BYTES. Python's zip
    reader never inflates past a declared size, and the worker's memory limit stops a reader
    that trusts a lying header."""
    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > _inflation_limit(info.compress_size):
            raise _Bomb(
                f"decompression bomb: the part {info.filename!r} inflates from {info.compress_size:,} to "
                f"{info.file_size:,} bytes, over the limit"
            )
    if total > MAX_XLSX_INFLATED_BYTES:
        raise _Bomb(
            f"decompression bomb: the workbook inflates to {total:,} bytes, over the limit of "
            f"{MAX_XLSX_INFLATED_BYTES:,}"
        )


def _load_gzip(table: Table, path: Path, workdir: Path) -> None:
    """Inflate a gzip stream to the work folder with a cap (ratio and absolute size), checked on
    the size the trailer declares before inflating and on the bytes as they come, then read the
    table inside. An archive inside the stream is refused (no nesting)."""
    compressed = path.stat().st_size
    limit = _inflation_limit(compressed)
    with path.open("rb") as fh:
        fh.seek(max(0, compressed - 4))
        declared = int.from_bytes(fh.read(4), "little")  # ISIZE: size mod 2**32 of the last member
    if declared > limit:
        raise _Bomb(
            f"decompression bomb: the gzip stream declares {declared:,} bytes from {compressed:,}, over the "
            f"limit of {limit:,}"
        )
    target = workdir / "gunzipped"
    written = 0
    with gzip.open(path, "rb") as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise _Bomb(
                    f"decompression bomb: the gzip stream inflates past {limit:,} bytes from {compressed:,}"
                )
            dst.write(chunk)
    name = table.source.name
    inner_name = name[:-3] if name.lower().endswith(".gz") else name
    inner = sniff(target, inner_name)
    table.source.format = f"gzip/{inner.format}"
    table.source.encoding = inner.encoding
    if inner.format in ("zip", "gzip") or (inner.format in _UNREADABLE and inner.format != "html"):
        raise _Unreadable(f"the gzip stream holds {_UNREADABLE.get(inner.format, 'another archive')}")
    _load_into(table, target, inner, workdir)


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _load_zip(table: Table, path: Path, sniffed: Sniffed, workdir: Path) -> None:
    member = sniffed.zip_member
    if member is None:
        raise _Unreadable("a zip archive with no table inside")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
        if (
            info.file_size > MAX_ZIP_MEMBER_BYTES
            or info.file_size > max(info.compress_size, 1) * MAX_ZIP_RATIO
        ):
            raise _Bomb(
                f"decompression bomb: the zip member {member!r} inflates to {info.file_size:,} bytes, over the "
                "limit"
            )
        target = workdir / "member"
        with zf.open(info) as src, target.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    inner = sniff(target, member)
    with zipfile.ZipFile(path) as zf:
        count = sum(1 for i in zf.infolist() if not i.is_dir())
    table.structure.notes.append(f"scored {member!r}, one of {count} file(s) in the zip archive")
    table.source.format = f"zip/{inner.format}"
    if inner.format in ("zip", "gzip", "empty") or (inner.format in _UNREADABLE and inner.format != "html"):
        raise _Unreadable(f"the zip member {member!r} is {_UNREADABLE.get(inner.format, inner.format)}")
    _load_into(table, target, inner, workdir)


def _table_from_grid(table: Table, grid: Grid, delimiter: str) -> None:
    total = grid.height
    if total == 0:
        table.structure.fatal = ("empty-file", "the file has no records")
        return
    head = grid.head_rows(HEAD_RECORDS)
    tail = grid.tail_rows(TAIL_ROWS)
    layout = detect_layout(head, tail, total)
    if layout.header_index is None:
        table.structure.fatal = ("empty-file", "every record is blank")
        return
    rows = grid.frame.get_column("__row")
    s = table.structure
    s.title_rows = [(int(rows[i]), _row_text(head[i])) for i in layout.title_indexes]
    s.header_rows = [int(rows[i]) for i in layout.header_indexes]
    footer_lookup = {total - len(tail) + k: r for k, r in enumerate(tail)}
    s.footer_rows = [(int(rows[i]), _row_text(footer_lookup.get(i))) for i in layout.footer_indexes]
    labels = [label if label is not None else "" for label in layout.labels][:MAX_COLUMNS]
    if len(layout.labels) > MAX_COLUMNS:
        s.notes.append(f"only the first {MAX_COLUMNS} of {len(layout.labels)} columns were profiled")
    table.source.header_row = int(rows[layout.header_index])
    start = layout.header_index + 1
    end = layout.footer_start if layout.footer_start is not None else total
    body = grid.frame.slice(start, max(0, end - start))
    table.labels = labels
    table.data = build_frame(body, len(labels), delimiter)


def build_frame(body: pl.DataFrame, n: int, delimiter: str) -> pl.DataFrame:
    fields = pl.col("__fields")
    width = fields.list.len().fill_null(0).cast(pl.Int64)
    names = [f"c{i}" for i in range(1, n + 1)]
    frame = body.select(
        "__row",
        width.alias("__width"),
        fields.list.to_struct(fields=names).alias("__cells") if n else pl.lit(None).alias("__cells"),
    )
    frame = frame.unnest("__cells") if n else frame.drop("__cells")
    # Cells past the header, joined: computed only for the (few) long rows.
    long_rows = (frame.get_column("__width") > n).arg_true()
    extra = pl.Series("__extra", [None] * frame.height, dtype=pl.String)
    if long_rows.len():
        values = body.get_column("__fields").gather(long_rows).list.slice(n).list.join(delimiter)
        extra = extra.scatter(long_rows, values)
    return frame.with_columns(extra)


def _row_text(row: list[str] | None) -> str:
    return " ".join(v.strip() for v in (row or []) if v and v.strip())


# ---- JSON, JSONL, GeoJSON, Parquet ------------------------------------------------------------


def _load_structured(table: Table, path: Path, fmt: str) -> None:
    records: list[dict[str, Any]]
    if fmt == "parquet":
        _load_parquet(table, path)
        return
    try:
        if fmt == "jsonl":
            _load_json_lines(table, path)
            return
        else:
            doc = jsontext.loads(path.read_bytes())
            records = _records_of(doc, fmt)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Unreadable(f"the JSON does not parse: {exc}") from exc
    _load_records(table, records, "the JSON holds no records")


def _load_json_lines(table: Table, path: Path) -> None:
    """JSON Lines, a record a line, numbered by line (as an editor shows it). A line that is not
    JSON is evidence (``invalid-json-line``), not the end of the file: the other lines are read."""
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    bad: list[tuple[int, str]] = []
    bad_count = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = jsontext.loads(line)
            except ValueError:
                bad_count += 1
                if len(bad) < MAX_EXAMPLES:
                    bad.append((number, line.strip()[:200]))
                continue
            records.append(obj if isinstance(obj, dict) else {"value": obj})
            numbers.append(number)
    if bad and not records:
        raise _Unreadable(f"no line is JSON (the first, line {bad[0][0]}, reads {bad[0][1][:60]!r})")
    table.structure.invalid_json_lines = bad
    table.structure.invalid_json_line_count = bad_count
    _load_records(table, records, "the JSON Lines file holds no records", numbers)


def _load_records(
    table: Table, records: list[dict[str, Any]], empty: str, numbers: list[int] | None = None
) -> None:
    """Records (JSON objects, XML elements, RDF subjects) as a table: the union of their keys in
    order of first appearance is the header, each record one row numbered from 1 (or by
    ``numbers``, the lines of JSON Lines)."""
    if not records:
        table.structure.fatal = ("empty-file", empty)
        return
    labels: list[str] = []
    seen: set[str] = set()
    for rec in records:
        for key in rec:
            if key not in seen:
                seen.add(key)
                labels.append(key)
    table.labels = labels[:MAX_COLUMNS]
    cols = {
        f"c{i}": [_json_cell(r.get(k), k in r) for r in records] for i, k in enumerate(table.labels, start=1)
    }
    frame = pl.DataFrame(
        {
            "__row": pl.Series(
                numbers if numbers is not None else range(1, len(records) + 1), dtype=pl.Int64
            ),
            "__width": pl.Series([len(table.labels)] * len(records), dtype=pl.Int64),
            **{c: pl.Series(v, dtype=pl.String) for c, v in cols.items()},
            "__extra": pl.Series([None] * len(records), dtype=pl.String),
        }
    )
    table.data = frame


def _load_html(table: Table, path: Path, sniffed: Sniffed) -> bool:
    """The largest data table of an HTML page (an "Excel" export that is an HTML table), read
    like a sheet: title rows above its header and notes below are found as in any table."""
    encoding = htmltable.page_encoding(path, sniffed.encoding)
    try:
        found = htmltable.largest_table(path, encoding)
    except htmltable.HtmlTooLarge as exc:
        raise _Unreadable(str(exc)) from exc
    if found is None:
        return False
    rows, tables = found
    table.source.encoding = encoding
    table.structure.notes.append(
        f"read the largest of {tables} <table> element(s) of the HTML page"
        if tables > 1
        else "read the HTML table"
    )
    frame = pl.DataFrame(
        {
            "__row": pl.Series(range(1, len(rows) + 1), dtype=pl.Int64),
            "__fields": pl.Series(
                [r if any(c.strip() for c in r) else None for r in rows], dtype=pl.List(pl.String)
            ),
        }
    )
    _table_from_grid(table, Grid(frame), ",")
    return True


def _load_markup(table: Table, path: Path, fmt: str) -> None:
    try:
        if fmt == "xml":
            records, notes = markup.xml_records(path)
        else:
            records, notes = markup.rdf_records(path, fmt)
    except markup.MarkupError as exc:
        raise _Unreadable(str(exc)) from exc
    table.structure.notes.extend(notes)
    table.source.encoding = None
    _load_records(table, records, f"the {fmt.upper()} document holds no records")


def _records_of(doc: Any, fmt: str) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and isinstance(doc.get("features"), list):
        out = []
        for feat in doc["features"]:
            props = dict(feat.get("properties") or {}) if isinstance(feat, dict) else {}
            props["geometry"] = feat.get("geometry") if isinstance(feat, dict) else None
            out.append(props)
        return out
    if isinstance(doc, dict):
        for key in ("data", "records", "result", "results", "rows", "items"):
            inner = doc.get(key)
            if isinstance(inner, dict):
                inner = inner.get("records") or inner.get("results")
            if isinstance(inner, list):
                doc = inner
                break
        else:
            return [doc]
    if isinstance(doc, list):
        return [r if isinstance(r, dict) else {"value": r} for r in doc]
    raise _Unreadable("the JSON is neither a list of records nor an object holding one")


def _json_cell(value: Any, present: bool) -> str | None:
    if not present:
        return None
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


def _load_parquet(table: Table, path: Path) -> None:
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        if meta.num_rows * max(meta.num_columns, 1) > MAX_CELLS:
            raise _Unreadable(
                f"the Parquet file holds {meta.num_rows:,} rows × {meta.num_columns} columns, over the limit"
            )
        frame = pl.read_parquet(path)
    except _Unreadable:
        raise
    except Exception as exc:  # pyarrow/polars raise many types for corrupt files
        raise _Unreadable(f"the Parquet file cannot be read ({type(exc).__name__})") from exc
    table.source.encoding = None
    table.labels = frame.columns[:MAX_COLUMNS]
    casts = []
    for i, name in enumerate(table.labels, start=1):
        dtype = frame.schema[name]
        col = pl.col(name)
        if dtype.is_nested():
            expr = col.map_elements(
                lambda v: json.dumps(v, ensure_ascii=False, default=str), return_dtype=pl.String
            )
        else:
            expr = col.cast(pl.String)
        casts.append(expr.fill_null("").alias(f"c{i}"))
    data = frame.select(casts).with_columns(
        __row=pl.int_range(1, frame.height + 1, dtype=pl.Int64),
        __width=pl.lit(len(table.labels), dtype=pl.Int64),
        __extra=pl.lit(None, dtype=pl.String),
    )
    table.data = data
