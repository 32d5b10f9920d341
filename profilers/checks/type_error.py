import polars as pl

from profilers.context import PLACEHOLDERS, Table, type_expr
from profilers.registry import Hit, check, per_column


@check(
    "type-error",
    dimension="validity",
    level="cell",
    title="Values that do not fit their column's type",
    description="Most of the column is one type (integer, number, date, boolean) and these values are not.",
    fix="Correct the values, or move comments and units out of the cells into the metadata.",
)
def type_error(table: Table) -> Hit | None:
    typed: dict[str, str] = {}
    for s in table.stats:
        pattern = type_expr(s.type)
        if s.nonconforming and pattern:
            typed[f"c{s.field}"] = pattern
    if not typed:
        return None
    placeholders = pl.Series(PLACEHOLDERS).implode()

    def bad(c: str) -> pl.Expr:
        v = pl.col(c)
        return (v.str.len_bytes() > 0) & ~v.is_in(placeholders) & ~v.str.contains(typed[c])

    count, examples = per_column(table, bad, typed, frame=table.stripped)
    return Hit(count, count / max(table.cells, 1), examples) if count else None
