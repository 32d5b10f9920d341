"""Bad data is a scored report naming the defect, never a crash: the run never aborts on data."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import assert_report_shape, codes, flatten, strict_json
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROWS = ["编号,地址,数量"] + [f"{i},北京市朝阳区第{i}号,{i * 3}" for i in range(1, 201)]


def utf8_csv(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def html_page() -> bytes:
    return (
        b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
        b"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n"
    )


def random_bytes() -> bytes:
    return random.Random(20240601).randbytes(8192)


def truncated_xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>" * 200)
        z.writestr("xl/workbook.xml", "<workbook/>" * 200)
    return buf.getvalue()[:300]


@pytest.fixture(scope="module")
def module_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(
        create_app(Settings(data_dir=tmp_path_factory.mktemp("bad-inputs"))), raise_server_exceptions=False
    ) as c:
        yield c


def score(client: TestClient, name: str, data: bytes) -> dict[str, Any]:
    r = client.post("/api/v1/score?wait=true", files={"file": (name, data, "application/octet-stream")})
    assert r.status_code == 200, (r.status_code, r.text[:500])
    report = strict_json(r.text)
    assert_report_shape(report)
    assert report["source"]["bytes"] == len(data)
    return report


@pytest.mark.parametrize(
    ("name", "data", "defect"),
    [
        ("empty.csv", b"", "empty-file"),
        ("blank.csv", b"  \r\n\n\t \n", "empty-file"),
        ("random.csv", random_bytes(), "unreadable-file"),
        ("random.bin", random_bytes()[::-1], "unreadable-file"),
        ("page.csv", html_page(), "unreadable-file"),
        ("broken.xlsx", truncated_xlsx(), "unreadable-file"),
    ],
)
def test_fatal_inputs_score_zero_with_a_named_finding(
    module_client: TestClient, name: str, data: bytes, defect: str
) -> None:
    report = score(module_client, name, data)
    assert defect in codes(report), codes(report)
    assert report["fatal"] == defect
    assert report["score"] == 0
    assert report["band"] == "bad"


def test_html_named_csv_is_a_format_mismatch(module_client: TestClient) -> None:
    report = score(module_client, "data.csv", html_page())
    assert {"format-mismatch", "unreadable-file"} <= codes(report)
    assert report["source"]["format"] == "html"


def test_nul_bytes_are_encoding_errors_at_their_rows(module_client: TestClient) -> None:
    lines = list(ROWS)
    lines[9] = lines[9].replace("号,", "号,\x00")  # line 10 of the file
    lines[19] = lines[19] + "\x00"  # line 20
    report = score(module_client, "nul.csv", utf8_csv(lines))
    assert report["source"]["format"] == "csv"
    assert report["source"]["rows"] == 200
    errors = [f for f in report["findings"] if f["code"] == "encoding-error"]
    assert len(errors) == 1
    assert errors[0]["count"] == 2
    assert sorted(row for _, row in flatten(report, ["code", "row"], {"encoding-error"})) == [10, 20]


def test_invalid_utf8_is_an_encoding_error_at_its_row(module_client: TestClient) -> None:
    data = utf8_csv(ROWS).replace("第50号".encode(), "第".encode() + b"\xff" + "号".encode())
    report = score(module_client, "bad-utf8.csv", data)
    assert report["source"]["encoding"] == "utf-8"
    assert flatten(report, ["code", "row"], {"encoding-error"}) == [["encoding-error", 51]]
    assert report["fatal"] is None
    assert 0 < report["score"] < 100


def test_ten_thousand_columns(module_client: TestClient) -> None:
    width = 10_000
    lines = [",".join(f"c{i}" for i in range(width))] + [
        ",".join(str(r * width + i) for i in range(width)) for r in range(3)
    ]
    report = score(module_client, "wide.csv", utf8_csv(lines))
    assert report["source"]["columns"] == width
    assert report["source"]["rows"] == 3
    assert len(report["columns"]) == width


def test_bad_inputs_are_stored_like_any_report(module_client: TestClient) -> None:
    report = score(module_client, "empty-again.csv", b"")
    r = module_client.get(f"/api/v1/reports/{report['id']}")
    assert r.status_code == 200
    assert strict_json(r.text) == report
