"""W3C DQV JSON-LD: reports, portals and catalog runs as dqv:QualityMeasurement nodes that parse
with rdflib (the bundled @context, nothing fetched) and carry the same numbers as the JSON."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.namespace import RDF, XSD

from app.jobs.work import failed_report
from app.main import create_app
from app.services.dqv import ODQ_NS, PIVEAU_NS, report_dqv
from app.services.scoring import score_file
from app.settings import Settings

DQV = rdflib.Namespace("http://www.w3.org/ns/dqv#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
ODQ = rdflib.Namespace(ODQ_NS)
PV = rdflib.Namespace(PIVEAU_NS)
REPO = Path(__file__).resolve().parents[2]

MEASUREMENTS = """
PREFIX dqv: <http://www.w3.org/ns/dqv#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?metric ?value ?on ?at WHERE {
  ?m a dqv:QualityMeasurement ; dqv:isMeasurementOf ?metric ; dqv:value ?value ; dqv:computedOn ?on .
  OPTIONAL { ?m prov:generatedAtTime ?at }
}
"""


def parse(doc: dict[str, Any] | str) -> rdflib.Graph:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return rdflib.Graph().parse(data=text, format="json-ld")


def measurements(graph: rdflib.Graph) -> dict[str, list[tuple[Any, str, Any]]]:
    out: dict[str, list[tuple[Any, str, Any]]] = {}
    for row in graph.query(MEASUREMENTS):
        out.setdefault(str(row.metric), []).append((row.value.toPython(), str(row.on), row.at))
    return out


@pytest.fixture(scope="module")
def cpi_report(corpus: Path) -> dict[str, Any]:
    path = corpus / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part1.csv"
    return score_file(path, path.name, hashlib.sha256(path.read_bytes()).hexdigest())


def test_a_report_as_dqv_has_the_same_numbers(cpi_report: dict[str, Any]) -> None:
    graph = parse(report_dqv(cpi_report))
    got = measurements(graph)
    ((score, on, at),) = got[ODQ_NS + "score"]
    assert score == cpi_report["score"]
    assert on == f"urn:odq:sha256:{cpi_report['source']['sha256']}"
    assert at is not None and at.datatype == XSD.dateTime
    for key, dim in cpi_report["dimensions"].items():
        camel = key  # validity, uniqueness, … are single words
        assert got[f"{ODQ_NS}{camel}Score"][0][0] == dim["score"]
    for finding in cpi_report["findings"]:
        parts = finding["code"].split("-")
        metric = ODQ_NS + parts[0] + "".join(p.title() for p in parts[1:])
        assert got[metric][0][0] == finding["count"], finding["code"]
    n = len(cpi_report["dimensions"]) + len(cpi_report["findings"]) + 1
    assert len(list(graph.subjects(RDF.type, DQV.QualityMeasurement))) == n
    # Every metric used is described as a dqv:Metric; dimension metrics sit in their dimension.
    for metric in got:
        assert (rdflib.URIRef(metric), RDF.type, DQV.Metric) in graph
    assert (ODQ.validityScore, DQV.inDimension, ODQ.validity) in graph


def test_a_broken_link_is_piveaus_download_url_status_code() -> None:
    report = failed_report(
        "data.csv", "https://portal.example/data.csv", "download-failed", "HTTP 404", status=404
    )
    got = measurements(parse(report_dqv(report)))
    assert got[PIVEAU_NS + "downloadUrlStatusCode"][0][:2] == (404, "https://portal.example/data.csv")
    assert got[ODQ_NS + "score"][0][0] == 0
    assert got[ODQ_NS + "downloadFailed"][0][0] == 1


def test_api_report_negotiates_json_ld(tmp_path: Path, corpus: Path) -> None:
    path = corpus / "portals" / "nyc-open-data" / "ecb_violations.csv"
    with TestClient(create_app(Settings(data_dir=tmp_path / "var"))) as client:
        report = client.post("/api/v1/score", files={"file": (path.name, path.read_bytes())}).json()
        plain = client.get(f"/api/v1/reports/{report['id']}")
        assert plain.headers["content-type"].startswith("application/json")
        assert plain.json() == report
        ld = client.get(f"/api/v1/reports/{report['id']}", headers={"Accept": "application/ld+json"})
        assert ld.status_code == 200
        assert ld.headers["content-type"].startswith("application/ld+json")
        got = measurements(parse(ld.text))
        assert got[ODQ_NS + "score"][0][0] == report["score"]
        missing = client.get("/api/v1/reports/nope", headers={"Accept": "application/ld+json"})
        assert missing.status_code == 404 and missing.json()["code"] == "report-not-found"


def test_cli_score_format_dqv(tmp_path: Path, corpus: Path) -> None:
    path = corpus / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part1.csv"
    odq = Path(sys.executable).parent / "odq"
    done = subprocess.run(
        [str(odq), "score", str(path), "--format", "dqv", "--no-store"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "ODQ_DATA_DIR": str(tmp_path / "var")},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    got = measurements(parse(done.stdout))
    assert got[ODQ_NS + "score"][0][0] == 89.77
