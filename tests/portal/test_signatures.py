"""Signatures: MinHash as datasketch makes it, Jaccard estimates within their bound, LSH bands
that reproduce datasketch's candidates, and a content hash blind to order, encoding and format."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import pickle
import random
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest.load import load_table
from profilers.signatures import (
    NUM_PERM,
    SEED,
    Signatures,
    band_keys,
    jaccard,
    lsh_params,
    minhash,
    name_tokens,
    normalise_label,
    permutations,
    signatures_of,
)

ITEMS = st.sets(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=400)


def _ds(items: set[int] | list[int]) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=lambda x: x)
    m.update_batch(list(items))
    return m


def test_permutations_are_datasketchs() -> None:
    a, b = permutations()
    ref = MinHash(num_perm=NUM_PERM, seed=SEED).permutations
    assert np.array_equal(a, ref[0]) and np.array_equal(b, ref[1])


@given(ITEMS)
@settings(max_examples=60, deadline=None)
def test_minhash_equals_datasketch_bit_for_bit(items: set[int]) -> None:
    ours = minhash(np.array(sorted(items), dtype=np.uint32))
    assert np.array_equal(ours, _ds(items).hashvalues)
    lean = LeanMinHash(seed=SEED, hashvalues=ours, scheme="affine32")
    assert lean.jaccard(LeanMinHash(_ds(items))) == 1.0


@given(ITEMS, ITEMS, st.sets(st.integers(min_value=0, max_value=2**32 - 1), max_size=400))
@settings(max_examples=200, deadline=None)
def test_jaccard_estimate_within_bound(a: set[int], b: set[int], shared: set[int]) -> None:
    """|estimate − J| ≤ 4.5 standard deviations of a 128-permutation estimate (sqrt(J(1−J)/128))
    plus one permutation's worth; identical sets give 1 and disjoint sets 0 exactly (the
    permutations are bijections on 32 bits, so distinct items never share a minimum)."""
    a, b = a | shared, b | shared
    exact = len(a & b) / len(a | b)
    est = jaccard(minhash(np.array(list(a), dtype=np.uint32)), minhash(np.array(list(b), dtype=np.uint32)))
    bound = 4.5 * math.sqrt(exact * (1 - exact) / NUM_PERM) + 1 / NUM_PERM
    assert abs(est - exact) <= bound
    if exact in (0.0, 1.0):
        assert est == exact


def test_band_keys_reproduce_datasketch_lsh_candidates() -> None:
    rng = random.Random(7)
    base = [set(rng.sample(range(10**6), 60)) for _ in range(60)]
    sets = []
    for s in base:  # each set with a sibling at varying similarity
        keep = rng.randint(20, 60)
        sets += [s, set(list(s)[:keep]) | set(rng.sample(range(10**6, 2 * 10**6), 60 - keep))]
    threshold = 0.5
    b, r = lsh_params(threshold)
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    assert (lsh.b, lsh.r) == (b, r)
    sigs = [minhash(np.array(sorted(s), dtype=np.uint32)) for s in sets]
    for i, s in enumerate(sigs):
        lsh.insert(str(i), LeanMinHash(seed=SEED, hashvalues=s, scheme="affine32"))
    theirs = {
        (min(i, int(j)), max(i, int(j)))
        for i, s in enumerate(sigs)
        for j in lsh.query(LeanMinHash(seed=SEED, hashvalues=s, scheme="affine32"))
        if int(j) != i
    }
    keys = band_keys(np.vstack(sigs), b, r)
    ours = {(i, j) for i in range(len(sigs)) for j in range(i + 1, len(sigs)) if np.any(keys[i] == keys[j])}
    assert theirs and ours == theirs


def _table(path: Path, tmp: Path):  # type: ignore[no-untyped-def]
    data = path.read_bytes()
    work = tmp / f"w-{path.name}"
    work.mkdir(exist_ok=True)
    return load_table(path, path.name, hashlib.sha256(data).hexdigest(), work)


def test_content_hash_ignores_order_encoding_delimiter_and_format(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "portals" / "tw-data-gov-tw" / "office-calendar_ROC107_2018.csv"
    rows = list(csv.reader(io.StringIO(src.read_bytes().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    random.Random(3).shuffle(body)
    gb = tmp_path / "calendar-copy.txt"
    with gb.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows([header, *body])
    xlsx = tmp_path / "calendar-copy.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in body:  # numbers as numbers, as a spreadsheet holds them
        ws.append([int(v) if v.isdigit() else v for v in row])
    wb.save(xlsx)
    original = signatures_of(_table(src, tmp_path))
    copies = [signatures_of(_table(p, tmp_path)) for p in (gb, xlsx)]
    assert original is not None and all(c is not None for c in copies)
    for copy in copies:
        assert copy is not None
        assert copy.content_hash == original.content_hash
        assert jaccard(copy.row_minhash, original.row_minhash) == 1.0
    other = signatures_of(
        _table(corpus / "portals" / "tw-data-gov-tw" / "office-calendar_ROC108_2019.csv", tmp_path)
    )
    assert other is not None and other.content_hash != original.content_hash


def test_one_changed_row_changes_the_content_hash_but_not_much_the_minhash(
    corpus: Path, tmp_path: Path
) -> None:
    a = corpus / "portals" / "tw-data-gov-tw" / "office-calendar_ROC114_2025.csv"
    b = corpus / "portals" / "tw-data-gov-tw" / "office-calendar_ROC114_2025_revised.csv"
    sa, sb = signatures_of(_table(a, tmp_path)), signatures_of(_table(b, tmp_path))
    assert sa is not None and sb is not None
    assert sa.content_hash != sb.content_hash
    assert 0.9 <= jaccard(sa.row_minhash, sb.row_minhash) < 1.0  # 5 of 365 rows revised
    assert jaccard(sa.key_minhash, sb.key_minhash) == 1.0  # same dates


def test_signatures_travel_as_plain_data(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "portals" / "nyc-open-data" / "ecb_violations.csv"
    sig = signatures_of(_table(src, tmp_path))
    assert sig is not None
    back = pickle.loads(pickle.dumps(sig))
    again = Signatures.from_dict(sig.to_dict())
    for s in (back, again):
        assert s.content_hash == sig.content_hash and np.array_equal(s.row_minhash, sig.row_minhash)
        assert np.array_equal(s.column_minhash, sig.column_minhash) and s.header == sig.header


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        (
            "office-calendar_ROC114_2025_updated-20251020.csv",
            ["office", "calendar", "roc", "114", "2025", "updated", "20251020"],
        ),
        ("城镇居民交通支出.csv", ["城", "镇", "居", "民", "交", "通", "支", "出"]),
        ("dir/gdp.csv", ["gdp"]),
    ],
)
def test_name_tokens(name: str, tokens: list[str]) -> None:
    assert name_tokens(name) == tokens


def test_normalised_labels_agree_across_spellings() -> None:
    assert {normalise_label(x) for x in ("UNIQUE_ID", "uniqueid", "Unique Id ", "ＵＮＩＱＵＥ_ＩＤ")} == {
        "uniqueid"
    }
