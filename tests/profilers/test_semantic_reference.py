"""Semantic checks against reference data and the report's date: the shipped GB/T 2260 list,
dates after the day a report was judged, coordinates written with degree signs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from app.ingest.load import load_table
from profilers.context import Table
from profilers.registry import registry
from profilers.semantic import validators as val
from profilers.semantic.vocab import PROVINCES, division_codes


def load(text: str, name: str = "table.csv") -> Table:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / name
        path.write_text(text, encoding="utf-8")
        table = load_table(path, name, "0" * 64, Path(work))
        table.stats  # noqa: B018 - computed while the file exists
        return table


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
