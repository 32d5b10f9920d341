"""Semantic checks on real portal files (../shared/corpus/portals) and on a mostly-valid file of
a million rows: what must be reported is, with its rows; what is valid is left alone."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from app.ingest.load import load_table
from profilers.registry import registry
from tests.conftest import CORPUS, score_path
from tests.profilers.cases import uscc

PORTALS = CORPUS / "portals"
CN = PORTALS / "cn-data-stats-gov-cn"
Report = dict[str, Any]

SEMANTIC_CODES = (
    "invalid-date",
    "invalid-id-card",
    "invalid-credit-code",
    "invalid-org-code",
    "invalid-division-code",
    "invalid-phone",
    "invalid-email",
    "invalid-url",
    "invalid-postcode",
    "full-width-digits",
    "mojibake",
    "control-characters",
    "stray-html",
    "out-of-range",
    "swapped-coordinates",
    "date-as-serial-number",
    "invalid-region-name",
    "mixed-region-names",
    "period-formatted-as-number",
    "mixed-units",
    "mixed-boolean-codes",
)


def found(report: Report, code: str) -> dict[str, Any] | None:
    return next((f for f in report["findings"] if f["code"] == code), None)


def cells(report: Report, code: str) -> list[tuple[int | None, int | None, str | None]]:
    f = found(report, code)
    return [(e["row"], e["field"], e["value"]) for e in f["examples"]] if f else []


def portal_files() -> list[Path]:
    tabular = {".csv", ".xls", ".xlsx", ".json"}
    return sorted(
        p for p in PORTALS.rglob("*") if p.suffix in tabular and p.is_file() and p.name != "datapackage.json"
    )


# What the semantic checks report on the shared portal files, and nothing else: a false positive
# on a real file fails here.
EXPECTED_ON_PORTALS: dict[str, set[str]] = {
    "derived_cpi-food-by-province_2016-2019.csv": {"period-formatted-as-number"},
    # Latitudes and longitudes written without the decimal point (40866075 for 40.866075).
    "marshal_evictions_all.csv": {"out-of-range"},
}


@pytest.mark.parametrize("path", portal_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_semantic_findings_on_every_portal_file(path: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        table = load_table(path, path.name, "0" * 64, Path(work))
        results = {code: registry()[code].run(table) for code in SEMANTIC_CODES}
    assert {c: r.error for c, r in results.items() if r.status == "check-error"} == {}
    failing = {c for c, r in results.items() if r.status == "fail"}
    assert failing == EXPECTED_ON_PORTALS.get(path.name, set())


def test_october_written_2016_1_beside_2016_01() -> None:
    report = score_path(CN / "derived_cpi-food-by-province_2016-2019.csv")
    assert cells(report, "period-formatted-as-number") == [
        (1, 11, "2016.1"),
        (1, 23, "2017.1"),
        (1, 35, "2018.1"),
        (1, 47, "2019.1"),
    ]
    # The short province names (浙江, 广东) are consistent and real.
    assert found(report, "invalid-region-name") is None
    assert found(report, "mixed-region-names") is None


def test_eu_ets_2024_zero_rows() -> None:
    path = PORTALS / "datahub-core" / "eu-ets" / "eu-ets-sector-emissions_2026-03-20_with-2024-zeros.csv"
    report = score_path(path)
    sentinel = found(report, "sentinel-row")
    assert sentinel is not None and sentinel["count"] == 8
    assert [e["row"] for e in sentinel["examples"]] == [21, 41, 61, 81, 101]
    assert found(score_path(path.with_name("eu-ets-sector-emissions.csv")), "sentinel-row") is None


def test_sentinel_zero_years_in_the_rural_income_series(tmp_path: Path) -> None:
    """EXPECTED.md: rows 2013年 and 2014年 of the scraped series are all 0.0. The shared copy
    leaves them empty (null-values); written as 0.0, they are sentinel rows at rows 37 and 38."""
    source = PORTALS / "cn-national-data-scrape" / "rural-net-income-per-capita_1978-2014.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    width = lines[0].count(",")
    zeroed = [
        (line.split(",")[0] + ",0.0" * width) if line.startswith(("2013年", "2014年")) else line
        for line in lines
    ]
    path = tmp_path / "rural-net-income-per-capita_2013-2014-zeros.csv"
    path.write_text("\n".join(zeroed) + "\n", encoding="utf-8")
    report = score_path(path)
    assert cells(report, "sentinel-row") == [(37, None, "0"), (38, None, "0")]
    assert found(score_path(source), "sentinel-row") is None


def test_guangxi_sheng_in_a_real_nbs_export(tmp_path: Path) -> None:
    """The NBS population export with two provinces renamed the way spreadsheets often have
    them: 广西省 and 内蒙古省 do not exist."""
    source = CN / "population-by-province_2015-2024_1lmq.csv"
    text = source.read_bytes().decode("gb18030")
    path = tmp_path / "population-by-province-wrong-names.csv"
    path.write_bytes(
        text.replace("广西壮族自治区,", "广西省,").replace("内蒙古自治区,", "内蒙古省,").encode("gb18030")
    )
    original = score_path(source)
    assert found(original, "invalid-region-name") is None
    report = score_path(path)
    rows = {name: row for row, _, name in cells(report, "invalid-region-name")}
    lines = text.splitlines()
    assert rows == {
        "内蒙古省": next(i for i, line in enumerate(lines, 1) if line.startswith("内蒙古自治区,")),
        "广西省": next(i for i, line in enumerate(lines, 1) if line.startswith("广西壮族自治区,")),
    }
    assert found(report, "invalid-region-name")["count"] == 2  # type: ignore[index]


def test_nyc_house_numbers_are_not_flagged() -> None:
    """hpd_violations: HouseNumber, LowHouseNumber and HighHouseNumber hold Queens-style 7-07."""
    report = score_path(PORTALS / "nyc-open-data" / "hpd_violations.csv")
    flagged = {
        (f["code"], e["field"])
        for f in report["findings"]
        for e in f["examples"]
        if f["dimension"] == "validity" and e["field"] in (6, 7, 8)
    }
    assert flagged == set()
    assert {f["code"] for f in report["findings"]}.isdisjoint({"type-error", *SEMANTIC_CODES})


def test_real_dates_of_the_portals_are_valid() -> None:
    """yyyymmdd integers (data.gov.tw), dd/mm/yy (Tameside), ISO timestamps (NYC): all real."""
    for path in (
        PORTALS / "tw-data-gov-tw" / "office-calendar_ROC110_2021.csv",
        PORTALS / "uk-council-spend" / "tameside_2014-07.csv",
        PORTALS / "nyc-open-data" / "dob_complaints.csv",
    ):
        with tempfile.TemporaryDirectory() as work:
            table = load_table(path, path.name, "0" * 64, Path(work))
            assert any(s.kind == "date" for s in table.semantic.values()), path.name
            assert registry()["invalid-date"].run(table).status == "pass", path.name


def test_a_real_calendar_with_an_impossible_day(tmp_path: Path) -> None:
    source = PORTALS / "tw-data-gov-tw" / "office-calendar_ROC110_2021.csv"
    data = source.read_bytes()
    assert b"20210228," in data
    path = tmp_path / "office-calendar-feb-29-2021.csv"
    path.write_bytes(data.replace(b"20210228,", b"20210229,", 1))
    report = score_path(path)
    row = next(
        i for i, line in enumerate(data.decode("utf-8-sig").splitlines(), 1) if line.startswith("20210228,")
    )
    assert cells(report, "invalid-date") == [(row, 1, "20210229")]


# ---- a mostly-valid file of a million rows -----------------------------------------------------

ROWS = 1_000_000
BAD_CODES = (7, 70_000, 123_456, 500_000, 654_321, 777_777, 999_999)
BAD_PHONES = tuple(range(1_000, 1_050))
BAD_DATES = tuple(range(900_000, 900_023))


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory: pytest.TempPathFactory) -> Report:
    rng = np.random.default_rng(7)
    prefixes = ("11", "31", "44", "33", "51", "65")
    pool = [uscc(f"91{prefixes[i % 6]}{i:04d}MA{rng.integers(10**6, 10**7)}") for i in range(400)]
    pool += [uscc(f"12{prefixes[i % 6]}0000{rng.integers(10**8, 10**9)}") for i in range(100)]
    codes = pl.Series(pool).gather(rng.integers(0, len(pool), ROWS))
    codes = codes.scatter(
        list(BAD_CODES), [c[:-1] + ("0" if c[-1] != "0" else "1") for c in codes.gather(list(BAD_CODES))]
    )
    # Mobile numbers in assigned segments (13x, 15x without 154, 18x), random subscriber numbers.
    segments = pl.Series([s for s in range(130, 190) if s // 10 in (13, 15, 18) and s != 154])
    phones = segments.gather(rng.integers(0, len(segments), ROWS)).cast(pl.String) + pl.Series(
        rng.integers(10**7, 10**8, ROWS)
    ).cast(pl.String)
    phones = phones.scatter(list(BAD_PHONES), [p[:10] for p in phones.gather(list(BAD_PHONES))])
    dates = (
        pl.Series(rng.integers(0, 12_000, ROWS))
        .cast(pl.Int32)
        .cast(pl.Date)
        .dt.offset_by("20y")  # 1990 to 2022: registration dates in the past
        .dt.to_string("%Y-%m-%d")
    )
    dates = dates.scatter(list(BAD_DATES), ["2019-02-30"] * len(BAD_DATES))
    frame = pl.DataFrame(
        {
            "编号": pl.int_range(1, ROWS + 1, eager=True),
            "统一社会信用代码": codes,
            "联系电话": phones,
            "登记日期": dates,
        }
    )
    path = tmp_path_factory.mktemp("million") / "mostly-valid-1m.csv"
    frame.write_csv(path)
    return score_path(path)


def test_a_million_rows_counts_are_exact(million_rows: Report) -> None:
    counts = {f["code"]: f["count"] for f in million_rows["findings"]}
    assert counts.get("invalid-credit-code") == len(BAD_CODES)
    assert counts.get("invalid-phone") == len(BAD_PHONES)
    assert counts.get("invalid-date") == len(BAD_DATES)
    assert "type-error" not in counts
    assert "out-of-range" not in counts  # no registration date after the day of the report


def test_a_million_rows_examples_are_capped_and_placed(million_rows: Report) -> None:
    codes = found(million_rows, "invalid-credit-code")
    assert codes is not None and codes["truncated"]
    # Spreadsheet rows: the header is row 1, so data row i (0-based) is row i + 2.
    assert [(e["row"], e["field"], e["column"]) for e in codes["examples"]] == [
        (i + 2, 2, "统一社会信用代码") for i in BAD_CODES[:5]
    ]
    phones = found(million_rows, "invalid-phone")
    assert phones is not None and [e["row"] for e in phones["examples"]] == [i + 2 for i in BAD_PHONES[:5]]


def test_a_million_rows_lose_points_in_proportion(million_rows: Report) -> None:
    semantic = [f for f in million_rows["findings"] if f["code"] in SEMANTIC_CODES]
    assert len(semantic) == 3
    for f in semantic:
        assert f["share"] < 1e-4
        assert 0 < f["points_lost"] <= 0.5  # the floor, not the cap
    assert million_rows["score"] >= 95
