from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "unclosed-quote",
    dimension="validity",
    level="row",
    needs_table=False,
    title="A quoted field is never closed",
    description="A quote opens a field and the file ends before it closes (csvlint: unclosed_quote), or "
    "a stray quote joins whole lines into one record until the next quote (ODQ reads those lines as "
    "the records they are and reports the row where the quote opened).",
    fix="Close the quote, or double any quote character inside a quoted field.",
)
def unclosed_quote(table: Table) -> Hit | None:
    s = table.structure
    rows = sorted(
        {*s.stray_quote_rows, *([s.unclosed_quote_row] if s.unclosed_quote_row is not None else [])}
    )
    if not rows:
        return None
    return Hit(len(rows), len(rows) / max(table.source.rows, 1), [Example(row=r) for r in rows])
