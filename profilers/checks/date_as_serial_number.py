from datetime import date, timedelta

import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import is_serial_date
from profilers.semantic.run import columns_of
from profilers.types import MAX_EXAMPLES, Example

EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's 1900 date system (day 60 is its fictional 29 February 1900, so the count
starts a day early for every later date)."""


def serial_to_date(value: str) -> str:
    return (EXCEL_EPOCH + timedelta(days=int(float(value)))).isoformat()


@check(
    "date-as-serial-number",
    dimension="validity",
    severity="warning",
    level="cell",
    title="Dates written as Excel serial numbers",
    description="Dates stored as the day numbers of Excel (43831 for 2020-01-01) in a column labelled as "
    "dates (日期, date) or among real dates: the date format of the cells was lost on export, and "
    "nobody reading the file can tell the date.",
    fix="Format these cells as dates before exporting (or write them as YYYY-MM-DD).",
    title_zh="日期被写成 Excel 序列号",
    fix_zh="导出前将这些单元格设置为日期格式（或写成 YYYY-MM-DD）。",
    rubric="routine",
)
def date_as_serial_number(table: Table) -> Hit | None:
    cols = [s for s in columns_of(table, "date") if s.style == "serial" or table.stat(s.field).nonconforming]
    if not cols:
        return None
    frame = table.stripped
    count = 0
    examples: list[Example] = []
    for s in cols:
        v = pl.col(s.col)
        bad = frame.select("__row", s.col).filter(is_serial_date(v).fill_null(False))
        count += bad.height
        if bad.height and len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, s.col, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    first = next(e for e in examples if e.value)
    message = f"{first.value} is {serial_to_date(first.value or '0')} as an Excel serial date"
    return Hit(count, count / max(table.rows * len(cols), 1), examples, message=message)
