import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check, short
from profilers.types import MAX_EXAMPLES, Example


@check(
    "extra-cell",
    dimension="validity",
    level="cell",
    title="Rows with more cells than the header",
    description="A row has cells past the last column (a ragged row).",
    fix="Quote values that contain the delimiter, or remove the surplus cells.",
    title_zh="行的单元格多于表头",
    fix_zh="使每行单元格数与表头一致；包含分隔符的值需加引号。",
    rubric="fatal",
)
def extra_cell(table: Table) -> Hit | None:
    n = len(table.labels)
    rows = table.content.filter(pl.col("__width") > n)
    if not rows.height:
        return None
    cells = int((rows.get_column("__width") - n).sum())
    examples: list[Example] = []
    for row, width, extra in rows.select("__row", "__width", "__extra").head(MAX_EXAMPLES).iter_rows():
        values = (extra or "").split(table.source.delimiter or ",")
        for k in range(min(width - n, MAX_EXAMPLES)):
            examples.append(
                Example(row=int(row), field=n + k + 1, value=short(values[k] if k < len(values) else None))
            )
    return Hit(cells, rows.height / max(table.rows, 1), examples[:MAX_EXAMPLES])
