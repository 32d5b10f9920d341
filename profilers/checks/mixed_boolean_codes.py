import polars as pl

from profilers.context import PLACEHOLDERS, Table
from profilers.registry import Hit, cell_examples, check
from profilers.semantic.detect import sample
from profilers.types import MAX_EXAMPLES, Example

CODINGS: dict[str, tuple[str, ...]] = {
    "是/否": ("是", "否"),
    "Y/N": ("Y", "N", "y", "n"),
    "yes/no": ("yes", "no", "Yes", "No", "YES", "NO"),
    "true/false": ("true", "false", "True", "False", "TRUE", "FALSE"),
    "T/F": ("T", "F"),
    "1/0": ("1", "0"),
    "√/×": ("√", "×"),
    "对/错": ("对", "错"),
}
"""Ways portals write a yes/no field. One column should use one of them."""
CODING_OF = {value: name for name, values in CODINGS.items() for value in values}
MAX_DISTINCT = 2 * max(len(v) for v in CODINGS.values())


@check(
    "mixed-boolean-codes",
    dimension="validity",
    severity="warning",
    level="cell",
    title="Yes/no values coded several ways in one column",
    description="A yes/no column mixes codings (是/否 with Y/N, 1/0 or true/false); the values in the less "
    "common codings are reported.",
    fix="Code the field one way throughout (是/否, or true/false) and say which in the metadata.",
    title_zh="是否类字段编码不统一",
    fix_zh="同一字段统一使用一种编码（是/否 或 true/false），并在元数据中说明。",
    rubric="routine",
)
def mixed_boolean_codes(table: Table) -> Hit | None:
    cols = [f"c{s.field}" for s in table.stats if 2 <= s.distinct <= MAX_DISTINCT and s.real > 0]
    if not cols:
        return None
    frame = table.stripped
    placeholders = set(PLACEHOLDERS)
    # A look at the sample first: a column with any value outside the codings is not yes/no.
    probe = sample(frame).select(cols)
    cols = [
        c
        for c in cols
        if all(
            v is None or v == "" or v in placeholders or v in CODING_OF for v in probe.get_column(c).unique()
        )
    ]
    count = 0
    checked = 0
    examples: list[Example] = []
    for c in cols:
        counts = frame.get_column(c).value_counts()
        values = {
            v: int(n) for v, n in counts.iter_rows() if v is not None and v != "" and v not in placeholders
        }
        if not values or not all(v in CODING_OF for v in values):
            continue
        per_coding: dict[str, int] = {}
        for v, n in values.items():
            per_coding[CODING_OF[v]] = per_coding.get(CODING_OF[v], 0) + n
        checked += 1
        if len(per_coding) < 2:
            continue
        main = max(per_coding, key=lambda k: (per_coding[k], k))
        minority = [v for v in values if CODING_OF[v] != main]
        bad = frame.select("__row", c).filter(pl.col(c).is_in(minority))
        count += bad.height
        if len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, c, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    return Hit(count, count / max(table.rows * checked, 1), examples)
