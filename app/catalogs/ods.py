"""OpenDataSoft Explore API v2.1: ``/api/explore/v2.1/catalog/datasets`` paged with
``limit``/``offset`` (ordered by ``dataset_id``, stable). Each dataset's distribution is its CSV
export (``…/catalog/datasets/{id}/exports/csv``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from app.catalogs.common import CatalogError, frequency, iso_date, str_list, text, to_int
from app.ingest.fetch import Fetcher
from profilers.record import DatasetRecord, Distribution

PAGE = 100
API = "/api/explore/v2.1"


def is_ods(body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return False
    first = next((r for r in body["results"] if isinstance(r, dict)), None)
    return first is not None and "dataset_id" in first and "metas" in first


def record_from_dataset(ds: dict[str, Any], base: str | None = None) -> DatasetRecord:
    metas = ds.get("metas") or {}
    default = metas.get("default") or {}
    dcat = metas.get("dcat") or {}
    ident = text(ds.get("dataset_id")) or text(ds.get("dataset_uid")) or ""
    dists = []
    if base and ident and ds.get("has_records", True):
        dists.append(
            Distribution(
                url=f"{base}{API}/catalog/datasets/{ident}/exports/csv",
                access_url=f"{base}{API}/catalog/datasets/{ident}/records",
                title="CSV export",
                format="CSV",
                media_type="text/csv",
                modified=iso_date(default.get("data_processed") or default.get("modified")),
            )
        )
    for att in ds.get("attachments") or []:
        if isinstance(att, dict) and base and att.get("id"):
            dists.append(
                Distribution(
                    url=f"{base}{API}/catalog/datasets/{ident}/attachments/{att['id']}",
                    title=text(att.get("title")),
                    format=text(att.get("mimetype")),
                    media_type=text(att.get("mimetype")),
                    raw=att,
                )
            )
    return DatasetRecord(
        id=ident,
        title=text(default.get("title")),
        description=text(default.get("description")),
        publisher=text(default.get("publisher")) or text(dcat.get("creator")),
        licence=text(default.get("license_url")) or text(default.get("license")),
        modified=iso_date(default.get("modified")),
        issued=iso_date(dcat.get("issued") or dcat.get("created")),
        frequency=frequency(dcat.get("accrualperiodicity")),
        keywords=str_list(default.get("keyword")),
        themes=str_list(default.get("theme")),
        spatial=text(dcat.get("spatial")) or text(default.get("territory")),
        temporal=text(dcat.get("temporal")),
        landing_page=f"{base}/explore/dataset/{ident}/" if base and ident else None,
        contact=text(dcat.get("contact_email")) or text(dcat.get("contact_name")),
        distributions=dists,
        source_kind="ods",
        raw=ds,
    )


def parse_ods(body: Any, base: str | None = None) -> list[DatasetRecord]:
    if isinstance(body, dict) and "error_code" in body:
        raise CatalogError("catalog-error", f"OpenDataSoft answered an error: {body.get('message') or body}")
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise CatalogError("invalid-catalog", "not an OpenDataSoft catalog/datasets response")
    return [record_from_dataset(d, base) for d in body["results"] if isinstance(d, dict)]


def harvest_ods(source: str, fetcher: Fetcher) -> Iterator[DatasetRecord]:
    parts = urlsplit(source)
    base = f"{parts.scheme}://{parts.netloc}"
    offset = 0
    while True:
        body = fetcher.get_json(
            f"{base}{API}/catalog/datasets", {"limit": PAGE, "offset": offset, "order_by": "dataset_id"}
        )
        records = parse_ods(body, base)
        yield from records
        offset += len(records)
        total = to_int(body.get("total_count"))
        if not records or (total is not None and offset >= total):
            return
