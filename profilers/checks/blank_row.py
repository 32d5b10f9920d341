from profilers.context import Table
from profilers.registry import Hit, check, row_examples


@check(
    "blank-row",
    dimension="validity",
    severity="warning",
    level="row",
    title="Rows with no values",
    description="Every cell of the row is empty (including rows of only commas).",
    fix="Delete the empty rows.",
    title_zh="空行",
    fix_zh="删除空行。",
    rubric="routine",
)
def blank_row(table: Table) -> Hit | None:
    blank = table.data.get_column("__row").filter(table.blank)
    if not blank.len():
        return None
    return Hit(blank.len(), blank.len() / max(table.data.height, 1), row_examples(blank.head(5)))
