from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example

MIN_ROWS = 10
"""Below ten rows a repeated value is normal (a four-row table of one year)."""


@check(
    "constant-column",
    dimension="validity",
    severity="info",
    level="column",
    title="Columns with the same value in every row",
    description="A column holds one value throughout; it says nothing per row.",
    fix="Move a constant (the year, the publisher) into the metadata or the file name, or check the export.",
    title_zh="常量列",
    fix_zh="将每行都相同的值移入元数据。",
    rubric="routine",
)
def constant_column(table: Table) -> Hit | None:
    if table.rows < MIN_ROWS:
        return None
    const = [s for s in table.stats if s.distinct == 1 and s.real == s.values]
    if not const:
        return None
    first = table.content.head(1)
    examples = [
        Example(row=int(first["__row"][0]), field=s.field, column=s.name, value=first[f"c{s.field}"][0])
        for s in const
    ]
    return Hit(len(const), len(const) / len(table.stats), examples)
