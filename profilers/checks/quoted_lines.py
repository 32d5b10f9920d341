import polars as pl

from profilers.context import Table
from profilers.registry import Hit, cell_examples, check

DELIMITERS = (",", ";", "\t", "|")
MIN_FIELDS = 3
"""The header, unwrapped, names at least this many fields: one comma in a single column is prose."""
MIN_SHARE = 0.9
"""At least this share of the rows split into the header's number of fields."""


@check(
    "quoted-lines",
    dimension="validity",
    severity="error",
    level="row",
    title="Every line quoted as one field",
    description="Each line, the header included, is wrapped in one pair of quotes, so a CSV reader returns "
    "a single column whose cells still hold the delimiters: the table only appears after unwrapping the "
    "lines, a non-default step.",
    fix="Quote single fields that contain the delimiter, never whole lines; export with the standard CSV "
    "quoting (RFC 4180).",
    title_zh="每一行整体被引号包裹成一个字段",
    fix_zh="只给含分隔符的单个字段加引号，不要给整行加引号；按标准 CSV 规则（RFC 4180）导出。",
    rubric="substantial",
)
def quoted_lines(table: Table) -> Hit | None:
    if len(table.labels) != 1 or not table.rows:
        return None
    header = table.label(1)
    found = [(d, header.count(d)) for d in DELIMITERS if header.count(d) + 1 >= MIN_FIELDS]
    if not found:
        return None
    delimiter, inside = max(found, key=lambda x: x[1])
    v = pl.col("c1")
    filled = table.stripped.select("__row", "c1").filter(v.is_not_null() & (v.str.len_bytes() > 0))
    split = filled.filter(v.str.count_matches(delimiter, literal=True) == inside)
    if not filled.height or split.height < filled.height * MIN_SHARE:
        return None
    examples = cell_examples(split, table, "c1")
    return Hit(
        split.height,
        split.height / max(table.rows, 1),
        examples,
        f"{split.height} of {table.rows} rows hold {inside + 1} fields joined by {delimiter!r} in one cell",
    )
