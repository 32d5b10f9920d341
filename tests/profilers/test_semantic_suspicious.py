"""Suspicious values: Excel serial dates, swapped coordinates, percentages out of 0–100 % and
implausible outliers, with hypothesis over generated columns and on real files of the corpus."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest.load import load_table
from profilers.checks.date_as_serial_number import serial_to_date
from profilers.context import Table
from profilers.registry import registry
from profilers.semantic.detect import percent_label
from profilers.semantic.outliers import outlier_bounds
from tests.conftest import CORPUS


def load(text: str, name: str = "table.csv") -> Table:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / name
        path.write_text(text, encoding="utf-8")
        table = load_table(path, name, "0" * 64, Path(work))
        table.stats  # noqa: B018 - computed while the file exists
        return table


def examples(table: Table, code: str) -> tuple[str, int, list[tuple[int | None, int | None, str | None]]]:
    result = registry()[code].run(table)
    assert result.error is None
    found = result.findings[0] if result.findings else None
    if found is None:
        return result.status, 0, []
    return result.status, found.count, [(e.row, e.field, e.value) for e in found.examples]


# ---- Excel serial dates ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_serial_numbers_convert_like_excel(day: dt.date) -> None:
    # Excel's 1900 system counts 1900-01-01 as day 1 and has a 29 February 1900 (day 60), so
    # every date after it is its days since 1899-12-30.
    serial = (day - dt.date(1900, 1, 1)).days + 2
    assert serial_to_date(str(serial)) == day.isoformat()
    assert serial_to_date(f"{serial}.75") == day.isoformat()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(10_958, 73_050), min_size=5, max_size=40),
    st.sampled_from(["日期", "登记日期", "date", "Start Date"]),
)
def test_serials_under_a_date_label_are_reported(serials: list[int], label: str) -> None:
    table = load("id," + label + "\n" + "".join(f"{i},{s}\n" for i, s in enumerate(serials, 1)))
    status, count, cells = examples(table, "date-as-serial-number")
    assert (status, count) == ("fail", len(serials))
    assert cells == [(i + 2, 2, str(s)) for i, s in enumerate(serials[:5])]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(10_958, 73_050), min_size=5, max_size=40),
    st.sampled_from(["金额", "amount", "人数", "处理时间", "time"]),
)
def test_the_same_numbers_without_a_date_label_are_numbers(serials: list[int], label: str) -> None:
    table = load("id," + label + "\n" + "".join(f"{i},{s}\n" for i, s in enumerate(serials, 1)))
    assert examples(table, "date-as-serial-number")[0] == "pass"


def test_a_workbook_whose_date_cells_lost_their_format(tmp_path: Path) -> None:
    """An XLSX read cell by cell: real date cells come as timestamps, a cell typed as a number
    (or as text) holding 43850 comes as the serial number."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["编号", "受理", "金额"])
    for i in range(10):
        sheet.append([i + 1, dt.date(2020, 1, i + 1), 10 + i])
    sheet.append([11, 43850, 5])
    sheet.append([12, "43851", 6])
    path = tmp_path / "serials-in-a-date-column.xlsx"
    book.save(path)
    table = load_table(path, path.name, "0" * 64, tmp_path)
    status, count, cells = examples(table, "date-as-serial-number")
    assert (status, count, cells) == ("fail", 2, [(12, 2, "43850"), (13, 2, "43851")])


# ---- swapped coordinates -----------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-60, 60),
    st.floats(-170, 170),
    st.integers(20, 80),
    st.sets(st.integers(0, 19), max_size=4),
    st.integers(0, 2**32 - 1),
)
def test_swapped_pairs_in_a_regional_table(
    lat0: float, lon0: float, n: int, swapped: set[int], seed: int
) -> None:
    """Points of one city anywhere on Earth (centres far enough apart to be told apart): the
    swapped rows are found, and only them."""
    if abs(lat0 - lon0) < 3:
        lon0 += 10
    rng = np.random.default_rng(seed)
    lats = np.round(lat0 + rng.uniform(-0.1, 0.1, n), 5)
    lons = np.round(lon0 + rng.uniform(-0.1, 0.1, n), 5)
    rows = [(lons[i], lats[i]) if i in swapped else (lats[i], lons[i]) for i in range(n)]
    table = load("name,latitude,longitude\n" + "".join(f"p{i},{a},{b}\n" for i, (a, b) in enumerate(rows)))
    _, count, cells = examples(table, "swapped-coordinates")
    assert count == len(swapped)
    assert [c[0] for c in cells] == [i + 2 for i in sorted(swapped)][:5]
    # A swapped latitude beyond 90 is reported once, as swapped, not also as out of range.
    assert examples(table, "out-of-range")[0] == "pass"


def test_real_coordinates_are_not_swapped() -> None:
    """NYC (lat 40.7, lon −73.9) and Toronto files of the corpus."""
    for path in (
        CORPUS / "portals" / "nyc-open-data" / "marshal_evictions_17.csv",
        CORPUS / "portals" / "toronto-open-data" / "street-furniture-poster-boards_datastore.csv",
    ):
        with tempfile.TemporaryDirectory() as work:
            table = load_table(path, path.name, "0" * 64, Path(work))
            assert {s.kind for s in table.semantic.values()} >= {"latitude", "longitude"}, path.name
            assert registry()["swapped-coordinates"].run(table).status == "pass", path.name


def test_a_swapped_row_in_a_real_nyc_file(tmp_path: Path) -> None:
    source = CORPUS / "portals" / "nyc-open-data" / "marshal_evictions_17.csv"
    frame = pl.read_csv(source, infer_schema_length=0)
    lat, lon = "lat", "lng"
    i = frame.with_row_index().filter(pl.col(lat).str.len_bytes() > 0).get_column("index")[3]
    a, b = frame[i, lat], frame[i, lon]
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == i).then(pl.lit(b)).otherwise(pl.col(lat)).alias(lat),
        pl.when(pl.int_range(pl.len()) == i).then(pl.lit(a)).otherwise(pl.col(lon)).alias(lon),
    )
    path = tmp_path / "marshal-evictions-one-pair-swapped.csv"
    frame.write_csv(path)
    table = load_table(path, path.name, "0" * 64, tmp_path)
    status, count, cells = examples(table, "swapped-coordinates")
    assert (status, count) == ("fail", 1)
    assert cells == [(i + 2, frame.columns.index(lat) + 1, f"{b}, {a}")]


# ---- percentages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "bounded"),
    [
        ("占比", True),
        ("就业率", True),
        ("合格率(%)", True),
        ("Percent of total", True),
        ("增长率", False),
        ("同比增速", False),
        ("计划完成率", False),
        ("资产负债率", False),
        ("利润率", False),
        ("growth rate", False),
        ("Sex ratio", False),
        ("Turnover rate", False),
        ("Unemployment rate", True),
        ("名称", False),
    ],
)
def test_which_rates_lie_within_0_and_100(label: str, bounded: bool) -> None:
    assert percent_label(label) is bounded


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.decimals(0, 100, places=1), min_size=5, max_size=30),
    st.lists(
        st.decimals(Decimal("100.1"), 999, places=1) | st.decimals(-99, Decimal("-0.1"), places=1), max_size=3
    ),
)
def test_percent_strings_out_of_0_to_100(good: list[object], bad: list[object]) -> None:
    values = [f"{v}%" for v in good] + [f"{v}%" for v in bad]
    table = load("区县,覆盖率\n" + "".join(f"d{i},{v}\n" for i, v in enumerate(values)))
    _, count, cells = examples(table, "out-of-range")
    assert count == len(bad)
    assert [v for _, _, v in cells] == [f"{v}%" for v in bad][:5]


# ---- implausible outliers ----------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(30, 3_000), st.floats(0.1, 1.0), st.floats(0, 12), st.integers(0, 2**32 - 1))
def test_heavy_tailed_amounts_have_no_outliers(n: int, sigma: float, mu: float, seed: int) -> None:
    """Lognormal amounts (spending, prices) spread over orders of magnitude: nothing stands apart."""
    x = pl.Series(np.round(np.random.default_rng(seed).lognormal(mu, sigma, n), 2))
    assert outlier_bounds(x, x) == (None, None)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(30, 3_000),
    st.integers(3, 6),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_a_lost_decimal_point_stands_apart(n: int, digits: int, seed: int, low: bool) -> None:
    """A value 10³–10⁶ times too large (or a large negative) among amounts of one scale."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(500, 80, n), 2)
    i = int(rng.integers(0, n))
    x[i] = -x[i] * 10**digits if low else x[i] * 10**digits
    lo, hi = outlier_bounds(pl.Series(x), pl.Series(x))
    flagged = [j for j, v in enumerate(x) if (lo is not None and v <= lo) or (hi is not None and v >= hi)]
    assert flagged == [i]


def test_outliers_are_reported_with_their_rows() -> None:
    amounts = [f"{100 + (i * 37) % 50}.5" for i in range(40)]
    amounts[17] = "1205000"
    table = load("项目,金额\n" + "".join(f"p{i},{a}\n" for i, a in enumerate(amounts)))
    assert examples(table, "out-of-range") == ("fail", 1, [(19, 2, "1205000")])


def test_sum_rows_and_identifiers_are_not_outliers() -> None:
    rows = [f"{1000 + i},d{i},{100 + (i * 37) % 50}" for i in range(40)]
    total = sum(100 + (i * 37) % 50 for i in range(40))
    text = "编号,区县,人口\n" + "\n".join(rows) + f"\n99999999,合计,{total * 1000}\n"
    assert examples(load(text), "out-of-range")[0] == "pass"


def test_the_corpus_true_outliers_and_sum_rows() -> None:
    """Half-hourly meter readings of 70 Whitehall (ckanext-qa's elec00.csv): after a run of zero
    readings the meter catches up in one slot (10,887 kWh where the building uses 100–200): three
    such readings are true outliers. The DECC table's Total row (26,264,883 homes) is a sum."""
    peer = CORPUS / "peer-cases" / "ckanext-qa"
    with tempfile.TemporaryDirectory() as work:
        table = load_table(peer / "elec00.csv", "elec00.csv", "0" * 64, Path(work))
        assert examples(table, "out-of-range") == (
            "fail",
            3,
            [(218, 22, "4818"), (200, 26, "10887"), (367, 35, "1385")],
        )
        name = "decc_local_authority_data_xlsx.xlsx"
        table = load_table(peer / name, name, "0" * 64, Path(work))
        assert examples(table, "out-of-range")[0] == "pass"


def test_serials_mixed_half_and_half_with_written_dates() -> None:
    """Neither dates nor numbers dominate the column, but under 日期 both are dates: the serials
    are reported, and the written dates are still validated (30 February)."""
    values = ["2020-01-05", "43836", "2020-01-07", "43838", "2020-02-30", "43840", "2020-01-11", "43842"]
    table = load("编号,日期\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values, 1)))
    assert examples(table, "date-as-serial-number") == (
        "fail",
        4,
        [(3, 2, "43836"), (5, 2, "43838"), (7, 2, "43840"), (9, 2, "43842")],
    )
    assert examples(table, "invalid-date") == ("fail", 1, [(6, 2, "2020-02-30")])
