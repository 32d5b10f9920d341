import polars as pl

from profilers.checks._labels import label_columns, value_columns
from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.types import MAX_EXAMPLES, Example

TOTAL_LABEL = (
    r"^(?i:合计|总计|小计|共计|累计|总数|全部|全国|全国总计|全省|全市|全区|全县|全州|全盟"
    r"|其中[:：]?.*|.*[(（]合计[)）]|总\s*计|合\s*计|小\s*计"
    r"|total|totals|grand total|sub-?total|sub total|overall|all|total[ :-]+\w+(?: \w+)?"
    r"|all (?:areas|regions|countries|sectors|industries|categories|ages|persons|people|households|types|sizes"
    r"|years|groups|sexes|businesses|firms|companies|respondents|employees|others?|local authorities|items)"
    r"|world|european union|euro area|arab world|oecd members|.* income|.*\(excluding .*\)"
    r"|ida .*|ibrd .*|.*dividend|fragile and conflict affected situations|heavily indebted poor countries.*"
    r"|least developed countries.*|.*small states|sub-saharan africa.*|east asia & pacific.*"
    r"|latin america & caribbean.*|middle east & north africa.*|europe & central asia.*)$"
)
"""Row labels that name a total, a subtotal or an aggregate of the rows around it: the Chinese
statistical labels, English totals and the World Bank's aggregate entities (World, High income,
Euro area …) listed among countries."""
NOT_TOTAL = r"(?i:\b(?:ltd|limited|plc|inc|llc|gmbh|s\.?a\.?|energies|oil|gas|saints?|souls)\b)"
"""Names that start like a total but are not one: Total Gas Ltd (a company), All Saints (a school)."""
MAX_SHARE = 0.5
"""Total rows are a minority: a label column where most rows match is not a list of details."""
MIN_ROWS = 3


@check(
    "totals-in-rows",
    dimension="consistency",
    severity="error",
    level="row",
    title="Totals or subtotals among the detail rows",
    description="Rows labelled 合计, 总计, 小计, 其中, 全国, Total, All or an aggregate (World, High income) sit "
    "among the detail rows they sum: adding up a column counts values twice or three times.",
    fix="Publish the detail rows only (totals can be computed), or mark each row's level in its own column.",
    title_zh="明细行中混有合计或小计行",
    fix_zh="只发布明细行（合计可由使用者计算），或用单独一列标明每行的汇总层级。",
    rubric="substantial",
)
def totals_in_rows(table: Table) -> Hit | None:
    if table.rows < MIN_ROWS:
        return None
    frame = table.stripped
    numbers = value_columns(table)
    best: tuple[int, str, pl.DataFrame] | None = None
    for c in label_columns(table):
        hits = frame.select("__row", c).filter(pl.col(c).str.contains(TOTAL_LABEL))
        hits = hits.filter(~pl.col(c).str.contains(NOT_TOTAL))
        if not hits.height or hits.height > frame.height * MAX_SHARE:
            continue
        if best is None or hits.height > best[0]:
            best = (hits.height, c, hits)
    if best is not None:
        count, c, hits = best
        examples = cell_examples(hits, table, c, MAX_EXAMPLES)
        return Hit(count, count / max(table.rows, 1), examples, f"{count} total or aggregate rows")
    return _sum_row(table, frame, numbers)


def _sum_row(table: Table, frame: pl.DataFrame, numbers: list[str]) -> Hit | None:
    """Numeric evidence without a label: the first or last row equals the sum of all the others in
    every numeric column (at least two columns, values not all zero)."""
    if len(numbers) < 2 or frame.height < MIN_ROWS + 1 or frame.height > 10_000:
        return None
    values = frame.select(pl.col(numbers).cast(pl.Float64, strict=False))
    if values.null_count().sum_horizontal().item() > 0:
        return None
    for position in (0, frame.height - 1):
        row = values.row(position)
        rest = values.filter(pl.int_range(pl.len()) != position).sum().row(0)
        if not any(row):
            continue
        if all(abs(a - b) <= max(1e-6, abs(a) * 1e-4) for a, b in zip(row, rest, strict=True)):
            r = int(frame.item(position, "__row"))
            return Hit(
                1,
                1 / frame.height,
                [Example(row=r, value="sum of the other rows")],
                f"row {r} is the sum of the others",
            )
    return None
