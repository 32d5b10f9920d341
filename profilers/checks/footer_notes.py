from profilers.context import Table
from profilers.registry import Hit, check, short
from profilers.types import Example


@check(
    "footer-notes",
    dimension="validity",
    severity="warning",
    level="file",
    needs_table=False,
    title="Notes or a source line below the data",
    description="Lines such as 注：… or 数据来源：… follow the last data row.",
    fix="Move notes and the source into the metadata (description, provenance); keep only data rows in the table.",
    title_zh="数据下方有注释行",
    fix_zh="将“数据来源”“注”等说明移入元数据描述。",
    rubric="routine",
)
def footer_notes(table: Table) -> Hit | None:
    rows = table.structure.footer_rows
    if not rows:
        return None
    return Hit(len(rows), 1.0, [Example(row=r, field=1, value=short(t)) for r, t in rows])
