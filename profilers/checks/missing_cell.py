import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import MAX_EXAMPLES, Example


@check(
    "missing-cell",
    dimension="validity",
    level="cell",
    title="Rows with fewer cells than the header",
    description="A row ends before the last column (a ragged row); the missing cells are not even empty.",
    fix="Give every row as many cells as the header (empty cells are fine).",
    title_zh="行的单元格少于表头",
    fix_zh="使每行单元格数与表头一致（可以留空单元格）。",
    rubric="fatal",
)
def missing_cell(table: Table) -> Hit | None:
    n = len(table.labels)
    rows = table.content.filter(pl.col("__width") < n)
    if not rows.height:
        return None
    cells = int((n - rows.get_column("__width")).sum())
    examples: list[Example] = []
    for row, width in rows.select("__row", "__width").head(MAX_EXAMPLES).iter_rows():
        for f in range(width + 1, n + 1):
            examples.append(Example(row=int(row), field=f, column=table.label(f)))
    return Hit(cells, rows.height / max(table.rows, 1), examples[:MAX_EXAMPLES])
