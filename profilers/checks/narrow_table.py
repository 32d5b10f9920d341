from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example

MIN_COLUMNS = 3
"""One or two columns is a list or one key with one value: in the corpus every two-column
file (a year and one figure) is a slice of a wider statistical table."""


@check(
    "narrow-table",
    dimension="consolidation",
    severity="info",
    level="table",
    title="Very few columns",
    description=f"The table has fewer than {MIN_COLUMNS} columns with data.",
    fix="Publish related indicators together, one column each, with the key columns they share.",
    title_zh="表格字段过少",
    fix_zh="补充理解数据所需的字段（时间、地点、单位），或与相关表合并。",
    rubric="blemish",
)
def narrow_table(table: Table) -> Hit | None:
    used = sum(1 for s in table.stats if s.real > 0)
    if used >= MIN_COLUMNS or not table.rows:
        return None
    return Hit(1, (MIN_COLUMNS - used) / MIN_COLUMNS, [Example(value=f"{used} column(s) with data")])
