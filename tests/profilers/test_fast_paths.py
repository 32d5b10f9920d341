"""The fast paths of the hot checks give exactly what the plain computation gives: the shared row
hash (duplicate-row, first_distinct), the stacked normalisation of wide tables
(near-duplicate-row) and the vectorised parse of quoted CSV records."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest.grid import _LINE_SEP, _quoted_joined, read_text_grid
from app.ingest.load import load_table
from profilers.checks.near_duplicate_row import _first_normalised, near_duplicate_row, normalised
from profilers.context import Table
from profilers.registry import registry


def _load(tmp_path: Path, text: str, name: str = "t.csv") -> Table:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return load_table(path, name, "", work)


def _exact_first(table: Table) -> pl.Series:
    return table.content.select(pl.struct([*table.cols, "__extra"]).is_first_distinct()).to_series()


def test_first_distinct_tells_empty_from_missing_and_counts_surplus_cells(tmp_path: Path) -> None:
    text = "a,b,c\n1,,x\n1,,x\n1\n1,,\n1,,x,extra\n1,,x,extra\n1,,x\n"
    table = _load(tmp_path, text)
    first = table.first_distinct
    assert first.equals(_exact_first(table), check_names=False)
    # rows 3, 7 and 8 repeat rows 2, 6 and 2; row 4 (short) and row 5 (empty cells) do not
    repeats = table.content.get_column("__row").filter(~first).to_list()
    assert repeats == [3, 7, 8]
    result = registry()["duplicate-row"].run(table)
    assert result.findings[0].count == 3
    assert [e.row for e in result.findings[0].examples] == [3, 7, 8]


def test_a_hash_collision_falls_back_to_the_exact_comparison(tmp_path: Path) -> None:
    table = _load(tmp_path, "a,b\n1,x\n2,y\n1,x\n3,z\n")
    # Every row given the same hash: only the cell-by-cell check can tell them apart.
    table.row_hash = pl.Series("hash", [7] * table.rows, dtype=pl.UInt64)
    first = table.first_distinct
    assert first.to_list() == [True, True, False, True]


def test_wide_tables_normalise_in_one_stacked_pass(tmp_path: Path) -> None:
    width = 120  # above WIDE: the stacked path
    header = ",".join(f"h{i}" for i in range(width))
    base = [f"Name {i}" for i in range(width)]
    rows = [
        base,
        [v.upper() for v in base],  # a near duplicate (case only)
        [f"other {i}" for i in range(width)],
        base,  # an exact repeat: duplicate-row, not near-duplicate-row
        [v.replace(" ", "") for v in base],  # a near duplicate (white space only)
    ]
    text = header + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    table = _load(tmp_path, text)
    frame = table.stripped
    text_cols = table.cols
    wide = _first_normalised(frame, text_cols, ["__extra"])
    # the same comparison, one expression per column
    narrow = frame.select(
        pl.struct([normalised(c) for c in text_cols] + [pl.col("__extra")]).is_first_distinct()
    ).to_series()
    assert wide.equals(narrow, check_names=False)
    hit = near_duplicate_row(table)
    assert hit is not None
    assert [e.row for e in hit.examples] == [3, 6]


_CELL = st.one_of(
    st.text(alphabet="ab中 ,;\t'x", max_size=6),
    st.text(alphabet="ab中 ,;'x", max_size=6).map(lambda s: f'"{s}"'),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELL, min_size=1, max_size=6), min_size=1, max_size=8))
def test_quoted_records_parse_as_the_csv_module_parses_them(records: list[list[str]]) -> None:
    lines = [",".join(r) for r in records]
    quoted = [ln for ln in lines if '"' in ln]
    if not quoted:
        return
    got = _quoted_joined(pl.Series("l", quoted, dtype=pl.String), ",", '"').to_list()
    want = [_LINE_SEP.join(next(csv.reader([ln], strict=False))) for ln in quoted]
    assert got == want


def test_irregular_quotes_still_go_through_the_csv_module(tmp_path: Path) -> None:
    text = 'a,b,c\n1,"x,y",z\n2,"he said ""hi""",z\n3, "sp",z\n4,5\'11",z\n'
    path = tmp_path / "q.csv"
    path.write_text(text, encoding="utf-8")
    grid = read_text_grid(path, ",")
    want = [list(r) for r in csv.reader(io.StringIO(text), strict=False)]
    assert grid.frame.get_column("__fields").to_list() == want
