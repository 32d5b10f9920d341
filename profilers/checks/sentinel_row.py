import re

import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check, row_examples

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


def _zero(c: str) -> pl.Expr:
    return pl.col(c).str.contains(r"^[+-]?0+(?:\.0+)?$")


@check(
    "sentinel-row",
    dimension="validity",
    level="row",
    title="Rows or periods filled with zeros",
    description="Every measure in a row is 0, or every row of one period (a year, a region) is 0 where the "
    "column otherwise holds real values: a placeholder written as a number.",
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
    shares = frame.select([_zero(c).mean().alias(c) for c in measures]).row(0, named=True)
    rare = [c for c in measures if 0 < (shares[c] or 0) <= MAX_ZERO_SHARE]
    if not rare:
        return None
    flagged = pl.Series("__row", [], dtype=pl.Int64)
    if len(rare) >= 3 and len(measures) * 2 >= len(table.labels):
        # A statistical table (mostly measures): a row whose measures are all zero.
        all_zero = frame.filter(pl.all_horizontal([_zero(c) for c in rare]))
        flagged = all_zero.get_column("__row")
    keys = [
        f"c{s.field}" for s in table.stats if 1 < s.distinct <= min(MAX_KEY_VALUES, frame.height // MIN_GROUP)
    ]
    for m in rare:
        # A key value (a year, a region) whose rows are all zero in this measure: look only at
        # the (rare) zero rows, then check the candidate values have no other rows.
        zero_rows = frame.filter(_zero(m))
        for k in keys:
            if k == m:
                continue
            candidates = zero_rows.group_by(k).len().filter(pl.col("len") >= MIN_GROUP)
            if not candidates.height:
                continue
            totals = frame.filter(pl.col(k).is_in(candidates.get_column(k).implode())).group_by(k).len()
            whole = candidates.join(totals, on=k, suffix="_all").filter(pl.col("len") == pl.col("len_all"))
            if 0 < whole.height <= 2:
                hit = zero_rows.filter(pl.col(k).is_in(whole.get_column(k).implode()))
                flagged = pl.concat([flagged, hit.get_column("__row")])
    flagged = flagged.unique().sort()
    if not flagged.len():
        return None
    return Hit(flagged.len(), flagged.len() / frame.height, row_examples(flagged.head(5), value="0"))
