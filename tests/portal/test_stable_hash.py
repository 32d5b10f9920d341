"""Persisted hashes are stable: a dataset's signature hashes equal those of an independent
reference implementation written here from the specifications (XXH64, SplitMix64, MurmurHash3's
64-bit finaliser, SHA-256), so they cannot change with a library's version; and signatures stored
with an older hash id are recomputed, never compared."""

from __future__ import annotations

import hashlib
import re
import struct
from pathlib import Path

import numpy as np
import polars as pl
import polars_hash  # noqa: F401
import pytest
from datasketch import MinHash

from app.ingest.load import load_table
from app.services import portals
from app.storage.portals import PortalStore
from profilers.signatures import (
    HASH_ID,
    NUM_PERM,
    SEED,
    combine,
    number_hashes,
    signatures_of,
    splitmix64,
    xxh64_u64,
)

M64 = (1 << 64) - 1
P1, P2, P3, P4, P5 = (
    0x9E3779B185EBCA87,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0x85EBCA77C2B2AE63,
    0x27D4EB2F165667C5,
)


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & M64


def _round(acc: int, lane: int) -> int:
    return (_rotl((acc + lane * P2) & M64, 31) * P1) & M64


def _merge(acc: int, val: int) -> int:
    return ((acc ^ _round(0, val)) * P1 + P4) & M64


def ref_xxh64(data: bytes, seed: int = 0) -> int:
    """XXH64 after the xxHash specification (every input length), in plain Python."""
    n, p = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64]
        while p + 32 <= n:
            for i in range(4):
                v[i] = _round(v[i], int.from_bytes(data[p + 8 * i : p + 8 * i + 8], "little"))
            p += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M64
        for x in v:
            h = _merge(h, x)
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while p + 8 <= n:
        h ^= _round(0, int.from_bytes(data[p : p + 8], "little"))
        h = (_rotl(h, 27) * P1 + P4) & M64
        p += 8
    if p + 4 <= n:
        h ^= (int.from_bytes(data[p : p + 4], "little") * P1) & M64
        h = (_rotl(h, 23) * P2 + P3) & M64
        p += 4
    while p < n:
        h ^= (data[p] * P5) & M64
        h = (_rotl(h, 11) * P1) & M64
        p += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    return h ^ (h >> 32)


def ref_splitmix64(i: int) -> int:
    z = (i * 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def ref_fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    return h ^ (h >> 33)


NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def ref_cell(text: str, numeric: bool) -> int:
    if numeric and NUMBER.fullmatch(text):
        value = float(text) + 0.0
        return ref_xxh64(struct.pack("<d", value))
    return ref_xxh64(text.encode("utf-8"))


def ref_row(cells: list[int]) -> int:
    total = 0
    for j, h in enumerate(cells):
        total = (total + ((h ^ (h >> 31)) * (ref_splitmix64(j + 1) | 1))) & M64
    return ref_fmix64(total)


def ref_content_hash(rows: list[int]) -> str:
    total, mixed = sum(rows) & M64, 0
    for r in rows:
        mixed ^= (r * 0x9E3779B97F4A7C15) & M64
    return hashlib.sha256(f"{len(rows)}:{total:016x}:{mixed:016x}".encode()).hexdigest()


@pytest.mark.parametrize(
    ("data", "seed", "expected"),
    [  # published test vectors of xxHash (and of its Python binding's documentation)
        (b"", 0, 0xEF46DB3751D8E999),
        (b"a", 0, 0xD24EC4F1A98C6E5B),
        (b"abc", 0, 0x44BC2CF5AD770999),
        (b"Nobody inspects the spammish repetition", 0, 0xFBCEA83C8A378BF1),
        (b"xxhash", 20141025, 0xB559B98D844E0635),
    ],
)
def test_reference_xxh64_meets_the_published_vectors(data: bytes, seed: int, expected: int) -> None:
    assert ref_xxh64(data, seed) == expected


TEXTS = ["", "a", "abc", "  padded", "城镇居民交通支出", "x" * 31, "y" * 32, "z" * 33, "é" * 40, "1,000"]


def test_text_and_number_hashes_equal_the_reference() -> None:
    ours = pl.DataFrame({"t": TEXTS}).select(pl.col("t").nchash.xxhash64(seed=0)).to_series().to_list()
    assert ours == [ref_xxh64(t.encode("utf-8")) for t in TEXTS]
    values = [0.0, -0.0, 1.0, 103.6, -2.5e-300, 1e300, 7.0]
    got = number_hashes(np.array(values)).tolist()
    assert got == [ref_xxh64(struct.pack("<d", v + 0.0)) for v in values]
    assert got[0] == got[1]  # -0.0 is 0.0
    words = [0, 1, 2**63, M64, 0x0123456789ABCDEF]
    assert xxh64_u64(np.array(words, dtype=np.uint64)).tolist() == [
        ref_xxh64(struct.pack("<Q", w)) for w in words
    ]
    assert splitmix64(np.arange(1, 6, dtype=np.uint64)).tolist() == [ref_splitmix64(i) for i in range(1, 6)]
    m = np.array([[1, 2, 3], [M64, 0, 5]], dtype=np.uint64)
    assert combine(m).tolist() == [ref_row([1, 2, 3]), ref_row([M64, 0, 5])]


ROWS = [
    ["code", "name", "amount"],
    ["A01", "北京", "1.50"],
    ["A02", "上海", "-0"],
    ["A03", "", "n/a"],
    ["A04", "Quoted, with comma", "1e3"],
    ["A05", "广州", ".25"],
    ["A06", "深圳", "7"],
    ["A07", "  trimmed  ", "+8"],
]


def test_signature_hashes_equal_an_independent_reference(tmp_path: Path) -> None:
    """The content hash, the row MinHash and a column MinHash of a fixed table, recomputed from the
    specifications: the first two columns are text, ``amount`` is a number column."""
    import csv

    path = tmp_path / "fixed.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(ROWS)
    work = tmp_path / "work"
    work.mkdir()
    table = load_table(path, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), work)
    assert [s.type for s in table.stats][2] == "number"
    numeric = [s.type in ("integer", "number") for s in table.stats]
    sig = signatures_of(table)
    assert sig is not None and sig.hash_id == HASH_ID == "xxh64-seed0-norm1/affine32-128-1"

    cells = [[ref_cell(v.strip(), numeric[j]) for j, v in enumerate(row)] for row in ROWS[1:]]
    rows = [ref_row(c) for c in cells]
    assert sig.content_hash == ref_content_hash(rows)
    expected_rows = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=lambda x: x)
    expected_rows.update_batch([r & 0xFFFFFFFF for r in rows])
    assert np.array_equal(sig.row_minhash, expected_rows.hashvalues)
    names = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=lambda x: x)
    names.update_batch([c[1] & 0xFFFFFFFF for c, row in zip(cells, ROWS[1:], strict=True) if row[1].strip()])
    assert np.array_equal(sig.column_minhash[1], names.hashvalues)
    # "1.50", "1.5" and 1.5 hash alike in a number column; "n/a" is hashed as its text
    assert ref_cell("1.50", True) == ref_cell("1.5", True) != ref_cell("1.50", False)
    assert ref_cell("n/a", True) == ref_xxh64(b"n/a")


def test_signatures_with_an_older_hash_id_are_recomputed(corpus: Path, env) -> None:  # type: ignore[no-untyped-def]
    folder = corpus / "portals" / "tw-data-gov-tw"
    report = portals.score_directory(env.repo, env.settings, folder, "tw")
    pstore = PortalStore(env.repo)
    shas = sorted({d["sha256"] for d in report["datasets"] if d["sha256"]})
    fresh = pstore.load_signatures(shas)
    old = shas[0]
    expected = fresh[old].content_hash
    stale = fresh[old]
    stale.hash_id = "polars-2.1.0-s2026/affine32-128-1"  # how signatures were stored before
    stale.content_hash = "0" * 64
    pstore.save_signatures(old, stale)
    assert not pstore.has_signatures(old, HASH_ID)
    again = portals.run_portal_pass(env.repo, "tw")
    assert again["stale_signatures"] == 0
    back = pstore.load_signatures([old])[old]
    assert back.hash_id == HASH_ID and back.content_hash == expected
    assert pstore.has_signatures(old, HASH_ID)
    assert [c["datasets"] for c in again["clusters"]] == [c["datasets"] for c in report["clusters"]]


@pytest.mark.parametrize("text", ["n\n1\n2\n3.5\n", "name\nAlice\nBob\n"])
def test_a_one_column_table_has_signatures(tmp_path: Path, text: str) -> None:
    """One column comes out of Polars as a read-only array: the number hashes must not write
    into it (a one-column upload raised in the server's log)."""
    path = tmp_path / "one.csv"
    path.write_text(text, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    table = load_table(path, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), work)
    sig = signatures_of(table)
    assert sig is not None
    numeric = [s.type in ("integer", "number") for s in table.stats]
    values = text.splitlines()[1:]
    rows = [ref_row([ref_cell(v, numeric[0])]) for v in values]
    assert sig.content_hash == ref_content_hash(rows)
