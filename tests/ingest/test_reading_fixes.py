"""Reading fixes of scoring v2: the header under a metadata preamble, notes whose continuation lines
are indented with ideographic spaces, single-byte encodings chosen by how the text reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.ingest.sniff import detect_encoding_sample

Report = dict[str, Any]

YEARS = range(1960, 2024)


def world_bank_extract() -> str:
    """The layout of a World Bank API CSV (API_<indicator>_<country>.csv): two key/value preamble
    lines and blank lines above the header, a trailing comma on every line."""
    header = '"Country Name","Country Code","Indicator Name","Indicator Code",' + ",".join(
        f'"{y}"' for y in YEARS
    )
    values = ['""'] * 20 + [f'"{1000 + i * 10.5}"' for i in range(len(YEARS) - 20)]
    row = '"China","CHN","GDP (current US$)","NY.GDP.MKTP.CD",' + ",".join(values)
    return (
        '\ufeff"Data Source","World Development Indicators",\n\n'
        '"Last Updated Date","2024-06-28",\n\n' + header + ",\n" + row + ",\n"
    )


def test_header_under_a_metadata_preamble(tmp_path: Path, score: Callable[..., Report], flatten: Any) -> None:
    path = tmp_path / "API_NY.GDP.MKTP.CD_CHN_DS2_en_csv_v2.csv"
    path.write_text(world_bank_extract(), encoding="utf-8")
    report = score(path)
    source = report["source"]
    assert (source["header_row"], source["rows"], source["columns"]) == (5, 1, 4 + len(YEARS) + 1)
    assert flatten(report, ["row", "value"], ["title-rows"]) == [
        [1, "Data Source World Development Indicators"],
        [3, "Last Updated Date 2024-06-28"],
    ]
    codes = {f["code"] for f in report["findings"]}
    assert "extra-cell" not in codes and "missing-measure" not in codes


def test_a_short_table_without_preamble_keeps_its_first_row_as_header(
    tmp_path: Path, score: Callable[..., Report]
) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text("key,value\nalpha,1\nbeta,2\n", encoding="utf-8")
    assert score(path)["source"]["header_row"] == 1


def test_note_continuations_indented_with_ideographic_spaces_stay_notes(
    tmp_path: Path, score: Callable[..., Report], flatten: Any
) -> None:
    rows = ["地区,2023年,2022年,2021年"] + [f"地区{i},{100 + i},{90 + i},{80 + i}" for i in range(15)]
    rows += [
        "注：1. 本表按当年价格计算，2023年数据为初步核实数。",
        "\u3000\u30002. 地区生产总值为各地区汇总数，与全国数不等。",
        "\u3000\u30003. 北京",
    ]
    path = tmp_path / "gdp-notes.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("gbk"))
    report = score(path)
    assert report["source"]["rows"] == 15
    assert [r for (r,) in flatten(report, ["row"], ["footer-notes"])] == [17, 18, 19]
    codes = {f["code"] for f in report["findings"]}
    assert not codes & {"missing-cell", "whitespace", "null-values"}


def test_indented_lines_without_a_note_above_are_data(tmp_path: Path, score: Callable[..., Report]) -> None:
    rows = ["名称,说明"] + [f"项目{i},说明{i}" for i in range(12)] + ["\u3000项目12", "\u3000项目13"]
    path = tmp_path / "indented.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert score(path)["source"]["rows"] == 14


GREEK = (
    "Περιφέρεια,Δήμος,Πληθυσμός\nΑττική,Αθηναίων,664046\nΚεντρική Μακεδονία,Θεσσαλονίκης,325182\n"
    "Κρήτη,Ηρακλείου,173993\nΘεσσαλία,Λαρισαίων,144651\nΔυτική Ελλάδα,Πατρέων,213984\n"
)
CYRILLIC = (
    "Регион,Город,Население\nМосковская область,Подольск,308130\nСвердловская область,Екатеринбург,1493749\n"
    "Новосибирская область,Новосибирск,1625631\nТатарстан,Казань,1257391\nСамарская область,Тольятти,699429\n"
)
WESTERN = (
    "Ville,Région,Plat\nZürich,Genève,crème brûlée\nSão Paulo,Málaga,naïve façade\nKöln,Øresund,smørrebrød\n"
)


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        (GREEK, "iso8859_7", "iso8859_7"),
        (GREEK, "cp1253", "iso8859_7"),  # the letters used here are at the same bytes
        (CYRILLIC, "cp1251", "cp1251"),
        (CYRILLIC, "koi8_r", "koi8_r"),
        (WESTERN, "cp1252", "cp1252"),
        ("amount,unit\n£9,281.01,°C\n£12.50,°F\n", "cp1252", "cp1252"),
    ],
)
def test_single_byte_encoding_chosen_by_how_the_text_reads(text: str, codec: str, expected: str) -> None:
    data = text.encode(codec)
    encoding, bom = detect_encoding_sample(data)
    assert (encoding, bom) == (expected, False)
    assert data.decode(encoding) == text
