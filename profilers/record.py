"""The one internal record every catalog adapter produces (CKAN, DCAT-AP, data.json, Socrata,
OpenDataSoft, manifests, a folder of files). Scoring, the portal pass and the metadata checks
read only this; ``raw`` keeps the source record so a rerun needs no re-harvest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Distribution:
    """One downloadable form of a dataset (a CSV, an XLSX, an API endpoint)."""

    url: str | None = None  # download URL, else access URL
    access_url: str | None = None
    title: str | None = None
    format: str | None = None  # as declared by the catalog (the content decides later)
    media_type: str | None = None
    size: int | None = None  # bytes, as declared
    modified: str | None = None  # ISO 8601 as declared
    licence: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DatasetRecord:
    """One dataset of a catalog, in the vocabulary of DCAT (fields a source lacks stay None)."""

    id: str  # stable within its catalog: the source's identifier, else its landing page or URL
    title: str | None = None
    description: str | None = None
    publisher: str | None = None
    licence: str | None = None
    modified: str | None = None  # ISO 8601 as declared
    issued: str | None = None
    frequency: str | None = None  # normalised where known (e.g. ISO 8601 duration or DCAT frequency IRI)
    keywords: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    spatial: str | None = None
    temporal: str | None = None
    landing_page: str | None = None
    contact: str | None = None
    distributions: list[Distribution] = field(default_factory=list)
    source_kind: str = ""  # ckan | dcat | datajson | socrata | ods | manifest | dir
    raw: dict[str, Any] = field(default_factory=dict)
