"""Metadata measurement on real catalog records: MQA indicators (per dataset and per catalog),
5-star openness (ckanext-qa's rules), timeliness against a reference date, and the GSA data.gov
harvester cases reported as its tests expect."""

from __future__ import annotations

from datetime import date

import pytest

from app.catalogs import harvest
from profilers.metadata import (
    ALL_CODES,
    INDICATORS,
    MQA_TOTAL,
    LinkStatus,
    assess,
    band_of,
    catalog_mqa,
    duplicate_titles,
    evaluate,
    five_star,
    unique_slugs,
)
from profilers.metadata.mqa import MQA_DIMENSIONS
from profilers.record import DatasetRecord, Distribution
from profilers.types import Metrics
from scoring import load_weights, score_table
from tests.conftest import CORPUS

TODAY = date(2026, 11, 27)
CATALOGS = CORPUS / "catalogs"
HARVESTER = CORPUS / "peer-cases" / "datagov-harvester"
HARVESTER_CODES = {"missing-identifier", "invalid-licence-uri", "description-too-long"}
FINDING_KEYS = {"code", "dimension", "severity", "level", "count", "share", "points_lost", "fix", "examples"}


def one(path: str) -> DatasetRecord:
    records = list(harvest(str(CATALOGS / path)))
    assert len(records) == 1
    return records[0]


def codes(record: DatasetRecord, **kw: object) -> set[str]:
    return {f.code for f in assess(record, TODAY, **kw).findings}  # type: ignore[arg-type]


# -- the GSA harvester cases --------------------------------------------------------------------


def test_harvester_no_identifier() -> None:
    """dcatus_no_identifier.json: the harvester drops the record with "… is missing 'identifier'
    field" (records_errored=1). ODQ keeps it and reports missing-identifier."""
    records = list(harvest(str(HARVESTER / "dcatus_no_identifier.json")))
    assert len(records) == 1
    found = [f for f in assess(records[0], TODAY).findings if f.code in HARVESTER_CODES]
    assert [f.code for f in found] == ["missing-identifier"]
    assert found[0].dimension == "metadata" and found[0].severity == "error"
    assert found[0].message == "Commitment of Traders is missing 'identifier' field"


def test_harvester_bad_licence_uri() -> None:
    """dcatus_bad_license_uri.json: exactly one error, on $.license (not a URI)."""
    records = list(harvest(str(HARVESTER / "dcatus_bad_license_uri.json")))
    found = [f for f in assess(records[0], TODAY).findings if f.code in HARVESTER_CODES]
    assert [(f.code, f.examples[0].column) for f in found] == [("invalid-licence-uri", "licence")]
    assert found[0].examples[0].value is not None and found[0].examples[0].value.startswith(
        "<p align='center'"
    )


def test_harvester_long_description() -> None:
    """dcatus_long_description.json: one error, description over 10,000 characters."""
    records = list(harvest(str(HARVESTER / "dcatus_long_description.json")))
    found = [f for f in assess(records[0], TODAY).findings if f.code in HARVESTER_CODES]
    assert [f.code for f in found] == ["description-too-long"]
    assert "max string length of 10000 characters" in found[0].message
    assert found[0].examples[0].value == f"{len(records[0].description or '')} characters"


def test_harvester_same_title() -> None:
    """dcatus_same_title.json: both records are accepted; the second gets a distinct slug."""
    records = list(harvest(str(HARVESTER / "dcatus_same_title.json")))
    assert [r.id for r in records] == ["cftc-dc1", "cftc-dc2"]
    assert all(not (codes(r) & HARVESTER_CODES) for r in records)
    dups = duplicate_titles(records)
    assert [(d["code"], d["dimension"], d["level"], d["count"], d["datasets"]) for d in dups] == [
        ("duplicate-title", "metadata", "portal", 2, ["cftc-dc1", "cftc-dc2"])
    ]
    slugs = unique_slugs(records)
    assert slugs == {"cftc-dc1": "commitment-of-traders", "cftc-dc2": "commitment-of-traders-2"}


def test_a_clean_dcat_us_catalog_has_no_harvester_findings() -> None:
    records = list(harvest(str(CATALOGS / "dcat-us-datajson" / "cftc_data.json")))
    assert len(records) == 7
    assert all(not (codes(r) & HARVESTER_CODES) for r in records)
    assert duplicate_titles(records) == []


def test_philadelphia_null_modified() -> None:
    """The GSA harvester rejects Philadelphia's first record for modified=null."""
    first = next(iter(harvest(str(CATALOGS / "dcat-us-datajson" / "philadelphia_data.json"))))
    assert "missing-modified" in codes(first)


# -- MQA ------------------------------------------------------------------------------------------


def test_the_405_point_table() -> None:
    assert sum(i.points for i in INDICATORS) == MQA_TOTAL == 405
    by_dim: dict[str, int] = {}
    for i in INDICATORS:
        by_dim[i.mqa_dimension] = by_dim.get(i.mqa_dimension, 0) + i.points
    assert (
        by_dim
        == MQA_DIMENSIONS
        == {
            "findability": 100,
            "accessibility": 100,
            "interoperability": 110,
            "reusability": 75,
            "contextuality": 20,
        }
    )
    assert [band_of(p) for p in (405, 351, 350.9, 221, 220, 121, 120, 0)] == [
        "excellent",
        "excellent",
        "good",
        "good",
        "sufficient",
        "sufficient",
        "bad",
        "bad",
    ]


def test_every_code_has_weights() -> None:
    w = load_weights()
    for code in ALL_CODES:
        assert code in w.codes, code
    meta_caps = sum(
        w.codes[i.code].rule.cap
        for i in {i.code: i for i in INDICATORS if i.dimension == "metadata"}.values()
    )
    assert abs(meta_caps - 100) < 0.05  # the metadata dimension is MQA's 305 non-access points scaled to 100


def test_mqa_of_a_dcat_ap_record() -> None:
    r = one("dcat-ap-rdf/govdata-de_dataset.rdf")
    mqa = evaluate(r).to_dict()
    ind = mqa["indicators"]
    assert ind["keyword_usage"] == 1 and ind["categories"] == 1 and ind["spatial_search"] == 1
    assert ind["temporal_search"] == 0 and ind["contact_point"] == 1 and ind["publisher"] == 1
    assert ind["access_url_status"] is None and ind["download_url_status"] is None  # links not checked
    assert ind["licence_information"] == 1 and ind["licence_vocabulary"] == 1
    assert mqa["max_points"] == 405 - 50 - 30
    # every distribution declares a format; the media type is missing on some
    assert ind["format"] == pytest.approx(
        sum(1 for d in r.distributions if d.format) / len(r.distributions), abs=1e-4
    )


def test_metadata_dimension_reproduces_mqa_points() -> None:
    """One distribution, so every share is 0 or 1: the metadata dimension is the MQA points of
    findability, interoperability, reusability and contextuality over their 305."""
    r = one("dcat-ap-rdf/datos-gob-es_dataset.ttl")
    a = assess(r, TODAY)
    card = score_table(a.results, Metrics())
    met = sum(x.points for x in a.mqa.indicators if x.indicator.dimension == "metadata")
    assert card.dimensions["metadata"].score == pytest.approx(met / 305 * 100, abs=0.06)
    assert 0 < met < 305


def test_link_status_indicators_and_broken_links() -> None:
    r = one("dcat-ap-rdf/govdata-de_dataset.rdf")
    urls = [d.url for d in r.distributions if d.url]
    ok = {u: LinkStatus(u, 200) for u in urls}
    all_ok = assess(r, TODAY, links=ok)
    assert "broken-link" not in {f.code for f in all_ok.findings}
    assert all_ok.mqa.to_dict()["indicators"]["access_url_status"] == 1
    broken = dict(ok)
    broken[urls[0]] = LinkStatus(urls[0], 404, "download-failed")
    broken[urls[1]] = LinkStatus(urls[1], None, "timeout")
    a = assess(r, TODAY, links=broken)
    f = next(f for f in a.findings if f.code == "broken-link")
    assert f.dimension == "accessibility" and f.count == 2
    assert f.share == pytest.approx(2 / len(r.distributions))
    assert "HTTP 404" in (f.examples[0].value or "") and "timeout" in (f.examples[1].value or "")
    assert a.stars[0] == 0 and a.stars[1] == 0  # broken links have no stars


def test_a_dataset_without_distributions() -> None:
    r = one("ckan-data-gov-uk/package_show_aggregates-levy_no-resources.json")
    a = assess(r, TODAY)
    found = {f.code: f for f in a.findings}
    assert found["no-distribution"].dimension == "accessibility"
    assert a.results[2].code == "openness" and a.results[2].status == "not-applicable"
    card = score_table(a.results, Metrics())
    assert card.dimensions["accessibility"].score == 0


def test_catalog_value_is_points_times_share() -> None:
    records = list(harvest(str(CATALOGS / "ckan-dados-gov-br" / "package_search_q-all_rows800.json.gz")))
    results = [evaluate(r) for r in records]
    cat = catalog_mqa(results)
    with_keywords = sum(1 for r in records if r.keywords)
    assert cat["indicators"]["keyword_usage"]["share"] == round(with_keywords / 800, 4)
    assert cat["indicators"]["keyword_usage"]["points"] == pytest.approx(30 * with_keywords / 800, abs=0.006)
    dists = [d for r in records for d in r.distributions]
    with_format = sum(1 for d in dists if d.format)
    assert len(dists) == 8006 and with_format == 8006 - 236
    assert cat["indicators"]["format"]["points"] == pytest.approx(20 * with_format / 8006, abs=0.006)
    assert cat["indicators"]["access_url_status"] is None
    assert cat["band"] == band_of(cat["score_405"]) and cat["datasets"] == 800


def test_findings_have_the_report_shape() -> None:
    r = one("ckan-data-gov-uk/package_show_ford-crossings_durham.json")
    for f in assess(r, TODAY).findings:
        d = f.to_dict()
        assert set(d) >= FINDING_KEYS
        assert all(set(e) == {"row", "field", "column", "value"} for e in d["examples"])
        assert d["code"] in ALL_CODES


# -- 5-star openness (ckanext-qa) ----------------------------------------------------------------


def test_stars_from_the_content_not_the_declared_format() -> None:
    """ckanext-qa test_tasks: content sniffed as CSV → 3; not downloaded + blank format + no
    extension → 1; a URL ending .xls whose content is not recognised → 2 (format XLS)."""
    open_licence = "http://creativecommons.org/licenses/by/4.0/"
    csv_inside = Distribution(url="http://portal.example/resource/123", format="HTML")
    assert (
        five_star(csv_inside, open_licence, LinkStatus(csv_inside.url or "", 200, sniffed_format="csv")) == 3
    )
    blank = Distribution(url="http://portal.example/resource/abc", format=None)
    assert five_star(blank, open_licence, None) == 1
    xls = Distribution(url="http://portal.example/files/report.xls", format=None)
    assert five_star(xls, open_licence, LinkStatus(xls.url or "", 200, sniffed_format=None)) == 2


@pytest.mark.parametrize(
    ("fmt", "stars"),
    [
        ("PDF", 1),
        ("XLS", 2),
        ("XLSX", 2),
        ("CSV", 3),
        ("JSON", 3),
        (".csv", 3),
        ("zip+csv", 3),
        ("RDF", 4),
        ("TTL", 4),
    ],
)
def test_stars_of_declared_formats(fmt: str, stars: int) -> None:
    assert five_star(Distribution(url="http://x.example/d", format=fmt), "cc-by", None) == stars


def test_no_star_without_an_open_licence_or_a_working_link() -> None:
    d = Distribution(url="http://x.example/d.csv", format="CSV")
    assert five_star(d, "other-closed", None) == 0
    assert five_star(d, None, None) == 0
    assert five_star(d, "cc-by", LinkStatus("http://x.example/d.csv", 404, "download-failed")) == 0
    assert five_star(d, "uk-ogl", LinkStatus("http://x.example/d.csv", 200)) == 3


def test_openness_of_real_records() -> None:
    york = one("ckan-data-gov-uk/package_show_datasets-list_york.json")
    a = assess(york, TODAY)
    assert a.stars and all(0 <= s <= 5 for s in a.stars)
    card = score_table(a.results, Metrics())
    assert card.dimensions["openness"].score == pytest.approx(sum(a.stars) / len(a.stars) * 20, abs=0.01)


# -- timeliness ------------------------------------------------------------------------------------


def monthly(modified: str | None) -> DatasetRecord:
    return DatasetRecord(id="m", title="t", frequency="P1M", modified=modified)


def test_timeliness_against_the_reference_date() -> None:
    fresh = assess(monthly("2024-01-01"), date(2024, 2, 5))
    assert fresh.results[3].status == "pass"
    late = assess(monthly("2024-01-01"), date(2024, 3, 1))
    f = next(f for f in late.findings if f.code == "outdated")
    assert f.dimension == "timeliness" and 0 < f.share < 1 and f.examples[0].value == "2024-01-01"
    very_late = assess(monthly("2024-01-01"), date(2025, 1, 1))
    assert next(f for f in very_late.findings if f.code == "outdated").share == 1
    # no clock inside: the same record judged at two reference dates
    assert assess(monthly("2024-01-01"), date(2024, 2, 5)).results[3].status == "pass"


@pytest.mark.parametrize("freq", [None, "irregular", "continuous", "never", "其他"])
def test_timeliness_not_applicable_without_a_period(freq: str | None) -> None:
    r = DatasetRecord(id="x", frequency=freq, modified="2001-01-01")
    assert assess(r, TODAY).results[3].status == "not-applicable"


def test_timeliness_of_the_data_inside() -> None:
    r = DatasetRecord(id="y", frequency="P1Y", modified="2023-05-01")
    ok = assess(r, date(2023, 6, 1), data_latest=date(2022, 12, 31))
    assert ok.results[3].status == "pass"
    stale = assess(r, date(2023, 6, 1), data_latest=date(2020, 12, 31))
    assert [f.code for f in stale.findings if f.dimension == "timeliness"] == ["stale-content"]


def test_yinchuan_yearly_records_are_outdated_in_2026() -> None:
    records = list(harvest(str(CATALOGS / "cn-open-data-portals" / "ningxia_yinchuan.json")))
    yearly = [r for r in records if r.frequency == "P1Y" and r.modified]
    outdated = [r for r in yearly if "outdated" in codes(r)]
    assert yearly and len(outdated) == sum(
        1
        for r in yearly
        if (TODAY - date.fromisoformat(r.modified[:10])).days > 365.25 * 1.25 + 1  # type: ignore[index]
    )
