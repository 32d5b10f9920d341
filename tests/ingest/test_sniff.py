"""Unit tests of sniffing (format from bytes, encoding candidates) and of layout detection
(title lines, comma-padded titles, footer notes, a two-row header)."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from app.ingest.layout import detect_layout
from app.ingest.sniff import (
    ENCODING_CANDIDATES,
    declared_format,
    detect_encoding_sample,
    normalise_codec,
    sniff,
)

GB_TEXT = "地区,2019年,2020年\n北京市,35371.3,36102.6\n天津市,14104.3,14083.7\n河北省,35104.5,36206.9\n"
TW_TEXT = (
    "西元日期,星期,是否放假,備註\n20250101,三,2,開國紀念日\n20250102,四,0,\n"
    "20250103,五,0,\n20250104,六,2,\n20250128,二,2,農曆除夕\n"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["id", "name"])
    wb.active.append([1, "a"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


# ---- format from the bytes, never from the name ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("table.xls", b"id,name\n1,a\n2,b\n", "csv"),
        ("table.csv", b"id\tname\tcity\n1\ta\tx\n2\tb\ty\n", "tsv"),
        ("table.txt", b"id;name;city\n1;a;x\n2;b;y\n", "csv"),
        ("data.csv", b'[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]', "json"),
        ("data.csv", b'{"id": 1}\n{"id": 2}\n', "jsonl"),
        ("map.json", b'{"type": "FeatureCollection", "features": []}', "geojson"),
        ("page.csv", b"<!DOCTYPE html><html><body>Not found</body></html>", "html"),
        ("feed.csv", b"<?xml version='1.0'?><rows><row id='1'/></rows>", "xml"),
        (
            "data.xml",
            b"<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/>",
            "rdf",
        ),
        ("data.csv", b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n", "ttl"),
        ("report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
        ("table.csv", b"PAR1\x15\x04\x15\x00", "parquet"),
        ("table.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "xls"),
        ("old.xls", b"\x09\x02\x06\x00\x00\x00\x10\x00" + b"x" * 64, "xls"),  # bare BIFF2 stream
        ("blank.csv", b" \r\n\t\n", "empty"),
        ("nothing.csv", b"", "empty"),
    ],
)
def test_format_from_content(tmp_path: Path, name: str, data: bytes, fmt: str) -> None:
    assert sniff(write(tmp_path, name, data), name).format == fmt


def test_turtle_with_a_leading_comment(tmp_path: Path) -> None:
    """ckanext-qa's turtle.ttl opens with a `# Turtle example` comment before @base/@prefix."""
    data = (
        b"# Turtle example\n\n@base <http://example.org/> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
    )
    assert sniff(write(tmp_path, "people.ttl", data), "people.ttl").format == "ttl"


def test_xlsx_named_csv(tmp_path: Path) -> None:
    sniffed = sniff(write(tmp_path, "table.csv", xlsx_bytes()), "table.csv")
    assert (sniffed.format, sniffed.declared, sniffed.mismatch) == ("xlsx", "csv", True)


def test_gzip_named_csv(tmp_path: Path) -> None:
    sniffed = sniff(write(tmp_path, "table.csv", gzip.compress(b"id,name\n1,a\n")), "table.csv")
    assert sniffed.format == "gzip"
    assert sniffed.mismatch


def test_zip_picks_its_largest_text_table(tmp_path: Path) -> None:
    data = zip_bytes(
        {
            "meta.xlsx": xlsx_bytes(),
            "small.csv": b"id\n1\n",
            "big.csv": b"id,name\n" + b"".join(b"%d,n\n" % i for i in range(100)),
        }
    )
    sniffed = sniff(write(tmp_path, "bundle.zip", data), "bundle.zip")
    assert (sniffed.format, sniffed.zip_member) == ("zip", "big.csv")


def test_zip_without_a_table_has_no_member(tmp_path: Path) -> None:
    data = zip_bytes({"word/document.xml": b"<document/>", "image.png": b"\x89PNG\r\n\x1a\n"})
    sniffed = sniff(write(tmp_path, "bundle.zip", data), "bundle.zip")
    assert (sniffed.format, sniffed.zip_member) == ("zip", None)


def test_truncated_xlsx_still_says_xlsx(tmp_path: Path) -> None:
    whole = xlsx_bytes()
    assert sniff(write(tmp_path, "cut.xlsx", whole[: len(whole) // 2]), "cut.xlsx").format == "xlsx"


@pytest.mark.parametrize(
    ("declared", "detected", "mismatch"),
    [
        ("x.csv", b"id\tname\n1\ta\n", False),  # csv/tsv/txt are one family
        ("x.txt", b"id,name\n1,a\n", False),
        ("x.json", b'{"a": 1}\n{"a": 2}\n', False),  # json/jsonl/geojson are one family
        ("x.xls", b"id,name\n1,a\n", True),
        ("x.csv", b"<html><body>x</body></html>", True),
        ("x.csv", b"", False),  # an empty file is empty whatever its name
        ("noextension", b"id,name\n1,a\n", False),
    ],
)
def test_mismatch(tmp_path: Path, declared: str, detected: bytes, mismatch: bool) -> None:
    assert sniff(write(tmp_path, "f", detected), declared).mismatch is mismatch


def test_declared_format_is_from_the_extension_only() -> None:
    assert declared_format("Budget.XLSX") == "xlsx"
    assert declared_format("July_14_over___500.csv-4.xls") == "xls"
    assert declared_format("written_complains.csv.zip") == "zip"
    assert declared_format("README") is None
    assert declared_format(None) is None


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a;b;c\n1;2,5;3\n4;5,5;6\n", ";"),  # decimal commas inside ;-separated values
        ("a|b|c\n1|2|3\n", "|"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
    ],
)
def test_delimiter(tmp_path: Path, text: str, delimiter: str) -> None:
    assert sniff(write(tmp_path, "t.csv", text.encode()), "t.csv").delimiter == delimiter


@pytest.mark.parametrize(
    ("data", "ending"),
    [(b"a,b\n1,2\n", "\n"), (b"a,b\r\n1,2\r\n", "\r\n"), (b"a,b\r1,2\r3,4\r", "\r")],
)
def test_line_ending(tmp_path: Path, data: bytes, ending: str) -> None:
    assert sniff(write(tmp_path, "t.csv", data), "t.csv").line_ending == ending


# ---- encoding ---------------------------------------------------------------------------------


def test_candidates_have_gb18030_and_never_gbk() -> None:
    assert "gb18030" in ENCODING_CANDIDATES
    assert not {"gbk", "gb2312", "cp936"} & set(ENCODING_CANDIDATES)
    assert ENCODING_CANDIDATES.index("gb18030") < ENCODING_CANDIDATES.index("cp1252")


@pytest.mark.parametrize("name", ["gbk", "GBK", "gb2312", "GB2312", "cp936", "hz", "gb18030"])
def test_gbk_family_normalises_to_gb18030(name: str) -> None:
    assert normalise_codec(name) == "gb18030"


def test_gbk_bytes_are_read_as_gb18030() -> None:
    assert detect_encoding_sample(GB_TEXT.encode("gbk")) == ("gb18030", False)


def test_gb18030_only_characters() -> None:
    """A character GBK lacks (𠮷, four bytes in GB18030) still decodes."""
    text = GB_TEXT + "𠮷野家,1.0,2.0\n"
    data = text.encode("gb18030")
    encoding, bom = detect_encoding_sample(data)
    assert (encoding, bom) == ("gb18030", False)
    assert data.decode(encoding) == text


@pytest.mark.parametrize("codec", ["big5", "cp950"])
def test_big5(codec: str) -> None:
    encoding, bom = detect_encoding_sample(TW_TEXT.encode(codec))
    assert encoding in ("big5", "cp950")
    assert not bom
    assert TW_TEXT.encode(codec).decode(encoding) == TW_TEXT


def test_cp1252() -> None:
    data = "id,name\n1,Café\n2,Zoë\n3,Ångström ©\n4,naïve – “quoted”\n".encode("cp1252")
    encoding, _ = detect_encoding_sample(data)
    assert encoding == "cp1252"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("id,名称\n1,北京\n".encode("utf-8-sig"), ("utf-8", True)),
        ("id,名称\n1,北京\n".encode("utf-16"), ("utf-16", True)),
        ("id,name\n1,Café\n2,Zoë\n".encode("utf-16-le"), ("utf-16-le", False)),
        ("id,name\n1,Café\n2,Zoë\n".encode("utf-16-be"), ("utf-16-be", False)),
        ("id,名称\n1,北京\n".encode(), ("utf-8", False)),
        (b"id,name\n1,plain ascii\n", ("utf-8", False)),
    ],
)
def test_bom_and_utf(data: bytes, expected: tuple[str, bool]) -> None:
    assert detect_encoding_sample(data) == expected


def test_mostly_utf8_with_a_bad_byte_stays_utf8() -> None:
    text = "编号,名称,地址\n" + "".join(f"{i},单位{i},北京市海淀区\n" for i in range(30))
    data = text.encode().replace("单位7".encode(), b"\xff7", 1)
    assert detect_encoding_sample(data) == ("utf-8", False)


def test_utf8_cut_mid_character_at_the_sample_end() -> None:
    from app.ingest.sniff import SAMPLE_BYTES

    data = ("名" * (SAMPLE_BYTES // 3 + 10)).encode()[:SAMPLE_BYTES]  # ends inside a character
    assert len(data) == SAMPLE_BYTES
    assert detect_encoding_sample(data) == ("utf-8", False)


def test_a_nul_byte_does_not_make_a_small_text_file_binary() -> None:
    assert detect_encoding_sample(b"id,name\n1,alpha\n2,be\x00ta\n3,gamma\n") == ("utf-8", False)


def test_binary_is_not_text() -> None:
    assert detect_encoding_sample(bytes(range(256)) * 8)[0] is None


def test_sniff_reports_the_encoding(tmp_path: Path) -> None:
    sniffed = sniff(write(tmp_path, "gdp.csv", GB_TEXT.encode("gb18030")), "gdp.csv")
    assert (sniffed.format, sniffed.encoding, sniffed.bom) == ("csv", "gb18030", False)


# ---- layout -------------------------------------------------------------------------------------


def rows(text: str) -> list[list[str] | None]:
    """Records as the grid gives them: empty lines are None."""
    return [line.split(",") if line else None for line in text.split("\n")]


def layout_of(text: str):
    grid = rows(text)
    return detect_layout(grid[:60], grid[-60:], len(grid))


def test_plain_header() -> None:
    layout = layout_of("id,name,amount\n1,a,10\n2,b,20\n3,c,30")
    assert (layout.header_index, layout.title_indexes, layout.footer_indexes) == (0, [], [])
    assert layout.labels == ["id", "name", "amount"]


def test_title_lines_above_the_header() -> None:
    layout = layout_of(
        "数据库：分省年度数据\n指标：地区生产总值(亿元)\n时间：2019-2021\n"
        "地区,2021年,2020年,2019年\n北京市,41045.6,35943.3,35445.1\n天津市,15685.1,14008.0,14055.5\n"
        "河北省,40397.1,36013.8,34978.6"
    )
    assert layout.header_index == 3
    assert layout.title_indexes == [0, 1, 2]
    assert layout.labels == ["地区", "2021年", "2020年", "2019年"]


def test_comma_padded_title_lines() -> None:
    layout = layout_of(
        "标题,,,\n单位：万元,,,\n\n项目,2019年,2020年,2021年\n收入,1,2,3\n支出,4,5,6\n结余,7,8,9"
    )
    assert layout.header_index == 3
    assert layout.title_indexes == [0, 1]  # the blank record is neither title nor header


def test_comment_line_above_the_header() -> None:
    layout = layout_of("# exported 2024-01-01\nid,name\n1,a\n2,b")
    assert (layout.header_index, layout.title_indexes) == (1, [0])


def test_short_keys_are_data_not_titles() -> None:
    """Row keys like 1978年 in a two-column table are data, not captions."""
    layout = layout_of("年份,人口\n1978年,96259\n1979年,97542\n1980年,98705")
    assert (layout.header_index, layout.title_indexes) == (0, [])


def test_footer_notes() -> None:
    layout = layout_of(
        "地区,2020年,2021年\n北京市,1,2\n天津市,3,4\n河北省,5,6\n"
        "注：2021年为初步核算数。,,\n\n数据来源：国家统计局,,"
    )
    assert layout.header_index == 0
    assert layout.footer_indexes == [4, 6]
    assert layout.footer_start == 4


@pytest.mark.parametrize(
    "note",
    [
        "注：本表按当年价格计算。",
        "数据来源：国家统计局",
        "资料来源：统计年鉴",
        "说明：数据未经审计",
        "Source: ONS",
        "Note: provisional",
    ],
)
def test_footer_note_kinds(note: str) -> None:
    layout = layout_of(f"地区,2020年\n北京市,1\n天津市,3\n{note},")
    assert layout.footer_indexes == [3]


def test_no_footer_in_a_plain_table() -> None:
    layout = layout_of("地区,2020年\n北京市,1\n天津市,3\n河北省,5")
    assert (layout.footer_indexes, layout.footer_start) == ([], None)


def test_two_row_header() -> None:
    layout = layout_of(
        "地区,2019年,,2020年,\n,上半年,下半年,上半年,下半年\n"
        "北京市,1.5,2.5,3.5,4.5\n天津市,1.1,2.1,3.1,4.1\n河北省,1.2,2.2,3.2,4.2"
    )
    assert layout.header_indexes == [0, 1]
    assert layout.header_index == 1
    assert layout.labels == [
        "地区",
        "2019年 / 上半年",
        "2019年 / 下半年",
        "2020年 / 上半年",
        "2020年 / 下半年",
    ]


def test_text_first_data_row_is_not_a_second_header() -> None:
    """A first data row of text under a complete header stays data."""
    layout = layout_of("name,city,role\nAlice,Beijing,admin\nBob,Shanghai,user\nCarol,Wuhan,user")
    assert (layout.header_index, layout.header_indexes) == (0, [])


def test_all_blank() -> None:
    assert detect_layout([None, [""], ["", " "]], [None, [""], ["", " "]], 3).header_index is None
