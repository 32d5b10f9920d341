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
    fix="Leave cells without data empty and explain why in the metadata.",
)
def placeholder_value(table: Table) -> Hit | None:
    cols = [f"c{s.field}" for s in table.stats if s.placeholders]
    if not cols:
        return None
    placeholders = pl.Series(PLACEHOLDERS).implode()
    count, examples = per_column(table, lambda c: pl.col(c).is_in(placeholders), cols, frame=table.stripped)
    return Hit(count, count / max(table.cells, 1), examples)
