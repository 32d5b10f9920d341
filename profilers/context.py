"""The shared context every check reads: the loaded table, what loading learned about the
file, and column statistics computed once, lazily, in one vectorised Polars pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

PLACEHOLDERS = (
    "无", "暂无", "无数据", "空", "未知", "不详", "待定", "待补充", "-", "--", "---", "—", "——", "/", "\\",
    "…", "...", "?", "？", "N/A", "n/a", "N.A.", "#N/A", "NULL", "null", "Null", "None", "none", "NaN", "nan",
    "TBD", "tbd", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "0000-00-00", "9999-12-31", "x", "X",
)  # fmt: skip
"""Values that stand for "no data". Chosen from the placeholder lists of Chinese and English
portal exports in the shared corpus; ``NA`` is left out on purpose (it is Namibia's code)."""

INT_RE = r"^[+-]?\d+$"
DECIMAL_RE = r"^[+-]?(?:\d+\.\d*|\.\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?)(?:[eE][+-]?\d+)?$|^[+-]?\d+[eE][+-]?\d+$"
DATE_RE = (
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    r"|\d{4}-\d{2}|\d{4}年)$"
)
DATETIME_RE = r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
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
    encoding_errors: int = 0
    encoding_error_rows: list[int] = field(default_factory=list)
    nul_bytes: int = 0
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
    in the record), ``__extra`` (the cells past the header, joined, or null) and ``__blank``."""

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
    def content(self) -> pl.DataFrame:
        """Rows that are not blank."""
        if not self.labels:
            return self.data
        return self.data.filter(~pl.col("__blank"))

    @property
    def rows(self) -> int:
        return self.content.height

    @property
    def cells(self) -> int:
        return self.rows * len(self.labels)

    @cached_property
    def stats(self) -> list[ColumnStats]:
        return compute_stats(self.content, self.labels)

    def stat(self, i: int) -> ColumnStats:
        return self.stats[i - 1]


def _is_empty(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().str.len_bytes() == 0


def compute_stats(frame: pl.DataFrame, labels: list[str]) -> list[ColumnStats]:
    """One Polars pass over all columns: counts, distinct values, lengths and type matches."""
    if not labels:
        return []
    exprs: list[pl.Expr] = []
    placeholders = pl.Series(PLACEHOLDERS)
    for i in range(1, len(labels) + 1):
        c = f"c{i}"
        v = pl.col(c).str.strip_chars()
        real = v.is_not_null() & (v.str.len_bytes() > 0) & ~v.is_in(placeholders.implode())
        exprs += [
            pl.col(c).is_null().sum().alias(f"{c}|missing"),
            _is_empty(c).sum().alias(f"{c}|empty"),
            v.is_in(placeholders.implode()).sum().alias(f"{c}|ph"),
            pl.col(c).filter(real).n_unique().alias(f"{c}|distinct"),
            pl.col(c).str.len_chars().min().alias(f"{c}|minlen"),
            pl.col(c).str.len_chars().max().alias(f"{c}|maxlen"),
        ]
        for t, pattern in TYPE_PATTERNS.items():
            exprs.append((real & v.str.contains(pattern)).sum().alias(f"{c}|t:{t}"))
        exprs.append((real & v.str.contains(CODE_LIKE_RE)).sum().alias(f"{c}|t:code"))
    row = frame.select(exprs).row(0, named=True) if frame.height else None
    out = []
    n = frame.height
    for i, label in enumerate(labels, start=1):
        c = f"c{i}"
        if row is None:
            out.append(ColumnStats(i, label, 0, 0, 0, 0, 0, "empty", 0, 0, None, None))
            continue
        missing = int(row[f"{c}|missing"])
        empty = int(row[f"{c}|empty"] or 0)
        ph = int(row[f"{c}|ph"] or 0)
        real = n - missing - empty - ph
        counts = {t: int(row[f"{c}|t:{t}"] or 0) for t in (*TYPE_PATTERNS, "code")}
        col_type, matches = infer_type(counts, real)
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
                type_matches=matches,
                nonconforming=max(0, real - matches) if col_type not in ("string", "empty") else 0,
                min_length=row[f"{c}|minlen"],
                max_length=row[f"{c}|maxlen"],
            )
        )
    return out


def infer_type(counts: dict[str, int], real: int) -> tuple[str, int]:
    """The dominant type of a column from per-type match counts of its real values."""
    if real <= 0:
        return "empty", 0
    numeric = counts["integer"] + counts["decimal"]
    # An integer column that also has "7-07"-style codes is a code column, not broken numbers.
    if numeric + counts["code"] >= real * DOMINANT_SHARE and counts["code"] > 0:
        return "string", 0
    if counts["integer"] >= real * DOMINANT_SHARE:
        return "integer", counts["integer"]
    if numeric >= real * DOMINANT_SHARE:
        return "number", numeric
    dates = counts["date"] + counts["datetime"]
    if dates >= real * DOMINANT_SHARE:
        return ("datetime" if counts["datetime"] > counts["date"] else "date"), dates
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
