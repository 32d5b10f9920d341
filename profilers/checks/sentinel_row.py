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
    title_zh="整行或整期为零的占位值",
    fix_zh="尚未获得的数值留空并在元数据中说明，不要填写 0。",
    rubric="substantial",
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
    hits = _hits(frame, measures)
    present = {f"c{s.field}": s.values - s.missing for s in table.stats}
    shares = _shares(hits, {c: present[c] for c in measures})
    found = []
    for value, _ in SENTINELS:
        rare = [c for c in measures if 0 < (shares[f"{value}|{c}"] or 0) <= MAX_ZERO_SHARE]
        if rare:
            found += [(row, value) for row in _flagged(table, frame, hits, measures, rare, value)]
    if not found:
        return None
    by_row = dict(sorted(found, key=lambda x: x[0]))
    rows = sorted(by_row)
    examples = [Example(row=int(r), value=by_row[r]) for r in rows[:MAX_EXAMPLES]]
    return Hit(len(rows), len(rows) / frame.height, examples)


ANY_SENTINEL = "|".join(f"(?:{p})" for _, p in SENTINELS)


def _hits(frame: pl.DataFrame, measures: list[str]) -> pl.DataFrame:
    """The cells of ``measures`` that hold a sentinel, stacked: ``__i`` (position in ``frame``),
    ``col``, and one flag per sentinel value. Every cell is scanned once, by one pattern matching
    any sentinel; only those (few) cells are told apart."""
    if len(measures) <= WIDE:
        # One query: Polars scans the columns in parallel.
        flags = frame.select([pl.col(c).str.contains(ANY_SENTINEL).alias(c) for c in measures])
        parts = []
        for c in measures:
            at = flags.get_column(c).arg_true()
            parts.append(
                pl.DataFrame({"__i": at, "col": pl.Series([c] * at.len(), dtype=pl.String)}).with_columns(
                    x=frame.get_column(c).gather(at)
                )
            )
        cells = pl.concat(parts)
    else:  # wide tables: the measures stacked, so the pattern compiles once
        index = pl.int_range(pl.len(), dtype=pl.UInt32).alias("__i")
        long = frame.select(index, pl.col(measures)).unpivot(index="__i", variable_name="col", value_name="x")
        cells = long.filter(pl.col("x").str.contains(ANY_SENTINEL))
    return cells.select("__i", "col", *[pl.col("x").str.contains(p).alias(v) for v, p in SENTINELS])


def _shares(hits: pl.DataFrame, present: dict[str, int]) -> dict[str, float]:
    """Share of each sentinel among the cells present (not null) of each measure in ``present``
    (measure → cells present), keyed ``value|column``."""
    per_col = hits.group_by("col").agg([pl.col(v).sum() for v, _ in SENTINELS])
    counts = {r["col"]: r for r in per_col.iter_rows(named=True)}
    return {
        f"{v}|{c}": (counts[c][v] / n if c in counts and n else 0.0)
        for c, n in present.items()
        for v, _ in SENTINELS
    }


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
    table: Table, frame: pl.DataFrame, hits: pl.DataFrame, measures: list[str], rare: list[str], value: str
) -> list[int]:
    """Rows flagged for one sentinel ``value``, rare in the measures ``rare``; ``hits`` holds the
    sentinel cells (see ``_hits``)."""
    zeros = hits.filter(pl.col(value) & pl.col("col").is_in(rare)).select("__i", "col")
    found = [pl.Series("__i", [], dtype=pl.UInt32)]
    if len(rare) >= 3 and len(measures) * 2 >= len(table.labels):
        # A statistical table (mostly measures): a row whose measures are all zero.
        per_row = zeros.group_by("__i").len()
        found.append(per_row.filter(pl.col("len") == len(rare)).get_column("__i"))
    keys = _keys(table, frame, measures)
    # A key value (a year, a region) whose rows are all zero in a measure: the zero cells of every
    # rare measure (few), grouped by measure and key value, compared with the number of rows of
    # that key value (counted only for the key values that could qualify).
    for k in keys:
        cells = zeros.with_columns(frame.get_column(k).gather(zeros.get_column("__i"))).filter(
            pl.col("col") != k
        )
        groups = cells.group_by("col", k).len("n").filter(pl.col("n") >= MIN_GROUP)
        if not groups.height:
            continue
        candidates = groups.get_column(k).unique().drop_nulls()
        totals = frame.select(k).filter(pl.col(k).is_in(candidates.implode())).group_by(k).len("total")
        whole = (
            groups.join(totals, on=k).filter(pl.col("n") == pl.col("total")).filter(pl.len().over("col") <= 2)
        )
        if whole.height:
            found.append(cells.join(whole.select("col", k), on=["col", k]).get_column("__i"))
    positions = pl.concat(found).unique()
    rows = frame.get_column("__row").gather(positions).cast(pl.Int64)
    return [int(r) for r in rows.sort()]
