"""Facts read from the data that the metadata checks use: the newest date inside a table
(timeliness vs the data) and agreement between the distributions of one dataset (consistency),
on real portal files of the corpus."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.ingest.load import load_table
from profilers.context import Table
from profilers.metadata import DistributionShape, assess, consistency, latest_date
from profilers.metadata.content import header_latest
from profilers.record import DatasetRecord
from profilers.types import Metrics
from scoring import score_table
from tests.conftest import CORPUS

PORTALS = CORPUS / "portals"
TODAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def tables() -> Iterator[dict[str, Table]]:
    with tempfile.TemporaryDirectory() as work:

        class Loader(dict[str, Table]):
            """Loads each corpus file once, on first use."""

            def __missing__(self, rel: str) -> Table:
                path = PORTALS / rel
                sub = Path(work) / str(len(self))
                sub.mkdir()
                self[rel] = load_table(path, path.name, "x", sub)
                return self[rel]

        yield Loader()


@pytest.mark.parametrize(
    ("rel", "latest"),
    [
        # header 2020年3月,2020年2月,2020年1月 with the March column empty (EXPECTED.md)
        ("cn-data-stats-gov-cn/cpi-monthly-by-province_2020Q1_part1.csv", date(2020, 2, 29)),
        # the 2023 column is entirely empty: the data ends in 2022
        ("cn-data-stats-gov-cn/gdp-by-province_2019-2023_dl2024_eoocl.csv", date(2022, 12, 31)),
        # a Year column: the current vintage ends in 2023, the 2013 vintage in 2011
        ("datahub-core/gdp/gdp.csv", date(2023, 12, 31)),
        ("datahub-core/gdp/gdp_vintage-2013.csv", date(2011, 12, 31)),
        # yyyymmdd dates (西元日期) of the ROC 106 = 2017 calendar
        ("tw-data-gov-tw/office-calendar_ROC106_2017.csv", date(2017, 12, 31)),
    ],
)
def test_latest_date_inside_real_files(tables: dict[str, Table], rel: str, latest: date) -> None:
    assert latest_date(tables[rel], TODAY) == latest


def test_dates_after_the_reference_are_ignored(tables: dict[str, Table]) -> None:
    t = tables["datahub-core/gdp/gdp.csv"]
    assert latest_date(t, date(2015, 6, 1)) == date(2014, 12, 31)


def test_header_periods() -> None:
    assert header_latest(["地区", "2019年", "2020年第一季度"]) == date(2020, 3, 31)
    assert header_latest(["2020Q4", "2020-11"]) == date(2020, 12, 31)
    assert header_latest(["name", "value"]) is None


def test_timeliness_against_the_data_of_a_real_file(tables: dict[str, Table]) -> None:
    """A yearly dataset declared modified recently whose content stops in 2011 is stale."""
    t = tables["datahub-core/gdp/gdp_vintage-2013.csv"]
    record = DatasetRecord(id="gdp", title="GDP", frequency="P1Y", modified="2026-06-01")
    a = assess(record, TODAY, data_latest=latest_date(t, TODAY))
    timeliness = [f for f in a.findings if f.dimension == "timeliness"]
    assert [f.code for f in timeliness] == ["stale-content"] and timeliness[0].share == 1
    fresh = assess(record, date(2013, 6, 1), data_latest=latest_date(t, date(2013, 6, 1)))
    assert [f.code for f in fresh.findings if f.dimension == "timeliness"] == []


def shape(tables: dict[str, Table], pos: int, rel: str) -> DistributionShape:
    t = tables[rel]
    return DistributionShape(pos, rel, t.rows, list(t.labels))


def test_distributions_with_different_rows(tables: dict[str, Table]) -> None:
    result = consistency(
        [
            shape(tables, 1, "datahub-core/gdp/gdp.csv"),
            shape(tables, 2, "datahub-core/gdp/gdp_vintage-2013.csv"),
        ]
    )
    assert result.status == "fail"
    f = result.findings[0]
    assert (f.code, f.dimension, f.count, f.share) == ("inconsistent-distributions", "consistency", 1, 1.0)
    rows_new, rows_old = (
        tables["datahub-core/gdp/gdp.csv"].rows,
        tables["datahub-core/gdp/gdp_vintage-2013.csv"].rows,
    )
    assert f.examples[0].value.endswith(f"{rows_old} rows vs {rows_new}")  # type: ignore[union-attr]
    card = score_table([result], Metrics())
    assert card.dimensions["consistency"].score == 0


def test_distributions_with_a_different_header(tables: dict[str, Table]) -> None:
    """ecb_violations: the same 5 rows, one header label changed (HEARING_STATUS → MISHEARING_STATUS)."""
    result = consistency(
        [
            shape(tables, 1, "nyc-open-data/ecb_violations.csv"),
            shape(tables, 2, "nyc-open-data/ecb_violations_invalid_header.csv"),
        ]
    )
    f = result.findings[0]
    assert "rows" not in (f.examples[0].value or "")
    assert "HEARING_STATUS" in (f.examples[0].value or "") and "MISHEARING_STATUS" in (
        f.examples[0].value or ""
    )


def test_agreeing_distributions(tables: dict[str, Table]) -> None:
    same = shape(tables, 1, "nyc-open-data/ecb_violations.csv")
    assert consistency([same, DistributionShape(2, "copy.xlsx", same.rows, same.columns)]).status == "pass"
    assert consistency([same]).status == "not-applicable"
