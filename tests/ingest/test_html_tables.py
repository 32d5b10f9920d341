"""An "Excel" export that is an HTML table is data in the wrong format, not an unreadable file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.ingest.htmltable import largest_table

Report = dict[str, Any]

EXPORT = """<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>导出</title></head>
<body><table border="1">
<tr><td colspan="3">2023年各区常住人口统计表</td></tr>
<tr><th>地区</th><th>年份</th><th>常住人口（万人）</th></tr>
{rows}
<tr><td colspan="3">数据来源：区统计局</td></tr>
</table></body></html>"""


def codes(report: Report) -> set[str]:
    return {f["code"] for f in report["findings"]}


def export_file(tmp_path: Path, rows: int = 12) -> Path:
    body = "\n".join(f"<tr><td>第{i}区</td><td>2023</td><td>{10 + i}.5</td></tr>" for i in range(1, rows + 1))
    path = tmp_path / "人口.xls"
    path.write_bytes(EXPORT.format(rows=body).encode("gb18030"))
    return path


def test_gb2312_html_export_named_xls_is_read(tmp_path: Path, score: Callable[..., Report]) -> None:
    report = score(export_file(tmp_path))
    assert report["source"]["format"] == "html"
    assert report["source"]["encoding"] == "gb18030"
    assert report["fatal"] is None
    assert report["source"]["header_row"] == 2
    assert report["source"]["rows"] == 12
    assert [c["name"] for c in report["columns"]] == ["地区", "年份", "常住人口（万人）"]
    assert {"format-mismatch", "title-rows", "footer-notes"} <= codes(report)
    mismatch = next(f for f in report["findings"] if f["code"] == "format-mismatch")
    assert mismatch["points_lost"] > 0


def test_an_error_page_behind_a_data_link_stays_unreadable(
    tmp_path: Path, score: Callable[..., Report]
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(
        "<!DOCTYPE html><html><body><h1>404</h1><table><tr><td>Not found</td></tr></table></body></html>",
        encoding="utf-8",
    )
    report = score(path)
    assert report["fatal"] == "unreadable-file"
    assert "without a data table" in report["findings"][0]["message"]


def test_spans_nesting_and_breaks(tmp_path: Path) -> None:
    page = """<table><tr><td>layout</td></tr><tr><td>
      <table>
        <tr><th rowspan="2">区</th><th colspan="2">人口</th></tr>
        <tr><th>男</th><th>女</th></tr>
        <tr><td>东城<br>区</td><td>1</td><td>2</td></tr>
        <tr><td>西城区</td><td>3</td><td>4 &amp; 5</td></tr>
      </table></td></tr></table>"""
    path = tmp_path / "t.html"
    path.write_text(page, encoding="utf-8")
    found = largest_table(path, "utf-8")
    assert found is not None
    rows, tables = found
    assert tables == 2
    assert rows == [["区", "人口", ""], ["", "男", "女"], ["东城\n区", "1", "2"], ["西城区", "3", "4 & 5"]]


def test_hostile_spans_are_clamped(tmp_path: Path) -> None:
    path = tmp_path / "t.html"
    path.write_text(
        '<table><tr><td colspan="999999999">a</td><td>b</td></tr><tr><td>1</td><td>2</td></tr></table>',
        encoding="utf-8",
    )
    found = largest_table(path, "utf-8")
    assert found is not None
    assert len(found[0][0]) == 1001


def test_a_rowspan_in_the_last_column_stays_in_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.html"
    path.write_text(
        "<table><tr><th>a</th><th>b</th><th>c</th></tr>"
        '<tr><td>x1</td><td>y1</td><td rowspan="2">z1</td></tr>'
        "<tr><td>x2</td><td>y2</td></tr>"
        "<tr><td>x3</td><td>y3</td><td>z3</td></tr></table>",
        encoding="utf-8",
    )
    found = largest_table(path, "utf-8")
    assert found is not None
    assert found[0] == [["a", "b", "c"], ["x1", "y1", "z1"], ["x2", "y2", ""], ["x3", "y3", "z3"]]


def test_a_nested_table_does_not_change_the_spans_of_the_outer_cell(tmp_path: Path) -> None:
    path = tmp_path / "t.html"
    path.write_text(
        "<table><tr><th>a</th><th>b</th><th>c</th></tr>"
        "<tr><td>x0</td><td>y0</td><td>z0</td></tr>"
        '<tr><td>x1<table><tr><td colspan="3">i</td></tr><tr><td>j</td><td>k</td></tr></table></td>'
        "<td>y1</td><td>z1</td></tr></table>",
        encoding="utf-8",
    )
    found = largest_table(path, "utf-8")
    assert found is not None
    rows, tables = found
    assert tables == 2
    assert rows == [["a", "b", "c"], ["x0", "y0", "z0"], ["x1", "y1", "z1"]]


def test_spans_that_multiply_into_millions_of_cells_are_refused(
    tmp_path: Path, score: Callable[..., Report]
) -> None:
    """30 cells of colspan=1000 × rowspan=1000 in a page of a few KB would be 30 million cells."""
    page = (
        "<table><tr>"
        + '<td colspan="1000" rowspan="1000">x</td>' * 30
        + "</tr>"
        + "<tr><td>1</td></tr>" * 999
        + "</table>"
    )
    path = tmp_path / "spans.html"
    path.write_text(page, encoding="utf-8")
    report = score(path)
    assert report["fatal"] == "unreadable-file"
    assert "more than 2,000,000 cells" in report["findings"][0]["message"]


def test_an_html_export_inside_a_zip_is_read_too(tmp_path: Path, score: Callable[..., Report]) -> None:
    import zipfile

    export = export_file(tmp_path)
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(export, "人口.xls")
    report = score(path)
    assert report["fatal"] is None
    assert report["source"]["format"] == "zip/html"
    assert report["source"]["rows"] == 12
