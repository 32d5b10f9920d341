import re

import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import sample
from profilers.semantic.run import real
from profilers.types import MAX_EXAMPLES, Example

DATE_LIKE = (
    r"^(?:[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}"
    r"|[0-9]{1,2}[- ](?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[- ][0-9]{2,4}"
    r"|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?$"
)
"""A calendar date in any common writing: 2023-10-07, 2023/10/7, 07/10/2023, 7-Oct-23, 2023年10月7日, 20231007."""
NUMBER_LIKE = r"^[+-]?[£$€¥]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$"
CODE_DIGITS = r"^[0-9]+$"
MIN_PADDED = 0.2
"""A column of digit codes is zero-padded when this share of its values of the main length starts
with 0 (00043): a shorter value there (43, 0043) is the same code written another way."""
MAX_LENGTH = 40
"""Longest date or number looked at."""
MIN_SHARE = 0.8
"""A column is a date or number column when this share of its sampled values is one."""
MIN_MINORITY = 2
"""Cells in another format than the column's main one: at least this many (a single odd value is an
invalid value, not a second format)."""


def date_shape(v: pl.Expr) -> pl.Expr:
    """The writing of a date: month names a, 8-digit dates YMD, 4-digit groups Y, other digit groups 9
    (2023-10-07 and 2023-1-7 are one format, Y-9-9; 07/10/2023 is 9/9/Y; 20231007 is YMD)."""
    return (
        v.str.replace_all(r"[A-Za-z]+", "a")
        .str.replace(r"^(?:19|20)[0-9]{6}$", "YMD")
        .str.replace_all(r"[0-9]{4}", "Y")
        .str.replace_all(r"[0-9]{1,2}", "9")
    )


def number_shape(v: pl.Expr) -> pl.Expr:
    """How a number is written: with thousands separators (``,``), without them at 1,000 and more
    (``plain``), or too small to tell (``any``)."""
    return (
        pl.when(v.str.contains(",", literal=True))
        .then(pl.lit(","))
        .when(v.str.contains(BIG_PLAIN))
        .then(pl.lit("plain"))
        .otherwise(pl.lit("any"))
    )


BIG_PLAIN = r"^[+-]?[£$€¥]?[0-9]{4}"
"""A number of 1,000 or more written without separators (an anchored prefix test, cheap on every row)."""


@check(
    "mixed-formats",
    dimension="consistency",
    severity="error",
    level="cell",
    title="One column written in several formats",
    description="A column of dates written several ways (2023-10-07, 07/10/2023, 2023年10月7日) or of numbers "
    "written several ways (1,200 and 1200; £9,281.01 and 9281.01): no reader parses the column in one go, "
    "and 03/04 may be March or April.",
    fix="Write every date as YYYY-MM-DD and every number as a plain number (no separators or signs).",
    title_zh="同一列中存在多种书写格式",
    fix_zh="日期统一写成 YYYY-MM-DD，数字统一写成不带千分位和货币符号的纯数字。",
    rubric="substantial",
)
def mixed_formats(table: Table) -> Hit | None:
    frame = table.stripped
    cols = [f"c{s.field}" for s in table.stats if s.real > 0 and s.type != "boolean"]
    if not cols:
        return None
    # One query over the sample stacked: which columns are dates or numbers, and in how many writings.
    v = pl.col("v")
    long = sample(frame).select(cols).unpivot(variable_name="col", value_name="v").filter(real(v))
    totals = long.group_by("col").len("total")
    # Dates and numbers are short: longer cells (a 50 MB quoted text) are never shaped.
    short = long.filter(v.str.len_bytes() <= MAX_LENGTH)
    kinds = short.with_columns(
        d=v.str.contains(DATE_LIKE), n=v.str.contains(NUMBER_LIKE), ds=date_shape(v), ns=number_shape(v)
    )
    probe = (
        kinds.join(totals, on="col")
        .group_by("col")
        .agg(
            (pl.col("d").sum() / pl.col("total").first()).alias("d"),
            (pl.col("n").sum() / pl.col("total").first()).alias("n"),
            pl.col("ds").filter(pl.col("d")).n_unique().alias("dn"),
            pl.col("ns").filter(pl.col("n") & ~pl.col("ns").str.starts_with("any")).n_unique().alias("nn"),
        )
    )
    flagged = {
        c: (DATE_LIKE if d >= MIN_SHARE else NUMBER_LIKE)
        for c, d, n, dn, nn in probe.iter_rows()
        if (d >= MIN_SHARE and dn >= 2) or (d < MIN_SHARE and n >= MIN_SHARE and nn >= 2)
    }
    padded = _padded_columns(short, dict(totals.iter_rows()))
    # The main writing of each number column in the sample: the minority is then counted over
    # every row with cheap prefix tests, not shaped value by value.
    main_date = dict(
        kinds.filter(pl.col("d"))
        .group_by("col", "ds")
        .len()
        .sort("len", "ds", descending=[True, False])
        .group_by("col", maintain_order=True)
        .first()
        .select("col", "ds")
        .iter_rows()
    )
    main_shape = dict(
        kinds.filter(pl.col("n") & (pl.col("ns") != "any"))
        .group_by("col", "ns")
        .len()
        .sort("len", "ns", descending=[True, False])
        .group_by("col", maintain_order=True)
        .first()
        .select("col", "ns")
        .iter_rows()
    )
    count = 0
    examples: list[Example] = []
    for c in cols:
        if c in padded and c not in flagged:
            v = pl.col(c)
            bad = frame.select("__row", c).filter(
                v.str.contains(CODE_DIGITS) & (v.str.len_bytes() < padded[c])
            )
            if bad.height >= MIN_MINORITY:
                count += bad.height
                if len(examples) < MAX_EXAMPLES:
                    examples += cell_examples(bad, table, c, MAX_EXAMPLES - len(examples))
            continue
        if c not in flagged:
            continue
        pattern = flagged[c]
        v = pl.col(c)
        if pattern == NUMBER_LIKE:
            n_bad, bad = _number_minority(frame, c, main_shape[c])
        else:
            n_bad, bad = _date_minority(frame, c, main_date[c])
        if n_bad < MIN_MINORITY:
            continue
        count += n_bad
        if len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, c, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    return Hit(count, count / max(table.cells, 1), examples)


def _padded_columns(long: pl.DataFrame, totals: dict[str, int]) -> dict[str, int]:
    """Columns of zero-padded digit codes in the stacked sample, with their padded length: most values
    are digits of one length, many of them with a leading 0, and some are shorter."""
    v = pl.col("v")
    digits = long.filter(v.str.contains(CODE_DIGITS)).with_columns(n=v.str.len_bytes())
    if not digits.height:
        return {}
    lengths = (
        digits.group_by("col", "n")
        .agg(pl.len().alias("k"), v.str.starts_with("0").mean().alias("zero"))
        .sort("k", descending=True)
        .group_by("col", maintain_order=True)
        .first()
    )
    totals_frame = pl.DataFrame({"col": list(totals), "total": list(totals.values())})
    shorter = (
        digits.join(lengths.select("col", pl.col("n").alias("main")), on="col")
        .filter(pl.col("n") < pl.col("main"))
        .group_by("col")
        .len("shorter")
    )
    found = (
        lengths.join(totals_frame, on="col")
        .join(shorter, on="col")
        .filter((pl.col("k") >= MIN_SHARE * pl.col("total")) & (pl.col("zero") >= MIN_PADDED))
    )
    return {c: int(n) for c, n in found.select("col", "n").iter_rows()}


def _date_minority(frame: pl.DataFrame, c: str, main: str) -> tuple[int, pl.DataFrame]:
    """Dates not in the column's main writing (the sample's most common shape): one anchored regex of
    that shape over every row, then the date test on the rows that fail it."""
    v = pl.col(c)
    bad = (
        frame.select("__row", c)
        .filter(~v.str.contains(shape_regex(main)).fill_null(True))
        .filter(real(v) & v.str.contains(DATE_LIKE))
    )
    return bad.height, bad


def shape_regex(shape: str) -> str:
    """The regex of the dates of one ``date_shape`` (Y-9-9 → ^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$)."""
    parts = {"YMD": "[0-9]{8}", "Y": "[0-9]{4}", "9": "[0-9]{1,2}", "a": "[A-Za-z]+"}
    return "^" + "".join(parts.get(t, re.escape(t)) for t in re.findall(r"YMD|.", shape)) + "$"


def _number_minority(frame: pl.DataFrame, c: str, main: str) -> tuple[int, pl.DataFrame]:
    """Numbers written the other way than the sample's main writing: with separators where most have
    none at 1,000 and more, or the reverse."""
    v = pl.col(c)
    grouped = v.str.contains(",", literal=True)
    other = grouped if main == "plain" else ~grouped & v.str.contains(BIG_PLAIN)
    bad = frame.select("__row", c).filter(other.fill_null(False)).filter(v.str.contains(NUMBER_LIKE))
    return bad.height, bad
