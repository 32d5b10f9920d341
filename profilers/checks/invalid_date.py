from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.detect import DATE_LABEL
from profilers.semantic.run import invalid_values


@check(
    "invalid-date",
    dimension="validity",
    level="cell",
    title="Invalid dates",
    description="A date column holds dates that do not exist (month 13, 30 February, 25:00), in any of the "
    "forms portals use (2019-01-02, 2019/1/2, 20190102, 2019年1月2日, 02/01/2019).",
    fix="Write dates as ISO 8601 (YYYY-MM-DD) and correct impossible dates.",
    title_zh="日期无效",
    fix_zh="日期使用 ISO 8601 格式（YYYY-MM-DD），并更正不存在的日期。",
    rubric="substantial",
)
def invalid_date(table: Table) -> Hit | None:
    fast = tuple(val.parses_as_date(f) for f in val.DATE_FAST)
    return invalid_values(
        table,
        ("date",),
        lambda s: lambda v: val.valid_date(v, year_month=bool(DATE_LABEL.search(s.label))),
        fast=fast,
    )
