from profilers.context import Table
from profilers.registry import Hit, check, short
from profilers.types import Example


@check(
    "title-rows",
    dimension="validity",
    severity="warning",
    level="file",
    needs_table=False,
    title="Title lines above the header",
    description="Lines such as a title, the database name or a comment stand above the header row.",
    fix="Move titles and descriptions into the metadata; the first row of the file should be the header.",
    title_zh="表头上方有标题行",
    fix_zh="将标题写入元数据，文件第一行即为表头。",
    rubric="routine",
)
def title_rows(table: Table) -> Hit | None:
    rows = table.structure.title_rows
    if not rows:
        return None
    return Hit(len(rows), 1.0, [Example(row=r, field=1, value=short(t)) for r, t in rows])
