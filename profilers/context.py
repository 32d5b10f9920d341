"""The shared context every check reads: the loaded table, what loading learned about the
file, and column statistics computed once, lazily, in one vectorised Polars pass."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl

PLACEHOLDERS = (
    "无", "暂无", "无数据", "空", "未知", "不详", "待定", "待补充", "-", "--", "---", "—", "——", "/", "\\",
    "…", "...", "?", "？", "N/A", "n/a", "N.A.", "#N/A", "NULL", "null", "Null", "None", "none", "NaN", "nan",
    "TBD", "tbd", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "0000-00-00", "9999-12-31", "x", "X",
    "(blank)", "(Blank)", "[blank]", "(空白)", "（空白）", "(空)", "（空）", "***", "****",
)  # fmt: skip
"""Values that stand for "no data". Chosen from the placeholder lists of Chinese and English
portal exports in the shared corpus; ``NA`` is left out on purpose (it is Namibia's code). ``(blank)`` (a
pivot table's empty member) and ``***`` (a masked value) are placeholders too: a placeholder cell is
reported once, as a placeholder, never also as an invalid e-mail or a type error."""

INT_RE = r"^[+-]?[0-9]+$"
DECIMAL_RE = r"^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?)(?:[eE][+-]?[0-9]+)?$|^[+-]?[0-9]+[eE][+-]?[0-9]+$"
DATE_RE = (
    r"^(?:[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{4}年[0-9]{1,2}月(?:[0-9]{1,2}日)?|[0-9]{1,2}[-/.][0-9]{1,2}[-/.](?:[0-9]{4}|[0-9]{2})"
    r"|[0-9]{4}-[0-9]{2}|[0-9]{4}年|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))$"
)
DATETIME_RE = r"^[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
BOOL_RE = r"^(?i:true|false|yes|no|是|否)$"
CODE_LIKE_RE = r"^[0-9]+(?:[-/][0-9A-Za-z]+)+$|^[0-9]+[A-Za-z]{1,2}$"
"""Digits with a hyphen, slash or letter suffix ("7-07", "12A"): house numbers and codes, not
broken numbers (the hpd_violations trap in the corpus)."""

TYPE_PATTERNS = {
    "integer": INT_RE,
    "decimal": DECIMAL_RE,
    "date": DATE_RE,
    "datetime": DATETIME_RE,
    "boolean": BOOL_RE,
}
DOMINANT_SHARE = 0.8
"""A column has a type when at least this share of its non-empty, non-placeholder values
match it. 0.8 keeps the corpus' numeric columns typed (the worst real one, Tameside's
amounts, is 0.99) while a free-text column with some numbers stays text."""


@dataclass(slots=True)
class SourceInfo:
    name: str
    sha256: str
    bytes: int
    format: str
    declared_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    rows: int = 0
    columns: int = 0
    url: str | None = None
    sheet: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "format": self.format,
            "declared_format": self.declared_format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_row": self.header_row,
            "rows": self.rows,
            "columns": self.columns,
        }
        if self.url:
            out["url"] = self.url
        if self.sheet:
            out["sheet"] = self.sheet
        return out


@dataclass(slots=True)
class Structure:
    """What reading the file learned, before any check ran."""

    fatal: tuple[str, str] | None = None
    """(code, message) when there is no table to profile."""
    format_mismatch: tuple[str, str] | None = None
    """(declared, detected)."""
    title_rows: list[tuple[int, str]] = field(default_factory=list)
    footer_rows: list[tuple[int, str]] = field(default_factory=list)
    header_rows: list[int] = field(default_factory=list)
    """Rows of a header that spans more than one row (empty for a one-row header)."""
    unclosed_quote_row: int | None = None
    stray_quote_rows: list[int] = field(default_factory=list)
    """Records where a quote opened and joined whole lines into one record (cut back into lines)."""
    invalid_json_lines: list[tuple[int, str]] = field(default_factory=list)
    """Lines of a JSON Lines file that are not JSON: (line number, the line's start), the first few."""
    invalid_json_line_count: int = 0
    encoding_errors: int = 0
    encoding_error_rows: list[int] = field(default_factory=list)
    nul_bytes: int = 0
    sheets: list[tuple[str, int, int, int]] = field(default_factory=list)
    """Every sheet of a workbook with values, in order: (name, rows, columns, filled cells)."""
    sheet_names: list[str] = field(default_factory=list)
    """Every sheet of a workbook in order, empty ones included (a sheet's index is its place here)."""
    sheet_outcomes: dict[str, str] = field(default_factory=dict)
    """What became of each other data sheet, by name, when the caller scored them too (``scored
    61.2 (good)``, or why it was not): measured by the pipeline, said by ``unscored-sheets``."""
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ColumnStats:
    field: int
    name: str
    values: int
    """Cells in the column (table rows, blank rows excluded)."""
    missing: int
    """Cells absent because the row was short."""
    empty: int
    """Empty or whitespace-only cells."""
    placeholders: int
    distinct: int
    type: str
    type_matches: int
    """Values matching the inferred type."""
    nonconforming: int
    min_length: int | None
    max_length: int | None
    tick: bool = False
    """A tick-mark column (only x/X and blanks): x is a value there and a blank means "not ticked"."""

    @property
    def filled(self) -> int:
        return self.values - self.missing - self.empty

    @property
    def real(self) -> int:
        """Filled values that are not placeholders."""
        return self.filled - self.placeholders

    def to_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "name": self.name,
            "type": self.type,
            "nulls": self.missing + self.empty,
            "placeholders": self.placeholders,
            "distinct": self.distinct,
            "min_length": self.min_length,
            "max_length": self.max_length,
        }


class Table:
    """A loaded table: ``data`` has String columns ``c1..cN`` (null = the row was too short to
    have the cell; "" = an empty cell), ``__row`` (spreadsheet row number), ``__width`` (fields
    in the record), ``__extra`` (the cells past the header, joined, or null)."""

    def __init__(
        self,
        source: SourceInfo,
        structure: Structure,
        labels: list[str] | None = None,
        data: pl.DataFrame | None = None,
    ) -> None:
        self.source = source
        self.structure = structure
        self.labels = labels or []
        self.data = data if data is not None else pl.DataFrame()
        self.reference_date: dt.date | None = None
        """The day the table is judged on (set by ``profile``): checks that compare values with
        today (dates of past events after it) use it, and skip without it."""

    @property
    def fatal(self) -> bool:
        return self.structure.fatal is not None

    @property
    def cols(self) -> list[str]:
        return [f"c{i}" for i in range(1, len(self.labels) + 1)]

    def label(self, i: int) -> str:
        """Label of 1-based field ``i``."""
        return self.labels[i - 1] if 0 < i <= len(self.labels) else ""

    @cached_property
    def _stripped_all(self) -> pl.DataFrame:
        """``data`` with leading and trailing white space removed from every cell, and the
        ``__blank`` flag (every cell and every extra cell empty) computed from it."""
        # One multi-column expression each (not one per column): a 10,000-column table then
        # costs one parse, not 10,000.
        cells = pl.col(self.cols)
        frame = self.data.with_columns(cells.str.strip_chars())
        empty = (cells.str.len_bytes() == 0).fill_null(True)
        extra = pl.col("__extra")
        extra_empty = extra.is_null() | (extra.str.replace_all(r"[\s,;|]", "").str.len_bytes() == 0)
        return frame.with_columns(__blank=pl.all_horizontal(empty, extra_empty))

    @cached_property
    def blank(self) -> pl.Series:
        """One flag per row of ``data``: True for a blank row."""
        if not self.labels:
            return pl.Series("__blank", [], dtype=pl.Boolean)
        return self._stripped_all.get_column("__blank")

    @cached_property
    def content(self) -> pl.DataFrame:
        """Rows that are not blank, cells as written."""
        if not self.labels:
            return self.data
        return self.data.filter(~self.blank)

    @cached_property
    def stripped(self) -> pl.DataFrame:
        """``content`` with leading and trailing white space removed from every cell."""
        if not self.labels:
            return self.data
        return self._stripped_all.filter(~pl.col("__blank")).drop("__blank")

    @cached_property
    def row_hash(self) -> pl.Series:
        """Per content row: one 64-bit hash of every cell as written and the surplus cells (null
        and "" hash apart). Computed once, shared by the checks that compare whole rows."""
        if not self.labels or not self.content.height:
            return pl.Series("hash", [], dtype=pl.UInt64)
        return self.content.select(pl.col([*self.cols, "__extra"])).hash_rows()

    @cached_property
    def first_distinct(self) -> pl.Series:
        """Per content row: False when the row repeats an earlier row exactly (as written)."""
        if not self.labels or not self.content.height:
            return pl.Series("first", [], dtype=pl.Boolean)
        # Surplus cells count: a copy with an extra cell is not the same row.
        cols = [*self.cols, "__extra"]
        first = self.row_hash.is_first_distinct()
        if first.all() or _repeats_verified(self.content.select(pl.col(cols)), self.row_hash, first):
            return first
        # Two different rows share a hash (about one table in 10⁷ at a million rows): exact pass.
        return self.content.select(pl.struct(cols).is_first_distinct()).to_series()

    @property
    def rows(self) -> int:
        return self.content.height

    @property
    def cells(self) -> int:
        return self.rows * len(self.labels)

    @cached_property
    def stats(self) -> list[ColumnStats]:
        return compute_stats(self.stripped, self.labels, self.content)

    def stat(self, i: int) -> ColumnStats:
        return self.stats[i - 1]

    @cached_property
    def semantic(self) -> dict[str, Any]:
        """What each column is (``profilers.semantic``), decided once on a sample: column
        (``c1``…) → ``Semantic`` for the columns that have a kind."""
        from profilers.semantic.detect import detect

        return dict(detect(self))

    @cached_property
    def suspect_cells(self) -> pl.DataFrame:
        """Cells as written that may hold mojibake, control characters, HTML or full-width
        forms (``profilers.semantic.text.SUSPECT``), stacked: ``__row``, ``col``, ``v``."""
        from profilers.semantic.text import suspect_cells

        return suspect_cells(self)


def _repeats_verified(frame: pl.DataFrame, hashes: pl.Series, first: pl.Series) -> bool:
    """True when every row that ``first`` marks as a repeat equals, cell for cell, the first row
    with its hash: no two different rows were merged by a hash collision. Only the repeats and
    their first rows are read (a few per cent of a table), not the whole table again."""
    pos = pl.DataFrame({"h": hashes}).with_row_index("i")
    repeats = pos.filter(~first)
    firsts = pos.filter(first & pl.col("h").is_in(repeats.get_column("h").implode()))
    pairs = repeats.join(firsts, on="h", suffix="_f")
    if pairs.height != repeats.height:
        return False
    return frame[pairs.get_column("i")].equals(frame[pairs.get_column("i_f")], null_equal=True)


EXACT_DISTINCT_ROWS = 200_000
"""Above this many rows distinct counts are HyperLogLog estimates (exact ones cost 0.2 s per
column per million rows); equal columns still get equal estimates."""
TYPE_SAMPLE_ROWS = 50_000
"""Types are inferred on an even sample of this many rows, then every value is checked against
the inferred type, so counts of nonconforming values stay exact."""


COLUMN_BATCH = 200
"""Columns aggregated per Polars query. Eager on purpose: measured on polars 2.1, a lazy
``select`` of 1,600 ``n_unique`` aggregates takes 15 s (the optimiser is quadratic) where the
eager one takes 0.1 s."""


def select_row(frame: pl.DataFrame, exprs: list[pl.Expr]) -> dict[str, Any]:
    """Evaluate aggregate expressions (each yielding one value) in batches; one dict of results."""
    out: dict[str, Any] = {}
    step = COLUMN_BATCH * 8
    for start in range(0, len(exprs), step):
        out.update(frame.select(exprs[start : start + step]).row(0, named=True))
    return out


def compute_stats(
    frame: pl.DataFrame, labels: list[str], raw: pl.DataFrame | None = None
) -> list[ColumnStats]:
    """Column statistics in two vectorised passes: counts, distinct values and lengths over all
    rows; types inferred on a sample and verified over all rows. ``frame`` holds stripped cells,
    ``raw`` (default ``frame``) the cells as written, for lengths and distinct values."""
    raw = frame if raw is None else raw
    if not labels:
        return []
    n = frame.height
    if n == 0:
        return [
            ColumnStats(i, label, 0, 0, 0, 0, 0, "empty", 0, 0, None, None)
            for i, label in enumerate(labels, 1)
        ]
    placeholders = pl.Series(PLACEHOLDERS).implode()
    cols = [f"c{i}" for i in range(1, len(labels) + 1)]
    exact = n <= EXACT_DISTINCT_ROWS

    def aggregates(v: pl.Expr, key: Any) -> list[pl.Expr]:
        is_ph = v.is_in(placeholders)
        real = v.is_not_null() & (v.str.len_bytes() > 0) & ~is_ph
        distinct = v.filter(real)
        return [
            v.is_null().sum().alias(f"{key}|missing"),
            (v.str.len_bytes() == 0).sum().alias(f"{key}|empty"),
            is_ph.sum().alias(f"{key}|ph"),
            (distinct.n_unique() if exact else distinct.approx_n_unique()).alias(f"{key}|distinct"),
        ]

    if len(cols) <= WIDE:
        row = select_row(frame, [e for c in cols for e in aggregates(pl.col(c), c)])
        # Each column's lengths counted once, then their minima and maxima (two aggregates of
        # ``len_chars`` count the characters twice: 0.28 s against 0.17 s on a million rows).
        lengths = raw.select(pl.col(cols).str.len_chars())
        row.update({f"{c}|minlen": x for c, x in lengths.min().row(0, named=True).items()})
        row.update({f"{c}|maxlen": x for c, x in lengths.max().row(0, named=True).items()})
    else:
        # Wide tables: one query over the columns stacked, grouped by column.
        long = frame.select(pl.col(cols)).unpivot(variable_name="col", value_name="v")
        raw_long = raw.select(pl.col(cols)).unpivot(variable_name="col", value_name="v")
        stacked = long.group_by("col").agg(aggregates(pl.col("v"), "x"))
        lens = raw_long.group_by("col").agg(
            pl.col("v").str.len_chars().min().alias("x|minlen"),
            pl.col("v").str.len_chars().max().alias("x|maxlen"),
        )
        row = {}
        for part in (stacked, lens):
            for r in part.iter_rows(named=True):
                row.update({k.replace("x|", f"{r['col']}|"): val for k, val in r.items() if k != "col"})
    types = _sample_types(frame, cols, placeholders)
    # Verify each typed column over every row with the one pattern of its type.
    matches: dict[str, int] = {}
    for col_type in sorted(set(types.values())):
        pattern = type_expr(col_type)
        if pattern is not None:
            typed = [c for c in cols if types[c] == col_type]
            counts = _regex_counts(frame, typed, {"match": pattern}, placeholders)
            matches.update({c: counts[c]["match"] for c in typed})
    ticks = _tick_columns(frame, cols, row, n)
    out = []
    for i, (c, label) in enumerate(zip(cols, labels, strict=True), start=1):
        missing = int(row[f"{c}|missing"])
        empty = int(row[f"{c}|empty"] or 0)
        ph = int(row[f"{c}|ph"] or 0)
        if c in ticks:
            # A tick-mark column: x is its value, not a placeholder.
            ph, types[c], row[f"{c}|distinct"] = 0, "string", ticks[c]
        n_real = n - missing - empty - ph
        col_type = types[c] if n_real > 0 else "empty"
        matched = int(matches.get(c) or 0)
        out.append(
            ColumnStats(
                field=i,
                name=label,
                values=n,
                missing=missing,
                empty=empty,
                placeholders=ph,
                distinct=int(row[f"{c}|distinct"] or 0),
                type=col_type,
                type_matches=matched,
                nonconforming=max(0, n_real - matched) if type_expr(col_type) else 0,
                min_length=row[f"{c}|minlen"],
                max_length=row[f"{c}|maxlen"],
                tick=c in ticks,
            )
        )
    return out


TICKS = ("x", "X", "×", "✓", "√")
"""Marks of a tick column: a column whose only values are these (and blanks) is ticked or not, and its
x is a value, not the placeholder x."""


def _tick_columns(frame: pl.DataFrame, cols: list[str], row: dict[str, Any], n: int) -> dict[str, int]:
    """Columns (with their number of distinct marks) whose filled cells are all tick marks. Only the
    columns whose filled cells are all placeholders are read again, so this costs nothing on most tables."""
    candidates = [
        c
        for c in cols
        if (ph := int(row[f"{c}|ph"] or 0))
        and ph == n - int(row[f"{c}|missing"]) - int(row[f"{c}|empty"] or 0)
    ]
    if not candidates:
        return {}
    marks = pl.Series(TICKS).implode()
    exprs = []
    for c in candidates:
        v = pl.col(c)
        filled = v.is_not_null() & (v.str.len_bytes() > 0)
        exprs += [
            (filled & ~v.is_in(marks)).sum().alias(f"{c}|other"),
            v.filter(v.is_in(marks)).n_unique().alias(c),
        ]
    counts = select_row(frame, exprs)
    return {c: int(counts[c]) for c in candidates if not counts[f"{c}|other"]}


WIDE = 64
"""Above this many columns, regex counts run once over the columns stacked into one (a regex is
compiled per expression: 7 patterns × 10,000 columns took 25 s one column at a time)."""


def _regex_counts(
    frame: pl.DataFrame, cols: list[str], patterns: dict[str, str], placeholders: Any
) -> dict[str, dict[str, int]]:
    """Per column: ``real`` (non-empty, non-placeholder values) and, per pattern name, how many
    real values match it."""
    if not cols:
        return {}
    if len(cols) <= WIDE:
        exprs: list[pl.Expr] = []
        for c in cols:
            v = pl.col(c)
            real = v.is_not_null() & (v.str.len_bytes() > 0) & ~v.is_in(placeholders)
            exprs.append(real.sum().alias(f"{c}|real"))
            exprs += [(real & v.str.contains(p)).sum().alias(f"{c}|{name}") for name, p in patterns.items()]
        row = select_row(frame, exprs)
        return {c: {k: int(row[f"{c}|{k}"] or 0) for k in ("real", *patterns)} for c in cols}
    v = pl.col("v")
    real = v.is_not_null() & (v.str.len_bytes() > 0) & ~v.is_in(placeholders)
    long = frame.select(pl.col(cols)).unpivot(variable_name="col", value_name="v")
    # The patterns run over the stacked column first (each compiled once), then the flags are
    # summed per column: inside a group-by a regex would be compiled again for every group.
    flags = long.select(
        "col",
        real.alias("real"),
        *[(real & v.str.contains(p)).alias(name) for name, p in patterns.items()],
    )
    sums = flags.group_by("col").agg(pl.col("real", *patterns).sum())
    out = {r["col"]: {k: int(r[k] or 0) for k in ("real", *patterns)} for r in sums.iter_rows(named=True)}
    return {c: out.get(c, dict.fromkeys(("real", *patterns), 0)) for c in cols}


def _sample_types(frame: pl.DataFrame, cols: list[str], placeholders: Any) -> dict[str, str]:
    n = frame.height
    sample = frame if n <= TYPE_SAMPLE_ROWS else frame.gather_every(n // TYPE_SAMPLE_ROWS)
    counts = _regex_counts(sample, cols, {**TYPE_PATTERNS, "code": CODE_LIKE_RE}, placeholders)
    out = {}
    for c in cols:
        per_type = {t: counts[c][t] for t in (*TYPE_PATTERNS, "code")}
        out[c] = infer_type(per_type, counts[c]["real"])[0]
    return out


def infer_type(counts: dict[str, int], real: int) -> tuple[str, int]:
    """The dominant type of a column from per-type match counts of its real values."""
    if real <= 0:
        return "empty", 0
    numeric = counts["integer"] + counts["decimal"]
    dates = counts["date"] + counts["datetime"]
    # Dates first: "2023-10-07" also has the shape of a code.
    if dates >= real * DOMINANT_SHARE:
        return ("datetime" if counts["datetime"] > counts["date"] else "date"), dates
    # An integer column that also has "7-07"-style codes is a code column, not broken numbers.
    if numeric + counts["code"] >= real * DOMINANT_SHARE and counts["code"] > 0:
        return "string", 0
    if numeric >= real * DOMINANT_SHARE:
        # Integers are numbers too: one decimal among integers makes the column "number".
        if counts["decimal"] == 0:
            return "integer", counts["integer"]
        return "number", numeric
    if counts["boolean"] >= real * DOMINANT_SHARE:
        return "boolean", counts["boolean"]
    return "string", 0


def type_expr(col_type: str) -> str | None:
    """Regex a value must match to conform to ``col_type`` (None: anything goes)."""
    if col_type == "integer":
        return INT_RE
    if col_type == "number":
        return f"(?:{INT_RE})|(?:{DECIMAL_RE})"
    if col_type in ("date", "datetime"):
        return f"(?:{DATE_RE})|(?:{DATETIME_RE})"
    if col_type == "boolean":
        return BOOL_RE
    return None


def normalise_label(label: str) -> str:
    return re.sub(r"\s+", " ", label).strip()
