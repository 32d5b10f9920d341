"""Dataset signatures for the portal pass: what two datasets must share to be the same table,
a revision of it, or a part of one series — measured once per dataset, vectorised, and small
enough to store and compare by the hundred thousand.

- ``content_hash``: a hash of the multiset of normalised rows, the same whatever the row order,
  encoding, delimiter or file format (cells trimmed, numbers of numeric columns
  compared as numbers, so ``"103.6"`` from a CSV equals ``103.6`` from an XLSX).
- ``row_minhash``: MinHash of the set of normalised rows (row-set Jaccard, containment).
- ``key_minhash``: MinHash of the set of key values (the leading columns that identify a row).
- ``column_minhash``: per-column MinHash of the set of values (republications whose values
  changed still share their key and label columns).
- ``header`` / ``header_minhash``: the normalised labels and their MinHash.

MinHash follows datasketch exactly (scheme ``affine32``, ``num_perm`` 128, seed 1): the 32-bit
item hash is pre-mixed with the MurmurHash3 finaliser, then each permutation ``a*h + b mod 2**32``
and the minimum kept, so ``datasketch.LeanMinHash(seed=SEED, hashvalues=sig, scheme="affine32")``
is a valid sketch and ``datasketch.MinHash(..., hashfunc=...)`` fed the same item hashes agrees
bit for bit (a test holds us to it). The LSH band/row split for a threshold is datasketch's
``_optimal_param``.

Item hashes are stable across library versions, since they are persisted: a text cell is
XXH64 (seed 0) of its UTF-8 bytes (the ``polars-hash`` expression plugin, vectorised), a number of
a numeric column is XXH64 of its IEEE-754 double's 8 little-endian bytes (computed here in numpy;
``-0.0`` is ``0.0``, every NaN one NaN), and a row is its cells' hashes combined with SplitMix64
multipliers (``combine``). All of it is specified here, so a reference implementation can
reproduce the hashes (a test holds us to one). ``hash_id`` names the algorithm and the
normalisation (``HASH_ALGO``); the portal pass compares only signatures with the current
``HASH_ID`` and recomputes older ones from the kept blob — stale ones are never compared wrongly.
Labels are hashed with BLAKE2b. (The within-file checks, such as ``near-duplicate-row``, keep
Polars' faster hash: nothing of theirs is stored.)

Per-column signatures of columns with more than ``COLUMN_SAMPLE`` distinct values are computed on
a hash-consistent sample (values whose hash falls in the lowest ``2**-shift`` of the range; the
``shift`` is stored): two columns sampled at the same rate keep their Jaccard in expectation.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import polars as pl
import polars_hash  # noqa: F401  (registers the ``nchash`` expression namespace)

from profilers.context import Table

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
HASH_ALGO = "xxh64-seed0-norm1"
"""The item hash (XXH64, seed 0) and the cell normalisation (``norm1``: trimmed text, null as
empty, numbers of numeric columns as doubles; ``NUMBER_RE``) of the persisted hashes."""
HASH_ID = f"{HASH_ALGO}/{SCHEME}-{NUM_PERM}-{SEED}"
"""Identifies how the item hashes and the sketches were made; stored beside each signature. It
no longer depends on a library's version: a new one only when this module changes the hashing."""
NUMBER_RE = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
"""What counts as a number in a numeric column (decimal, optional exponent); anything else, such
as ``inf``, ``1,000`` or ``n/a``, is hashed as its text."""
MAX_COLUMNS = 64
"""Per-column signatures are kept for the first this many columns (keys and labels lead)."""
COLUMN_SAMPLE = 1 << 15
"""Above this many distinct values a column's MinHash is taken on a hash-consistent sample."""
KEY_MAX_COLUMNS = 3
KEY_SEARCH_ROWS = 200_000
EMPTY = np.uint32(0xFFFFFFFF)

_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


@cache
def permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's (a, b) for NUM_PERM, SEED and the affine32 scheme, generated the way
    ``datasketch.MinHash._init_permutations`` does (a test checks they are equal) without
    importing datasketch, whose import costs seconds on a cold start."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (datasketch's pre-mix), on a uint32 array."""
    s1, m1, s2, m2, s3 = _FMIX
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


def minhash(hashes32: np.ndarray, block: int = 1 << 20) -> np.ndarray:
    """MinHash (NUM_PERM uint32 values) of a set given by its items' 32-bit hashes (duplicates
    allowed). The empty set gives all ``0xFFFFFFFF`` like datasketch's empty sketch."""
    a, b = permutations()
    out = np.full(NUM_PERM, EMPTY, dtype=np.uint32)
    if hashes32.size == 0:
        return out
    with np.errstate(over="ignore"):
        for start in range(0, hashes32.size, block):
            hv = fmix32(np.ascontiguousarray(hashes32[start : start + block], dtype=np.uint32))
            for i in range(NUM_PERM):
                x = hv * a[i]
                x += b[i]
                m = x.min()
                if m < out[i]:
                    out[i] = m
    return out


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values (datasketch's estimate)."""
    return float(np.count_nonzero(sig_a == sig_b)) / NUM_PERM


def is_empty(sig: np.ndarray) -> bool:
    return bool(np.all(sig == EMPTY))


@cache
def lsh_params(threshold: float) -> tuple[int, int]:
    """(bands, rows) datasketch's MinHashLSH would choose for ``threshold`` (equal FP/FN weights)."""
    from datasketch.lsh import _optimal_param

    b, r = _optimal_param(threshold, NUM_PERM, 0.5, 0.5)
    return int(b), int(r)


_BAND_MUL = np.uint64(0x9E3779B97F4A7C15)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """LSH band keys of signatures (``sigs``: n × NUM_PERM uint32) → n × bands uint64.

    Two signatures share the key of a band exactly when their ``rows`` values in that band are
    equal (up to a 2**-64 collision), which is datasketch MinHashLSH's bucket rule."""
    sigs = np.atleast_2d(sigs).astype(np.uint64)
    out = np.zeros((sigs.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            key = np.full(sigs.shape[0], np.uint64(band + 1), dtype=np.uint64)
            for j in range(band * rows, (band + 1) * rows):
                key = (key ^ sigs[:, j]) * _BAND_MUL
                key ^= key >> np.uint64(29)
            out[:, band] = key
    return out


# -- normalisation ------------------------------------------------------------------------------


def normalise_label(label: str) -> str:
    """Labels compared across files: NFKC, case-folded, white space, punctuation and
    underscores removed ("UNIQUE_ID", "uniqueid" and "Unique Id " agree)."""
    text = unicodedata.normalize("NFKC", label or "").casefold()
    return re.sub(r"[\W_]+", "", text)


_TOKEN_RE = re.compile(r"[0-9]+|[^\W\d_]+", re.UNICODE)
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def name_tokens(name: str) -> list[str]:
    """Tokens of a file name or title: lower-cased runs of letters or of digits, the extension
    dropped; a run of CJK characters becomes one token per character."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if "." in base and len(base.rsplit(".", 1)[1]) <= 5:
        base = base.rsplit(".", 1)[0]
    base = (base if base.isascii() else unicodedata.normalize("NFKC", base)).casefold()
    out: list[str] = []
    for tok in _TOKEN_RE.findall(base):
        if _CJK_RE.search(tok):
            out.extend(tok)
        else:
            out.append(tok)
    return out


def _stable_hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


# -- the signature ------------------------------------------------------------------------------


@dataclass(slots=True)
class Signatures:
    """One dataset's signatures: plain data and numpy arrays (picklable, travels from worker
    processes to the writer)."""

    hash_id: str
    rows: int
    columns: int
    content_hash: str
    row_minhash: np.ndarray
    header: list[str]
    header_minhash: np.ndarray
    key_fields: list[int]
    key_minhash: np.ndarray
    key_distinct: int
    column_minhash: np.ndarray
    """len(header[:MAX_COLUMNS]) × NUM_PERM."""
    column_distinct: list[int] = field(default_factory=list)
    column_shift: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hash_id": self.hash_id,
            "rows": self.rows,
            "columns": self.columns,
            "content_hash": self.content_hash,
            "row_minhash": self.row_minhash.astype(np.uint32).tobytes(),
            "header": list(self.header),
            "header_minhash": self.header_minhash.astype(np.uint32).tobytes(),
            "key_fields": list(self.key_fields),
            "key_minhash": self.key_minhash.astype(np.uint32).tobytes(),
            "key_distinct": self.key_distinct,
            "column_minhash": self.column_minhash.astype(np.uint32).tobytes(),
            "column_distinct": list(self.column_distinct),
            "column_shift": list(self.column_shift),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Signatures:
        def arr(v: Any) -> np.ndarray:
            return np.frombuffer(bytes(v), dtype=np.uint32).copy()

        cols = (
            arr(d["column_minhash"]).reshape(-1, NUM_PERM)
            if d["column_minhash"]
            else np.zeros((0, NUM_PERM), dtype=np.uint32)
        )
        return cls(
            hash_id=d["hash_id"],
            rows=int(d["rows"]),
            columns=int(d["columns"]),
            content_hash=d["content_hash"],
            row_minhash=arr(d["row_minhash"]),
            header=list(d["header"]),
            header_minhash=arr(d["header_minhash"]),
            key_fields=[int(x) for x in d["key_fields"]],
            key_minhash=arr(d["key_minhash"]),
            key_distinct=int(d["key_distinct"]),
            column_minhash=cols,
            column_distinct=[int(x) for x in d.get("column_distinct") or []],
            column_shift=[int(x) for x in d.get("column_shift") or []],
        )


_P1 = np.uint64(0x9E3779B185EBCA87)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P3 = np.uint64(0x165667B19E3779F9)
_P4 = np.uint64(0x85EBCA77C2B2AE63)
_P5 = np.uint64(0x27D4EB2F165667C5)
_CANONICAL_NAN = np.uint64(0x7FF8000000000000)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


def xxh64_u64(words: np.ndarray, seed: int = 0) -> np.ndarray:
    """XXH64 of each uint64's 8 little-endian bytes (the input-length-8 path of the XXH64 spec),
    vectorised: ``xxh64_u64(np.array([v]))[0] == xxhash.xxh64_intdigest(struct.pack("<Q", v))``."""
    with np.errstate(over="ignore"):
        k = np.ascontiguousarray(words, dtype=np.uint64) * _P2
        k = _rotl(k, 31) * _P1
        h = np.full(k.shape, np.uint64(seed) + _P5 + np.uint64(8), dtype=np.uint64) ^ k
        h = _rotl(h, 27) * _P1 + _P4
        h ^= h >> np.uint64(33)
        h *= _P2
        h ^= h >> np.uint64(29)
        h *= _P3
        h ^= h >> np.uint64(32)
    return h


def number_hashes(values: np.ndarray) -> np.ndarray:
    """XXH64 of doubles (their IEEE-754 little-endian bytes), ``-0.0`` as ``0.0``, NaN canonical."""
    f = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 + 0.0 == +0.0
    bits = f.view(np.uint64).copy()
    bits[np.isnan(f)] = _CANONICAL_NAN
    return xxh64_u64(bits)


def _xxh64_text(expr: pl.Expr) -> pl.Expr:
    """XXH64 (seed 0) of a text expression's UTF-8 bytes (UInt64; polars-hash's plugin)."""
    hashed: pl.Expr = expr.nchash.xxhash64(seed=0)  # type: ignore[attr-defined]
    return hashed


def _cell_hashes(table: Table) -> tuple[np.ndarray, pl.DataFrame]:
    """Normalised cells hashed: an n × k uint64 matrix (column-major) and the same as a frame of
    ``c1`` … columns. Text is trimmed (``table.stripped``), null as empty, hashed as UTF-8; in
    numeric columns a cell that is a number (``NUMBER_RE``) is hashed as its double (so 1, 1.0 and
    "1.00" agree, and the number from an XLSX equals the text from a CSV)."""
    frame = table.stripped
    cols = [f"c{stat.field}" for stat in table.stats]
    numeric = [f"c{stat.field}" for stat in table.stats if stat.type in ("integer", "number")]
    text = {c: pl.col(c).cast(pl.String) for c in cols}
    hashed = frame.select(
        *(_xxh64_text(text[c].fill_null("")).alias(c) for c in cols),
        *(pl.when(text[c].str.contains(NUMBER_RE)).then(text[c].cast(pl.Float64, strict=False)).alias(f"#{c}")
          for c in numeric),
    )  # fmt: skip
    m = hashed.select(cols).to_numpy(order="fortran")
    if m.dtype != np.uint64 or not m.flags.writeable:  # one column comes back as a read-only view
        m = np.array(m, dtype=np.uint64, order="F")
    for c in numeric:
        numbers = hashed.get_column(f"#{c}")
        if numbers.null_count() == numbers.len():
            continue
        parsed = numbers.is_not_null().to_numpy()
        np.copyto(m[:, cols.index(c)], number_hashes(numbers.fill_null(0.0).to_numpy()), where=parsed)
    return m, pl.DataFrame({c: m[:, j] for j, c in enumerate(cols)})


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(index: np.ndarray) -> np.ndarray:
    """SplitMix64's output for state ``index × golden`` (the i-th value of a SplitMix64 stream
    seeded with 0 is ``splitmix64(i + 1)``)."""
    with np.errstate(over="ignore"):
        z = np.asarray(index, dtype=np.uint64) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def combine(cell_hashes: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row from its cells' hashes (n × k uint64): a position-weighted sum
    (the j-th cell, 0-based, times ``splitmix64(j + 1) | 1``, wrapping) then MurmurHash3's 64-bit
    finaliser — the row's cells in order, vectorised."""
    m = np.asfortranarray(cell_hashes, dtype=np.uint64)  # a column is contiguous
    weights = splitmix64(np.arange(1, m.shape[1] + 1, dtype=np.uint64)) | np.uint64(1)
    out = np.zeros(m.shape[0], dtype=np.uint64)
    tmp = np.empty_like(out)
    with np.errstate(over="ignore"):
        for j in range(m.shape[1]):
            col = m[:, j]
            np.right_shift(col, np.uint64(31), out=tmp)
            tmp ^= col
            tmp *= weights[j]
            out += tmp
        out ^= out >> np.uint64(33)
        out *= np.uint64(0xFF51AFD7ED558CCD)
        out ^= out >> np.uint64(33)
        out *= np.uint64(0xC4CEB9FE1A85EC53)
        out ^= out >> np.uint64(33)
    return out


def content_hash_of(row_hashes: np.ndarray) -> str:
    """The hash of a multiset of rows (order-blind): SHA-256 of ``"{n}:{sum:016x}:{xor:016x}"``,
    sum (wrapping) of the row hashes and xor of the row hashes times the 64-bit golden ratio."""
    rh = np.ascontiguousarray(row_hashes, dtype=np.uint64)
    with np.errstate(over="ignore"):
        total = int(rh.sum(dtype=np.uint64))
        mixed = int(np.bitwise_xor.reduce(rh * _GOLDEN)) if rh.size else 0
    return hashlib.sha256(f"{rh.size}:{total:016x}:{mixed:016x}".encode()).hexdigest()


def signatures_of(table: Table) -> Signatures | None:
    """The signatures of a loaded table (None for a fatal one: nothing to compare)."""
    if table.fatal or not table.labels:
        return None
    header = [normalise_label(x) for x in table.labels]
    header_hashes = np.array([_stable_hash64(h) & 0xFFFFFFFF for h in set(header)], dtype=np.uint32)
    frame = table.stripped
    n = frame.height
    cols = table.cols
    if n == 0:
        empty = np.full(NUM_PERM, EMPTY, dtype=np.uint32)
        return Signatures(
            HASH_ID, 0, len(cols), hashlib.sha256(b"0:0:0").hexdigest(), empty.copy(), header,
            minhash(header_hashes), [], empty.copy(), 0, np.zeros((0, NUM_PERM), dtype=np.uint32),
        )  # fmt: skip
    matrix, cells = _cell_hashes(table)
    rh = combine(matrix)
    content_hash = content_hash_of(rh)
    # a MinHash is the same for a multiset and its set: no need to deduplicate first
    row_sig = minhash((rh & np.uint64(0xFFFFFFFF)).astype(np.uint32))

    keys = _key_fields(table, cells)
    key_cols = [f"c{k}" for k in keys]
    kh = combine(cells.select(key_cols).to_numpy())
    key_sig = minhash((kh & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    key_distinct = int(np.count_nonzero(np.diff(np.sort(kh))) + 1)

    col_sigs, col_distinct, col_shift = [], [], []
    for stat in table.stats[:MAX_COLUMNS]:
        c = f"c{stat.field}"
        arr = cells.get_column(c).filter(frame.get_column(c).fill_null("") != "").to_numpy()
        distinct = stat.distinct
        shift = max(0, math.ceil(math.log2(distinct / COLUMN_SAMPLE))) if distinct > COLUMN_SAMPLE else 0
        if shift:
            arr = arr[(arr >> np.uint64(64 - shift)) == 0]
        if arr.size > 2 * COLUMN_SAMPLE:  # few distinct values in many rows: hash them once each
            arr = pl.Series(arr).unique().to_numpy()
        col_sigs.append(minhash((arr & np.uint64(0xFFFFFFFF)).astype(np.uint32)))
        col_distinct.append(int(distinct))
        col_shift.append(shift)
    return Signatures(
        hash_id=HASH_ID,
        rows=n,
        columns=len(cols),
        content_hash=content_hash,
        row_minhash=row_sig,
        header=header,
        header_minhash=minhash(header_hashes),
        key_fields=keys,
        key_minhash=key_sig,
        key_distinct=key_distinct,
        column_minhash=np.vstack(col_sigs) if col_sigs else np.zeros((0, NUM_PERM), dtype=np.uint32),
        column_distinct=col_distinct,
        column_shift=col_shift,
    )


def _key_fields(table: Table, cells: pl.DataFrame) -> list[int]:
    """The leading non-measure columns that identify a row: the first column alone when its
    values are (nearly) distinct, else up to KEY_MAX_COLUMNS leading columns while that helps.
    Measure columns (decimal numbers) are never keys."""
    n = cells.height
    candidates = [s for s in table.stats if s.type != "number" and s.type != "empty"][:KEY_MAX_COLUMNS]
    if not candidates:
        return [1]
    chosen: list[int] = []
    best = 0
    for stat in candidates:
        trial = [*chosen, stat.field]
        if len(trial) > 1 and n > KEY_SEARCH_ROWS:
            break  # big tables: the first candidate column (combinations cost a pass each)
        distinct = (
            stat.distinct
            if len(trial) == 1
            else cells.select(pl.struct([f"c{f}" for f in trial]).n_unique()).item()
        )
        if distinct <= best:
            continue
        chosen, best = trial, distinct
        if distinct >= 0.98 * n:
            break
    return chosen or [1]
