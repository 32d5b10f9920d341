from profilers.checks._labels import period_columns
from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example

MIN_ROWS = 10
"""A table of ten rows or fewer is a fragment. Calibrated on the shared corpus: the Deyang
catalog lists 544 of its 1,946 datasets at ≤ 10 rows, among them the four-row household
expenditure tables that are pieces of one table; real single tables in the corpus (NYC, GDP,
Tameside) run to 100 rows and more."""


@check(
    "low-capacity",
    dimension="consolidation",
    severity="warning",
    level="table",
    title="Low capacity (few rows and fields)",
    description=f"The table has {MIN_ROWS} data rows or fewer: likely one piece of a larger table.",
    fix="Publish the series as one table (all years, regions or indicators together) instead of small pieces.",
    title_zh="数据容量过低",
    fix_zh="将同一主题的小表合并为一个数据集。",
    rubric="substantial",
)
def low_capacity(table: Table) -> Hit | None:
    rows = table.rows
    if rows > MIN_ROWS:
        return None
    # A wide table (one column per year or month) holds rows × periods observations: a 6-indicator
    # × 46-year table is a long series, not a fragment.
    periods = period_columns(table)
    if len(periods) >= 2 and rows * len(periods) > MIN_ROWS:
        return None
    share = (MIN_ROWS + 1 - rows) / (MIN_ROWS + 1)
    return Hit(1, share, [Example(value=f"{rows} rows × {len(table.labels)} columns")], f"{rows} data rows")
