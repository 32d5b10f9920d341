import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import sample
from profilers.semantic.run import real
from profilers.types import MAX_EXAMPLES, Example

NUMBER = r"[£$€¥￥]?\s?\d[\d,]*(?:\.\d+)?\s?(?:[kKmM]|万|千|亿|元|%)?"
RANGE = rf"^\s*{NUMBER}(?:\s+(?:-|–|—|to|~|～)\s+|\s*(?:至|~|～|–|—)\s*){NUMBER}(?:\s.*)?$"
"""A cell that starts with two amounts joined as a range (£31,754 - £34,549 per annum, 5万至10万):
a hyphen counts only with spaces around it, so dates and codes (2012-10-03, 43A-24B) are not ranges."""
MONEY = r"[£$€¥￥元万亿]|\d,\d{3}"
"""A currency, a Chinese magnitude or a thousands separator: an amount, not a label such as an age
band (15 - 24) or a period (2019 - 2020)."""
MIN_SHARE = 0.5
"""At least this share of a column's sampled values are ranges: the column means an amount."""
MIN_VALUES = 3


@check(
    "range-values",
    dimension="consistency",
    severity="error",
    level="cell",
    title="Ranges of amounts written as text where one number is expected",
    description="Most cells of a column hold two amounts joined as a range, often with a currency and "
    "words ('£31,754 - £34,549 per annum'): the column cannot be summed, sorted or compared until each "
    "cell is split into a minimum and a maximum and the text removed.",
    fix="Publish the lower and upper bounds as two numeric columns, with the currency and the period "
    "(per annum) in the column labels.",
    title_zh="应为单个数值的列中以文本写着数值区间",
    fix_zh="把区间拆成“下限”“上限”两列数值，并在列名中注明币种和计量期间（如每年）。",
    rubric="substantial",
)
def range_values(table: Table) -> Hit | None:
    cols = [f"c{s.field}" for s in table.stats if s.type == "string" and s.real > 0]
    if not cols:
        return None
    v = pl.col("v")
    is_range = v.str.contains(RANGE) & v.str.contains(MONEY)
    long = sample(table.stripped).select(cols).unpivot(variable_name="col", value_name="v").filter(real(v))
    probe = long.group_by("col").agg(is_range.mean().alias("share"), is_range.sum().alias("n"))
    found = {c for c, share, n in probe.iter_rows() if share >= MIN_SHARE and n >= MIN_VALUES}
    count = 0
    examples: list[Example] = []
    for c in cols:
        if c not in found:
            continue
        x = pl.col(c)
        bad = table.stripped.select("__row", c).filter(
            real(x) & x.str.contains(RANGE) & x.str.contains(MONEY)
        )
        count += bad.height
        if len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, c, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    return Hit(count, count / max(table.cells, 1), examples, f"{count} cells hold a range of amounts")
