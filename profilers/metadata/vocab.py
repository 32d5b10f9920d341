"""Controlled vocabularies the metadata checks compare against: file formats (the EU file-type
authority names), which formats are machine-readable or non-proprietary (as data.europa.eu's MQA
lists them), the 5-star openness of each format (ckanext-qa's scores), licences known to be open,
and update frequencies as durations."""

from __future__ import annotations

import re
from functools import lru_cache

# Format names of the EU file-type authority list that portals use (upper case, normalised).
KNOWN_FORMATS = frozenset(
    [
        "CSV",
        "TSV",
        "JSON",
        "JSON_LD",
        "JSONLD",
        "GEOJSON",
        "XML",
        "RDF",
        "RDF_XML",
        "TTL",
        "TURTLE",
        "N3",
        "NT",
        "NQUADS",
        "XLS",
        "XLSX",
        "ODS",
        "PDF",
        "DOC",
        "DOCX",
        "ODT",
        "TXT",
        "HTML",
        "ZIP",
        "GZIP",
        "TAR",
        "7Z",
        "RAR",
        "SHP",
        "KML",
        "KMZ",
        "GML",
        "GPKG",
        "WMS",
        "WFS",
        "WMTS",
        "WCS",
        "API",
        "SPARQL",
        "PARQUET",
        "AVRO",
        "NETCDF",
        "HDF5",
        "JPEG",
        "JPG",
        "PNG",
        "TIFF",
        "GIF",
        "SVG",
        "MP3",
        "MP4",
        "PPT",
        "PPTX",
        "ODP",
        "MDB",
        "ACCDB",
        "DBF",
        "SQL",
        "XSD",
        "ATOM",
        "RSS",
        "ICS",
        "GTFS",
        "OSM",
        "DWG",
        "DXF",
        "ESRI_SHAPE",
        "ARCGIS",
        "GRID",
        "ASCII",
    ]
)
# Machine-readable formats (MQA "machine readable"): structured data a program can parse.
MACHINE_READABLE = frozenset(
    [
        "CSV",
        "TSV",
        "JSON",
        "JSON_LD",
        "JSONLD",
        "GEOJSON",
        "XML",
        "RDF",
        "RDF_XML",
        "TTL",
        "TURTLE",
        "N3",
        "NT",
        "NQUADS",
        "XLS",
        "XLSX",
        "ODS",
        "SHP",
        "KML",
        "KMZ",
        "GML",
        "GPKG",
        "WMS",
        "WFS",
        "WMTS",
        "WCS",
        "API",
        "SPARQL",
        "PARQUET",
        "AVRO",
        "NETCDF",
        "HDF5",
        "DBF",
        "MDB",
        "ACCDB",
        "SQL",
        "ATOM",
        "RSS",
        "ICS",
        "GTFS",
        "OSM",
    ]
)
# Non-proprietary formats (MQA "non-proprietary"): an open specification, no single vendor.
NON_PROPRIETARY = frozenset(
    [
        "CSV",
        "TSV",
        "JSON",
        "JSON_LD",
        "JSONLD",
        "GEOJSON",
        "XML",
        "RDF",
        "RDF_XML",
        "TTL",
        "TURTLE",
        "N3",
        "NT",
        "NQUADS",
        "ODS",
        "ODT",
        "ODP",
        "TXT",
        "HTML",
        "PDF",
        "ZIP",
        "GZIP",
        "TAR",
        "7Z",
        "KML",
        "GML",
        "GPKG",
        "WMS",
        "WFS",
        "WMTS",
        "WCS",
        "PARQUET",
        "AVRO",
        "NETCDF",
        "HDF5",
        "PNG",
        "SVG",
        "ATOM",
        "RSS",
        "ICS",
        "GTFS",
        "OSM",
        "SPARQL",
        "API",
    ]
)
# 5-star openness of a format when the licence is open and the link works (ckanext-qa's table):
# 1 on the web, 2 structured, 3 non-proprietary structured, 4 URIs/RDF, 5 linked data.
FORMAT_STARS = {
    **{f: 2 for f in ("XLS", "XLSX", "DBF", "MDB", "ACCDB", "SHP", "DOC", "DOCX")},
    **{
        f: 3
        for f in (
            "CSV",
            "TSV",
            "JSON",
            "GEOJSON",
            "XML",
            "ODS",
            "KML",
            "GML",
            "GPKG",
            "PARQUET",
            "NETCDF",
            "ATOM",
            "RSS",
            "ICS",
            "WFS",
            "WMS",
            "API",
        )
    },
    **{f: 4 for f in ("RDF", "RDF_XML", "TTL", "TURTLE", "N3", "NT", "NQUADS", "JSON_LD", "JSONLD")},
    "SPARQL": 5,
}
# Open licences (lower-case substrings of an id, URL or title); CKAN ids, SPDX ids, EU licence IRIs.
OPEN_LICENCES = (
    "cc0",
    "cc-zero",
    "publicdomain",
    "public-domain",
    "public domain",
    "pddl",
    "cc-by",
    "cc_by",
    "creativecommons.org/licenses/by",
    "creative commons attribution",
    "odc-by",
    "odc-odbl",
    "odbl",
    "opendatacommons.org",
    "uk-ogl",
    "open-government-licence",
    "open government licence",
    "ogl",
    "dl-de/by",
    "dl-de-by",
    "dl-de/zero",
    "dl-de-zero",
    "etalab",
    "licence-ouverte",
    "open licence",
    "gfdl",
    "apache",
    "usa.gov/publicdomain",
    "usa.gov/government-works",
    "other-open",
    "other-pd",
    "other-at",
)
CLOSED_LICENCES = (
    "notspecified",
    "not specified",
    "other-closed",
    "other-nc",
    "-nc",
    "noncommercial",
    "all rights",
)
# Licence vocabularies (MQA "licence vocabulary"): a recognised licence IRI or id.
LICENCE_VOCAB = (
    "publications.europa.eu/resource/authority/licence/",
    "spdx.org/licenses/",
    "creativecommons.org/",
    "opendatacommons.org/",
    "dcat-ap.de/def/licenses/",
    "nationalarchives.gov.uk/doc/open-government-licence",
    "usa.gov/publicdomain",
    "data.gov.au/",
    "opendefinition.org/",
)
CKAN_LICENCE_IDS = frozenset(
    [
        "cc-by",
        "cc-by-sa",
        "cc-zero",
        "cc-nc",
        "odc-by",
        "odc-odbl",
        "odc-pddl",
        "uk-ogl",
        "gfdl",
        "other-at",
        "other-pd",
        "other-open",
        "other-closed",
        "other-nc",
        "notspecified",
    ]
)
ACCESS_VOCAB = (
    "publications.europa.eu/resource/authority/access-right/",
    "public",
    "restricted public",
    "non-public",
    "无条件开放",
    "有条件开放",
    "不予开放",
)

# Durations of normalised frequencies, in days.
_UNIT_DAYS = {"Y": 365.25, "M": 30.44, "W": 7.0, "D": 1.0}


_DURATION = re.compile(
    r"P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)


@lru_cache(maxsize=1024)
def frequency_days(freq: str | None) -> float | None:
    """Days between updates a normalised frequency promises; None when unknown, irregular,
    continuous or never (those cannot be late)."""
    if not freq:
        return None
    m = _DURATION.fullmatch(freq.upper())
    if not m or not any(m.groups()):
        return None
    y, mo, w, d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    days = y * 365.25 + mo * 30.44 + w * 7 + d + h / 24 + mi / 1440 + s / 86400
    return days if days > 0 else None


@lru_cache(maxsize=4096)
def norm_format(fmt: str | None) -> str | None:
    if not fmt:
        return None
    f = fmt.strip().upper().lstrip(".").replace("-", "_").replace(" ", "_")
    aliases = {
        "JSON_LD": "JSON_LD",
        "JSONLD": "JSON_LD",
        "TURTLE": "TTL",
        "RDF_XML": "RDF",
        "ESRI_SHAPEFILE": "SHP",
        "SHAPEFILE": "SHP",
        "JPG": "JPEG",
        "GEO_JSON": "GEOJSON",
        "GEOJSON": "GEOJSON",
    }
    if "+" in f:  # ZIP+CSV: the format inside the container decides
        parts = [p for p in f.split("+") if p not in ("ZIP", "GZIP", "GZ")]
        f = parts[-1] if parts else "ZIP"
    return aliases.get(f, f)


@lru_cache(maxsize=4096)
def licence_is_open(licence: str | None, ckan_isopen: bool | None = None) -> bool:
    if ckan_isopen is not None:
        return ckan_isopen
    if not licence:
        return False
    low = licence.lower()
    if any(c in low for c in CLOSED_LICENCES):
        return False
    return any(o in low for o in OPEN_LICENCES) or re.search(r"\bmit\b", low) is not None


@lru_cache(maxsize=4096)
def licence_in_vocab(licence: str | None) -> bool:
    if not licence:
        return False
    low = licence.lower().strip()
    return low in CKAN_LICENCE_IDS or any(v in low for v in LICENCE_VOCAB)
