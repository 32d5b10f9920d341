"""Semantic checks against reference data and the report's date: the shipped GB/T 2260 list,
dates after the day a report was judged, coordinates written with degree signs."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest

from app.ingest.load import load_table
from profilers.context import Table
from profilers.registry import registry
from profilers.semantic import validators as val
from profilers.semantic.dates import past_event_column
from profilers.semantic.degrees import parse_degrees
from profilers.semantic.vocab import PROVINCES, division_codes
from tests.conftest import score_path
from tests.profilers.test_semantic_corpus import portal_files
from tests.profilers.test_semantic_suspicious import load


def run(table: Table, code: str) -> tuple[str, int, list[tuple[int | None, str | None]], str]:
    result = registry()[code].run(table)
    assert result.error is None
    if not result.findings:
        return result.status, 0, [], ""
    f = result.findings[0]
    return result.status, f.count, [(e.row, e.value) for e in f.examples], f.message


def listed(values: list[str], withdrawn: bool = True) -> list[bool]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(val.listed_division_code(pl.col("v"), withdrawn)).to_series().to_list()


# ---- GB/T 2260: the full list ------------------------------------------------------------------


def test_the_shipped_list_is_the_current_one() -> None:
    current, withdrawn = division_codes()
    assert 3200 <= len(current) <= 3300  # 34 provinces, 333 prefectures, about 2,840 counties
    assert not current & withdrawn
    assert {p.prefix + "0000" for p in PROVINCES} <= current
    # Changes of the last revisions: 北京 密云县 became 密云区 (2015), 新星市 (2023).
    assert {"110118", "659011", "440306"} <= current
    assert "110228" in withdrawn and "110228" not in current
    assert all(len(c) == 6 and c.isdigit() for c in current | withdrawn)


def test_every_listed_code_passes_and_a_made_up_county_fails() -> None:
    current, withdrawn = division_codes()
    codes = sorted(current)
    assert listed(codes) == [True] * len(codes)
    assert listed(sorted(withdrawn)) == [True] * len(withdrawn)
    assert listed(sorted(withdrawn), withdrawn=False) == [False] * len(withdrawn)
    # A real province and prefecture, a county number that never existed; and the shape checks.
    assert listed(["110199", "320199", "440399", "990101", "11010", "1101055", "", "11010A"]) == [False] * 8


def test_the_check_counts_unknown_codes_and_names_withdrawn_ones() -> None:
    table = load(
        "行政区划代码,名称\n"
        "110105,朝阳区\n"
        "440306,宝安区\n"
        "110199,不存在的区\n"  # Beijing, no such county
        "320102,玄武区\n"
        "110228,密云县\n"  # withdrawn in 2015: right in a 2010 table
        "110105000000,朝阳区\n"  # a twelve-digit statistical code
        "990101,某区\n"
    )
    status, count, examples, message = run(table, "invalid-division-code")
    assert (status, count, examples) == ("fail", 2, [(4, "110199"), (8, "990101")])
    assert message.startswith("1 further value(s) are codes of earlier GB/T 2260 revisions")


def test_a_historical_table_of_withdrawn_codes_passes() -> None:
    # The 2010 counties of Beijing's outer ring, before 密云县 and 延庆县 became districts.
    table = load("区划代码,县\n110228,密云县\n110229,延庆县\n110105,朝阳区\n110108,海淀区\n")
    assert run(table, "invalid-division-code")[0] == "pass"


# ---- dates after the day of the report ------------------------------------------------------

JUDGED = dt.date(2024, 6, 30)


def judged(
    table: Table, on: dt.date | None = JUDGED
) -> tuple[str, int, list[tuple[int | None, str | None]], str]:
    table.reference_date = on
    return run(table, "out-of-range")


REGISTER = (
    "企业名称,登记日期,有效期至,发布时间\n"
    "甲,2019-03-01,2029-03-01,2024/6/30 09:00:00\n"
    "乙,2030-01-15,2034-01-15,2024-07-02 08:00:00\n"  # registered in 2030: a typo for 2020
    "丙,2021年5月6日,2031-05-06,2023-12-31\n"
    "丁,2022-11-30,2032-11-30,2024-07-01 07:00:00\n"  # the next day has begun east of UTC
    "戊,2024-06-30,2099-12-31,2024-05-01\n"
)


def test_a_registration_date_after_the_day_of_the_report_is_out_of_range() -> None:
    status, count, examples, message = judged(load(REGISTER))
    assert (status, count, examples) == ("fail", 2, [(3, "2030-01-15"), (3, "2024-07-02 08:00:00")])
    assert message == (
        "2 date(s) more than a day after 2024-06-30, the day (UTC) this report was judged on, in columns "
        "of past events (登记日期、发布时间)."
    )


def test_without_a_reference_date_nothing_is_judged() -> None:
    assert judged(load(REGISTER), on=None)[0] == "pass"
    assert judged(load(REGISTER), on=dt.date(2031, 1, 1))[0] == "pass"


def test_expiry_plan_and_deadline_columns_may_lie_ahead() -> None:
    text = (
        "许可证号,有效期至,到期日期,计划完成日期,截止日期,next inspection date,valid until,expiry date\n"
        + "".join(
            f"X{i},2030-01-0{i},2031-02-0{i},2032-03-0{i},2033-04-0{i},2034-05-0{i},2035-06-0{i},2036-07-0{i}\n"
            for i in range(1, 7)
        )
    )
    assert judged(load(text))[0] == "pass"


def test_english_labels_day_first_months_and_excel_serials() -> None:
    text = (
        "name,registration date,published,date reported\n"
        "a,03/04/2019,2019-05,45000\n"
        "b,31/12/2025,2024年8月,45475\n"  # 31 December 2025; August 2024; 2024-07-02
        "c,02/07/2024,2024-07,45474\n"  # 2 July day first, 7 February month first; July; 2024-07-01
        "d,15/01/2020,2020-01,45292\n"
        "e,20/02/2021,2021-02,44000\n"
    )
    status, count, examples, _ = judged(load(text))
    assert (status, count) == ("fail", 3)
    assert examples == [(3, "31/12/2025"), (3, "2024年8月"), (3, "45475")]


def test_the_service_judges_on_the_day_of_the_report(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text(
        "企业名称,成立日期\n"
        + "".join(f"企业{i},20{10 + i}-01-0{i}\n" for i in range(1, 6))
        + "企业9,2999-01-01\n",
        encoding="utf-8",
    )
    report = score_path(path)
    found = next(f for f in report["findings"] if f["code"] == "out-of-range")
    assert found["count"] == 1 and found["examples"][0]["value"] == "2999-01-01"
    assert report["created_at"][:10] in found["message"]


@pytest.mark.parametrize("path", portal_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_future_dates_in_the_portal_files(path: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        table = load_table(path, path.name, "0" * 64, Path(work))
        before = registry()["out-of-range"].run(table)
        table.reference_date = dt.date.today()
        after = registry()["out-of-range"].run(table)
    assert after.status == before.status
    assert [f.count for f in after.findings] == [f.count for f in before.findings]


def test_labels_of_past_events_and_of_dates_ahead() -> None:
    past = [
        "登记日期",
        "发布时间",
        "统计时间",
        "ISSUE_DATE",
        "InspectionDate",
        "Invoice Payment Date",
        "成立日期",
    ]
    ahead = [
        "有效期至",
        "到期日期",
        "截止日期",
        "计划完成时间",
        "HEARING_DATE",
        "OriginalCertifyByDate",
        "valid until",
    ]
    neither = ["日期", "date", "时间", "西元日期"]
    assert [past_event_column(x) for x in past] == [True] * len(past)
    assert [past_event_column(x) for x in ahead + neither] == [False] * (len(ahead) + len(neither))


# ---- coordinates written with degree signs ---------------------------------------------------


def test_degree_forms_parse_to_signed_decimal_degrees() -> None:
    values = ["39.9°", "116°23′", "39.9°N", "39°54′27″N", "N39.9", "北纬39.9°", "东经116度23分", "33.8°S"]
    values += ["151.2°W", "-33.8°", "116° 23′ 10″ E", "39°61′", "N39.9S", "abc"]
    frame = pl.DataFrame({"v": values})
    got = frame.select(parse_degrees(pl.col("v"))).to_series().to_list()
    want = [39.9, 116 + 23 / 60, 39.9, 39 + 54 / 60 + 27 / 3600, 39.9, 39.9, 116 + 23 / 60, -33.8]
    want += [-151.2, -33.8, 116 + 23 / 60 + 10 / 3600, None, None, None]
    assert [None if g is None else round(g, 9) for g in got] == [
        None if w is None else round(w, 9) for w in want
    ]


BEIJING = [(39.90 + i / 100, 116.40 + i / 100) for i in range(12)]


def dms(x: float, hemi: str) -> str:
    d = int(x)
    m = (x - d) * 60
    return f"{d}°{m:.2f}′{hemi}"


def test_degree_coordinates_out_of_bounds() -> None:
    rows = [f"点{i},{lat:.2f}°N,{dms(lon, 'E')}" for i, (lat, lon) in enumerate(BEIJING)]
    rows[4] = "点4,95.5°N,116°30′E"  # no latitude is beyond 90
    table = load("名称,纬度,经度\n" + "\n".join(rows) + "\n")
    assert table.semantic["c2"].style == "degrees" and table.semantic["c3"].kind == "longitude"
    assert run(table, "out-of-range")[:3] == ("fail", 1, [(6, "95.5°N")])
    assert run(table, "swapped-coordinates")[0] == "pass"


def test_degree_coordinates_swapped_in_a_regional_table() -> None:
    rows = [f"点{i},{dms(lat, 'N')},{dms(lon, 'E')}" for i, (lat, lon) in enumerate(BEIJING)]
    rows[7] = "点7,116°24′E,39°54′N"  # the pair written the wrong way round
    table = load("名称,latitude,longitude\n" + "\n".join(rows) + "\n")
    status, count, examples, _ = run(table, "swapped-coordinates")
    assert (status, count, examples) == ("fail", 1, [(9, "116°24′E, 39°54′N")])
    # Reported once, as swapped: 116° is beyond ±90 but not also out of range.
    assert run(table, "out-of-range")[0] == "pass"


def test_plain_text_under_a_latitude_label_is_not_a_coordinate_column() -> None:
    table = load("站点,纬度说明\n" + "".join(f"S{i},位于城区北部第{i}段\n" for i in range(12)))
    assert "c2" not in table.semantic


def test_codes_under_a_long_label_are_not_coordinates() -> None:
    # Numbers and house-number codes (string type) under a label with "long" in it: no degree
    # sign anywhere, so not a longitude column.
    rows = "".join(f"{i},{100 + i}\n" for i in range(10)) + "10,7-07\n11,12A\n"
    table = load("id,long code\n" + rows)
    assert "c2" not in table.semantic
