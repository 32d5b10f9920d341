"""DCAT and DCAT-AP in JSON-LD, RDF/XML or Turtle, read with rdflib; Hydra paging
(``hydra:next``/``hydra:nextPage``) followed when harvesting a URL.

JSON-LD contexts are never fetched: a context given by URL is replaced by a bundled one
(``contexts/pod-v1.1.jsonld`` for Project Open Data, ``contexts/dcat-ap.jsonld`` otherwise, which
declares the usual prefixes). A document that only works with a remote context therefore keeps
its full IRIs and prefixed terms, and plain terms outside the bundled contexts are dropped, as
JSON-LD drops unknown terms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from app.catalogs.common import (
    CatalogError,
    format_name,
    frequency,
    is_url,
    iso_date,
    read_bytes,
    text,
    to_int,
)
from app.ingest.fetch import Fetcher
from profilers import jsontext
from profilers.record import DatasetRecord, Distribution

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCT_HASH = Namespace("http://purl.org/dc/terms/#")  # a misspelling found in real POD JSON-LD
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
TIME = Namespace("http://www.w3.org/2006/time#")
SCHEMA = Namespace("http://schema.org/")

MAX_PAGES = 10_000


@cache
def _bundled(name: str) -> dict[str, Any]:
    data = resources.files("app.catalogs").joinpath("contexts", name).read_text("utf-8")
    ctx: dict[str, Any] = json.loads(data)["@context"]
    return ctx


def _context_for(url: str) -> dict[str, Any]:
    if "project-open-data" in url:
        return _bundled("pod-v1.1.jsonld")
    return _bundled("dcat-ap.jsonld")


def _localise_contexts(node: Any) -> Any:
    """Replace every remote ``@context`` (a URL string, or URLs in a list) by a bundled one."""
    if isinstance(node, list):
        return [_localise_contexts(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "@context":
            out[key] = _local_context(value)
        else:
            out[key] = _localise_contexts(value)
    return out


def _local_context(value: Any) -> Any:
    if isinstance(value, str):
        return _context_for(value)
    if isinstance(value, list):
        return [_local_context(v) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "@import"}
    return value


def graph_from_bytes(data: bytes, hint: str = "") -> Graph:
    """Parse DCAT bytes: JSON-LD (contexts bundled), RDF/XML or Turtle, chosen by content."""
    head = data.lstrip()[:1]
    g = Graph()
    try:
        if head in (b"{", b"["):
            doc = _localise_contexts(jsontext.loads(data.decode("utf-8-sig")))
            g.parse(data=json.dumps(doc), format="json-ld")
        elif head == b"<" or hint.endswith((".rdf", ".xml", ".owl")):
            g.parse(data=data, format="xml")
        else:
            g.parse(data=data.decode("utf-8-sig"), format="turtle")
    except CatalogError:
        raise
    except Exception as exc:  # rdflib raises many parser errors
        raise CatalogError(
            "invalid-catalog", f"not readable as RDF (JSON-LD, RDF/XML or Turtle): {exc}"
        ) from exc
    return g


def _pick_literal(values: list[Node]) -> str | None:
    """One value of a possibly multilingual property: no language tag, then English, then the
    first language in sort order (deterministic)."""
    if not values:
        return None

    def rank(v: Node) -> tuple[int, str, str]:
        lang = v.language if isinstance(v, Literal) and v.language else ""
        return (0 if not lang else 1 if lang.startswith("en") else 2, lang, str(v))

    return text(str(sorted(values, key=rank)[0]))


class _Reader:
    def __init__(self, g: Graph) -> None:
        self.g = g

    def objs(self, s: Node, *preds: URIRef) -> list[Node]:
        out: list[Node] = []
        for p in preds:
            out.extend(self.g.objects(s, p))
        return out

    def lit(self, s: Node, *preds: URIRef) -> str | None:
        return _pick_literal(self.objs(s, *preds))

    def label(self, node: Node) -> str | None:
        """A readable name for a node: its literal, its name/label, else its IRI."""
        if isinstance(node, Literal):
            return text(str(node))
        got = self.lit(node, FOAF.name, SKOS.prefLabel, RDFS.label, VCARD.fn, DCT.title, SCHEMA.name)
        if got:
            return got
        return str(node) if isinstance(node, URIRef) else None

    def first_label(self, s: Node, *preds: URIRef) -> str | None:
        for node in self.objs(s, *preds):
            got = self.label(node)
            if got:
                return got
        return None

    def iri_or_label(self, s: Node, *preds: URIRef) -> str | None:
        for node in self.objs(s, *preds):
            if isinstance(node, URIRef):
                return str(node)
            got = self.label(node)
            if got:
                return got
        return None

    def frequency(self, s: Node) -> str | None:
        for node in self.objs(s, DCT.accrualPeriodicity):
            described = isinstance(node, BNode) or any(True for _ in self.g.predicate_objects(node))
            if isinstance(node, Literal) or (isinstance(node, URIRef) and not described):
                got = frequency(str(node))
                if got:
                    return got
            # a dct:Frequency node with rdf:value → time:DurationDescription (time:years 1 …)
            for value in [*list(self.g.objects(node, RDF.value)), node]:
                parts = []
                for unit, letter in (
                    (TIME.years, "Y"),
                    (TIME.months, "M"),
                    (TIME.weeks, "W"),
                    (TIME.days, "D"),
                ):
                    for v in self.g.objects(value, unit):
                        n = float(str(v))
                        parts.append(f"{n:g}{letter}")
                hours = [float(str(v)) for v in self.g.objects(value, TIME.hours)]
                if parts or hours:
                    return "P" + "".join(parts) + (f"T{hours[0]:g}H" if hours else "")
            got = self.lit(node, RDF.value, SKOS.prefLabel, RDFS.label)
            if got:
                return frequency(got)
        return None

    def contact(self, s: Node) -> str | None:
        for node in self.objs(s, DCAT.contactPoint, ADMS.contactPoint):
            if isinstance(node, Literal):
                return text(str(node))
            email = self.iri_or_label(node, VCARD.hasEmail, FOAF.mbox)
            if email:
                return email[7:] if email.lower().startswith("mailto:") else email
            got = self.label(node)
            if got:
                return got
        return None

    def format(self, d: Node) -> tuple[str | None, str | None]:
        fmt = None
        for node in self.objs(d, DCT["format"]):
            if isinstance(node, BNode) or any(True for _ in self.g.predicate_objects(node)):
                fmt = format_name(self.lit(node, RDFS.label, SKOS.prefLabel, RDF.value))
            else:
                fmt = format_name(str(node))
            if fmt:
                break
        media = None
        for node in self.objs(d, DCAT.mediaType):
            media = str(node).rsplit("media-types/", 1)[-1] if isinstance(node, URIRef) else text(str(node))
            if media:
                break
        return fmt or format_name(media), media

    def distribution(self, d: Node) -> Distribution:
        fmt, media = self.format(d)
        download = self.iri_or_label(d, DCAT.downloadURL)
        access = self.iri_or_label(d, DCAT.accessURL)
        size = None
        for v in self.objs(d, DCAT.byteSize):
            size = to_int(str(v))
        return Distribution(
            url=download or access,
            access_url=access,
            title=self.lit(d, DCT.title),
            format=fmt,
            media_type=media,
            size=size,
            modified=iso_date(self.lit(d, DCT.modified)),
            licence=self.iri_or_label(d, DCT.license, DCT_HASH.license),
            raw=self.raw(d),
        )

    def raw(self, s: Node) -> dict[str, Any]:
        """The subject's triples as ``{predicate IRI: [values]}`` (JSON-able; blank nodes nested one level)."""
        out: dict[str, list[Any]] = {}
        for p, o in sorted(self.g.predicate_objects(s), key=lambda po: (str(po[0]), str(po[1]))):
            value: Any
            if isinstance(o, BNode):
                value = {str(p2): str(o2) for p2, o2 in self.g.predicate_objects(o)}
            else:
                value = str(o)
            out.setdefault(str(p), []).append(value)
        if isinstance(s, URIRef):
            out["@id"] = [str(s)]
        return out

    def dataset(self, s: Node) -> DatasetRecord:
        dists = [self.distribution(d) for d in sorted(self.objs(s, DCAT.distribution), key=str)]
        ident = self.lit(s, DCT.identifier, DCAT.identifier) or (str(s) if isinstance(s, URIRef) else None)
        licence = self.iri_or_label(s, DCT.license, DCT_HASH.license) or next(
            (d.licence for d in dists if d.licence), None
        )
        spatial = None
        for node in self.objs(s, DCT.spatial):
            spatial = self.label(node) or self.iri_or_label(node, DCAT.bbox, DCAT.centroid)
            if spatial:
                break
        if spatial is None and self.objs(s, DCT.spatial):
            spatial = "declared"
        temporal = None
        for node in self.objs(s, DCT.temporal):
            if isinstance(node, Literal):
                temporal = str(node)
            else:
                start = self.lit(node, DCAT.startDate, SCHEMA.startDate)
                end = self.lit(node, DCAT.endDate, SCHEMA.endDate)
                temporal = "/".join(x for x in (start, end) if x) or "declared"
        return DatasetRecord(
            id=ident or "",
            title=self.lit(s, DCT.title),
            description=self.lit(s, DCT.description),
            publisher=self.first_label(s, DCT.publisher),
            licence=licence,
            modified=iso_date(self.lit(s, DCT.modified)),
            issued=iso_date(self.lit(s, DCT.issued)),
            frequency=self.frequency(s),
            keywords=sorted({k for k in (text(str(v)) for v in self.objs(s, DCAT.keyword)) if k}),
            themes=sorted({t for t in (self.label(v) for v in self.objs(s, DCAT.theme)) if t}),
            spatial=spatial,
            temporal=temporal,
            landing_page=self.iri_or_label(s, DCAT.landingPage),
            contact=self.contact(s),
            distributions=dists,
            source_kind="dcat",
            raw=self.raw(s),
        )


def records_from_graph(g: Graph) -> list[DatasetRecord]:
    reader = _Reader(g)
    subjects = sorted(set(g.subjects(RDF.type, DCAT.Dataset)), key=str)
    return [reader.dataset(s) for s in subjects]


def next_page(g: Graph) -> str | None:
    for pred in (HYDRA.next, HYDRA.nextPage):
        for o in g.objects(None, pred):
            return str(o)
    return None


def parse_dcat(data: bytes, hint: str = "") -> list[DatasetRecord]:
    """Records from one DCAT document (bytes of JSON-LD, RDF/XML or Turtle)."""
    return records_from_graph(graph_from_bytes(data, hint))


def harvest_dcat(source: str, fetcher: Fetcher | None) -> Iterator[DatasetRecord]:
    url: str | None = source
    seen: set[str] = set()
    pages = 0
    while url and url not in seen and pages < MAX_PAGES:
        seen.add(url)
        pages += 1
        g = graph_from_bytes(read_bytes(url, fetcher), url)
        yield from records_from_graph(g)
        nxt = next_page(g)
        if nxt is None or not is_url(nxt):
            return
        url = nxt
