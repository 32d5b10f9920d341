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
