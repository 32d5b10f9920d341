import re

import numpy as np
import polars as pl

from profilers.context import WIDE, Table
from profilers.registry import Hit, check
from profilers.types import MAX_EXAMPLES, Example

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
IDENTIFIER_LABEL = re.compile(
    r"^id$|_id$|^id_|\bid\b|code|编号|代码|编码|号码|注册号|证号|登记号|统一社会信用|许可证|uuid|^no\.?$|number$",
    re.IGNORECASE,
)
"""Labels of identifier columns: rows whose identifier differs are distinct records, however alike
their other cells (two companies whose registered names differ only by a hyphen)."""
IDENTIFIER_KINDS = {"credit-code", "org-code", "id-card"}
IDENTIFIER_DISTINCT = 0.9
"""An identifier column holds mostly distinct values."""
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
    title_zh="近似重复行",
    fix_zh="合并仅在空格、大小写或标点上不同的行。",
    rubric="routine",
)
def near_duplicate_row(table: Table) -> Hit | None:
    frame = table.stripped
    if frame.height < 2:
        return None
    ids = identifier_columns(table)
    normalised_rows = _normalised_repeats(table, ids)
    similar = _similar_rows(table, ids)
    pairs = pl.concat([normalised_rows, similar]) if similar.height else normalised_rows
    # Each row repeats its earliest look-alike.
    pairs = pairs.group_by("__row").agg(pl.col("of").min()).sort("__row")
    if not pairs.height:
        return None
    examples = [
        Example(row=int(r), value=f"repeats row {int(o)}") for r, o in pairs.head(MAX_EXAMPLES).iter_rows()
    ]
    first = examples[0].value if examples else ""
    return Hit(pairs.height, pairs.height / table.rows, examples, f"row {pairs.item(0, '__row')} {first}")


def identifier_columns(table: Table) -> list[str]:
    """Columns that identify a record (a code, an id): named so or of a code kind, mostly distinct."""
    semantic = table.semantic
    out = []
    for s in table.stats:
        c = f"c{s.field}"
        kind = getattr(semantic.get(c), "kind", None)
        named = IDENTIFIER_LABEL.search(s.name) is not None
        if (named or kind in IDENTIFIER_KINDS) and s.real and s.distinct >= IDENTIFIER_DISTINCT * s.real:
            if s.type == "integer" and _row_number(table, c, s.distinct):
                continue  # 1, 2, 3 … numbers rows, not records: a record entered twice gets a new one
            out.append(c)
    return out


def _row_number(table: Table, c: str, distinct: int) -> bool:
    """A column of consecutive integers, one per row: a row number, not a record's code."""
    low, high = table.stripped.select(
        pl.col(c).cast(pl.Int64, strict=False).min().alias("low"),
        pl.col(c).cast(pl.Int64, strict=False).max().alias("high"),
    ).row(0)
    return low is not None and high is not None and high - low + 1 <= distinct


def _normalised_repeats(table: Table, ids: list[str]) -> pl.DataFrame:
    """Rows equal to an earlier row after normalising, not as written: ``__row`` and ``of`` (the
    earlier row). Identifier columns are compared as written."""
    frame = table.stripped
    empty = pl.DataFrame(schema={"__row": frame.schema["__row"], "of": frame.schema["__row"]})
    kinds = {f"c{s.field}": s.type for s in table.stats}
    text = [c for c, kind in kinds.items() if kind in ("string", "empty") and c not in ids]
    if not text:
        return empty  # without text columns normalising changes nothing but white space
    text_set = set(text)
    other = [c for c in kinds if c not in text_set] + ["__extra"]
    first = table.first_distinct
    # Normalising touches only text columns, so two rows can collide only when their other
    # columns (numbers, dates, trimmed) are equal: normalise just those rows. Exact repeats (as
    # written) are left out: they are never near duplicates, and the first copy of each stands
    # for them as the earlier row. One hash per row picks the candidates; a hash collision only
    # adds a row to the exact comparison below, never a finding.
    keys = pl.DataFrame({"h": frame.select(pl.col(other)).hash_rows(), "first": first})
    mask = keys.select(pl.when("first").then("h").is_duplicated() & pl.col("first")).to_series()
    frame = frame.filter(mask)
    if frame.height < 2:
        return empty
    keyed = frame.select("__row").with_columns(_normalised_key(frame, text, other).alias("__key"))
    found = keyed.select("__row", pl.col("__row").first().over("__key").alias("of"))
    return found.filter(pl.col("__row") != pl.col("of"))


def _first_normalised(frame: pl.DataFrame, text: list[str], other: list[str]) -> pl.Series:
    """Per row of ``frame``: False when an earlier row equals it once ``text`` columns are
    normalised (``other`` columns compared as they are)."""
    return _normalised_key(frame, text, other).is_first_distinct()


def _normalised_key(frame: pl.DataFrame, text: list[str], other: list[str]) -> pl.Series:
    """Per row of ``frame``: a key equal for rows that are equal once ``text`` columns are
    normalised (``other`` columns compared as they are)."""
    if len(text) <= WIDE:
        key = pl.struct([normalised(c) for c in text] + [pl.col(c) for c in other])
        return frame.select(key).to_series()
    # Wide tables: the text cells stacked and normalised by one expression (not one per
    # column), then gathered back into one list per row, in column order.
    long = frame.select(pl.int_range(pl.len()).alias("__i"), pl.col(text)).unpivot(
        index="__i", value_name="v"
    )
    lists = (
        long.select("__i", normalised("v").alias("v"))
        .group_by("__i", maintain_order=True)
        .agg("v")
        .sort("__i")
        .get_column("v")
        .alias("__text")
    )
    keyed = frame.select(pl.col(other)).with_columns(lists)
    return keyed.select(pl.struct(keyed.columns)).to_series()


def _similar_rows(table: Table, ids: list[str]) -> pl.DataFrame:
    """Rows equal to an earlier row in all identifying cells but one (MinHash/LSH candidates over
    the identifying cells, verified cell by cell), and never when an identifier column differs:
    ``__row`` and ``of`` (the earlier row); exact repeats are left to duplicate-row."""
    frame = table.stripped
    empty = pl.DataFrame(schema={"__row": frame.schema["__row"], "of": frame.schema["__row"]})
    n = frame.height
    ident = [f"c{s.field}" for s in table.stats if s.distinct >= IDENTIFYING_SHARE * n and s.type != "empty"]
    if len(ident) < MIN_IDENTIFYING or n < 2:
        return empty
    # one 64-bit hash per identifying cell, seeded by its column so equal values in two columns differ
    cells = frame.select([pl.col(c).hash(seed=i).alias(c) for i, c in enumerate(ident)])
    ident_m = cells.to_numpy()
    m = _minhashes(ident_m)
    pair_parts = []
    with np.errstate(over="ignore"):
        for band in range(LSH_BANDS):
            key = m[band * LSH_ROWS]
            for j in range(1, LSH_ROWS):
                key = (key * np.uint64(0x9E3779B97F4A7C15)) ^ m[band * LSH_ROWS + j]
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
    for c in ids:
        if c in ident:  # a differing identifier makes two records, however alike the rest
            j = ident.index(c)
            keep &= ident_m[a, j] == ident_m[b, j]
    a, b = a[keep], b[keep]
    if not a.size:
        return empty
    # verify on every cell of the candidate rows only
    both = np.unique(np.concatenate([a, b]))
    sub = frame[both]
    ia = np.searchsorted(both, a)
    ib = np.searchsorted(both, b)
    all_m = sub.select([pl.col(c).hash(seed=99) for c in [*table.cols, "__extra"]]).to_numpy()
    agree_all = (all_m[ia, :-1] == all_m[ib, :-1]).mean(axis=1)
    exact = (all_m[ia] == all_m[ib]).all(axis=1)
    similar = (agree_all >= SIMILAR_CELLS) & ~exact
    for c in ids:
        if c not in ident:
            j = table.cols.index(c)
            similar &= all_m[ia, j] == all_m[ib, j]
    if not similar.any():
        return empty
    rows = frame.get_column("__row")
    return pl.DataFrame({"__row": rows.gather(b[similar]), "of": rows.gather(a[similar])})


def _minhashes(cells: np.ndarray) -> np.ndarray:
    """One MinHash per mask and row (shape masks × rows) over a row's cell hashes (rows × cells):
    the minimum of the cells xor the mask."""
    n, k = cells.shape
    m = np.empty((_MASKS.size, n), dtype=np.uint64)
    if k > WIDE:  # wide tables (few rows): one reduction along the row per mask
        for i, mask in enumerate(_MASKS):
            np.min(cells ^ mask, axis=1, out=m[i])
        return m
    # Tall tables: element-wise minimum over the columns, each contiguous (no axis-1 reduction).
    columns = [np.ascontiguousarray(cells[:, j]) for j in range(k)]
    scratch = np.empty(n, dtype=np.uint64)
    for i, mask in enumerate(_MASKS):
        low = m[i]
        np.bitwise_xor(columns[0], mask, out=low)
        for col in columns[1:]:
            np.bitwise_xor(col, mask, out=scratch)
            np.minimum(low, scratch, out=low)
    return m


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
