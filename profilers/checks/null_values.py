import polars as pl

from profilers.context import PLACEHOLDERS, Table
from profilers.registry import Hit, check, per_column


@check(
    "null-values",
    dimension="completeness",
    severity="warning",
    level="cell",
    title="Cells without a value",
    description="Empty, missing or placeholder cells, as a share of the cells of columns that hold data "
    "(wholly empty columns are reported by empty-column instead).",
    fix="Fill the missing values, or explain in the metadata why they are missing.",
    title_zh="空值",
    fix_zh="补全已知的缺失值，并说明其余值缺失的原因。",
    rubric="fatal",
)
def null_values(table: Table) -> Hit | None:
    used = [s for s in table.stats if s.real > 0]
    # A blank in a tick-mark column means "not ticked", not a missing value.
    cols = [f"c{s.field}" for s in used if s.real < s.values and not s.tick]
    if not cols:
        return None
    placeholders = pl.Series(PLACEHOLDERS).implode()

    def null(c: str) -> pl.Expr:
        v = pl.col(c)
        return v.is_null() | (v.str.len_bytes() == 0) | v.is_in(placeholders)

    count, examples = per_column(table, null, cols, frame=table.stripped)
    return Hit(count, count / max(table.rows * len(used), 1), examples)
