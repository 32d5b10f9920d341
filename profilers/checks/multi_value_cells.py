import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import sample
from profilers.semantic.run import real
from profilers.types import MAX_EXAMPLES, Example

SEPARATOR = r"\s*(?:、|，|；|;|\u3000+|\s/\s|\|)\s*"
"""What joins several values in one cell: 、，；; a full-width space, " / " or "|"."""
JOINED = rf"^[^、，；;\u3000|]+?(?:{SEPARATOR}[^、，；;\u3000|]+?)+$"
MAX_LENGTH = 40
"""Categorical values are short; a longer cell is prose, where 、 and ， are punctuation."""
MIN_KNOWN = 0.5
"""The joined cells whose parts are values of the column on their own: at least this share of them
(two job titles joined are two values the column also holds alone)."""
MIN_JOINED = 2
NUMBER = r"^[£$€¥]?[0-9]+(?:[.,][0-9]+)*%?[mk]?$"
"""A number (49%, £3.7m): numbers joined in one cell are several values too."""


@check(
    "multi-value-cells",
    dimension="consistency",
    severity="error",
    level="cell",
    title="Several values in one cell",
    description="Cells of a categorical column hold several of the column's values joined by 、，；/ or a "
    "full-width space, where the other cells hold one: the values cannot be counted or filtered.",
    fix="Put one value per cell: one row per value, or one column per value, in a separate table if needed.",
    title_zh="一个单元格中有多个值",
    fix_zh="每个单元格只填一个值：按值拆成多行或多列，必要时另建一张关联表。",
    rubric="substantial",
)
def multi_value_cells(table: Table) -> Hit | None:
    frame = table.stripped
    semantic = table.semantic
    cols = [
        f"c{s.field}"
        for s in table.stats
        if s.type == "string" and s.real > 0 and f"c{s.field}" not in semantic and (s.max_length or 0) > 0
    ]
    if not cols:
        return None
    # One pass over the sample stacked: the columns of short values that hold joined cells.
    v = pl.col("v")
    long = sample(frame).select(cols).unpivot(variable_name="col", value_name="v").filter(real(v))
    probe = long.group_by("col").agg(
        (v.str.len_chars() <= MAX_LENGTH).mean().alias("short"),
        v.filter((v.str.len_chars() <= MAX_LENGTH) & v.str.contains(JOINED)).n_unique().alias("joined"),
    )
    candidates = {c for c, short, joined in probe.iter_rows() if short >= 0.9 and joined >= MIN_JOINED}
    count = 0
    examples: list[Example] = []
    part = pl.col("part")
    for c in cols:
        if c not in candidates:
            continue
        v = pl.col(c)
        short = sample(frame).select(c).filter(real(v) & (v.str.len_chars() <= MAX_LENGTH))
        joined = short.filter(v.str.contains(JOINED)).unique()
        singles = short.filter(~v.str.contains(SEPARATOR)).get_column(c).unique().implode()
        parts = (
            joined.with_columns(part=v.str.replace_all(SEPARATOR, "\x00").str.split("\x00"))
            .explode("part")
            .with_columns(part.str.strip_chars())
        )
        known = parts.group_by(c).agg((part.is_in(singles) | part.str.contains(NUMBER)).sum().alias("k"))
        if known.filter(pl.col("k") >= 1).height < known.height * MIN_KNOWN:
            continue
        bad = frame.select("__row", c).filter(
            real(v) & v.str.contains(JOINED) & (v.str.len_chars() <= MAX_LENGTH)
        )
        count += bad.height
        if len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, c, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    return Hit(count, count / max(table.cells, 1), examples)
