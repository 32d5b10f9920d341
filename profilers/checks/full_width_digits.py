from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic.run import suspect_hits
from profilers.semantic.text import is_full_width_value


@check(
    "full-width-digits",
    dimension="validity",
    severity="warning",
    level="cell",
    title="Full-width digits or letters",
    description="Numbers, dates or codes typed with full-width characters (１２３, ２０１９年１月, ＡＢＣ): they look "
    "right but do not parse or match. Full-width digits inside running text are left alone.",
    fix="Convert full-width characters (１２３, ＡＢＣ) to half-width.",
    title_zh="全角数字或字母",
    fix_zh="将全角字符（１２３、ＡＢＣ）转换为半角。",
    rubric="routine",
)
def full_width_digits(table: Table) -> Hit | None:
    return suspect_hits(table, is_full_width_value)
