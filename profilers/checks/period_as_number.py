import re

import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import DATE_LABEL
from profilers.types import MAX_EXAMPLES, Example

PERIOD = re.compile(r"^((?:1[89]|20)[0-9]{2})[.．]([0-9]{1,2})$")
"""Year.month written as a number: 2016.01 … 2016.12."""
PERIOD_RE = r"^(?:1[89]|20)[0-9]{2}[.．][0-9]{1,2}$"
PADDED_RE = r"^(?:1[89]|20)[0-9]{2}[.．](?:0[1-9]|1[0-2])$"
SHORT_RE = r"^(?:1[89]|20)[0-9]{2}[.．][1-9]$"
PERIOD_LABEL = re.compile(DATE_LABEL.pattern + r"|月份|期|period|month", re.IGNORECASE)
MIN_PERIOD_SHARE = 0.9


def _header(table: Table) -> list[Example]:
    """Labels ``YYYY.M`` beside zero-padded ``YYYY.MM`` labels: the spreadsheet stored the period
    as a number and dropped the trailing zero, so October (2016.10) reads 2016.1 (January?)."""
    periods = [(i, m) for i, label in enumerate(table.labels, 1) if (m := PERIOD.match(label.strip()))]
    if not any(len(m.group(2)) == 2 for _, m in periods):
        return []
    return [
        Example(row=table.source.header_row, field=i, column=table.label(i), value=table.label(i))
        for i, m in periods
        if len(m.group(2)) == 1
    ]


@check(
    "period-formatted-as-number",
    dimension="validity",
    level="cell",
    title="Periods formatted as numbers (2016.1 for 2016.10)",
    description="Year-month periods written as decimal numbers lose the trailing zero: 2016.1 beside 2016.01 "
    "means October, but reads as January. Reported in the header and in period columns.",
    fix="Write periods as text in one form (2016-10 or 2016年10月), not as numbers.",
    title_zh="期别被写成数字（2016.1 应为 2016.10）",
    fix_zh="期别以文本格式统一书写（2016-10 或 2016年10月），不要存为数字。",
    rubric="substantial",
)
def period_formatted_as_number(table: Table) -> Hit | None:
    header = _header(table)
    cells: list[Example] = []
    count = 0
    frame = table.stripped
    for s in table.stats:
        if s.type not in ("number", "integer") or not PERIOD_LABEL.search(s.name):
            continue
        c = f"c{s.field}"
        v = pl.col(c)
        filled = v.is_not_null() & (v.str.len_bytes() > 0)
        share, padded = frame.select(
            (v.str.contains(PERIOD_RE).sum() / filled.sum().clip(lower_bound=1)).alias("share"),
            v.str.contains(PADDED_RE).sum().alias("padded"),
        ).row(0)
        if (share or 0) < MIN_PERIOD_SHARE or not padded:
            continue
        bad = frame.select("__row", c).filter(v.str.contains(SHORT_RE))
        count += bad.height
        if len(cells) < MAX_EXAMPLES:
            cells += cell_examples(bad, table, c, MAX_EXAMPLES - len(cells))
    total = len(header) + count
    if not total:
        return None
    share = total / max(table.cells + len(table.labels), 1)
    if header and not count:
        share = len(header) / max(len(table.labels), 1)
    return Hit(total, share, (header + cells)[:MAX_EXAMPLES])
