import polars as pl

from profilers.checks._labels import label_columns
from profilers.context import Table
from profilers.registry import Hit, check, row_examples
from profilers.types import Example

PENDING = (
    r"(?i:待定|待补充|待填报?|待定义|待确定|待核实|待更新|暂定|未定义|未确定|示例数据|样例数据|测试数据"
    r"|to be (?:defined|determined|confirmed|added)|\bTBD\b|\bTBC\b|placeholder|dummy (?:record|row|entry)|lorem ipsum)"
)
"""A row name saying the entry is not a record yet: 待定义, to be defined, placeholder, test data."""
PENDING_HINT = r"(?i:待|暂|未|示例|样例|测试|to be|tb[dc]|placeholder|dummy|lorem)"
"""A cheap first test for ``PENDING`` (literal prefixes), so the full pattern runs on few rows."""
KEY_ONLY = r"^(?:19|20)[0-9]{2}(?:年(?:[0-9]{1,2}月)?|[-./][0-9]{1,2}|年?[Qq][1-4])?$"
"""A row key that is a period: a period row with every value empty stands for a record of a series."""
MIN_VALUE_COLUMNS = 2
MAX_VALUE_COLUMNS = 256
"""Key-only rows are looked for in series tables (a period column and its values), not in tables of
thousands of columns (one expression per column)."""


@check(
    "placeholder-rows",
    dimension="completeness",
    severity="error",
    level="row",
    title="Rows standing in for records",
    description="Rows whose name says the entry is pending (待定义, to be defined, placeholder), or rows "
    "that carry only their key (a year, a code) with every value empty: they look like records and are not.",
    fix="Remove the rows that hold no record, or publish them once their data exists.",
    title_zh="占位行冒充记录",
    fix_zh="删除不代表真实记录的行（待定、示例或只有键没有数值的行），有数据后再发布。",
    rubric="substantial",
)
def placeholder_rows(table: Table) -> Hit | None:
    frame = table.stripped
    labels = label_columns(table)
    if table.rows < 3:
        return None
    flags = [pl.col(c).str.contains(PENDING).fill_null(False) for c in labels]
    why = "name says pending"
    first = table.cols[0]
    rest = table.cols[1:]
    if MIN_VALUE_COLUMNS <= len(rest) <= MAX_VALUE_COLUMNS:
        empty_rest = pl.all_horizontal([(pl.col(c).str.len_bytes() == 0).fill_null(True) for c in rest])
        flags.append(pl.col(first).str.contains(KEY_ONLY).fill_null(False) & empty_rest)
        why = "name says pending, or only the key is filled"
    if not flags:
        return None
    # The flags only on the rows that may carry them (a period key or a pending word), not every row.
    maybe = pl.col(first).str.contains(KEY_ONLY).fill_null(False)
    for c in labels:
        maybe |= pl.col(c).str.contains(PENDING_HINT).fill_null(False)
    frame = frame.filter(maybe)
    hit = frame.select("__row", pl.any_horizontal(flags).alias("f")).filter(pl.col("f"))
    if not hit.height or hit.height >= table.rows:
        return None
    examples = row_examples(hit.get_column("__row"))
    values = frame.filter(pl.col("__row").is_in(hit.get_column("__row").head(len(examples)).implode()))
    examples = [Example(row=e.row, value=str(values.item(i, first))) for i, e in enumerate(examples)]
    return Hit(hit.height, hit.height / max(table.rows, 1), examples, f"{hit.height} rows: {why}")
