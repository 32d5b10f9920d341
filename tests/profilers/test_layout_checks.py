"""The layout checks of scoring v2 and the precision fixes, on real layouts from the shared corpus
and on files built here: what fires, on which rows, and what must stay quiet."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.ingest.load import load_table
from profilers.context import Table
from profilers.registry import registry

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus").resolve()


def load(path: Path, tmp_path: Path) -> Table:
    work = tmp_path / f"work-{path.name}"
    work.mkdir()
    return load_table(path, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), work)


def built(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Table:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return load(path, tmp_path)


def run(table: Table, code: str) -> tuple[str, int, list[tuple[int | None, str | None]], str]:
    result = registry()[code].run(table)
    assert result.status in ("pass", "fail"), result.error
    if not result.findings:
        return result.status, 0, [], ""
    (found,) = result.findings
    return result.status, found.count, [(e.row, e.value) for e in found.examples], found.message


# ---- real layouts ----------------------------------------------------------------------------------


def test_totals_in_rows_on_a_workbook_total_row_and_world_bank_aggregates(tmp_path: Path) -> None:
    decc = load(CORPUS / "peer-cases/ckanext-qa/decc_local_authority_data_xlsx.xlsx", tmp_path)
    assert run(decc, "totals-in-rows")[:3] == ("fail", 1, [(386, "Total")])
    gdp = load(CORPUS / "portals/datahub-core/gdp/gdp.csv", tmp_path)
    status, count, examples, _ = run(gdp, "totals-in-rows")
    assert status == "fail" and count > 2000
    assert examples[0][1] == "Arab World"


def test_totals_in_rows_stays_quiet_on_detail_lists(tmp_path: Path) -> None:
    for name in (
        "portals/cn-data-stats-gov-cn/gdp-by-province_2019-2023_dl2024_eoocl.csv",
        "portals/uk-council-spend/tameside_2014-07.csv",
    ):
        assert run(load(CORPUS / name, tmp_path), "totals-in-rows")[0] == "pass", name


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("portals/cn-data-stats-gov-cn/gdp-by-province_2019-2023_dl2024_eoocl.csv", "fail"),
        ("portals/cn-data-stats-gov-cn/derived_cpi-food-by-province_2016-2019.csv", "fail"),
        ("portals/cn-national-data-scrape/total-population_1978-2014.csv", "fail"),
        ("portals/datahub-core/gdp/gdp.csv", "fail"),
        # the 指标 line above the header names the indicator and its unit
        ("portals/cn-data-stats-gov-cn/gdp-by-province_1993-2017_dl2018_tobby-star.csv", "pass"),
        ("portals/cn-data-stats-gov-cn/cpi-monthly-by-province_2020Q1_part1.csv", "pass"),
    ],
)
def test_missing_measure_on_national_statistics_exports(tmp_path: Path, name: str, status: str) -> None:
    assert run(load(CORPUS / name, tmp_path), "missing-measure")[0] == status


def test_placeholder_rows_on_empty_years_of_a_scraped_series(tmp_path: Path) -> None:
    table = load(
        CORPUS / "portals/cn-national-data-scrape/rural-net-income-per-capita_1978-2014.csv", tmp_path
    )
    status, count, examples, _ = run(table, "placeholder-rows")
    assert (status, count) == ("fail", 2)
    assert examples == [(37, "2013年"), (38, "2014年")]


def test_unscored_sheets_names_the_other_sheets_of_a_workbook(tmp_path: Path) -> None:
    table = load(CORPUS / "peer-cases/ckanext-qa/decc_local_authority_data_xlsx.xlsx", tmp_path)
    status, count, examples, message = run(table, "unscored-sheets")
    assert status == "fail" and count == len(table.structure.sheets) - 1 >= 5
    assert all(" rows × " in (value or "") for _, value in examples)
    assert repr(table.source.sheet) in message


# ---- precision fixes ---------------------------------------------------------------------------------


def test_near_duplicate_row_never_merges_rows_whose_code_differs(tmp_path: Path) -> None:
    rows = [f"公司{i},9111000010000000{i:02d},010-6000{i:04d},长安街{i}号,食品,存续" for i in range(1, 9)]
    # the same name, phone and address under another registered code: two companies
    rows.append("公司3,911100001000000099,010-60000003,长安街3号,食品,存续")
    text = "企业名称,统一社会信用代码,电话,地址,行业,状态\n" + "\n".join(rows) + "\n"
    table = built(tmp_path, "companies.csv", text)
    assert run(table, "near-duplicate-row")[0] == "pass"
    # the same rows with a row number instead of a code: a record entered twice
    renumbered = text.replace("统一社会信用代码", "序号")
    for i in range(1, 9):
        renumbered = renumbered.replace(f"9111000010000000{i:02d}", str(i))
    renumbered = renumbered.replace("911100001000000099", "9")
    status, count, examples, _ = run(built(tmp_path, "renumbered.csv", renumbered), "near-duplicate-row")
    assert (status, count, examples) == ("fail", 1, [(10, "repeats row 4")])


def test_near_duplicate_row_names_the_row_it_repeats(tmp_path: Path) -> None:
    text = "name,city,amount\nAlice Smith,Beijing,10\nBob Li,Shanghai,20\nalice  smith,Beijing,10\n"
    status, count, examples, message = run(built(tmp_path, "people.csv", text), "near-duplicate-row")
    assert (status, count, examples) == ("fail", 1, [(4, "repeats row 2")])
    assert message == "row 4 repeats row 2"


def test_tick_column_x_is_a_value_not_a_placeholder(tmp_path: Path) -> None:
    lines = ["id,name,member,amount"] + [
        f"{i},n{i},{'x' if i % 3 == 0 else ''},{i * 3.5}" for i in range(1, 30)
    ]
    table = built(tmp_path, "ticks.csv", "\n".join(lines) + "\n")
    for code in ("placeholder-value", "empty-column", "null-values"):
        assert run(table, code)[0] == "pass", code
    # an x among real values is still the placeholder x
    lines = ["id,name,phone"] + [f"{i},n{i},{'x' if i == 5 else f'1390000{i:04d}'}" for i in range(1, 30)]
    assert run(built(tmp_path, "phones.csv", "\n".join(lines) + "\n"), "placeholder-value")[:2] == ("fail", 1)


def test_invalid_phone_knows_the_mobile_segments(tmp_path: Path) -> None:
    good = [f"139{i:08d}" for i in range(20)] + [f"166{i:08d}" for i in range(5)]
    bad = ["15412345678", "19412345678", "16012345678"]
    text = "姓名,手机\n" + "\n".join(f"人{i},{p}" for i, p in enumerate(good + bad)) + "\n"
    status, count, examples, _ = run(built(tmp_path, "contacts.csv", text), "invalid-phone")
    assert (status, count) == ("fail", 3)
    assert [v for _, v in examples] == bad


def test_placeholders_win_over_type_and_format_errors(tmp_path: Path) -> None:
    emails = [f"user{i}@example.org" for i in range(20)] + ["(blank)", "***"]
    amounts = [str(100 + i) for i in range(20)] + ["***", "(blank)"]
    text = (
        "name,email,amount\n"
        + "\n".join(f"n{i},{e},{a}" for i, (e, a) in enumerate(zip(emails, amounts, strict=True)))
        + "\n"
    )
    table = built(tmp_path, "contacts.csv", text)
    assert run(table, "invalid-email")[0] == "pass"
    assert run(table, "type-error")[0] == "pass"
    status, count, examples, _ = run(table, "placeholder-value")
    assert (status, count) == ("fail", 4)
    assert sorted(v or "" for _, v in examples) == ["(blank)", "(blank)", "***", "***"]
