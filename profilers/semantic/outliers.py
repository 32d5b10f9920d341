"""Implausible outliers: a handful of numbers far outside the rest of their column, separated
from it by a wide gap (a decimal point lost, a value typed in the wrong unit, 99999999 for
"unknown").

Real measures are often heavy-tailed (spending, sales prices, populations), so distance alone
proves nothing; a value is an outlier only when all of these hold:

- it is beyond ``FENCE_MADS`` median absolute deviations from the median, and beyond
  ``FENCE_SPREADS`` times the distance from the median to the 90th (10th) percentile, so a
  column's own spread widens the fence;
- it belongs to the few (at most ``MAX_SHARE`` of the values) extreme values that a gap of
  ``GAP``× separates from the next value, measured from the median: the top of a heavy tail
  thins out gradually, an error stands alone;
- the column is a measure: numeric, not an identifier, code or year (by label), not a kind that
  has its own bounds (coordinates, shares, years) nor a contact or a code.

Calibrated on the shared corpus (250 measure columns: NYC sales prices, UK council spending,
Chinese provincial GDP and population, EU ETS emissions, DECC and CKAN QA samples): the only
values found are three half-hourly meter readings of elec00.csv where the meter caught up after
a run of zeros (10,887 kWh in a slot where the building uses 100–200), which are true errors.
With the gap lowered to 5 and the fences to 20, one more column qualifies: the thresholds keep
a margin of 4× and 2.5×."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from profilers.context import WIDE, select_row
from profilers.semantic.detect import sample

if TYPE_CHECKING:
    from profilers.context import Table

FENCE_MADS = 50.0
FENCE_SPREADS = 50.0
GAP = 20.0
MAX_SHARE = 0.001
"""Outliers are at most 0.1 % of a column's values (and one in a column under 2,000 values):
more than that is a second population (another unit, another kind of record), not a typo."""
MIN_VALUES = 30
"""Fewer values than this give no robust centre to measure from."""
ID_LABEL = re.compile(
    r"(?:ID|Id|_id|编号|代码|编码|序号|号码|号|年份|年度)$|^年$|代码|编码|编号|序号|邮编|电话|手机|"
    r"(?i:\b(?:id|code|no|num|number|key|zip|postcode|year|yr|phone|tel|fax|bbl|bin|block|lot|"
    r"latitude|longitude|lat|lon|lng|x|y)\b|identifier|zip)"
)
"""Identifiers, codes, years and positions: their values are labels or coordinates, not
amounts, and a distant one is no error."""
MEASURE_KINDS = (None, "count")


def measure_columns(table: Table) -> list[str]:
    """Numeric columns that hold amounts: typed integer or number, not labelled as identifiers,
    codes or years, and of no semantic kind other than a count."""
    out = []
    for s in table.stats:
        c = f"c{s.field}"
        kind = table.semantic.get(c)
        if s.type not in ("integer", "number") or s.real < MIN_VALUES or ID_LABEL.search(s.name):
            continue
        if (kind.kind if kind is not None else None) not in MEASURE_KINDS:
            continue
        out.append(c)
    return out


def _gap_cut(distances: np.ndarray, fence: float, gap: float) -> int | None:
    """``distances`` of the most distant values on one side from the centre, farthest first:
    the index of the nearest value that still stands apart from the rest (None: no gap)."""
    cut = None
    for k in range(len(distances) - 1):
        far, near = distances[k], max(distances[k + 1], 0.0)
        if far <= fence:
            break
        if far >= gap * near:
            cut = k
    return cut


def outlier_bounds(x: pl.Series, sampled: pl.Series) -> tuple[float | None, float | None]:
    """(low, high): values at or below ``low`` or at or above ``high`` are outliers (None: no
    bound). Exact: the statistics are of every value, and the bounds are values of the column."""
    x = x.drop_nulls()
    n = x.len()
    if n < MIN_VALUES:
        return None, None
    # Screens, cheapest first, with half the fences and half the gap measured on the sample:
    # the column's range (most columns stop there), then the gap test on its extremes. Only a
    # column that passes both gets its exact statistics (three quantiles over every value).
    s = sampled.drop_nulls()
    if s.len() >= MIN_VALUES:
        centre = _centre(s)
        if centre is None:
            return None, None
        med, low_fence, high_fence = centre
        lo, hi = x.min(), x.max()
        if float(hi) - med <= high_fence / 2 and med - float(lo) <= low_fence / 2:  # type: ignore[arg-type]
            return None, None
    k = max(1, int(n * MAX_SHARE)) + 1
    # top_k and bottom_k do not promise an order: farthest first.
    top = np.sort(np.asarray(x.top_k(k).to_numpy(), dtype=float))[::-1]
    bottom = np.sort(np.asarray(x.bottom_k(k).to_numpy(), dtype=float))
    if s.len() >= MIN_VALUES and _sides(top, bottom, s, GAP / 2, 0.5) == (None, None):
        return None, None
    return _sides(top, bottom, x, GAP)


def _centre(basis: pl.Series) -> tuple[float, float, float] | None:
    """(median, low fence, high fence) of ``basis``; None when the MAD is 0 (mostly one value)."""
    med = basis.median()
    if med is None:
        return None
    m = float(med)  # type: ignore[arg-type]
    mad = float((basis - m).abs().median() or 0.0)  # type: ignore[arg-type]
    if mad <= 0:
        return None
    p90, p10 = float(basis.quantile(0.9) or m), float(basis.quantile(0.1) or m)
    return (
        m,
        max(FENCE_MADS * mad, FENCE_SPREADS * (m - p10)),
        max(FENCE_MADS * mad, FENCE_SPREADS * (p90 - m)),
    )


def _sides(
    top: np.ndarray, bottom: np.ndarray, basis: pl.Series, gap: float, margin: float = 1.0
) -> tuple[float | None, float | None]:
    centre = _centre(basis)
    if centre is None:
        return None, None
    med, low_fence, high_fence = centre
    hi = _gap_cut(top - med, high_fence * margin, gap)
    lo = _gap_cut(med - bottom, low_fence * margin, gap)
    return (None if lo is None else float(bottom[lo])), (None if hi is None else float(top[hi]))


TOTALS = re.compile(
    r"^(?:合计|总计|小计|总数|共计|累计|全国|全省|全市|全区|全县|(?i:total|totals|grand total|sub-?total|sum|all))"
    r"(?:[:：\s].*)?$"
)
"""Labels of a sum row (Total, 合计, 全国): its figures are sums of the others, far above them by
design, not errors (the DECC local-authority table ends with one)."""


def outliers(table: Table, numbers: pl.DataFrame) -> dict[str, pl.Series]:
    """Per measure column of ``numbers`` (``__row`` and Float64 casts): the rows (``__row``) of
    its outliers, sum rows left out. Columns without any are left out."""
    out: dict[str, pl.Series] = {}
    have = set(numbers.columns)
    cols = [c for c in measure_columns(table) if c in have]
    if not cols:
        return out
    sampled = sample(numbers.select(cols))
    for c in _screen(numbers, sampled, cols):
        lo, hi = outlier_bounds(numbers.get_column(c), sampled.get_column(c))
        if lo is None and hi is None:
            continue
        v = pl.col(c)
        far = pl.lit(False)
        if lo is not None:
            far = far | (v <= lo)
        if hi is not None:
            far = far | (v >= hi)
        rows = numbers.filter(far.fill_null(False)).get_column("__row")
        rows = rows.filter(~rows.is_in(_sum_rows(table, rows).implode()))
        if rows.len():
            out[c] = rows
    return out


def _screen(numbers: pl.DataFrame, sampled: pl.DataFrame, cols: list[str]) -> list[str]:
    """The columns whose range reaches past half their fences (measured on the sample), found
    with a few queries whatever the number of columns; the others cannot hold an outlier."""

    def stats(v: pl.Expr, key: str) -> list[pl.Expr]:
        return [
            v.median().alias(f"{key}|med"),
            (v - v.median()).abs().median().alias(f"{key}|mad"),
            v.quantile(0.9).alias(f"{key}|p90"),
            v.quantile(0.1).alias(f"{key}|p10"),
            v.count().alias(f"{key}|n"),
        ]

    def span(v: pl.Expr, key: str) -> list[pl.Expr]:
        return [v.min().alias(f"{key}|min"), v.max().alias(f"{key}|max")]

    if len(cols) <= WIDE:
        centre = select_row(sampled, [e for c in cols for e in stats(pl.col(c), c)])
        centre.update(select_row(numbers, [e for c in cols for e in span(pl.col(c), c)]))
    else:
        # Wide tables: the columns stacked into one and grouped (thousands of expressions in one
        # select cost a second; one group-by a few milliseconds).
        centre = {}
        for frame, agg in ((sampled, stats), (numbers, span)):
            long = frame.select(cols).unpivot(variable_name="col", value_name="v")
            for r in long.group_by("col").agg(agg(pl.col("v"), "x")).iter_rows(named=True):
                centre.update({k.replace("x|", f"{r['col']}|"): x for k, x in r.items() if k != "col"})
    out = []
    for c in cols:
        med, mad, n = centre[f"{c}|med"], centre[f"{c}|mad"], centre[f"{c}|n"]
        if centre.get(f"{c}|max") is None:
            continue
        if n < MIN_VALUES:
            out.append(c)  # too few sampled values to screen with: the exact test decides
            continue
        if med is None or not mad:
            continue
        high = max(FENCE_MADS * mad, FENCE_SPREADS * (centre[f"{c}|p90"] - med))
        low = max(FENCE_MADS * mad, FENCE_SPREADS * (med - centre[f"{c}|p10"]))
        if centre[f"{c}|max"] - med > high / 2 or med - centre[f"{c}|min"] > low / 2:
            out.append(c)
    return out


def _sum_rows(table: Table, rows: pl.Series) -> pl.Series:
    """Those of ``rows`` (a few) with a text cell that names a sum (Total, 合计)."""
    text = [f"c{s.field}" for s in table.stats if s.type not in ("integer", "number")]
    if not text:
        return rows.clear()
    few = table.stripped.filter(pl.col("__row").is_in(rows.implode()))
    named = pl.any_horizontal([pl.col(c).str.contains(TOTALS.pattern).fill_null(False) for c in text])
    return few.filter(named).get_column("__row")
