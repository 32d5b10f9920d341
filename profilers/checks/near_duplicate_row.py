import numpy as np
import polars as pl

from profilers.context import Table
from profilers.registry import Hit, check, row_examples

LSH_BANDS = 6
LSH_ROWS = 2
"""MinHash over a row's identifying cells, banded 6 × 2: a pair sharing 4 of 5 identifying cells
(Jaccard 0.67) is a candidate with probability 1 − (1 − 0.67²)⁶ ≈ 0.97; every candidate is then
verified on its cells, so the banding only decides what is compared, never what is reported."""
IDENTIFYING_SHARE = 0.5
"""Columns whose values are mostly distinct (distinct ≥ half the rows) identify a row: names,
codes, phones, amounts. Low-cardinality columns (status, district) are left out of the signature,
or every row would share a bucket with every other."""
MIN_IDENTIFYING = 3
SIMILAR_CELLS = 0.8
"""A near-duplicate row differs from an earlier one in at most one identifying cell and agrees on
at least 80% of all cells (a record entered twice with a typo or a new id)."""
MAX_BUCKET = 64
"""Buckets larger than this hold a value shared by many rows, not one record entered twice."""
_MASKS = np.random.default_rng(20_26).integers(0, 2**63, size=LSH_BANDS * LSH_ROWS, dtype=np.uint64)


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
    "but not equal as written; or, found by MinHash/LSH, equal to an earlier row in all but one identifying "
    "cell (the same record entered twice with a typo or a new id).",
    fix="Standardise the spelling of values, then delete the repeated rows.",
)
def near_duplicate_row(table: Table) -> Hit | None:
    frame = table.stripped
    if frame.height < 2:
        return None
    normalised_rows = _normalised_repeats(table)
    similar = _similar_rows(table)
    rows = pl.concat([normalised_rows, similar]).unique().sort() if similar.len() else normalised_rows
    if not rows.len():
        return None
    return Hit(rows.len(), rows.len() / table.rows, row_examples(rows.head(5)))


def _normalised_repeats(table: Table) -> pl.Series:
    """Rows equal to an earlier row after normalising, not as written (their ``__row``)."""
    frame = table.stripped
    empty = pl.Series("__row", [], dtype=frame.schema["__row"])
    text = [f"c{s.field}" for s in table.stats if s.type in ("string", "empty")]
    other = [c for c in table.cols if c not in text] + ["__extra"]
    if not text:
        return empty  # without text columns normalising changes nothing but white space
    first = table.first_distinct
    # Normalising touches only text columns, so two rows can collide only when their other
    # columns (numbers, dates, trimmed) are equal: normalise just those rows. Exact, and on a
    # table with an id column it leaves almost nothing to normalise.
    if other:
        mask = frame.select(pl.struct(other).is_duplicated()).to_series()
        frame = frame.filter(mask)
        first = first.filter(mask)
        if frame.height < 2:
            return empty
    near_first = frame.select(
        pl.struct([normalised(c) for c in text] + [pl.col(c) for c in other]).is_first_distinct()
    ).to_series()
    # Near duplicates only: rows that are not exact repeats (as written) of an earlier row.
    return frame.get_column("__row").filter(first & ~near_first)


def _similar_rows(table: Table) -> pl.Series:
    """Rows equal to an earlier row in all identifying cells but one (MinHash/LSH candidates over
    the identifying cells, verified cell by cell); exact repeats are left to duplicate-row."""
    frame = table.stripped
    empty = pl.Series("__row", [], dtype=frame.schema["__row"])
    n = frame.height
    ident = [f"c{s.field}" for s in table.stats if s.distinct >= IDENTIFYING_SHARE * n and s.type != "empty"]
    if len(ident) < MIN_IDENTIFYING or n < 2:
        return empty
    # one 64-bit hash per identifying cell, seeded by its column so equal values in two columns differ
    cells = frame.select([pl.col(c).hash(seed=i).alias(c) for i, c in enumerate(ident)])
    ident_m = cells.to_numpy()
    columns = [np.ascontiguousarray(ident_m[:, j]) for j in range(ident_m.shape[1])]
    m = np.empty((n, _MASKS.size), dtype=np.uint64)
    scratch = np.empty(n, dtype=np.uint64)
    for k, mask in enumerate(_MASKS):  # element-wise minimum over columns: no axis-1 reduction
        low = columns[0] ^ mask
        for col in columns[1:]:
            np.bitwise_xor(col, mask, out=scratch)
            np.minimum(low, scratch, out=low)
        m[:, k] = low
    pair_parts = []
    with np.errstate(over="ignore"):
        for band in range(LSH_BANDS):
            key = m[:, band * LSH_ROWS]
            for j in range(1, LSH_ROWS):
                key = (key * np.uint64(0x9E3779B97F4A7C15)) ^ m[:, band * LSH_ROWS + j]
            # only rows whose band key repeats can pair: a cheap hash-based mask first
            repeated = _repeated(key)
            if not repeated.size:
                continue
            small = pl.DataFrame({"i": repeated, "key": key[repeated] >> np.uint64(24)})
            small = small.filter(pl.len().over("key") <= MAX_BUCKET)
            joined = small.join(small, on="key", suffix="_b").filter(pl.col("i") < pl.col("i_b"))
            pair_parts.append(joined.select("i", "i_b"))
    if not pair_parts:
        return empty
    pairs = pl.concat(pair_parts).unique()
    a = pairs.get_column("i").to_numpy()
    b = pairs.get_column("i_b").to_numpy()
    agree_ident = (ident_m[a] == ident_m[b]).sum(axis=1)
    keep = agree_ident >= len(ident) - 1
    a, b = a[keep], b[keep]
    if not a.size:
        return empty
    # verify on every cell of the candidate rows only
    both = np.unique(np.concatenate([a, b]))
    sub = frame[both]
    pos = {int(r): k for k, r in enumerate(both)}
    ia = np.array([pos[int(x)] for x in a])
    ib = np.array([pos[int(x)] for x in b])
    all_m = sub.select([pl.col(c).hash(seed=99) for c in [*table.cols, "__extra"]]).to_numpy()
    agree_all = (all_m[ia, :-1] == all_m[ib, :-1]).mean(axis=1)
    exact = (all_m[ia] == all_m[ib]).all(axis=1)
    similar = (agree_all >= SIMILAR_CELLS) & ~exact
    later = np.unique(b[similar])
    if not later.size:
        return empty
    return frame.get_column("__row").gather(later)


def _repeated(key: np.ndarray) -> np.ndarray:
    """Positions of values that occur more than once. The row index is packed into the key's low
    bits and the packed array sorted (a plain sort is ten times faster than an argsort); the few
    key bits lost only add candidates, which are verified anyway."""
    bits = max(1, int(key.size - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    packed = np.sort((key & ~low) | np.arange(key.size, dtype=np.uint64))
    ordered = packed & ~low
    equal = ordered[1:] == ordered[:-1]
    mask = np.zeros(key.size, dtype=bool)
    mask[1:] |= equal
    mask[:-1] |= equal
    return np.sort((packed[mask] & low).astype(np.int64))
