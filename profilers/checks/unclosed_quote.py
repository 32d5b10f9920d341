from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "unclosed-quote",
    dimension="validity",
    level="row",
    needs_table=False,
    title="A quoted field is never closed",
    description="A quote opens a field and the file ends before it closes (csvlint: unclosed_quote).",
    fix="Close the quote, or double any quote character inside a quoted field.",
)
def unclosed_quote(table: Table) -> Hit | None:
    row = table.structure.unclosed_quote_row
    if row is None:
        return None
    return Hit(1, 1.0 / max(table.source.rows, 1), [Example(row=row)])
