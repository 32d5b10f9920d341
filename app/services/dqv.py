"""The same numbers as W3C DQV JSON-LD: a report, a portal report or a catalog run as
``dqv:QualityMeasurement`` nodes (``dqv:isMeasurementOf`` a metric, ``dqv:computedOn`` the dataset
or distribution, ``dqv:value``, ``prov:generatedAtTime``).

Metrics are data.europa.eu's (piveau, ``https://piveau.eu/ns/voc#``) where one measures the same
thing — the HTTP status of a download URL, the MQA points of metadata — and ODQ's own namespace
otherwise (scores 0–100 per dimension, one count metric per finding code). The ``@context`` is
bundled here and never fetched, so the output parses offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from app.errors import NotFound
from app.storage.catalogs import CatalogRuns
from app.storage.repository import Repository

ODQ_NS = "https://w3id.org/odq/ns#"
"""ODQ's namespace for metrics and dimensions with no data.europa.eu counterpart."""
PIVEAU_NS = "https://piveau.eu/ns/voc#"

CONTEXT: dict[str, Any] = {
    "dqv": "http://www.w3.org/ns/dqv#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "pv": PIVEAU_NS,
    "odq": ODQ_NS,
    "dqv:computedOn": {"@type": "@id"},
    "dqv:isMeasurementOf": {"@type": "@id"},
    "dqv:inDimension": {"@type": "@id"},
    "dqv:hasQualityMeasurement": {"@type": "@id"},
    "dcat:downloadURL": {"@type": "@id"},
    "dcat:dataset": {"@type": "@id"},
    "prov:generatedAtTime": {"@type": "xsd:dateTime"},
}

# MQA dimensions of data.europa.eu and their scoring metrics (points, out of 405 in all).
PIVEAU_DIMENSION_SCORING = {
    "findability": "pv:findabilityScoring",
    "accessibility": "pv:accessibilityScoring",
    "interoperability": "pv:interoperabilityScoring",
    "reusability": "pv:reusabilityScoring",
    "contextuality": "pv:contextualityScoring",
}
# Metadata indicators of the MQA (as named by piveau); an indicator of ODQ's metadata checks
# with one of these names is emitted under the piveau IRI, a boolean per dataset.
PIVEAU_INDICATORS = frozenset(
    {
        "accessRightsAvailability",
        "accessRightsVocabularyAlignment",
        "accessUrlStatusCode",
        "byteSizeAvailability",
        "categoryAvailability",
        "contactPointAvailability",
        "dateIssuedAvailability",
        "dateModifiedAvailability",
        "dcatApCompliance",
        "downloadUrlAvailability",
        "downloadUrlStatusCode",
        "formatAvailability",
        "formatMediaTypeMachineInterpretable",
        "formatMediaTypeNonProprietary",
        "formatMediaTypeVocabularyAlignment",
        "keywordAvailability",
        "knownLicence",
        "licenceAvailability",
        "mediaTypeAvailability",
        "publisherAvailability",
        "rightsAvailability",
        "spatialAvailability",
        "temporalAvailability",
    }
)
ODQ_DIMENSIONS = (
    "validity",
    "uniqueness",
    "completeness",
    "consolidation",
    "metadata",
    "openness",
    "accessibility",
    "timeliness",
    "consistency",
)

_CAMEL = re.compile(r"[-_ ]+([a-z0-9])")


def report_dqv(report: Mapping[str, Any]) -> dict[str, Any]:
    """The DQV graph of one report: its overall and dimension scores, one count per finding code,
    and the HTTP status of its download URL when it was fetched."""
    graph = _Graph()
    target = graph.resource(report)
    _report_measurements(graph, report, target)
    return graph.document()


def portal_dqv(portal: Mapping[str, Any]) -> dict[str, Any]:
    """The DQV graph of a portal report: the portal's score, its portal-level findings, and each
    dataset's score (the portal is a ``dcat:Catalog`` holding the datasets)."""
    graph = _Graph()
    name = str(portal.get("name") or portal.get("id") or "portal")
    catalog = f"urn:odq:portal:{quote(str(portal.get('id') or name), safe='')}"
    when = portal.get("created_at") or portal.get("scored_at") or portal.get("updated_at")
    datasets = list(portal.get("datasets") or [])
    node: dict[str, Any] = {"@id": catalog, "@type": "dcat:Catalog", "dct:title": name}
    dataset_ids = []
    for ds in datasets:
        ds_id = _dataset_iri(ds.get("url") or ds.get("name"), ds.get("id") or ds.get("key"))
        dataset_ids.append(ds_id)
        graph.add({"@id": ds_id, "@type": "dcat:Dataset", "dct:title": ds.get("title") or ds.get("name")})
        if ds.get("score") is not None:
            graph.measure(ds_id, "odq:score", ds["score"], "xsd:double", when)
    node["dcat:dataset"] = dataset_ids
    graph.add(node)
    if portal.get("score") is not None:
        graph.measure(catalog, "odq:score", portal["score"], "xsd:double", when)
    for key, dim in (portal.get("dimensions") or {}).items():
        if isinstance(dim, Mapping) and dim.get("score") is not None:
            graph.measure(catalog, f"odq:{_camel(key)}Score", dim["score"], "xsd:double", when, dimension=key)
    _finding_counts(graph, catalog, portal.get("findings") or [], when)
    _mqa(graph, catalog, portal.get("mqa") or portal.get("metadata_quality"), when)
    return graph.document()


def run_dqv(repo: Repository, run_id: str) -> dict[str, Any]:
    """The DQV graph of a catalog run: per dataset its data report's measurements (when one was
    scored) and the status of its download URL."""
    runs = CatalogRuns(repo.store)
    run = runs.get_run(run_id)
    if run is None:
        raise NotFound(f"No job with id {run_id!r}.", code="job-not-found")
    graph = _Graph()
    catalog = f"urn:odq:run:{run_id}"
    when = _iso(run["finished_at"] or run["started_at"] or run["created_at"])
    dataset_ids = []
    for item in runs.items(run_id):
        record = item["record"]
        ds_id = _dataset_iri(record.get("landing_page"), f"{run_id}/{item['key']}")
        dataset_ids.append(ds_id)
        node: dict[str, Any] = {"@id": ds_id, "@type": "dcat:Dataset", "dct:identifier": item["key"]}
        if item["title"]:
            node["dct:title"] = item["title"]
        report = repo.get_report(item["report_id"]) if item["report_id"] else None
        if report is not None:
            dist = graph.resource(report)
            node["dcat:distribution"] = {"@id": dist}
            _report_measurements(graph, report, dist)
            graph.measure(ds_id, "odq:score", report["score"], "xsd:double", report.get("created_at"))
        elif item["url"]:
            graph.measure(ds_id, "pv:downloadUrlAvailability", True, "xsd:boolean", when)
        if item["error_code"] and report is None:
            graph.measure(ds_id, f"odq:{_camel(item['error_code'])}", 1, "xsd:integer", when)
        graph.add(node)
    graph.add(
        {
            "@id": catalog,
            "@type": "dcat:Catalog",
            "dct:source": run["source"],
            "dcat:dataset": dataset_ids,
        }
    )
    return graph.document()


# -- internals ----------------------------------------------------------------------------------


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.metrics: dict[str, dict[str, Any]] = {}
        self._n = 0

    def add(self, node: dict[str, Any]) -> None:
        self.nodes.append({k: v for k, v in node.items() if v is not None})

    def resource(self, report: Mapping[str, Any]) -> str:
        """The IRI of the scored distribution: its URL, else its content (sha256), else the report."""
        source = report.get("source") or {}
        url = source.get("url")
        if url and _absolute(url):
            iri = str(url)
        elif source.get("sha256"):
            iri = f"urn:odq:sha256:{source['sha256']}"
        else:
            iri = f"urn:odq:report:{report.get('id')}"
        node: dict[str, Any] = {"@id": iri, "@type": "dcat:Distribution", "dct:title": source.get("name")}
        if url and _absolute(url):
            node["dcat:downloadURL"] = str(url)
        if source.get("format") and source.get("format") != "none":
            node["dct:format"] = source["format"]
        self.add(node)
        return iri

    def measure(
        self,
        target: str,
        metric: str,
        value: Any,
        datatype: str,
        when: Any,
        *,
        dimension: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        self._n += 1
        node_id = (
            f"{target}#m{self._n}"
            if target.startswith("urn:")
            else f"urn:odq:m:{self._n}:{quote(target, safe='')}"
        )
        literal: Any = {"@value": value, "@type": datatype}
        if datatype == "xsd:boolean":
            literal = {"@value": "true" if value else "false", "@type": datatype}
        node: dict[str, Any] = {
            "@id": node_id,
            "@type": "dqv:QualityMeasurement",
            "dqv:isMeasurementOf": metric,
            "dqv:computedOn": target,
            "dqv:value": literal,
        }
        if when:
            node["prov:generatedAtTime"] = _iso(when)
        if extra:
            node.update(extra)
        self.add(node)
        self._metric(metric, datatype, dimension)
        return node_id

    def _metric(self, metric: str, datatype: str, dimension: str | None) -> None:
        if metric in self.metrics:
            return
        node: dict[str, Any] = {
            "@id": metric,
            "@type": "dqv:Metric",
            "dqv:expectedDataType": {"@id": datatype},
        }
        if dimension:
            node["dqv:inDimension"] = f"odq:{_camel(dimension)}"
        self.metrics[metric] = node

    def document(self) -> dict[str, Any]:
        dims = {str(m["dqv:inDimension"]) for m in self.metrics.values() if m.get("dqv:inDimension")}
        dimension_nodes = [{"@id": d, "@type": "dqv:Dimension"} for d in sorted(dims)]
        return {"@context": CONTEXT, "@graph": self.nodes + list(self.metrics.values()) + dimension_nodes}


def _report_measurements(graph: _Graph, report: Mapping[str, Any], target: str) -> None:
    when = report.get("created_at")
    graph.measure(
        target,
        "odq:score",
        float(report.get("score") or 0.0),
        "xsd:double",
        when,
        extra={"odq:band": report.get("band"), "odq:scoringVersion": report.get("scoring_version")},
    )
    for key, dim in (report.get("dimensions") or {}).items():
        if isinstance(dim, Mapping) and dim.get("score") is not None:
            graph.measure(
                target, f"odq:{_camel(key)}Score", float(dim["score"]), "xsd:double", when, dimension=key
            )
    _finding_counts(graph, target, report.get("findings") or [], when)
    source = report.get("source") or {}
    if source.get("url") and _absolute(source["url"]):
        status = source.get("http_status")
        if status is None and report.get("fatal") != "download-failed":
            status = 200
        if status is not None:
            graph.measure(target, "pv:downloadUrlStatusCode", int(status), "xsd:integer", when)
    _mqa(graph, target, report.get("mqa") or report.get("metadata_quality"), when)


def _finding_counts(graph: _Graph, target: str, findings: Iterable[Mapping[str, Any]], when: Any) -> None:
    for f in findings:
        code = str(f.get("code") or "")
        if not code:
            continue
        graph.measure(
            target,
            f"odq:{_camel(code)}",
            int(f.get("count") or 0),
            "xsd:integer",
            when,
            dimension=f.get("dimension"),
            extra={
                "odq:share": f.get("share"),
                "odq:pointsLost": f.get("points_lost"),
                "odq:code": code,
            },
        )


def _mqa(graph: _Graph, target: str, mqa: Any, when: Any) -> None:
    """MQA points and indicators, under piveau's IRIs, when the metadata checks measured them:
    ``{"score": points, "dimensions": {findability: points, …}, "indicators": {name: bool}}``."""
    if not isinstance(mqa, Mapping):
        return
    if mqa.get("score") is not None:
        graph.measure(target, "pv:scoring", mqa["score"], "xsd:double", when)
    for dim, points in (mqa.get("dimensions") or {}).items():
        value = points.get("score") if isinstance(points, Mapping) else points
        if dim in PIVEAU_DIMENSION_SCORING and value is not None:
            graph.measure(target, PIVEAU_DIMENSION_SCORING[dim], value, "xsd:double", when)
    for name, met in (mqa.get("indicators") or {}).items():
        value = met.get("met") if isinstance(met, Mapping) else met
        metric = f"pv:{name}" if name in PIVEAU_INDICATORS else f"odq:{_camel(name)}"
        if isinstance(value, bool):
            graph.measure(target, metric, value, "xsd:boolean", when)
        elif isinstance(value, int | float):
            graph.measure(target, metric, value, "xsd:double", when)


def _dataset_iri(url: Any, key: Any) -> str:
    if url and _absolute(str(url)):
        return str(url)
    return f"urn:odq:dataset:{quote(str(key), safe='/')}"


def _absolute(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _camel(code: str) -> str:
    """``download-failed`` → ``downloadFailed`` (metric local names)."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), code.strip().lower())


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if hasattr(moment, "isoformat"):
        text = moment.isoformat()
        return text if moment.tzinfo is not None else text + "Z"
    return str(moment)
