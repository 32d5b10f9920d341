import dataclasses

import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import columns_of, invalid_values
from profilers.semantic.vocab import division_codes


@check(
    "invalid-division-code",
    dimension="validity",
    level="cell",
    title="Invalid administrative division codes",
    description="A column labelled as administrative division codes (GB/T 2260) holds values that are not "
    "six digits, start with no province's prefix, give a county under a province-level code, or are "
    "in no revision of the GB/T 2260 list (the current one, or those of 2002–2014).",
    fix="Use the six-digit codes of the current GB/T 2260 list.",
    title_zh="行政区划代码无效",
    fix_zh="使用现行 GB/T 2260 中的 6 位行政区划代码。",
    rubric="substantial",
)
def invalid_division_code(table: Table) -> Hit | None:
    hit = invalid_values(table, ("division-code",), lambda s: _listed)
    if hit is None:
        return None
    # A code withdrawn since (a county merged into a district) is not counted: it was right when
    # the record was made, and historical tables (a 2010 statistical yearbook) rightly carry it.
    # The finding only says how many there are, so a reader of a current register can look.
    withdrawn = _withdrawn(table)
    if withdrawn:
        note = (
            f"{withdrawn} further value(s) are codes of earlier GB/T 2260 revisions, withdrawn since; "
            "right in historical records, so not counted."
        )
        return dataclasses.replace(hit, message=note)
    return hit


def _six(v: pl.Expr) -> pl.Expr:
    """Twelve-digit statistical division codes start with the six-digit GB/T 2260 code."""
    return pl.when(v.str.contains(r"^[0-9]{12}$")).then(v.str.slice(0, 6)).otherwise(v)


def _listed(v: pl.Expr) -> pl.Expr:
    return val.listed_division_code(_six(v))


def _withdrawn(table: Table) -> int:
    _, old = division_codes()
    withdrawn = pl.Series(sorted(old), dtype=pl.String).implode()
    cols = [s.col for s in columns_of(table, "division-code")]
    row = table.stripped.select([_six(pl.col(c)).is_in(withdrawn).sum().alias(c) for c in cols]).row(0)
    return int(sum(n or 0 for n in row))
