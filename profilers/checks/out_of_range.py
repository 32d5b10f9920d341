import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.coords import swapped_pairs
from profilers.semantic.dates import future_dates
from profilers.semantic.degrees import coordinate
from profilers.semantic.detect import Semantic
from profilers.semantic.outliers import measure_columns, outliers
from profilers.semantic.run import columns_of, real
from profilers.semantic.run import numbers as cast
from profilers.types import MAX_EXAMPLES, Example

YEARS = (1000, 2100)
"""A year column (labelled 年份/year) holds years of record; 0, 9999 or 20190 are not years."""
FRACTION_P95 = 1.0
"""A share column whose values are mostly ≤ 1 is on the 0–1 scale, otherwise on 0–100."""


def _number(v: pl.Expr) -> pl.Expr:
    return v.str.replace_all(",", "", literal=True).str.strip_chars(" %％").cast(pl.Float64, strict=False)


def _bounds(table: Table, kind: str, col: str, style: str | None) -> tuple[float | None, float | None]:
    if kind == "latitude":
        return -90.0, 90.0
    if kind == "longitude":
        return -180.0, 180.0
    if kind == "year":
        return YEARS
    if kind == "count":
        return 0.0, None
    if style == "percent":
        return 0.0, 100.0  # 45% written as text: on the 0–100 scale whatever its values
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
    "not years (0, 9999), and implausible outliers: a few amounts far beyond the rest of their column and "
    "separated from it by a wide gap (a decimal point lost, 99999999 for unknown); and dates after the day "
    "of the report in columns of past events (登记日期, 发布时间, registration date).",
    fix="Check and correct values outside the plausible range (negative counts, percentages above 100).",
    title_zh="数值超出合理范围",
    fix_zh="核对并更正超出合理范围的值（如负数计数、超过 100 的百分比）。",
    rubric="substantial",
)
def out_of_range(table: Table) -> Hit | None:
    cols = columns_of(table, "latitude", "longitude", "year", "count", "share")
    measures = measure_columns(table)
    future = future_dates(table, table.reference_date)
    if not cols and not measures and not future:
        return None
    bad = _beyond_bounds(table, cols) if cols else {}
    bad.update(future)
    # Implausible outliers of the measures (robust statistics), cells out of bounds counted once.
    values = cast(table, measures)
    for c, rows in outliers(table, values).items():
        found = table.stripped.select("__row", c).filter(pl.col("__row").is_in(rows.implode()))
        bad[c] = pl.concat([bad[c], found]).unique("__row").sort("__row") if c in bad else found
    count = 0
    examples: list[Example] = []
    for c in sorted(bad, key=lambda c: int(c[1:])):
        count += bad[c].height
        if bad[c].height and len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad[c], table, c, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    checked = {s.col for s in cols} | set(measures) | set(future)
    message = ""
    if future:
        n = sum(f.height for f in future.values())
        labels = "、".join(table.label(int(c[1:])) for c in sorted(future, key=lambda c: int(c[1:])))
        message = (
            f"{n} date(s) more than a day after {table.reference_date}, the day (UTC) this report was judged "
            f"on, in columns of past events ({labels})."
        )
    return Hit(count, count / max(table.rows * len(checked), 1), examples, message)


def _beyond_bounds(table: Table, cols: list[Semantic]) -> dict[str, pl.DataFrame]:
    """Per column of a bounded kind: the rows (``__row`` and the value) outside its bounds."""
    frame = table.stripped
    bounds = {s.col: _bounds(table, s.kind, s.col, s.style) for s in cols}
    # One cast per column, then minima and maxima: most columns are in range and need nothing
    # more. Values with separators or a % sign (those the cast misses) take the slower parse.
    numbers = cast(table).select([s.col for s in cols])
    summary = {
        **{f"{c}|min": x for c, x in numbers.min().row(0, named=True).items()},
        **{f"{c}|max": x for c, x in numbers.max().row(0, named=True).items()},
    }
    parsed = numbers.count().row(0, named=True)
    # (Degree-sign coordinates are parsed by ``cast`` already: ``_number`` cannot read them.)
    slow = [s.col for s in cols if parsed[s.col] < table.stat(s.field).real and s.style != "degrees"]
    if slow:
        summary.update(
            frame.select(
                [_number(pl.col(c)).min().alias(f"{c}|min") for c in slow]
                + [_number(pl.col(c)).max().alias(f"{c}|max") for c in slow]
            ).row(0, named=True)
        )
    out: dict[str, pl.DataFrame] = {}
    for s in cols:
        lo, hi = bounds[s.col]
        low, high = summary[f"{s.col}|min"], summary[f"{s.col}|max"]
        if (lo is None or low is None or low >= lo) and (hi is None or high is None or high <= hi):
            continue
        x = coordinate(pl.col(s.col), s.style) if s.style == "degrees" else _number(pl.col(s.col))
        outside = pl.lit(False)
        if lo is not None:
            outside = outside | (x < lo)
        if hi is not None:
            outside = outside | (x > hi)
        bad = frame.select("__row", s.col).filter(real(pl.col(s.col)) & outside.fill_null(False))
        if s.kind in ("latitude", "longitude") and bad.height:
            # Swapped pairs are their own finding (swapped-coordinates), reported once there.
            pair = swapped_pairs(table)
            if pair is not None and s.col in (pair.lat, pair.lon):
                bad = bad.filter(~pl.col("__row").is_in(pair.rows.get_column("__row").implode()))
        if bad.height:
            out[s.col] = bad
    return out
