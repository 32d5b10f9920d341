"""Real portal files (corpus/portals) and the ckanext-qa resources: every tabular file scores, and
the single-file facts of corpus/peer-cases/EXPECTED.md §3 and §5 hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus").resolve()
PORTALS = CORPUS / "portals"
QA = CORPUS / "peer-cases" / "ckanext-qa"
TABULAR = {".csv", ".xls", ".xlsx", ".json"}

Report = dict[str, Any]


def portal_files() -> list[Path]:
    return sorted(
        p for p in PORTALS.rglob("*") if p.suffix in TABULAR and p.is_file() and p.name != "datapackage.json"
    )


def codes(report: Report) -> set[str]:
    return {f["code"] for f in report["findings"]}


def rows_of(report: Report, code: str) -> list[int | None]:
    return [e["row"] for f in report["findings"] if f["code"] == code for e in f["examples"]]


def test_the_portal_split_is_there() -> None:
    assert len(portal_files()) >= 50


@pytest.mark.parametrize("path", portal_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_portal_file_scores(path: Path, report_of) -> None:
    report = report_of(path)
    assert report["check_errors"] == {}
    assert not any(status == "check-error" for status in report["checks"].values())
    assert 0 <= report["score"] <= 100
    assert report["band"] in ("excellent", "good", "sufficient", "bad")
    # These are all real tables: none is unreadable or empty.
    assert report["fatal"] is None
    assert report["source"]["rows"] > 0


# ---- cn-data-stats-gov-cn: GB18030, title rows, notes ----------------------------------------

CN = PORTALS / "cn-data-stats-gov-cn"
CPI_PROVINCE = sorted(CN.glob("cpi-monthly-by-province_2020Q1_*.csv"))


def test_nine_cpi_province_files() -> None:
    assert len(CPI_PROVINCE) == 9


@pytest.mark.parametrize("path", sorted(CN.glob("*.csv")), ids=lambda p: p.name)
def test_stats_gov_cn_csv_is_gb18030(path: Path, report_of, flatten) -> None:
    """Peers decode these as UTF-8 and fail; ODQ detects GB18030 (never GBK)."""
    report = report_of(path)
    assert report["source"]["encoding"] == "gb18030"
    assert "encoding-error" not in codes(report)
    assert flatten(report, ["value"], ["legacy-encoding"]) == [["gb18030"]]


@pytest.mark.parametrize("path", CPI_PROVINCE, ids=lambda p: p.name)
def test_cpi_province_layout(path: Path, report_of, flatten) -> None:
    """Records 1–3 titles, header record 4, 31 provinces, record 36 the (multi-line, quoted) 注 note
    and 37 the source line: notes, not ragged rows (frictionless: missing-cell at rows 36–37)."""
    report = report_of(path)
    src = report["source"]
    assert (src["header_row"], src["rows"], src["columns"]) == (4, 31, 4)
    assert [c["name"] for c in report["columns"]] == ["地区", "2020年3月", "2020年2月", "2020年1月"]
    assert rows_of(report, "title-rows") == [1, 2, 3]
    assert rows_of(report, "footer-notes") == [36, 37]
    notes = flatten(report, ["value"], ["footer-notes"])
    assert notes[0][0].startswith("注：") and notes[1][0] == "数据来源：国家统计局"
    assert not codes(report) & {"missing-cell", "extra-cell", "type-error"}
    # The 2020年3月 column is empty in every row.
    assert flatten(report, ["field"], ["empty-column"]) == [[2]]


def test_cpi_national_layout(report_of, flatten) -> None:
    """Header record 3 (时间,…) under two title records; 50 months of data (2016-01 … 2020-02); then
    a multi-line quoted 注：1. note (record 54), its numbered continuation 　　　2.进出口…
    (record 55) and the 数据来源 line (record 56): all three are notes, not data rows."""
    report = report_of(CN / "cpi-monthly-national_2020.csv")
    src = report["source"]
    assert src["header_row"] == 3
    assert report["columns"][0]["name"] == "时间"
    assert rows_of(report, "title-rows") == [1, 2]
    assert rows_of(report, "footer-notes") == [54, 55, 56]
    assert src["rows"] == 50
    assert not codes(report) & {"missing-cell", "extra-cell", "type-error"}


@pytest.mark.parametrize(
    "name",
    [
        "gdp-by-province_1993-2017_dl2018_tobby-star.csv",
        "gdp-by-province_2006-2024_dl2025_renjiyi163.csv",
        "population-by-province_2015-2024_1lmq.csv",
    ],
)
def test_stats_gov_cn_annual_exports(name: str, report_of) -> None:
    report = report_of(CN / name)
    assert report["source"]["header_row"] == 4
    assert report["source"]["rows"] == 31
    assert rows_of(report, "title-rows") == [1, 2, 3]
    assert rows_of(report, "footer-notes") == [36, 37]
    assert not codes(report) & {"missing-cell", "extra-cell"}


def test_gdp_eoocl_no_titles_empty_2023_and_source_trailer(report_of, flatten) -> None:
    """No title rows; an empty 2023 column; a "数据来源：国家统计局,,,,," trailer."""
    report = report_of(CN / "gdp-by-province_2019-2023_dl2024_eoocl.csv")
    assert report["source"]["header_row"] == 1
    assert "title-rows" not in codes(report)
    assert report["source"]["rows"] == 31
    assert flatten(report, ["row", "value"], ["footer-notes"]) == [[33, "数据来源：国家统计局"]]
    empty = flatten(report, ["column"], ["empty-column"])
    assert empty == [["2023年"]]


def test_gdp_major_cities_xls(report_of) -> None:
    """XLS export: rows 1–3 title, header row 4, "数据来源：国家统计局" the last row."""
    report = report_of(CN / "gdp-major-cities_2016-2019.xls")
    assert report["source"]["format"] == "xls"
    assert report["source"]["header_row"] == 4
    assert rows_of(report, "title-rows") == [1, 2, 3]
    assert rows_of(report, "footer-notes") == [41]
    assert "blank-header" not in codes(report)


# ---- NYC --------------------------------------------------------------------------------------

NYC = PORTALS / "nyc-open-data"


@pytest.mark.parametrize(
    ("name", "fmt", "header_row"),
    [("dof_annual_sales_2015_manhattan.xls", "xls", 5), ("dof_annual_sales_2020_manhattan.xlsx", "xlsx", 7)],
)
def test_dof_sales_header_under_title_rows(name: str, fmt: str, header_row: int, report_of, finding) -> None:
    report = report_of(NYC / name)
    assert report["source"]["format"] == fmt
    assert report["source"]["header_row"] == header_row
    titles = finding(report, "title-rows")
    assert titles["count"] == header_row - 1
    assert [e["row"] for e in titles["examples"]] == list(range(1, min(header_row, 6)))  # 5 kept
    assert "blank-header" not in codes(report)
    assert report["columns"][0]["name"].strip() == "BOROUGH"


def test_hpd_violations_house_numbers_are_not_type_errors(report_of, flatten) -> None:
    """HouseNumber/LowHouseNumber/HighHouseNumber hold Queens-style "7-07": valid values (the peer
    flags rows 98, 100, 101 fields 6–8)."""
    report = report_of(NYC / "hpd_violations.csv")
    labels = [c["name"] for c in report["columns"]]
    assert labels[5:8] == ["HouseNumber", "LowHouseNumber", "HighHouseNumber"]
    assert [f for (f,) in flatten(report, ["field"], ["type-error"]) if f in (6, 7, 8)] == []
    assert [c["type"] for c in report["columns"][5:8]] == ["string", "string", "string"]


# ---- UK council spend -------------------------------------------------------------------------

UK = PORTALS / "uk-council-spend"


@pytest.mark.parametrize("name", ["manchester_2014-07.xls", "manchester_2014-09.xls"])
def test_manchester_xls_is_csv_text(name: str, report_of, flatten) -> None:
    """Peers fail with "Expected BOF record; found b'Body Nam'"; ODQ reads the CSV inside and says
    the name lies."""
    report = report_of(UK / name)
    assert report["source"]["format"] == "csv"
    assert report["source"]["declared_format"] == "xls"
    assert flatten(report, ["value"], ["format-mismatch"]) == [["xls → csv"]]
    assert report["columns"][0]["name"] == "Body Name"
    assert report["source"]["rows"] > 3000


@pytest.mark.parametrize(
    ("name", "blank_rows", "rows"),
    [("tameside_2014-07.csv", 1451, 1679), ("tameside_2014-09.csv", 976, 1247)],
)
def test_tameside_empty_columns_and_comma_rows(
    name: str, blank_rows: int, rows: int, report_of, finding
) -> None:
    """32 columns, the last 24 unnamed and empty; trailing rows of only commas (counted here with
    Python's csv module: 1451 in July, 976 in September)."""
    report = report_of(UK / name)
    assert report["source"]["columns"] == 32
    assert report["source"]["rows"] == rows
    blank_header = finding(report, "blank-header")
    empty = finding(report, "empty-column")
    assert blank_header["count"] == 24 and empty["count"] == 24
    assert [e["field"] for e in blank_header["examples"]] == [9, 10, 11, 12, 13]
    assert [e["field"] for e in empty["examples"]] == [9, 10, 11, 12, 13]
    blank = finding(report, "blank-row")
    assert blank["count"] == blank_rows
    assert blank["examples"][0]["row"] == rows + 2  # right after the last data row


def test_tameside_september_padded_label(report_of, flatten) -> None:
    report = report_of(UK / "tameside_2014-09.csv")
    assert [1, 5, "Account Description "] in flatten(report, ["row", "field", "value"], ["whitespace"])


# ---- Taiwan office calendar ---------------------------------------------------------------------

TW = PORTALS / "tw-data-gov-tw"


def test_big5_calendar_decoded(report_of) -> None:
    """The 1141020更新 version is Big5/cp950 without a BOM, unlike the UTF-8 earlier versions."""
    report = report_of(TW / "office-calendar_ROC114_2025_updated-20251020.csv")
    assert report["source"]["encoding"] in ("big5", "cp950")
    assert report["source"]["rows"] == 365
    assert [c["name"] for c in report["columns"]] == ["西元日期", "星期", "是否放假", "備註"]
    assert "encoding-error" not in codes(report)


@pytest.mark.parametrize("path", sorted(TW.glob("office-calendar_ROC1*.csv")), ids=lambda p: p.name)
def test_calendar_versions_share_the_header(path: Path, report_of) -> None:
    report = report_of(path)
    assert [c["name"] for c in report["columns"]] == ["西元日期", "星期", "是否放假", "備註"]
    assert report["source"]["rows"] in (365, 366)


# ---- datahub eu-ets -----------------------------------------------------------------------------


def test_eu_ets_2024_zero_rows(report_of, finding) -> None:
    """Every 2024 row of the 2026-03-20 snapshot is 0.0 (8 rows) where the current file has values."""
    ets = PORTALS / "datahub-core" / "eu-ets"
    zeros = report_of(ets / "eu-ets-sector-emissions_2026-03-20_with-2024-zeros.csv")
    sentinel = finding(zeros, "sentinel-row")
    assert sentinel["count"] == 8
    assert [e["row"] for e in sentinel["examples"]] == [21, 41, 61, 81, 101]
    assert "sentinel-row" not in codes(report_of(ets / "eu-ets-sector-emissions.csv"))


# ---- ckanext-qa formats (EXPECTED §3) -----------------------------------------------------------


def test_elec00_header_under_title_lines(report_of) -> None:
    """Two title lines, a note line and a blank line above the header at line 5."""
    report = report_of(QA / "elec00.csv")
    assert report["source"]["header_row"] == 5
    assert rows_of(report, "title-rows") == [1, 2, 3]
    assert [c["name"] for c in report["columns"][:5]] == ["Site Name", "Utility", "Unit", "Date", "00:00"]


def test_sus_fisheries_header_at_line_5(report_of) -> None:
    report = report_of(QA / "9_sus_fisheries_201003.csv")
    assert report["source"]["header_row"] == 5
    assert rows_of(report, "title-rows") == [1, 3]
    assert report["columns"][0]["name"] == "Year"
    assert not codes(report) & {"blank-header", "blank-row"}


def test_terrible_csv_txt_is_utf16(report_of) -> None:
    report = report_of(QA / "terrible_csv.txt")
    assert report["source"]["encoding"].startswith("utf-16")
    assert report["source"]["rows"] == 131
    assert "format-mismatch" not in codes(report)


def test_fco_cr_only_line_endings(report_of) -> None:
    report = report_of(QA / "FCOServices_TransparencySpend_May2011.csv")
    assert report["source"]["format"] == "csv"
    assert (report["source"]["rows"], report["source"]["columns"]) == (4, 8)


def test_zip_scored_through_its_largest_csv(report_of) -> None:
    """written_complains.csv.zip holds two .xls metadata sheets and two CSVs; the larger CSV
    (KO41a_HCHS, 69,731 bytes) is the table."""
    report = report_of(QA / "written_complains.csv.zip")
    assert report["source"]["format"] == "zip/csv"
    assert any("Written Complaints 2010_11 KO41a_HCHS.csv" in n for n in report["notes"])
    assert report["source"]["rows"] == 352
    assert "format-mismatch" not in codes(report)


def test_august_2010_bare_biff_is_read(report_of) -> None:
    """A bare BIFF3 worksheet stream (no OLE container; calamine refuses it): recognised as xls
    and read through xlrd, with spreadsheet rows, Excel dates as ISO dates and whole numbers
    without ``.0``."""
    report = report_of(QA / "August-2010.xls")
    assert report["source"]["format"] == "xls"
    assert report["fatal"] is None
    assert "format-mismatch" not in codes(report)
    assert report["source"]["header_row"] == 1
    assert report["source"]["rows"] == 710
    names = [c["name"] for c in report["columns"]]
    assert names[:3] == ["Department Family", "Entity", "Transaction Date"]
    by_name = {c["name"]: c for c in report["columns"]}
    assert by_name["Transaction Date"]["type"] == "date"
    assert by_name["Transaction Number"]["type"] == "integer"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("10-p108-data-results-2010-finance-survey-mid-cap-businesses.xls", "xls"),
        ("decc_local_authority_data_xlsx.xlsx", "xlsx"),
        ("spendover25kdownloadSep.csv", "csv"),
    ],
)
def test_qa_spreadsheets_and_csv(name: str, fmt: str, report_of) -> None:
    report = report_of(QA / name)
    assert report["source"]["format"] == fmt
    assert report["fatal"] is None
    assert report["check_errors"] == {}


@pytest.mark.parametrize(
    ("name", "fmt", "rows", "first_columns"),
    [
        ("jobs.xml", "xml", 9, ["JOB_TITLE", "JOB_DESCRIPTION", "JOB_NOTES", "EXPIRY_DATE", "SALARY"]),
        ("DfidProjects-trunc.xml", "xml", 1, ["RecordNumber", "ProjectReference", "ProjectTitle"]),
        ("ukk1202-36000.rdf", "rdf", 1, ["subject"]),
        ("turtle.ttl", "ttl", 1, ["subject", "foaf:name", "rdf:type", "rel:enemyOf"]),
    ],
)
def test_qa_xml_and_rdf_are_read_as_records(name: str, fmt: str, rows: int, first_columns, report_of) -> None:
    """ckanext-qa gives XML 3 and RDF 4 openness stars: they are data, read as records (XML
    elements; one row per RDF subject), not unreadable files."""
    report = report_of(QA / name)
    assert report["source"]["format"] == fmt
    assert report["fatal"] is None
    assert report["check_errors"] == {}
    assert report["source"]["rows"] == rows
    assert [c["name"] for c in report["columns"]][: len(first_columns)] == first_columns
