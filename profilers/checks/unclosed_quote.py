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
    fix="Close or escape the quotes (double a quote inside a quoted field) so rows are not merged.",
    title_zh="引号未闭合",
    fix_zh="闭合或转义引号（引号字段内的引号需写两次），避免多行被并为一行。",
    rubric="fatal",
)
def unclosed_quote(table: Table) -> Hit | None:
    s = table.structure
    rows = sorted(
        {*s.stray_quote_rows, *([s.unclosed_quote_row] if s.unclosed_quote_row is not None else [])}
    )
    if not rows:
        return None
    return Hit(len(rows), len(rows) / max(table.source.rows, 1), [Example(row=r) for r in rows])
