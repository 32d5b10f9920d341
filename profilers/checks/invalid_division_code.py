import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import invalid_values


@check(
    "invalid-division-code",
    dimension="validity",
    level="cell",
    title="Invalid administrative division codes",
    description="A column labelled as administrative division codes (GB/T 2260) holds values that are not "
    "six digits, start with no province's prefix, or give a county under a province-level code.",
    fix="Use the six-digit codes of the current GB/T 2260 list.",
)
def invalid_division_code(table: Table) -> Hit | None:
    return invalid_values(table, ("division-code",), lambda s: _six_or_twelve)


def _six_or_twelve(v: pl.Expr) -> pl.Expr:
    """Twelve-digit statistical division codes start with the six-digit GB/T 2260 code."""
    six = pl.when(v.str.contains(r"^[0-9]{12}$")).then(v.str.slice(0, 6)).otherwise(v)
    return val.valid_division_code(six)
