import re

import polars as pl

from profilers.context import DATE_RE, DATETIME_RE, Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import sample
from profilers.semantic.run import real
from profilers.types import MAX_EXAMPLES, Example

MAX_CODES = 12
"""A coded column holds a handful of distinct short codes (Y/N, 是/否, A/B/C, 1/2/3)."""
MAX_CODE_LENGTH = 3
MIN_CODED_SHARE = 0.9
"""At least this share of a coded column's sampled values are its codes."""
FOREIGN = rf"(?:{DATE_RE})|(?:{DATETIME_RE})|^.{{8,}}$"
"""A value of another kind in a coded column: a date, or text far longer than any code."""
WORD = r"^[A-Za-z]{3,}$|^[\p{Han}]{2,}$"
"""A word (letters only) in a column of numbers or numbered codes (house numbers, lot numbers)."""
NOT_A_VALUE = r"^(?i:unknown|none|various|multiple|n/?a|tbc|tba|null|nan|blank|vacant|pending|nil|other|not known|未知|不详|暂无|其他|无)$"
"""Words that stand for "no value" in such a column: placeholders, not misplaced values."""
FREE_TEXT_LABEL = re.compile(
    r"备注|说明|附注|其他|描述|remark|note|comment|description|detail|other", re.IGNORECASE
)
"""Columns meant for free text: a long remark among short ones is not misplaced."""
MIN_DIGIT_SHARE = 0.9
MAX_WORD_SHARE = 0.05


@check(
    "misplaced-values",
    dimension="consistency",
    severity="error",
    level="cell",
    title="Values of another kind in a coded column",
    description="A column of short codes (Y/N, 是/否, A/B/C) holds some values of another kind, such as "
    "dates or text: they belong in another column, or the coding is not what it seems.",
    fix="Move each value to the column it belongs to, and keep coded columns to their codes.",
    title_zh="编码列中混入其他类型的值",
    fix_zh="把这些值移到其所属的列中，编码列只保留规定的编码值。",
    rubric="substantial",
)
def misplaced_values(table: Table) -> Hit | None:
    frame = table.stripped
    semantic = table.semantic
    cols = [
        f"c{s.field}"
        for s in table.stats
        if (s.type == "string" or (s.type == "integer" and s.nonconforming))
        and s.real > 0
        and s.distinct > 1
        and f"c{s.field}" not in semantic
        and not FREE_TEXT_LABEL.search(s.name)
    ]
    if not cols:
        return None
    v = pl.col("v")
    long = sample(frame).select(cols).unpivot(variable_name="col", value_name="v").filter(real(v))
    counted = long.group_by("col", "v").len()
    codes = counted.filter((v.str.len_chars() <= MAX_CODE_LENGTH) & ~v.str.contains(FOREIGN)).with_columns(
        rank=pl.col("len").rank("ordinal", descending=True).over("col")
    )
    codes = codes.filter(pl.col("rank") <= MAX_CODES)
    per_col = codes.group_by("col").agg(pl.col("len").sum().alias("coded"), pl.len().alias("n"))
    totals = dict(counted.group_by("col").agg(pl.col("len").sum()).iter_rows())
    coded = [
        c
        for c, n_coded, n in per_col.iter_rows()
        if n <= MAX_CODES and n_coded >= totals[c] * MIN_CODED_SHARE and n_coded < totals[c]
    ]
    # Numbered columns (house numbers, lots): nearly every value has a digit, a few are words.
    shares = long.group_by("col").agg(
        v.str.contains("[0-9]").mean().alias("digits"),
        (v.str.contains(WORD) & ~v.str.contains(NOT_A_VALUE)).mean().alias("words"),
    )
    numbered = {
        c
        for c, digits, words in shares.iter_rows()
        if digits >= MIN_DIGIT_SHARE and 0 < words <= MAX_WORD_SHARE
    }
    count = 0
    examples: list[Example] = []
    for c in cols:
        if c not in coded and c not in numbered:
            continue
        w = pl.col(c)
        foreign = (
            w.str.contains(FOREIGN) if c in coded else w.str.contains(WORD) & ~w.str.contains(NOT_A_VALUE)
        )
        bad = frame.select("__row", c).filter(real(w) & foreign)
        if not bad.height:
            continue
        count += bad.height
        if len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, c, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    return Hit(count, count / max(table.cells, 1), examples)
