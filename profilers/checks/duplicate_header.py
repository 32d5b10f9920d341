from profilers.context import Table, normalise_label
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "duplicate-header",
    dimension="validity",
    level="column",
    needs_table=False,
    title="Columns with the same label",
    description="A label repeats an earlier column's label (frictionless: duplicate-label).",
    fix="Give each column a distinct label.",
    title_zh="列名重复",
    fix_zh="为每一列使用不同的列名。",
    rubric="routine",
)
def duplicate_header(table: Table) -> Hit | None:
    seen: set[str] = set()
    dups = []
    for i, label in enumerate(table.labels, start=1):
        key = normalise_label(label).casefold()
        if not key:
            continue
        if key in seen:
            dups.append(Example(row=table.source.header_row, field=i, column=label, value=label))
        seen.add(key)
    if not dups:
        return None
    return Hit(len(dups), len(dups) / len(table.labels), dups)
