from profilers.context import Table
from profilers.registry import Hit, check, row_examples


@check(
    "duplicate-row",
    dimension="uniqueness",
    level="row",
    title="Rows that repeat an earlier row exactly",
    description="Every cell equals the cells of an earlier row.",
    fix="Delete the repeated rows, or add the column that tells them apart.",
    title_zh="重复行",
    fix_zh="删除重复的行。",
    rubric="routine",
)
def duplicate_row(table: Table) -> Hit | None:
    frame = table.content
    if frame.height < 2:
        return None
    repeats = frame.get_column("__row").filter(~table.first_distinct)
    if not repeats.len():
        return None
    return Hit(repeats.len(), repeats.len() / frame.height, row_examples(repeats.head(5)))
