import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic.run import invalid_values
from profilers.semantic.vocab import OFFICIAL_NAMES, WRONG_FORMS


def _exists(v: pl.Expr) -> pl.Expr:
    """Not a wrong form of a province name (广西省, 北京省, 新疆自治区) and not a made-up province
    (a name ending in 省 that is no province). Other values (cities, 全国) are left alone."""
    wrong = v.is_in(pl.Series(sorted(WRONG_FORMS)).implode())
    made_up = v.str.ends_with("省") & ~v.is_in(pl.Series(sorted(OFFICIAL_NAMES)).implode())
    return ~(wrong | made_up)


@check(
    "invalid-region-name",
    dimension="validity",
    level="cell",
    title="Province names that do not exist",
    description="A column of province-level names holds names that no division has: a short name with the "
    "wrong level (广西省 for 广西壮族自治区, 北京省, 新疆自治区) or a province that does not exist.",
    fix="Use the official names (广西壮族自治区) or the official short names (广西) of GB/T 2260.",
    title_zh="省级行政区名称不存在",
    fix_zh="使用 GB/T 2260 中的规范全称（广西壮族自治区）或规范简称（广西），不要写成“广西省”。",
    rubric="substantial",
)
def invalid_region_name(table: Table) -> Hit | None:
    return invalid_values(table, ("region",), lambda s: _exists)
