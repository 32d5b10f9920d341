import polars as pl

from profilers.context import Table, select_row
from profilers.registry import Hit, cell_examples, check
from profilers.types import MAX_EXAMPLES, Example


@check(
    "whitespace",
    dimension="validity",
    severity="warning",
    level="cell",
    title="Leading or trailing white space",
    description="Cells or labels begin or end with spaces or tabs (csvlint: whitespace).",
    fix="Trim white space from values and labels.",
    title_zh="首尾空白字符",
    fix_zh="去除值首尾的空格。",
    rubric="routine",
)
def whitespace(table: Table) -> Hit | None:
    cells = _padded_cells(table)
    header = [
        Example(row=table.source.header_row, field=i, column=label, value=label)
        for i, label in enumerate(table.labels, start=1)
        if label.strip() and label != label.strip()
    ]
    count = cells[0] + len(header)
    if not count:
        return None
    return Hit(count, count / max(table.cells + len(table.labels), 1), header + cells[1])


def _padded_cells(table: Table) -> tuple[int, list[Example]]:
    """Cells with white space at either end that hold something else too: a cell whose
    trimmed length (from the shared trimmed frame) differs from its length as written."""
    cols = table.cols
    if not cols or not table.rows:
        return 0, []
    raw = table.content.select([pl.col(c).str.len_bytes() for c in cols])
    trimmed = table.stripped.select([pl.col(c).str.len_bytes().alias(f"{c}_t") for c in cols])
    both = pl.concat([raw, trimmed], how="horizontal")
    padded = {c: (pl.col(c) != pl.col(f"{c}_t")) & (pl.col(f"{c}_t") > 0) for c in cols}
    counts = select_row(both, [padded[c].sum().alias(c) for c in cols])
    total = 0
    examples: list[Example] = []
    for c in cols:
        n = int(counts[c] or 0)
        total += n
        if n and len(examples) < MAX_EXAMPLES:
            rows = table.content.filter(both.select(padded[c]).to_series())
            examples += cell_examples(rows, table, c, MAX_EXAMPLES - len(examples))
    return total, examples
