from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "multi-row-header",
    dimension="validity",
    severity="warning",
    level="file",
    needs_table=False,
    title="The header spans several rows",
    description="Column labels are split over two or more rows (often merged cells in a spreadsheet).",
    fix="Use one header row; join the levels into one name per column (e.g. 2023年_收入).",
    title_zh="多行表头",
    fix_zh="使用单行表头，将多级表头合并为每列一个列名（如“2023年_收入”）。",
    rubric="substantial",
)
def multi_row_header(table: Table) -> Hit | None:
    rows = table.structure.header_rows
    if len(rows) < 2:
        return None
    return Hit(len(rows), 1.0, [Example(row=r) for r in rows])
