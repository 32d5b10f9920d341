import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.run import columns_of, real
from profilers.types import MAX_EXAMPLES, Example

YEARS = (1000, 2100)
"""A year column (labelled 年份/year) holds years of record; 0, 9999 or 20190 are not years."""
FRACTION_P95 = 1.0
"""A share column whose values are mostly ≤ 1 is on the 0–1 scale, otherwise on 0–100."""


def _number(v: pl.Expr) -> pl.Expr:
    return v.str.replace_all(",", "", literal=True).str.strip_chars(" %％").cast(pl.Float64, strict=False)


def _bounds(table: Table, kind: str, col: str) -> tuple[float | None, float | None]:
    if kind == "latitude":
        return -90.0, 90.0
    if kind == "longitude":
        return -180.0, 180.0
    if kind == "year":
        return YEARS
    if kind == "count":
        return 0.0, None
    # share: percentages (0–100) or fractions (0–1), judged from the column itself.
    p95 = table.stripped.select(_number(pl.col(col)).quantile(0.95)).item()
    return 0.0, (1.0 if p95 is not None and p95 <= FRACTION_P95 else 100.0)


@check(
    "out-of-range",
    dimension="validity",
    level="cell",
    title="Values out of range",
    description="Values outside what their column can hold: negative counts (人数, employees), shares below 0 "
    "or above 100 %, latitudes beyond ±90 or longitudes beyond ±180 (often swapped pairs), years that are "
    "not years (0, 9999).",
    fix="Check and correct values outside the plausible range (negative counts, percentages above 100).",
)
def out_of_range(table: Table) -> Hit | None:
    cols = columns_of(table, "latitude", "longitude", "year", "count", "share")
    if not cols:
        return None
    frame = table.stripped
    bounds = {s.col: _bounds(table, s.kind, s.col) for s in cols}
    # One cast per column, then minima and maxima: most columns are in range and need nothing
    # more. Values with separators or a % sign (those the cast misses) take the slower parse.
    numbers = frame.select([pl.col(s.col).cast(pl.Float64, strict=False) for s in cols])
    summary = {
        **{f"{c}|min": x for c, x in numbers.min().row(0, named=True).items()},
        **{f"{c}|max": x for c, x in numbers.max().row(0, named=True).items()},
    }
    parsed = numbers.count().row(0, named=True)
    slow = [s.col for s in cols if parsed[s.col] < table.stat(s.field).real]
    if slow:
        summary.update(
            frame.select(
                [_number(pl.col(c)).min().alias(f"{c}|min") for c in slow]
                + [_number(pl.col(c)).max().alias(f"{c}|max") for c in slow]
            ).row(0, named=True)
        )
    count = 0
    examples: list[Example] = []
    for s in cols:
        lo, hi = bounds[s.col]
        low, high = summary[f"{s.col}|min"], summary[f"{s.col}|max"]
        if (lo is None or low is None or low >= lo) and (hi is None or high is None or high <= hi):
            continue
        x = _number(pl.col(s.col))
        outside = pl.lit(False)
        if lo is not None:
            outside = outside | (x < lo)
        if hi is not None:
            outside = outside | (x > hi)
        bad = frame.select("__row", s.col).filter(real(pl.col(s.col)) & outside.fill_null(False))
        count += bad.height
        if bad.height and len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, s.col, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    return Hit(count, count / max(table.rows * len(cols), 1), examples)
