import polars as pl

from profilers.context import PLACEHOLDERS, Table
from profilers.registry import Hit, check, per_column


@check(
    "placeholder-value",
    dimension="validity",
    severity="warning",
    level="cell",
    title="Placeholder values instead of data",
    description="Cells such as 无, 暂无, -, /, N/A, NULL or #N/A stand where a value or an empty cell belongs.",
    fix="Leave missing values empty instead of writing 无, 暂无, -, /, N/A or NULL.",
    title_zh="占位符值",
    fix_zh="缺失值留空，不要填写“无”“暂无”“-”“/”“N/A”“NULL”等占位符。",
    rubric="routine",
)
def placeholder_value(table: Table) -> Hit | None:
    cols = [f"c{s.field}" for s in table.stats if s.placeholders]
    if not cols:
        return None
    placeholders = pl.Series(PLACEHOLDERS).implode()
    count, examples = per_column(table, lambda c: pl.col(c).is_in(placeholders), cols, frame=table.stripped)
    return Hit(count, count / max(table.cells, 1), examples)
