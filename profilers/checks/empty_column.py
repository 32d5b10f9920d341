from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "empty-column",
    dimension="validity",
    severity="warning",
    level="column",
    title="Columns with no values",
    description="Every cell of the column is empty or a placeholder.",
    fix="Delete empty columns, or fill them.",
    title_zh="空列",
    fix_zh="删除没有任何值的列，或补全数据。",
    rubric="routine",
)
def empty_column(table: Table) -> Hit | None:
    if not table.rows:
        return None
    empty = [s for s in table.stats if s.real == 0]
    if not empty:
        return None
    return Hit(
        len(empty), len(empty) / len(table.stats), [Example(field=s.field, column=s.name) for s in empty]
    )
