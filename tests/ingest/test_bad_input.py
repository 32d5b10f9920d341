"""Hostile and broken inputs, made in the test: each returns a report that names the defect, and
none raises. Files are written into tmp_path; sizes are small except where size is the point."""

from __future__ import annotations

import io
import random
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

Report = dict[str, Any]
MB = 1024 * 1024


def codes(report: Report) -> set[str]:
    return {f["code"] for f in report["findings"]}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_fatal(report: Report, code: str) -> None:
    assert report["fatal"] == code
    assert code in codes(report)
    assert report["score"] == 0
    assert report["check_errors"] == {}


# ---- nothing to read ----------------------------------------------------------------------------


def test_empty_file(tmp_path: Path, score: Callable[..., Report]) -> None:
    report = score(write(tmp_path, "empty.csv", b""))
    assert_fatal(report, "empty-file")
    assert report["source"]["format"] == "empty"
    assert "format-mismatch" not in codes(report)


def test_random_binary(tmp_path: Path, score: Callable[..., Report], flatten) -> None:
    data = random.Random(20240601).randbytes(8192)
    report = score(write(tmp_path, "random-bytes.csv", data))
    assert_fatal(report, "unreadable-file")
    assert report["source"]["format"] == "binary"
    assert flatten(report, ["value"], ["format-mismatch"]) == [["csv → binary"]]


def test_html_page_named_csv(tmp_path: Path, score: Callable[..., Report], flatten) -> None:
    """The classic broken download: a login or error page served where the CSV should be."""
    page = (
        b"<!DOCTYPE html>\n<html lang='en'>\n<head><meta charset='utf-8'><title>Sign in</title></head>\n"
        b"<body><form action='/login'><input name='user'></form></body>\n</html>\n"
    )
    report = score(write(tmp_path, "spending-2024.csv", page))
    assert_fatal(report, "unreadable-file")
    assert report["source"]["format"] == "html"
    assert flatten(report, ["value"], ["format-mismatch"]) == [["csv → html"]]


def _workbook_bytes(rows: int = 300) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name", "amount"])
    for i in range(1, rows + 1):
        ws.append([i, f"name {i}", i * 1.25])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_truncated_xlsx(tmp_path: Path, score: Callable[..., Report]) -> None:
    whole = _workbook_bytes()
    assert score(write(tmp_path, "whole.xlsx", whole))["source"]["rows"] == 300  # the control
    report = score(write(tmp_path, "truncated.xlsx", whole[: len(whole) // 2]))
    assert_fatal(report, "unreadable-file")
    assert report["source"]["format"] == "xlsx"


def test_zip_named_xlsx_without_a_table(tmp_path: Path, score: Callable[..., Report], flatten) -> None:
    """A Word document (a zip of XML parts) saved as .xlsx: no worksheet, no table member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>")
        zf.writestr("_rels/.rels", "<?xml version='1.0'?><Relationships/>")
        zf.writestr("word/document.xml", "<?xml version='1.0'?><document>Budget notes</document>")
        zf.writestr("word/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    report = score(write(tmp_path, "budget-2024.xlsx", buf.getvalue()))
    assert_fatal(report, "unreadable-file")
    assert flatten(report, ["value"], ["format-mismatch"]) == [["xlsx → zip"]]


# ---- size ---------------------------------------------------------------------------------------


def test_ten_thousand_columns(tmp_path: Path, score: Callable[..., Report]) -> None:
    n = 10_000
    lines = [",".join(f"{p}{i}" for i in range(n)) for p in ("h", "a", "b", "c")]
    path = write(tmp_path, "ten-thousand-columns.csv", ("\n".join(lines) + "\n").encode())
    started = time.perf_counter()
    report = score(path)
    elapsed = time.perf_counter() - started
    assert (report["source"]["columns"], report["source"]["rows"]) == (n, 3)
    assert report["fatal"] is None
    assert report["check_errors"] == {}
    assert 0 <= report["score"] <= 100
    assert elapsed < 30, f"{elapsed:.1f} s for a 3-row table"


def test_one_50mb_line_without_delimiters(tmp_path: Path, score: Callable[..., Report]) -> None:
    path = write(tmp_path, "one-line.csv", b"x" * (50 * MB))
    started = time.perf_counter()
    report = score(path)
    elapsed = time.perf_counter() - started
    # One record and nothing under it: a header with no data.
    assert_fatal(report, "header-only")
    assert report["source"]["columns"] == 1
    assert elapsed < 20, f"{elapsed:.1f} s"


def test_header_and_a_50mb_cell(tmp_path: Path, score: Callable[..., Report]) -> None:
    data = b"id,text,n\n1," + b"y" * (50 * MB) + b",3\n2,short,4\n"
    path = write(tmp_path, "huge-cell.csv", data)
    started = time.perf_counter()
    report = score(path)
    elapsed = time.perf_counter() - started
    assert (report["source"]["rows"], report["source"]["columns"]) == (2, 3)
    assert report["fatal"] is None
    assert not codes(report) & {"missing-cell", "extra-cell", "unclosed-quote"}
    assert elapsed < 20, f"{elapsed:.1f} s"


def test_header_and_a_50mb_quoted_cell(tmp_path: Path, score: Callable[..., Report]) -> None:
    """The same, with delimiters inside one quoted cell (csv's default field limit is 128 KB)."""
    data = b'id,text,n\n1,"' + b"y, " * (17 * MB) + b'",3\n2,short,4\n'
    path = write(tmp_path, "huge-quoted-cell.csv", data)
    started = time.perf_counter()
    report = score(path)
    elapsed = time.perf_counter() - started
    assert (report["source"]["rows"], report["source"]["columns"]) == (2, 3)
    assert not codes(report) & {"missing-cell", "extra-cell", "unclosed-quote"}
    assert elapsed < 20, f"{elapsed:.1f} s"


# ---- bytes that do not decode -------------------------------------------------------------------


def _nul_csv(rows: int) -> bytes:
    lines = ["id,name,city"] + [f"{i},name{i},city{i}" for i in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode().replace(b"name3,", b"na\x00me3,")


def test_nul_byte_in_a_small_csv(tmp_path: Path, score: Callable[..., Report], flatten) -> None:
    """One NUL byte in a cell of a four-row file: an encoding error at row 4, the rest scored."""
    report = score(write(tmp_path, "nul-byte.csv", _nul_csv(4)))
    assert report["fatal"] is None
    assert report["source"]["format"] == "csv"
    assert (report["source"]["rows"], report["source"]["columns"]) == (4, 3)
    assert flatten(report, ["code", "count", "row"], ["encoding-error"]) == [["encoding-error", 1, 4]]


def test_nul_byte_in_a_larger_csv(tmp_path: Path, score: Callable[..., Report], flatten) -> None:
    report = score(write(tmp_path, "nul-byte-200-rows.csv", _nul_csv(200)))
    assert report["fatal"] is None
    assert (report["source"]["rows"], report["source"]["columns"]) == (200, 3)
    assert flatten(report, ["code", "count", "row"], ["encoding-error"]) == [["encoding-error", 1, 4]]


def _chinese_rows(n: int) -> list[str]:
    return ["编号,名称,地址"] + [f"{i},单位{i},北京市海淀区中关村大街{i}号" for i in range(1, n + 1)]


def test_invalid_utf8_in_the_middle(tmp_path: Path, score: Callable[..., Report], flatten) -> None:
    """A stray byte in a UTF-8 file full of Chinese text: still UTF-8 (not GB18030 or cp1252),
    one encoding error at the record that holds it (record 101 = data row 100)."""
    data = ("\n".join(_chinese_rows(200)) + "\n").encode()
    data = data.replace("100,单位100,".encode(), "100,单位".encode() + b"\xff" + b"100,")
    report = score(write(tmp_path, "utf8-with-a-bad-byte.csv", data))
    assert report["source"]["encoding"] == "utf-8"
    assert (report["source"]["rows"], report["source"]["columns"]) == (200, 3)
    assert flatten(report, ["code", "count", "row"], ["encoding-error"]) == [["encoding-error", 1, 101]]
    assert "legacy-encoding" not in codes(report)


def test_invalid_utf8_after_the_sniffed_sample(tmp_path: Path, score: Callable[..., Report], flatten) -> None:
    """The bad byte sits past the 256 KB the sniffer reads: the fast UTF-8 path meets it and the
    file is transcoded instead; the row is still right."""
    data = ("\n".join(_chinese_rows(12_000)) + "\n").encode()
    assert len(data) > 512 * 1024
    data = data.replace("10000,单位10000,".encode(), "10000,单位".encode() + b"\xff" + b"10000,")
    report = score(write(tmp_path, "utf8-with-a-late-bad-byte.csv", data))
    assert report["source"]["encoding"] == "utf-8"
    assert report["source"]["rows"] == 12_000
    assert flatten(report, ["code", "count", "row"], ["encoding-error"]) == [["encoding-error", 1, 10_001]]


# ---- layout and containers ----------------------------------------------------------------------


def test_gb18030_with_comma_padded_title_rows(tmp_path: Path, score: Callable[..., Report], flatten) -> None:
    """`标题,,,` lines padded with commas above the header defeat DuckDB's sniffer; ODQ skips them."""
    text = "\r\n".join(
        [
            "2021年各地区生产总值,,,",
            "单位：亿元,,,",
            "地区,2019年,2020年,2021年",
            "北京市,35445.1,35943.3,41045.6",
            "天津市,14055.5,14008.0,15685.1",
            "河北省,34978.6,36013.8,40397.1",
            "山西省,16961.6,17835.6,22870.4",
            "内蒙古自治区,17212.5,17258.0,20592.0",
            "辽宁省,24855.3,25011.4,27569.5",
            "数据来源：国家统计局,,,",
        ]
    )
    report = score(write(tmp_path, "title-rows-gb18030.csv", (text + "\r\n").encode("gb18030")))
    src = report["source"]
    assert src["encoding"] == "gb18030"
    assert (src["header_row"], src["rows"], src["columns"]) == (3, 6, 4)
    assert [c["name"] for c in report["columns"]] == ["地区", "2019年", "2020年", "2021年"]
    assert flatten(report, ["row", "value"], ["title-rows"]) == [
        [1, "2021年各地区生产总值"],
        [2, "单位：亿元"],
    ]
    assert flatten(report, ["row", "value"], ["footer-notes"]) == [[10, "数据来源：国家统计局"]]
    assert not codes(report) & {"blank-header", "missing-cell", "extra-cell", "encoding-error"}


def test_cr_only_line_endings(tmp_path: Path, score: Callable[..., Report]) -> None:
    data = b"id,name,score\r1,Alice,10\r2,Bob,20\r3,Carol,30\r4,Dan,40\r"
    report = score(write(tmp_path, "cr-line-endings.csv", data))
    src = report["source"]
    assert (src["header_row"], src["rows"], src["columns"]) == (1, 4, 3)
    assert [c["name"] for c in report["columns"]] == ["id", "name", "score"]
    assert report["fatal"] is None


def test_csv_inside_a_zip(tmp_path: Path, score: Callable[..., Report]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", "Spending over 500, July 2024.")
        zf.writestr(
            "data/spend-2024-07.csv", "id,supplier,amount\n1,Acme,510.00\n2,Bolt,720.50\n3,Core,999.99\n"
        )
    report = score(write(tmp_path, "spend-2024-07.zip", buf.getvalue()))
    src = report["source"]
    assert src["format"] == "zip/csv"
    assert (src["rows"], src["columns"]) == (3, 3)
    assert [c["name"] for c in report["columns"]] == ["id", "supplier", "amount"]
    assert any("data/spend-2024-07.csv" in note for note in report["notes"])
    assert "format-mismatch" not in codes(report)


def test_zip_member_with_a_bad_checksum(tmp_path: Path, score: Callable[..., Report]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data.csv", "a,b\n" + "1,2\n" * 1000)
    data = bytearray(buf.getvalue())
    data[60] ^= 0xFF  # inside the stored member: its CRC no longer matches
    report = score(write(tmp_path, "damaged.zip", bytes(data)))
    assert_fatal(report, "unreadable-file")


def test_json_nested_too_deep(tmp_path: Path, score: Callable[..., Report]) -> None:
    report = score(write(tmp_path, "deep.json", b"[" * 100_000 + b"]" * 100_000))
    assert_fatal(report, "unreadable-file")


def test_xlsx_with_one_far_away_cell_is_refused_not_allocated(
    tmp_path: Path, score: Callable[..., Report]
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["A2"], ws["B2"] = "a", "b", 1, 2
    ws["XFD1048576"] = "x"  # the used range becomes 17 billion cells
    path = tmp_path / "farcell.xlsx"
    wb.save(path)
    assert_fatal(score(path), "unreadable-file")


@pytest.mark.parametrize(
    "text",
    ["[ID],[Name]\n1,a\n2,b\n", "<Range>,Count\n<10,4\n10-20,5\n", "PREFIX CODE,NAME\nA,b\nC,d\n"],
    ids=["brackets", "angle-brackets", "prefix-word"],
)
def test_csv_that_starts_like_markup_is_csv(tmp_path: Path, score: Callable[..., Report], text: str) -> None:
    report = score(write(tmp_path, "data.csv", text.encode()))
    assert report["source"]["format"] == "csv"
    assert report["fatal"] is None
    assert report["source"]["rows"] == 2


def test_hash_column_header_is_a_header(tmp_path: Path, score: Callable[..., Report]) -> None:
    report = score(write(tmp_path, "data.csv", b"#,Name,Value\n1,a,2\n2,b,3\n"))
    assert report["source"]["header_row"] == 1
    assert "title-rows" not in codes(report)
