import re

from profilers.checks._labels import PERIOD_LABEL, value_columns
from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example

GENERIC_LABEL = re.compile(r"^(?i:value|values|val|data|figure|obs_value|数值|值|数据|指标值)$")
"""A column label that says there is a number but not what it counts."""
NEEDS_UNIT = re.compile(
    r"(?:收入|支出|人口|产量|产值|总值|生产总值|金额|面积|价格|费用|投资|销售额|总额|工资|消费|增加值|产出|存款|贷款|利润|税收|能耗|用水量|用电量|排放量)$"
)
"""Chinese quantity names that need a unit (元, 万人, 吨…) to be read: 人均纯收入, 年末总人口."""
UNIT_MARK = re.compile(
    r"[(（\[【][^)）\]】]*[)）\]】]|单位|unit|%|％|‰|/|per |率|指数|index|比重|占比|元|吨|人$|万|亿|"
    r"km|kg|mt|usd|eur|gbp|\$|£|€|_m$|_t$|_kg$|_pct$|_usd$|_eur$",
    re.IGNORECASE,
)
"""A unit, rate or index named in a label or title: （万元）, 单位：吨, %, per 1,000, 指数, USD."""
KEY_LABEL = re.compile(
    r"^(?i:year|yr|month|date|period|time|id|code|no\.?|number|序号|编号|代码|编码|年|年份|年度|月份|日期|时间|期间)$"
)
"""Numeric columns that identify a row (a year, a code), not a quantity."""
MEASURE_COLUMN = re.compile(r"(?i:indicator|series|measure|variable|unit|指标|单位|计量|统计项|项目)")
"""A column that names the measure row by row (Indicator Name: GDP (current US$); 指标; 单位)."""
MIN_SHARE = 0.8
"""The value columns whose labels are bare: at least this share of them (a period table may keep one
named total column)."""


@check(
    "missing-measure",
    dimension="metadata",
    severity="error",
    level="table",
    title="What is measured, or its unit, is stated nowhere",
    description="The numbers sit under bare periods or regions (地区,2023年,2022年), a generic label "
    "(Value) or a quantity name without its unit (人均纯收入), and no title line names the indicator "
    "or the unit: a reader cannot tell what the numbers are.",
    fix="Name the indicator and its unit in the column labels (地区生产总值（亿元）) or in a title line.",
    title_zh="未说明统计指标或计量单位",
    fix_zh="在列名中写明指标和单位（如“地区生产总值（亿元）”），或在表头上方的标题行中说明。",
    rubric="substantial",
)
def missing_measure(table: Table) -> Hit | None:
    values = value_columns(table)
    if not values:
        return None
    if any(MEASURE_COLUMN.search(label) for label in table.labels):
        return None
    text = " ".join([t for _, t in table.structure.title_rows] + [t for _, t in table.structure.footer_rows])
    if UNIT_MARK.search(text):
        return None
    labels = [table.label(int(c[1:])).strip() for c in values]
    labels = [label for label in labels if not KEY_LABEL.match(label)]
    if not labels:
        return None
    if any(UNIT_MARK.search(label) for label in labels if not PERIOD_LABEL.match(label)):
        return None
    bare = [label for label in labels if PERIOD_LABEL.match(label) or GENERIC_LABEL.match(label)]
    no_unit = [label for label in labels if NEEDS_UNIT.search(label)]
    if len(bare) >= len(labels) * MIN_SHARE:
        why, shown = "bare periods or generic labels over the numbers", bare
    elif len(no_unit) >= len(labels) * MIN_SHARE:
        why, shown = "quantities named without their unit", no_unit
    else:
        return None
    if table.structure.title_rows and why.startswith("quantities"):
        return None  # a title line may carry the unit in words
    example = Example(value=", ".join(shown[:6]) + (" …" if len(shown) > 6 else ""))
    return Hit(1, 1.0, [example], f"{why}: {len(shown)} of {len(labels)} value columns")
