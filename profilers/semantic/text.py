"""Characters that should not be in a cell: mojibake (text decoded with the wrong codec),
control and invisible characters, stray HTML, and numbers or codes typed in full-width forms.

Every column is scanned once with one cheap pattern (``SUSPECT``) that any of these defects
must match; the few cells it finds are then judged by each check."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from profilers.context import WIDE

if TYPE_CHECKING:
    from profilers.context import Table


def _gbk_mojibake_chars() -> str:
    """Characters that UTF-8 Chinese text turns into when it is decoded as GBK/GB18030: the
    first two bytes of a UTF-8 CJK character (lead E4–E9, continuation 80–BF) read as one GBK
    character. They are rare characters of GB2312 level 2 and GBK/4 (鍙, 鐨, 鏁, 浠 …), so
    real text seldom has several of them together, while mojibake is full of them."""
    out = []
    for lead in range(0xE4, 0xEA):
        for trail in range(0x80, 0xC0):
            try:
                out.append(bytes([lead, trail]).decode("gb18030"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(set(out)))


GBK_MOJIBAKE = _gbk_mojibake_chars()
_CP1252_CONT = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
LATIN_MOJIBAKE = rf"[ÂÃ][{_CP1252_CONT}]|â€"
"""UTF-8 read as Latin-1/cp1252: é → Ã©, ’ → â€™, a no-break space → Â."""
MARKERS = r"锟斤拷|烫烫烫|屯屯屯|\x{FFFD}"
"""锟斤拷: U+FFFD written as UTF-8 then read as GBK; 烫烫/屯屯: uninitialised MSVC buffers;
U+FFFD: the replacement character left by a lossy conversion."""
GBK_MIN_CHARS = 2
GBK_MIN_LENGTH = 5
GBK_MIN_SHARE = 0.3
"""A cell is GBK mojibake when at least 2 of its characters, and at least 30 % of them, are from
``GBK_MOJIBAKE``, in a cell of at least 5 characters (数据来源 becomes 鏁版嵁鏉ユ簮: 2 of 6). A
person's name may hold two such characters (王璐璐) but is shorter than five."""

CONTROL = r"[\x{00}-\x{08}\x{0B}\x{0C}\x{0E}-\x{1F}\x{7F}\x{200B}-\x{200D}\x{2028}\x{2029}\x{FEFF}]"
"""C0 controls other than tab, line feed and carriage return (which quoted cells may hold),
DEL, zero-width spaces and joiners, line/paragraph separators and a stray byte-order mark."""
HTML = (
    r"(?i)<\s*/?\s*(?:br|p|div|span|b|i|u|a|font|strong|em|table|tr|td|th|li|ul|ol|img|h[1-6]|sup|sub)\b[^>]*>"
    r"|&(?:nbsp|amp|lt|gt|quot|apos|#[0-9]{2,6}|#x[0-9a-fA-F]{2,5});"
)
FULL_WIDTH = "[０-９Ａ-Ｚａ-ｚ]"
FULL_WIDTH_VALUE = r"^[０-９Ａ-Ｚａ-ｚ0-9A-Za-z\s．，,.\-－—+＋%％/／:：()（）年月日时分秒号#＃@＠_＿]+$"
"""A number, date or code (and nothing else) written with full-width digits or letters.
Full-width digits inside running Chinese text (第１章) are typography, not a defect."""

SUSPECT = "|".join([f"[{GBK_MOJIBAKE}]", MARKERS, "[ÂÃ]|â€", CONTROL, "[<&]", FULL_WIDTH])


def is_mojibake(v: pl.Expr) -> pl.Expr:
    gbk = v.str.count_matches(f"[{GBK_MOJIBAKE}]")
    length = v.str.len_chars()
    dense = (gbk >= GBK_MIN_CHARS) & (length >= GBK_MIN_LENGTH) & (gbk >= length * GBK_MIN_SHARE)
    return (v.str.contains(MARKERS) | v.str.contains(LATIN_MOJIBAKE) | dense).fill_null(False)


def has_control(v: pl.Expr) -> pl.Expr:
    return v.str.contains(CONTROL).fill_null(False)


def has_html(v: pl.Expr) -> pl.Expr:
    return v.str.contains(HTML).fill_null(False)


def is_full_width_value(v: pl.Expr) -> pl.Expr:
    return (v.str.contains(FULL_WIDTH) & v.str.contains(FULL_WIDTH_VALUE)).fill_null(False)


CATEGORICAL = 0.05
"""Columns with fewer distinct values than this share of rows are tested value by value."""


def scanned_columns(table: Table) -> list[str]:
    """Columns that can hold a suspect cell: every value of a typed column that matched its type
    (integer, number, date, boolean) is ASCII digits, signs and 年月日, so only text columns
    and typed columns with nonconforming values need the scan."""
    return [
        f"c{s.field}"
        for s in table.stats
        if s.type not in ("empty", "integer", "number", "date", "datetime", "boolean") or s.nonconforming
    ]


def suspect_cells(table: Table) -> pl.DataFrame:
    """Every cell (as written) matching ``SUSPECT``, stacked as ``__row``, ``col``, ``v`` in
    column then row order: one pattern pass per column, whatever the number of checks; columns
    with few distinct values are tested on those values only."""
    empty = pl.DataFrame(schema={"__row": pl.Int64, "col": pl.String, "v": pl.String})
    if table.fatal or not table.labels or not table.rows:
        return empty
    frame = table.content
    cols = scanned_columns(table)
    if not cols:
        return empty
    if len(cols) > WIDE:
        # Wide tables: one pattern pass over the columns stacked (a regex compiles per expression).
        long = frame.select("__row", *cols).unpivot(index="__row", variable_name="col", value_name="v")
        hits = long.filter(pl.col("v").str.contains(SUSPECT)).with_columns(pl.col("__row").cast(pl.Int64))
        order = {c: i for i, c in enumerate(cols)}
        return (
            hits.with_columns(pos=pl.col("col").replace_strict(order, return_dtype=pl.Int64))
            .sort("pos", "__row")
            .drop("pos")
        )
    few = {c for c in cols if table.stat(int(c[1:])).distinct < table.rows * CATEGORICAL}
    suspects: dict[str, pl.Series] = {}
    for c in few:
        distinct = frame.get_column(c).unique()
        suspects[c] = distinct.filter(distinct.str.contains(SUSPECT).fill_null(False))
    # One query for the other columns, so Polars runs the patterns on all cores at once.
    many = [c for c in cols if c not in few]
    flags = frame.select([pl.col(c).str.contains(SUSPECT).fill_null(False).alias(c) for c in many])
    parts = []
    for c in cols:
        if c in few:
            if not suspects[c].len():
                continue
            mask = frame.get_column(c).is_in(suspects[c].implode())
        else:
            mask = flags.get_column(c)
            if not mask.any():
                continue
        parts.append(
            frame.filter(mask).select(
                pl.col("__row").cast(pl.Int64), pl.lit(c).alias("col"), pl.col(c).alias("v")
            )
        )
    return pl.concat(parts) if parts else empty
