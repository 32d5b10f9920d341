import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.run import columns_of
from profilers.semantic.vocab import OFFICIAL_NAMES, SHORT_NAMES
from profilers.types import MAX_EXAMPLES, Example


@check(
    "mixed-region-names",
    dimension="validity",
    severity="warning",
    level="cell",
    title="Official and short province names mixed in one column",
    description="A column of province-level names uses official names (北京市, 广西壮族自治区) in some rows and "
    "short names (北京, 广西) in others; the names in the less common form are reported.",
    fix="Use one form throughout the column, preferably the official names of GB/T 2260.",
    title_zh="省级名称全称与简称混用",
    fix_zh="同一列统一使用一种写法，建议使用 GB/T 2260 规范全称。",
    rubric="routine",
)
def mixed_region_names(table: Table) -> Hit | None:
    cols = columns_of(table, "region")
    if not cols:
        return None
    official = pl.Series(sorted(OFFICIAL_NAMES)).implode()
    short = pl.Series(sorted(SHORT_NAMES)).implode()
    count = 0
    examples: list[Example] = []
    for s in cols:
        v = pl.col(s.col)
        n_official, n_short = table.stripped.select(
            v.is_in(official).sum().alias("official"), v.is_in(short).sum().alias("short")
        ).row(0)
        if not n_official or not n_short:
            continue
        minority = short if n_short <= n_official else official
        rows = table.stripped.select("__row", s.col).filter(v.is_in(minority))
        count += rows.height
        if len(examples) < MAX_EXAMPLES:
            examples += cell_examples(rows, table, s.col, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    return Hit(count, count / max(table.rows * len(cols), 1), examples)
