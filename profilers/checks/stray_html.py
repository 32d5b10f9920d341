from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic.run import suspect_hits
from profilers.semantic.text import has_html


@check(
    "stray-html",
    dimension="validity",
    severity="warning",
    level="cell",
    title="HTML markup in cells",
    description="Cells hold HTML tags (<br>, <p>, <span>…) or entities (&nbsp;, &amp;) copied from a web "
    "page or a rich-text editor.",
    fix="Export plain text: strip the tags and decode the entities.",
    title_zh="单元格含 HTML 标记",
    fix_zh="导出纯文本：去除 HTML 标签并还原实体字符（如 &nbsp;）。",
    rubric="routine",
)
def stray_html(table: Table) -> Hit | None:
    return suspect_hits(table, has_html)
