import re

import polars as pl

from profilers.context import WIDE, Table
from profilers.registry import Hit, check
from profilers.types import MAX_EXAMPLES, Example

MAX_ZERO_SHARE = 0.2
"""A column where zeros are common is a count that may well be zero; only zeros that are rare
in their column (≤ 20 %) and fill whole rows or a whole period are suspicious."""
MIN_GROUP = 3
CODE_LABEL = re.compile(
    r"(?:ID|Id|_id|编号|代码|编码|序号|号码)$|(?i:\b(?:id|code|no|num|number|key|zip|postcode|status)\b)"
)
"""Integer columns labelled as identifiers or codes are not measures: a RegistrationID of 0 means
"none" (the NYC HPD file), not a placeholder for a figure."""
MAX_KEY_VALUES = 1000
"""Periods and regions: a key column has at most this many distinct values."""
MAX_KEYS = 8
"""Key columns tried per measure (a wide table has thousands of candidates, each a group-by)."""


SENTINELS = (("0", r"^[+-]?0+(?:\.0+)?$"), ("9999", r"^-?9{4,}(?:\.0+)?$"))
"""Placeholder numbers: zero, and runs of nines (9999, 99999, -9999) that old systems wrote for
"unknown". Three nines (999) are too often a real value to count."""


@check(
    "sentinel-row",
    dimension="validity",
    level="row",
    title="Rows or periods filled with zeros",
    description="Every measure in a row is 0 (or 9999), or every row of one period (a year, a region) is 0 "
    "where the column otherwise holds real values: a placeholder written as a number.",
    fix="Leave values that are not yet known empty (and say so in the metadata) instead of writing 0.",
)
def sentinel_row(table: Table) -> Hit | None:
    frame = table.stripped
    if frame.height < 5:
        return None
    measures = [
        f"c{s.field}"
        for s in table.stats
        if s.distinct > 2 and (s.type == "number" or (s.type == "integer" and not CODE_LABEL.search(s.name)))
    ]
    if not measures:
        return None
    shares = _shares(frame, measures)
    found = []
    for value, pattern in SENTINELS:
        rare = [c for c in measures if 0 < (shares[f"{value}|{c}"] or 0) <= MAX_ZERO_SHARE]
        if rare:
            found += [(row, value) for row in _flagged(table, frame, measures, rare, pattern)]
    if not found:
        return None
    by_row = dict(sorted(found, key=lambda x: x[0]))
    rows = sorted(by_row)
    examples = [Example(row=int(r), value=by_row[r]) for r in rows[:MAX_EXAMPLES]]
    return Hit(len(rows), len(rows) / frame.height, examples)


def _shares(frame: pl.DataFrame, measures: list[str]) -> dict[str, float]:
    """Share of each sentinel in each measure, keyed ``value|column``: one query (Polars runs the
    patterns in parallel); wide tables stacked, so each pattern compiles once."""
    if len(measures) <= WIDE:
        return frame.select(
            [pl.col(c).str.contains(p).mean().alias(f"{v}|{c}") for v, p in SENTINELS for c in measures]
        ).row(0, named=True)
    long = frame.select(measures).unpivot(variable_name="col", value_name="x")
    agg = long.group_by("col").agg([pl.col("x").str.contains(p).mean().alias(v) for v, p in SENTINELS])
    return {f"{v}|{r['col']}": r[v] for r in agg.iter_rows(named=True) for v, _ in SENTINELS}


def _keys(table: Table, frame: pl.DataFrame, measures: list[str]) -> list[str]:
    """Columns that name a period or a region: not measures (years labelled as such excepted),
    with few distinct values; the fewest-valued first, at most ``MAX_KEYS``."""
    limit = min(MAX_KEY_VALUES, frame.height // MIN_GROUP)
    years = {c for c, s in table.semantic.items() if getattr(s, "kind", None) in ("year", "date")}
    found = [
        (s.distinct, f"c{s.field}")
        for s in table.stats
        if 1 < s.distinct <= limit and (f"c{s.field}" not in measures or f"c{s.field}" in years)
    ]
    return [c for _, c in sorted(found)[:MAX_KEYS]]


def _flagged(
    table: Table, frame: pl.DataFrame, measures: list[str], rare: list[str], pattern: str
) -> list[int]:
    """Rows flagged for one sentinel value (``pattern``), rare in the measures ``rare``."""

    def _zero(c: str) -> pl.Expr:
        return pl.col(c).str.contains(pattern)

    flagged = pl.Series("__row", [], dtype=pl.Int64)
    if len(rare) >= 3 and len(measures) * 2 >= len(table.labels):
        # A statistical table (mostly measures): a row whose measures are all zero.
        if len(rare) <= WIDE:
            flagged = frame.filter(pl.all_horizontal([_zero(c) for c in rare])).get_column("__row")
        else:
            # Wide tables: the measures stacked, one pattern; rows where every one matched.
            long = frame.select("__row", *rare).unpivot(index="__row", variable_name="col", value_name="x")
            per_row = long.filter(pl.col("x").str.contains(pattern)).group_by("__row").len()
            flagged = per_row.filter(pl.col("len") == len(rare)).get_column("__row").cast(pl.Int64)
    keys = _keys(table, frame, measures)
    if keys:
        # A key value (a year, a region) whose rows are all zero in a measure: the zero cells of
        # every rare measure stacked (few), grouped by measure and key value, compared with the
        # number of rows of that key value.
        zeros = (
            frame.select("__row", *rare)
            .unpivot(index="__row", variable_name="col", value_name="x")
            .filter(pl.col("x").str.contains(pattern))
            .select("__row", "col")
        )
        for k in keys:
            values = frame.select("__row", k)
            totals = values.group_by(k).len("total")
            cells = zeros.join(values, on="__row").filter(pl.col("col") != k)
            whole = (
                cells.group_by("col", k)
                .len("n")
                .join(totals, on=k)
                .filter((pl.col("n") >= MIN_GROUP) & (pl.col("n") == pl.col("total")))
                .filter(pl.len().over("col") <= 2)
            )
            if whole.height:
                hit = cells.join(whole.select("col", k), on=["col", k]).get_column("__row").cast(pl.Int64)
                flagged = pl.concat([flagged.cast(pl.Int64), hit])
    return [int(r) for r in flagged.unique().sort()]
