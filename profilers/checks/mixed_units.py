import re

import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import sample
from profilers.semantic.run import real
from profilers.semantic.units import QUANTITY, UNITS, unit_of
from profilers.types import MAX_EXAMPLES, Example

MIN_QUANTITY_SHARE = 0.8
"""A text column is a column of quantities when this share of its sampled values is a number
with or without a unit (12万, 3.5亿元, 45%)."""
UNIT_LABEL = r"^(?i:单位|计量单位|数据单位|unit|units|unit of measure(?:ment)?|uom|measure unit)$"
"""The label of a column that states each row's unit."""
MAX_UNIT_LENGTH = 12
UNIT_VALUE = (
    rf"^(?:[万亿千百十]*(?:{UNITS}|千瓦|标准煤|立方米|吨|元|人|户|头|只|公顷|亩)(?:/(?:{UNITS}))?"
    r"|(?i:kg|t|tonnes?|mt|kt|km|m|ha|%|usd|eur|gbp|gwh|mwh|kwh|persons?|people|number|count|index))$"
)
"""A value that is a unit of measurement (万吨, 亿千瓦小时, 元/吨, kWh): a 单位/Unit column of department
names (MAN., ERT) is not a unit column."""
CODE_KINDS = {"id-card", "credit-code", "org-code", "division-code", "phone", "postcode", "date"}


@check(
    "mixed-units",
    dimension="validity",
    level="cell",
    title="Numbers with mixed units or multipliers",
    description="A column of numbers where some values carry a unit or a multiplier (12万, 3.5亿, 800元, 45%) "
    "and others a different one or none: the numbers cannot be compared or summed as written.",
    fix="Put the unit in the column label (金额（万元）) and write every value as a plain number in that unit.",
    title_zh="数值单位或量级混用",
    fix_zh="将单位写入列名（如“金额（万元）”），各单元格只填写该单位下的纯数字。",
    rubric="substantial",
)
def mixed_units(table: Table) -> Hit | None:
    frame = table.stripped
    semantic = table.semantic
    candidates: list[str] = []
    text_cols = [
        f"c{s.field}"
        for s in table.stats
        if s.type == "string" and f"c{s.field}" not in semantic and s.real > 0
    ]
    if text_cols:
        # The sample stacked, so the pattern compiles once however many text columns there are.
        long = sample(frame).select(text_cols).unpivot(variable_name="col", value_name="v")
        probe = dict(
            long.group_by("col")
            .agg(pl.col("v").str.contains(QUANTITY).sum() / real(pl.col("v")).sum().clip(lower_bound=1))
            .iter_rows()
        )
        candidates += [c for c in text_cols if (probe.get(c) or 0) >= MIN_QUANTITY_SHARE]
    # Numeric columns: only the values that are not plain numbers can carry a unit.
    candidates += [
        f"c{s.field}"
        for s in table.stats
        if s.type in ("integer", "number") and s.nonconforming and semantic.get(f"c{s.field}") is None
    ]
    count = 0
    examples: list[Example] = []
    for c in candidates:
        v = pl.col(c)
        units = (
            frame.select("__row", c).filter(real(v) & v.str.contains(QUANTITY)).with_columns(unit=unit_of(v))
        )
        per_unit = units.group_by("unit").len().sort("len", "unit", descending=[True, False])
        if per_unit.height < 2:
            continue
        main = per_unit.item(0, "unit")
        bad = units.filter(pl.col("unit") != main)
        count += bad.height
        if len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, c, MAX_EXAMPLES - len(examples))
    unit_rows, unit_examples = _unit_column(table)
    count += unit_rows
    examples += unit_examples[: MAX_EXAMPLES - len(examples)]
    if not count:
        return None
    return Hit(count, count / max(table.cells, 1), examples)


def _unit_column(table: Table) -> tuple[int, list[Example]]:
    """A column labelled 单位/unit whose unit changes by row (万吨 in one row, 亿千瓦小时 in another):
    the rows that are not in the column's most common unit."""
    frame = table.stripped
    count = 0
    examples: list[Example] = []
    for s in table.stats:
        c = f"c{s.field}"
        if s.type != "string" or s.real == 0 or not re.match(UNIT_LABEL, s.name.strip()):
            continue
        v = pl.col(c)
        units = frame.select("__row", c).filter(real(v) & (v.str.len_chars() <= MAX_UNIT_LENGTH))
        if units.select(v.str.contains(UNIT_VALUE).mean()).item() < MIN_QUANTITY_SHARE:
            continue
        per_unit = units.group_by(c).len().sort("len", c, descending=[True, False])
        if per_unit.height < 2:
            continue
        bad = units.filter(v != per_unit.item(0, c))
        count += bad.height
        examples += cell_examples(bad, table, c, MAX_EXAMPLES)
    return count, examples
