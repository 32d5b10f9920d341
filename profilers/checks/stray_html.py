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
)
def stray_html(table: Table) -> Hit | None:
    return suspect_hits(table, has_html)
