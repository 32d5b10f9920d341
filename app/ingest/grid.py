"""Read a source into a *grid*: one entry per record, numbered as a spreadsheet shows it.

The grid is a Polars frame with ``__row`` (1-based record number; blank lines and title
lines count) and ``__fields`` (the record's cells as a list of strings; null for an empty
line). Header detection, footers and the table are built from it.

Why not DuckDB's ``read_csv`` here: measured on duckdb 2.0, it silently drops blank lines,
so row numbers drift after the first one; it cannot number records; ``null_padding`` with a
quoted newline needs ``parallel=false``; and it accepts an unclosed quote at the end of the
file without a word. Splitting lines in Polars is as fast and keeps every record.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

_LINE_SEP = "\x1f"
# One cell may be as large as the upload limit allows (a 50 MB quoted cell is still data).
csv.field_size_limit(2**31 - 1)
# A record whose quote opens and never closes is cut back into lines beyond this many,
# so one stray quote cannot swallow the rest of a file.
MAX_RECORD_LINES = 2000


@dataclass(slots=True)
class Grid:
    frame: pl.DataFrame
    unclosed_quote_row: int | None = None
    multiline_records: int = 0
    stray_quote_rows: list[int] = field(default_factory=list)

    @property
    def height(self) -> int:
        return self.frame.height

    def head_rows(self, n: int) -> list[list[str] | None]:
        return self.frame.get_column("__fields").head(n).to_list()

    def tail_rows(self, n: int) -> list[list[str] | None]:
        return self.frame.get_column("__fields").tail(n).to_list()


def _read_lines(path: Path, strict_utf8: bool = False) -> pl.Series:
    """The file's lines (null for an empty line). With ``strict_utf8`` invalid UTF-8 or a NUL
    byte raises ``UnicodeError`` (the caller then transcodes first)."""
    try:
        frame = pl.read_csv(
            path,
            has_header=False,
            separator=_LINE_SEP,
            quote_char=None,
            schema={"l": pl.String},
            raise_if_empty=False,
        )
        lines = frame.get_column("l") if frame.width else pl.Series("l", [], dtype=pl.String)
    except pl.exceptions.ComputeError as exc:
        if strict_utf8 and "utf-8" in str(exc).lower():
            raise UnicodeError(str(exc)) from exc
        return _read_lines_slow(path)
    except (pl.exceptions.SchemaError, pl.exceptions.ShapeError):
        return _read_lines_slow(path)
    if strict_utf8 and lines.str.contains("\x00", literal=True).any():
        raise UnicodeError("NUL bytes")
    return lines


def _read_lines_slow(path: Path) -> pl.Series:
    # The file holds the unit-separator byte: slow, exact path.
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [ln.rstrip("\r\n") or None for ln in fh]
    return pl.Series("l", lines, dtype=pl.String)


def read_text_grid(path: Path, delimiter: str = ",", quote: str = '"', strict_utf8: bool = False) -> Grid:
    lines = _read_lines(path, strict_utf8)
    n = lines.len()
    if n == 0:
        return Grid(
            pl.DataFrame(
                {"__row": pl.Series([], dtype=pl.Int64), "__fields": pl.Series([], dtype=pl.List(pl.String))}
            )
        )
    d = re.escape(delimiter)
    qe = re.escape(quote)
    frame = pl.DataFrame({"l": lines}).with_columns(
        has_q=pl.col("l").str.contains(quote, literal=True).fill_null(False)
    )
    unclosed: int | None = None
    multiline = 0
    stray_lines: list[int] = []
    stray_rows: list[int] = []
    if frame.get_column("has_q").any():
        # A quote opens or closes a field only where it touches a field boundary; a quote in
        # the middle of an unquoted field (5'11") is a literal character.
        boundary = pl.col("l").str.contains(f"(?:^|{d})\\s*{qe}|{qe}\\s*(?:{d}|$)")
        quoted_idx = frame.get_column("has_q").arg_true()
        counts = (
            frame.get_column("l")
            .gather(quoted_idx)
            .to_frame()
            .select(pl.when(boundary).then(pl.col("l").str.count_matches(quote, literal=True)).otherwise(0))
            .to_series()
            .cast(pl.Int64)
        )
        q = pl.Series("q", [0] * frame.height, dtype=pl.Int64).scatter(quoted_idx, counts)
        frame = frame.with_columns(q).with_columns(parity=(pl.col("q") % 2).cum_sum() % 2)
        frame = frame.with_columns(cont=pl.col("parity").shift(1, fill_value=0) == 1)
        parity = frame.get_column("parity")
        if parity[-1] == 1:
            start = _open_record_start(frame.get_column("cont"))
            unclosed = start
            frame = frame.with_columns(
                cont=pl.when(pl.int_range(pl.len()) > start).then(False).otherwise(pl.col("cont"))
            )
        frame = frame.with_columns(rec=(~pl.col("cont")).cast(pl.Int64).cum_sum())
        multi = frame.filter(pl.col("cont")).get_column("rec").unique()
        # Only a file whose quotes join lines (or never close) pays for the usual width.
        usual = _usual_width(frame, delimiter) if multi.len() or unclosed is not None else None
        if multi.len() and usual is not None:
            strays = _stray_quote_records(frame, multi, delimiter, usual).implode()
            cut = pl.col("rec").is_in(strays)
            quoted_lines = frame.select((cut & pl.col("has_q")).arg_true()).to_series()
            if quoted_lines.len():
                stray_lines = quoted_lines.to_list()
                # Each line is split at every delimiter: the stray quote stays in its cell as text.
                frame = frame.with_columns(
                    cont=pl.when(cut).then(False).otherwise(pl.col("cont")),
                    has_q=pl.when(cut).then(False).otherwise(pl.col("has_q")),
                ).with_columns(rec=(~pl.col("cont")).cast(pl.Int64).cum_sum())
                multi = frame.filter(pl.col("cont")).get_column("rec").unique()
        if unclosed is not None and usual is not None:
            # The quote that never closes, on a line with the usual number of delimiters: the
            # line is a whole record with a stray quote in one cell, not one cell to the end.
            line = frame.get_column("l")[unclosed]
            if line is not None and line.count(delimiter) + 1 == usual:
                frame = frame.with_columns(
                    has_q=pl.when(pl.int_range(pl.len()) == unclosed).then(False).otherwise(pl.col("has_q"))
                )
        multiline = multi.len()
        if multiline:
            too_long = (
                frame.filter(pl.col("rec").is_in(multi.implode()))
                .group_by("rec")
                .len()
                .filter(pl.col("len") > MAX_RECORD_LINES)
                .get_column("rec")
            )
            if too_long.len():
                frame = frame.with_columns(
                    cont=pl.when(pl.col("rec").is_in(too_long.implode()))
                    .then(False)
                    .otherwise(pl.col("cont"))
                ).with_columns(rec=(~pl.col("cont")).cast(pl.Int64).cum_sum())
        unclosed_rec = int(frame.get_column("rec")[unclosed]) if unclosed is not None else None
        stray_rows = [int(frame.get_column("rec")[i]) for i in stray_lines]
        if multiline:
            joined = (
                frame.group_by("rec", maintain_order=True)
                .agg(pl.col("l").fill_null("").str.join("\n"), pl.col("has_q").any(), pl.len().alias("n"))
                .with_columns(
                    l=pl.when(pl.col("n") == 1).then(pl.col("l").replace("", None)).otherwise(pl.col("l"))
                )
                .drop("n")
            )
            frame = joined
        else:
            frame = frame.select("rec", "l", "has_q")
        unclosed = unclosed_rec
    else:
        frame = frame.with_columns(rec=pl.int_range(1, n + 1, dtype=pl.Int64)).select("rec", "l", "has_q")

    split = pl.col("l").str.split(delimiter)
    quoted_idx = frame.get_column("has_q").arg_true()
    if quoted_idx.len():
        quoted = frame.get_column("l").gather(quoted_idx)
        if quoted.str.contains(_LINE_SEP, literal=True).any():
            parsed = _parse_records(quoted.to_list(), delimiter, quote)
            lists = pl.Series(parsed, dtype=pl.List(pl.String))
            full = pl.Series("q", [None] * frame.height, dtype=pl.List(pl.String)).scatter(quoted_idx, lists)
            frame = frame.with_columns(full)
            split = pl.when(pl.col("has_q")).then(pl.col("q")).otherwise(split)
        else:
            # Building a list column from Python lists is slow (1 s per 80k rows); joining with a
            # byte the file does not hold, then splitting in Polars, is ten times faster.
            flat = _quoted_joined(quoted, delimiter, quote)
            full = pl.Series("q", [None] * frame.height, dtype=pl.String).scatter(quoted_idx, flat)
            frame = frame.with_columns(full)
            split = pl.when(pl.col("has_q")).then(pl.col("q").str.split(_LINE_SEP)).otherwise(split)
    grid = frame.select(pl.col("rec").alias("__row"), split.alias("__fields"))
    return Grid(grid, unclosed_quote_row=unclosed, multiline_records=multiline, stray_quote_rows=stray_rows)


def _usual_width(frame: pl.DataFrame, delimiter: str) -> int | None:
    """The most common number of fields of the lines without quotes, when it is telling (three
    or more fields: with one or two a line's width says too little)."""
    raw = pl.col("l").str.count_matches(delimiter, literal=True) + 1
    usual = frame.filter(~pl.col("has_q") & pl.col("l").is_not_null()).select(raw.mode().min()).item()
    return int(usual) if usual is not None and usual >= 3 else None


def _stray_quote_records(frame: pl.DataFrame, multi: pl.Series, delimiter: str, usual: int) -> pl.Series:
    """Multi-line records that are really a stray quote: every line of the record, split at each
    delimiter, has exactly the file's usual number of fields, so each line is a record of its own
    and the quotes that joined them are typos (``"valve,M4,8``) or inch marks at a cell's edge. A
    genuine multi-line cell (an address over three lines) leaves its inner lines with far fewer
    delimiters than a record has."""
    raw = pl.col("l").fill_null("").str.count_matches(delimiter, literal=True) + 1
    return (
        frame.filter(pl.col("rec").is_in(multi.implode()))
        .group_by("rec")
        .agg((raw == usual).all().alias("whole"))
        .filter("whole")
        .get_column("rec")
    )


def _open_record_start(cont: pl.Series) -> int:
    starts = (~cont).arg_true()
    return int(starts[-1]) if starts.len() else 0


def _quoted_joined(lines: pl.Series, delimiter: str, quote: str) -> pl.Series:
    """Quoted records parsed, each record's cells joined by ``_LINE_SEP``. A record whose quotes
    all wrap whole cells, with no doubled quote inside (nearly every quoted record), is split in
    Polars, exactly as the csv module splits it (three times faster than the csv module); the
    others go through the csv module (``_parse_records``)."""
    if len(delimiter) != 1 or len(quote) != 1 or delimiter == quote:
        simple = pl.Series("simple", [False] * lines.len())
        joined = pl.Series("l", [None] * lines.len(), dtype=pl.String)
    else:
        d, q = (f"\\x{{{ord(ch):X}}}" for ch in (delimiter, quote))
        cell = f"{q}[^{q}]*{q}|[^{d}{q}\\r\\n]*"
        # Split at the quotes: the pieces alternate outside / inside a quoted cell, so only the
        # delimiters outside (even pieces) separate cells.
        piece = pl.element()
        outside = pl.int_range(pl.len()) % 2 == 0
        parsed = lines.to_frame("l").select(
            pl.col("l").str.contains(f"^(?:{cell})(?:{d}(?:{cell}))*$").alias("simple"),
            pl.col("l")
            .str.split(quote)
            .list.eval(
                pl.when(outside)
                .then(piece.str.replace_all(delimiter, _LINE_SEP, literal=True))
                .otherwise(piece)
            )
            .list.join("")
            .alias("l"),
        )
        simple = parsed.get_column("simple")
        joined = parsed.select(pl.when("simple").then("l")).to_series()
    rest = (~simple).arg_true()
    if rest.len():
        records = _parse_records(lines.gather(rest).to_list(), delimiter, quote)
        flat = pl.Series([None if r is None else _LINE_SEP.join(r) for r in records], dtype=pl.String)
        joined = joined.scatter(rest, flat)
    return joined


def _parse_records(texts: list[str | None], delimiter: str, quote: str) -> list[list[str] | None]:
    """Parse quoted records with one csv reader (3× faster than one reader each); if the
    reader ever joins two records (a stray quote), parse them one by one instead."""
    present = [t for t in texts if t is not None]
    if len(present) == len(texts):
        try:
            rows = list(
                csv.reader(present, delimiter=delimiter, quotechar=quote, doublequote=True, strict=False)
            )
        except csv.Error:
            rows = []
        if len(rows) == len(texts):
            return list(rows)
    return [_parse_record(t, delimiter, quote) for t in texts]


def _parse_record(text: str | None, delimiter: str, quote: str) -> list[str] | None:
    if text is None:
        return None
    try:
        for row in csv.reader([text], delimiter=delimiter, quotechar=quote, doublequote=True, strict=False):
            return row
    except csv.Error:
        return text.split(delimiter)
    return [""]


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: integral floats without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time(0) else value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)
