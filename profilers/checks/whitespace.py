import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check, per_column
from profilers.types import Example


@check(
    "whitespace",
    dimension="validity",
    severity="warning",
    level="cell",
    title="Leading or trailing white space",
    description="Cells or labels begin or end with spaces or tabs (csvlint: whitespace).",
    fix="Trim white space from values and labels.",
)
def whitespace(table: Table) -> Hit | None:
    def padded(c: str) -> pl.Expr:
        v = pl.col(c)
        return (
            (v.str.len_bytes() > 0) & (v.str.strip_chars().str.len_bytes() > 0) & (v.str.strip_chars() != v)
        )

    count, examples = per_column(table, padded)
    header = [
        Example(row=table.source.header_row, field=i, column=label, value=label)
        for i, label in enumerate(table.labels, start=1)
        if label.strip() and label != label.strip()
    ]
    total = count + len(header)
    if not total:
        return None
    return Hit(total, total / max(table.cells + len(table.labels), 1), header + examples)
