"""Socrata: the Discovery API (``/api/catalog/v1``, paged with ``limit``/``offset``). Each
dataset's distribution is its CSV export (``/api/views/{id}/rows.csv?accessType=DOWNLOAD``).
The domain's ``data.json`` is read by the data.json adapter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.catalogs.common import CatalogError, frequency, iso_date, str_list, text, to_int
from app.ingest.fetch import Fetcher
from profilers.record import DatasetRecord, Distribution

PAGE = 100
TABULAR = {"dataset", "filter"}


def is_socrata(body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return False
    first = next((r for r in body["results"] if isinstance(r, dict)), None)
    return first is not None and "resource" in first and ("classification" in first or "metadata" in first)


def record_from_result(item: dict[str, Any]) -> DatasetRecord:
    res = item.get("resource") or {}
    meta = item.get("metadata") or {}
    cls = item.get("classification") or {}
    domain = text(meta.get("domain"))
    rid = text(res.get("id")) or ""
    dists = []
    if domain and rid and text(res.get("type")) in TABULAR:
        dists.append(
            Distribution(
                url=f"https://{domain}/api/views/{rid}/rows.csv?accessType=DOWNLOAD",
                access_url=f"https://{domain}/resource/{rid}.json",
                title="CSV export",
                format="CSV",
                media_type="text/csv",
                modified=iso_date(res.get("data_updated_at") or res.get("updatedAt")),
            )
        )
    owner_meta = {
        str(m.get("key")): m.get("value") for m in cls.get("domain_metadata") or [] if isinstance(m, dict)
    }
    freq = None
    for key, value in owner_meta.items():
        if "frequency" in key.lower() or "periodicity" in key.lower():
            freq = frequency(value)
            break
    return DatasetRecord(
        id=rid or text(item.get("permalink")) or "",
        title=text(res.get("name")),
        description=text(res.get("description")),
        publisher=text(res.get("attribution")) or text(owner_meta.get("Data-Owner_Owner")) or domain,
        licence=text(meta.get("license")),
        modified=iso_date(res.get("updatedAt") or res.get("data_updated_at")),
        issued=iso_date(res.get("createdAt")),
        frequency=freq,
        keywords=str_list(cls.get("domain_tags")) + str_list(cls.get("tags")),
        themes=str_list(cls.get("domain_category")) or str_list(cls.get("categories")),
        landing_page=text(item.get("permalink")) or text(item.get("link")),
        contact=None,
        distributions=dists,
        source_kind="socrata",
        raw=item,
    )


def parse_socrata(body: Any) -> list[DatasetRecord]:
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise CatalogError("invalid-catalog", "not a Socrata Discovery API response (no 'results')")
    if "error" in body:
        raise CatalogError("catalog-error", f"Socrata answered an error: {body['error']}")
    return [record_from_result(r) for r in body["results"] if isinstance(r, dict)]


def harvest_socrata(source: str, fetcher: Fetcher) -> Iterator[DatasetRecord]:
    parts = urlsplit(source)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    base = f"{parts.scheme}://{parts.netloc}/api/catalog/v1"
    if "/api/catalog/v1" not in parts.path:
        query.setdefault("domains", parts.hostname or "")
        query.setdefault("search_context", parts.hostname or "")
    query.setdefault("order", "createdAt")  # stable: datasets created later land on later pages
    offset = to_int(query.pop("offset", 0)) or 0
    limit = to_int(query.pop("limit", PAGE)) or PAGE
    while True:
        body = fetcher.get_json(base, {**query, "limit": limit, "offset": offset})
        records = parse_socrata(body)
        yield from records
        offset += len(records)
        total = to_int(body.get("resultSetSize"))
        if not records or (total is not None and offset >= total):
            return
