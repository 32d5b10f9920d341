"""XML record sets and RDF graphs read as tables (app/ingest/markup.py), through the scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.ingest.markup import MarkupError, rdf_records, xml_records
from tests.conftest import CORPUS, score_path

QA = CORPUS / "peer-cases" / "ckanext-qa"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_oracle_rowset_keeps_the_declared_encoding() -> None:
    records, notes = xml_records(QA / "jobs.xml")  # ISO-8859-1, £ as byte 0xA3
    assert len(records) == 9
    assert records[0]["SALARY"].startswith("£31,754")
    assert "<ROW>" in notes[0]


def test_socrata_wrapper_is_descended_into(tmp_path: Path) -> None:
    """Socrata's XML export: <response><row><row _id=…>…</row>…</row></response>."""
    rows = "".join(f'<row _id="{i}"><name>n{i}</name><count>{i * 10}</count></row>' for i in range(1, 6))
    path = write(tmp_path, "export.xml", f"<?xml version='1.0'?><response><row>{rows}</row></response>")
    records, _ = xml_records(path)
    assert records == [{"_id": str(i), "name": f"n{i}", "count": str(i * 10)} for i in range(1, 6)]


def test_attributes_nesting_and_repeated_children(tmp_path: Path) -> None:
    doc = """<Projects xmlns="urn:x">
      <Project id="1" title="Roads"><Sector code="210" /><Sector code="220" />
        <Budget currency="GBP">1000</Budget><Notes><Note>a</Note><Note>b</Note></Notes></Project>
      <Project id="2" title="Water"><Sector code="140" /></Project>
    </Projects>"""
    records, _ = xml_records(write(tmp_path, "p.xml", doc))
    assert records[0] == {
        "id": "1",
        "title": "Roads",
        "Sector.code": "210; 220",
        "Budget.currency": "GBP",
        "Budget": "1000",
        "Notes.Note": "a; b",
    }
    assert records[1] == {"id": "2", "title": "Water", "Sector.code": "140"}


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<rows><row>&lol2;</row><row>x</row></rows>"
    )
    path = write(tmp_path, "bomb.xml", bomb)
    with pytest.raises(MarkupError, match="entities"):
        xml_records(path)
    report = score_path(path)
    assert report["fatal"] == "unreadable-file"
    assert "declares XML entities" in report["findings"][0]["message"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "utf16.xml",
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]><r><x>&a;</x></r>'.encode(
                "utf-16"
            ),
        ),
        (
            "padded.xml",
            b"<?xml version='1.0'?><!DOCTYPE r [<!-- "
            + b"x" * 400_000
            + b' --><!ENTITY a "aaaa">]><r><x>&a;</x></r>',
        ),
        ("parameter.rdf", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p "x">]><rdf:RDF xmlns:rdf="x"/>'),
    ],
)
def test_entity_declarations_are_refused_in_any_encoding_or_place(
    tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    report = score_path(path)
    assert report["fatal"] == "unreadable-file"
    assert "declares XML entities" in report["findings"][0]["message"]


def test_broken_xml_is_an_unreadable_file_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.xml", "<?xml version='1.0'?>\n<rows>\n<row><a>1</a></row>\n<row><a>2</a")
    report = score_path(path)
    assert report["fatal"] == "unreadable-file"
    assert report["score"] == 0
    assert report["findings"][0]["message"].startswith("the XML does not parse")
    assert "line 4" in report["findings"][0]["message"]


def test_turtle_with_blank_nodes_gives_the_same_rows_in_every_process(tmp_path: Path) -> None:
    ttl = """@prefix ex: <http://example.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
ex:a a foaf:Person ; foaf:name "A" ; ex:address [ ex:city "X" ] .
ex:b a foaf:Person ; foaf:name "B" ; ex:address [ ex:city "Y" ] .
ex:c a foaf:Person ; foaf:name "C" .
"""
    path = write(tmp_path, "people.ttl", ttl)
    code = (
        "import json, sys; from pathlib import Path; from app.ingest.markup import rdf_records; "
        "print(json.dumps(rdf_records(Path(sys.argv[1]), 'ttl')[0], sort_keys=True))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(3)
    }
    assert len(runs) == 1
    records = json.loads(runs.pop())
    assert sorted(r["foaf:name"] for r in records) == ["A", "B", "C"]  # the people, not the addresses
    assert all(r["rdf:type"] == "foaf:Person" for r in records)


def test_dcat_graph_is_the_table_of_its_distributions() -> None:
    records, notes = rdf_records(CORPUS / "catalogs" / "dcat-ap-rdf" / "govdata-de_dataset.rdf", "rdf")
    assert len(records) == 9
    assert {r["rdf:type"] for r in records} == {"dcat:Distribution"}
    assert all("dcat:accessURL" in r for r in records)
    assert "dcat:Distribution" in notes[1]


def test_broken_turtle_is_unreadable_with_the_reason(tmp_path: Path) -> None:
    report = score_path(write(tmp_path, "bad.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:b .\n"))
    assert report["fatal"] == "unreadable-file"
    assert report["findings"][0]["message"].startswith("the Turtle does not parse")
