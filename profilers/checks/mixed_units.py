import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import sample
from profilers.semantic.run import real
from profilers.semantic.units import QUANTITY, unit_of
from profilers.types import MAX_EXAMPLES, Example

MIN_QUANTITY_SHARE = 0.8
"""A text column is a column of quantities when this share of its sampled values is a number
with or without a unit (12万, 3.5亿元, 45%)."""
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
    if not count:
        return None
    return Hit(count, count / max(table.cells, 1), examples)
