from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic.run import suspect_hits
from profilers.semantic.text import has_control


@check(
    "control-characters",
    dimension="validity",
    severity="warning",
    level="cell",
    title="Control or invisible characters in cells",
    description="Cells hold control characters (other than tab and line breaks), zero-width spaces or a "
    "stray byte-order mark: invisible, but they break matching and joins.",
    fix="Remove control and zero-width characters from the values.",
    title_zh="单元格含控制字符或不可见字符",
    fix_zh="删除值中的控制字符和零宽字符。",
    rubric="routine",
)
def control_characters(table: Table) -> Hit | None:
    return suspect_hits(table, has_control)
