"""Which sheet of a workbook is scored: the data, not a cover sheet in front of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

Report = dict[str, Any]


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def table(year: int, rows: int) -> list[list[Any]]:
    return [["地区", "年份", "人口"]] + [[f"区{i}", year, 1000 + i] for i in range(rows)]


def test_cover_sheet_before_the_data_is_passed_over(tmp_path: Path, score: Callable[..., Report]) -> None:
    path = workbook(
        tmp_path / "export.xlsx",
        {
            "说明": [["本表数据来源：统计局"], ["更新时间：2024年1月"], ["联系电话：010-12345678"]],
            "数据": table(2023, 40),
        },
    )
    report = score(path)
    assert report["fatal"] is None
    assert report["source"]["sheet"] == "数据"
    assert report["source"]["rows"] == 40
    assert [c["name"] for c in report["columns"]] == ["地区", "年份", "人口"]
    assert "scored sheet '数据' of 2" in report["notes"]


def test_of_sheets_of_about_the_same_size_the_first_is_scored(
    tmp_path: Path, score: Callable[..., Report]
) -> None:
    path = workbook(tmp_path / "years.xlsx", {"2022": table(2022, 30), "2023": table(2023, 45)})
    report = score(path)
    assert report["source"]["sheet"] == "2022"
    assert report["source"]["rows"] == 30


def test_an_empty_first_sheet_is_skipped(tmp_path: Path, score: Callable[..., Report]) -> None:
    path = workbook(tmp_path / "blank-first.xlsx", {"Sheet1": [], "data": table(2020, 12)})
    report = score(path)
    assert report["source"]["sheet"] == "data"
    assert report["source"]["rows"] == 12


# -- every sheet that is a table is scored ---------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def titled(year: int, rows: int) -> list[list[Any]]:
    """A sheet with a title line above the header (a routine fault of its own)."""
    return [[f"{year}年各区人口"], *table(year, rows)]


def unscored(report: Report) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["code"] == "unscored-sheets")


def test_each_other_data_sheet_is_scored_on_its_own(tmp_path: Path, score: Callable[..., Report]) -> None:
    path = workbook(
        tmp_path / "years.xlsx",
        {
            "2022": table(2022, 30),
            "说明": [["本表数据来源：统计局"], ["更新时间：2024年1月"]],
            "2023": titled(2023, 30),
        },
    )
    report = score(path)
    assert report["source"]["sheet"] == "2022"
    [sheet] = report["sheets"]  # the 说明 sheet holds no table
    assert (sheet["name"], sheet["index"], sheet["rows"], sheet["columns"], sheet["header_row"]) == (
        "2023",
        3,
        30,
        3,
        2,
    )
    assert sheet["findings"][0]["code"] == "title-rows" and sheet["findings"][0]["rubric"] == "routine"
    # the same checks and scoring as the sheet alone in a workbook of its own
    alone = score(workbook(tmp_path / "2023.xlsx", {"2023": titled(2023, 30)}))
    assert (sheet["score"], sheet["band"]) == (alone["score"], alone["band"]) != (report["score"], None)
    assert "unscored-sheets" not in [f["code"] for f in alone["findings"]]
    # the data sheet's finding says the other sheet was scored, and what it scored
    finding = unscored(report)
    assert [e["value"] for e in finding["examples"]] == [
        f"2023: 32 rows × 3 columns, scored {alone['score']:.1f} ({alone['band']})"
    ]
    assert "1 of 1" in finding["message"]


def test_scoring_the_other_sheets_leaves_the_workbook_score_as_it_was(tmp_path: Path) -> None:
    """The spread over sheets is the fault the rubric prices (Sufficient when the data to use is
    spread over sheets); scoring the sheets adds what each costs, beside the data sheet's score."""
    from app.services.scoring import score_file

    path = workbook(tmp_path / "years.xlsx", {f"{y}": titled(y, 25) for y in range(2020, 2024)})
    full = score_file(path, path.name, "0" * 64)
    none = score_file(path, path.name, "0" * 64, max_sheets=0)
    assert full["score"] == none["score"] and full["band"] == none["band"] == "sufficient"
    assert [s["score"] is not None for s in full["sheets"]] == [True, True, True]
    assert [s["score"] for s in none["sheets"]] == [None, None, None]


def test_at_most_max_sheets_are_scored_and_the_rest_listed(tmp_path: Path) -> None:
    from app.services.scoring import score_file

    path = workbook(tmp_path / "many.xlsx", {f"{y}": table(y, 12) for y in range(2015, 2021)})
    report = score_file(path, path.name, "0" * 64, max_sheets=2)
    sheets = report["sheets"]
    assert [s["name"] for s in sheets] == ["2016", "2017", "2018", "2019", "2020"]
    assert [s["index"] for s in sheets] == [2, 3, 4, 5, 6]
    assert [s["score"] is not None for s in sheets] == [True, True, False, False, False]
    assert all(s["skipped"] == "not scored: past the first 2 other sheets" for s in sheets[2:])
    finding = unscored(report)
    assert finding["count"] == 5
    assert sum("not scored" in e["value"] for e in finding["examples"]) == 3
    assert "2 of 5" in finding["message"]


def test_the_cell_limit_applies_to_the_sheets_together(tmp_path: Path) -> None:
    from app.ingest.load import load_table
    from app.services.scoring import score_other_sheets

    # four sheets of 13 rows × 3 columns: 39 cells each
    path = workbook(tmp_path / "cells.xlsx", {f"{y}": table(y, 12) for y in range(2020, 2024)})
    loaded = load_table(path, path.name, "0" * 64, tmp_path)
    sheets = score_other_sheets(path, loaded, tmp_path, None, max_sheets=20, max_cells=3 * 39)
    assert [s["score"] is not None for s in sheets] == [True, True, False]
    assert sheets[2]["skipped"] == "not scored: the sheets together pass 117 cells"
    assert loaded.structure.sheet_outcomes["2023"] == sheets[2]["skipped"]


def test_a_real_workbook_of_eight_sheets_is_covered(score: Callable[..., Report]) -> None:
    """DECC's local authority workbook: one indicator per sheet, each with its title rows and its
    national total row."""
    report = score(CORPUS / "peer-cases/ckanext-qa/decc_local_authority_data_xlsx.xlsx")
    assert report["source"]["sheet"] == "Cavity Wall Insulation"
    names = [s["name"] for s in report["sheets"]]
    assert names == [
        "Loft Insulation",
        "Fuel poverty",
        "FiT",
        "Domestic Gas",
        "Non-Domestic Gas",
        "Domestic Electricity",
        "Non-domestic Electricity",
    ]
    assert [s["index"] for s in report["sheets"]] == list(range(2, 9))
    for sheet in report["sheets"]:
        codes = {f["code"] for f in sheet["findings"]}
        assert "title-rows" in codes and "unscored-sheets" not in codes, sheet["name"]
        assert sheet["band"] in ("good", "sufficient") and sheet["rows"] > 300
    assert unscored(report)["count"] == 7 and "7 of 7" in unscored(report)["message"]


def test_odq_score_text_has_one_line_per_sheet(tmp_path: Path, score: Callable[..., Report]) -> None:
    from app.services.text import render_text

    path = workbook(tmp_path / "years.xlsx", {"2022": table(2022, 30), "2023": titled(2023, 30)})
    report = score(path)
    lines = [line for line in render_text(report).splitlines() if line.startswith("  sheet ")]
    assert len(lines) == 1
    assert lines[0].startswith("  sheet 2 '2023': 30 rows × 3 columns  —  score ")
    assert lines[0].split("most costly: ")[1].startswith("title-rows")
