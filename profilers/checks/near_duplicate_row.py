import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check, row_examples


def normalised(col: str) -> pl.Expr:
    """Case, white space, full-width forms (NFKC) and punctuation folded away."""
    return (
        pl.col(col).fill_null("").str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\s\p{P}]+", "")
    )


@check(
    "near-duplicate-row",
    dimension="uniqueness",
    severity="warning",
    level="row",
    title="Rows that repeat an earlier row after normalising",
    description="Equal to an earlier row once case, white space, full-width forms and punctuation are ignored, "
    "but not equal as written.",
    fix="Standardise the spelling of values, then delete the repeated rows.",
)
def near_duplicate_row(table: Table) -> Hit | None:
    frame = table.stripped
    if frame.height < 2:
        return None
    text = [f"c{s.field}" for s in table.stats if s.type in ("string", "empty")]
    other = [c for c in table.cols if c not in text] + ["__extra"]
    if not text:
        return None  # without text columns normalising changes nothing but white space
    first = table.first_distinct
    # Normalising touches only text columns, so two rows can collide only when their other
    # columns (numbers, dates, trimmed) are equal: normalise just those rows. Exact, and on a
    # table with an id column it leaves almost nothing to normalise.
    if other:
        mask = frame.select(pl.struct(other).is_duplicated()).to_series()
        frame = frame.filter(mask)
        first = first.filter(mask)
        if frame.height < 2:
            return None
    near_first = frame.select(
        pl.struct([normalised(c) for c in text] + [pl.col(c) for c in other]).is_first_distinct()
    ).to_series()
    # Near duplicates only: rows that are not exact repeats (as written) of an earlier row.
    near = frame.get_column("__row").filter(first & ~near_first)
    if not near.len():
        return None
    return Hit(near.len(), near.len() / table.rows, row_examples(near.head(5)))
