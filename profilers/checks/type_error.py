import polars as pl

from profilers.context import PLACEHOLDERS, Table, type_expr
from profilers.registry import Hit, check, per_column
from profilers.semantic.text import is_full_width_value
from profilers.semantic.units import QUANTITY
from profilers.types import MAX_EXAMPLES, Example

CODE_KINDS = frozenset({"id-card", "credit-code", "org-code", "division-code", "phone", "postcode"})


@check(
    "type-error",
    dimension="validity",
    level="cell",
    title="Values that do not fit their column's type",
    description="Most of the column is one type (integer, number, date, boolean) and these values are not.",
    fix="Correct the values, or move comments and units out of the cells into the metadata.",
    title_zh="数据类型错误",
    fix_zh="同一列使用统一的数据类型（数值列不含单位和千分位符号）。",
    rubric="substantial",
)
def type_error(table: Table) -> Hit | None:
    by_pattern: dict[str, list[str]] = {}
    for s in table.stats:
        pattern = type_expr(s.type)
        kind = table.semantic.get(f"c{s.field}")
        if kind is not None and kind.kind in CODE_KINDS:
            continue  # identifiers and contacts are validated by their own checks
        if s.nonconforming and pattern:
            by_pattern.setdefault(pattern, []).append(f"c{s.field}")
    if not by_pattern:
        return None
    placeholders = pl.Series(PLACEHOLDERS).implode()
    count = 0
    examples: list[Example] = []
    for pattern, cols in by_pattern.items():

        def bad(c: str, pattern: str = pattern) -> pl.Expr:
            v = pl.col(c)
            # A number with a unit is a mixed-units finding, a full-width one full-width-digits.
            return (
                (v.str.len_bytes() > 0)
                & ~v.is_in(placeholders)
                & ~v.str.contains(pattern)
                & ~v.str.contains(QUANTITY)
                & ~is_full_width_value(v)
            )

        n, found = per_column(table, bad, cols, frame=table.stripped)
        count += n
        examples += found
    examples.sort(key=lambda e: (e.field or 0, e.row or 0))
    return Hit(count, count / max(table.cells, 1), examples[:MAX_EXAMPLES]) if count else None
