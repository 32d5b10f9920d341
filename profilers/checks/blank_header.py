from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "blank-header",
    dimension="validity",
    level="column",
    needs_table=False,
    title="Columns without a label",
    description="A header cell is empty (frictionless: blank-label).",
    fix="Give every column a label, or delete the column if it is empty.",
    title_zh="列名为空",
    fix_zh="为每一列填写列名。",
    rubric="routine",
)
def blank_header(table: Table) -> Hit | None:
    blank = [i for i, label in enumerate(table.labels, start=1) if not label.strip()]
    if not blank:
        return None
    row = table.source.header_row
    return Hit(
        len(blank), len(blank) / len(table.labels), [Example(row=row, field=i, column="") for i in blank]
    )
