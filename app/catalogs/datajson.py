"""Project Open Data ``data.json`` (DCAT-US 1.1). ``accrualPeriodicity`` is an ISO 8601
repeating duration (``R/P1Y``) or ``irregular``; kept normalised (``P1Y``). A record without an
``identifier`` is kept (its id is made from its position, marked in ``raw``) so the metadata
checks can report it, as the GSA harvester does, instead of dropping it silently."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from app.catalogs.common import CatalogError, format_name, frequency, iso_date, str_list, text
from app.ingest.fetch import Fetcher
from profilers.record import DatasetRecord, Distribution

NO_IDENTIFIER = "_odq_no_identifier"


def is_datajson(body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("dataset"), list):
        return False
    marks = " ".join(str(body.get(k) or "") for k in ("conformsTo", "describedBy", "@context"))
    if "project-open-data" in marks:
        return True
    first = next((d for d in body["dataset"] if isinstance(d, dict)), {})
    return any(k in first for k in ("accessLevel", "bureauCode", "programCode", "contactPoint"))


def _contact(value: Any) -> str | None:
    if isinstance(value, dict):
        email = text(value.get("hasEmail"))
        if email and email.lower().startswith("mailto:"):
            email = email[7:]
        return email or text(value.get("fn"))
    return text(value)


def record_from_dataset(ds: dict[str, Any], position: int) -> DatasetRecord:
    ident = text(ds.get("identifier"))
    raw = ds
    if not ident:
        raw = {**ds, NO_IDENTIFIER: True}
    distributions = []
    for dist in ds.get("distribution") or []:
        if not isinstance(dist, dict):
            continue
        distributions.append(
            Distribution(
                url=text(dist.get("downloadURL")) or text(dist.get("accessURL")),
                access_url=text(dist.get("accessURL")),
                title=text(dist.get("title")),
                format=format_name(dist.get("format")) or format_name(dist.get("mediaType")),
                media_type=text(dist.get("mediaType")),
                licence=text(dist.get("license")),
                raw=dist,
            )
        )
    return DatasetRecord(
        id=ident or f"record-{position + 1}",
        title=text(ds.get("title")),
        description=text(ds.get("description")),
        publisher=text(ds.get("publisher")),
        licence=text(ds.get("license")),
        modified=iso_date(ds.get("modified")) or text(ds.get("modified")),
        issued=iso_date(ds.get("issued")),
        frequency=frequency(ds.get("accrualPeriodicity")),
        keywords=str_list(ds.get("keyword")),
        themes=str_list(ds.get("theme")),
        spatial=text(ds.get("spatial")),
        temporal=text(ds.get("temporal")),
        landing_page=text(ds.get("landingPage")),
        contact=_contact(ds.get("contactPoint")),
        distributions=distributions,
        source_kind="datajson",
        raw=raw,
    )


def parse_datajson(body: Any) -> list[DatasetRecord]:
    if isinstance(body, list):  # data.json v1.0 was a bare list of datasets
        datasets = body
    elif isinstance(body, dict) and isinstance(body.get("dataset"), list):
        datasets = body["dataset"]
    else:
        raise CatalogError("invalid-catalog", "not a data.json catalog (no 'dataset' list)")
    return [record_from_dataset(d, i) for i, d in enumerate(datasets) if isinstance(d, dict)]


def datajson_url(source: str) -> str:
    parts = urlsplit(source)
    if parts.path.endswith(".json"):
        return source
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/data.json"


def harvest_datajson(source: str, fetcher: Fetcher) -> Iterator[DatasetRecord]:
    yield from parse_datajson(fetcher.get_json(datajson_url(source)))
