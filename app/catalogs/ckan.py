"""CKAN Action API: ``package_search`` paged with ``rows``/``start`` under a stable sort
(``metadata_created asc, id asc``: new datasets land at the end, so paging does not skip or
repeat). An envelope with ``success: false`` is an error, never an empty catalog.

``parse_ckan`` reads every CKAN shape ODQ meets in files: a ``package_search`` or
``package_show`` envelope, the bare ``result`` of either, a list of packages
(``current_package_list_with_resources``) and a single package (legacy data.gov.uk)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.catalogs.common import CatalogError, format_name, frequency, iso_date, str_list, text, to_int
from app.ingest.fetch import Fetcher
from profilers.record import DatasetRecord, Distribution

PAGE_ROWS = 100
SORT = "metadata_created asc, id asc"
FREQUENCY_KEYS = (
    "frequency",
    "update_frequency",
    "accrual_periodicity",
    "accrualPeriodicity",
    "refresh_rate",
)


def _unwrap(body: Any) -> Any:
    if isinstance(body, dict) and "success" in body:
        if body.get("success") is not True:
            err = body.get("error") or {}
            msg = text(err.get("message")) if isinstance(err, dict) else text(err)
            raise CatalogError("catalog-error", f"CKAN answered success=false: {msg or err or 'no message'}")
        return body.get("result")
    return body


def packages_of(body: Any) -> tuple[list[dict[str, Any]], int | None]:
    """The packages in a CKAN response body and the total count when the body says it."""
    result = _unwrap(body)
    if isinstance(result, list):
        return [p for p in result if isinstance(p, dict)], None
    if isinstance(result, dict):
        if isinstance(result.get("results"), list):
            return [p for p in result["results"] if isinstance(p, dict)], to_int(result.get("count"))
        if "resources" in result or "name" in result:
            return [result], 1
    raise CatalogError("invalid-catalog", "not a CKAN package_search/package_show response")


def _extras(pkg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    extras = pkg.get("extras")
    if isinstance(extras, list):
        for e in extras:
            if isinstance(e, dict) and "key" in e:
                out[str(e["key"])] = e.get("value")
    elif isinstance(extras, dict):
        out.update(extras)
    return out


def record_from_package(pkg: dict[str, Any], base_url: str | None = None) -> DatasetRecord:
    extras = _extras(pkg)
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else None
    publisher = text(org.get("title") or org.get("name")) if org else None
    publisher = (
        publisher or text(pkg.get("author")) or text(pkg.get("maintainer")) or text(extras.get("publisher"))
    )
    freq = None
    for key in FREQUENCY_KEYS:
        if pkg.get(key) or extras.get(key):
            freq = frequency(pkg.get(key) or extras.get(key))
            break
    licence = text(pkg.get("license_url")) or text(pkg.get("license_id")) or text(pkg.get("license_title"))
    name = text(pkg.get("name"))
    landing = None
    if base_url and name:
        parts = urlsplit(base_url)
        landing = f"{parts.scheme}://{parts.netloc}/dataset/{name}"
    landing = landing or text(pkg.get("url"))
    temporal_from = text(pkg.get("temporal_coverage-from") or extras.get("temporal_coverage-from"))
    temporal_to = text(pkg.get("temporal_coverage-to") or extras.get("temporal_coverage-to"))
    temporal = "/".join(t for t in (temporal_from, temporal_to) if t) or text(extras.get("temporal"))
    distributions = []
    for res in pkg.get("resources") or []:
        if not isinstance(res, dict):
            continue
        distributions.append(
            Distribution(
                url=text(res.get("url")),
                access_url=text(res.get("access_url")),
                title=text(res.get("name")) or text(res.get("description")),
                format=format_name(res.get("format")),
                media_type=text(res.get("mimetype")),
                size=to_int(res.get("size")),
                modified=iso_date(
                    res.get("last_modified") or res.get("metadata_modified") or res.get("created")
                ),
                raw=res,
            )
        )
    return DatasetRecord(
        id=text(pkg.get("id")) or name or landing or "",
        title=text(pkg.get("title")) or name,
        description=text(pkg.get("notes")),
        publisher=publisher,
        licence=licence,
        modified=iso_date(pkg.get("metadata_modified")),
        issued=iso_date(pkg.get("metadata_created")),
        frequency=freq,
        keywords=[t for t in (text(tag) for tag in pkg.get("tags") or []) if t],
        themes=str_list([g for g in pkg.get("groups") or []]) or str_list(pkg.get("topics")),
        spatial=text(extras.get("spatial")) or text(pkg.get("geographic_coverage")),
        temporal=temporal or None,
        landing_page=landing,
        contact=text(pkg.get("maintainer_email"))
        or text(pkg.get("author_email"))
        or text(pkg.get("owner_email"))
        or text(pkg.get("contact-email"))
        or text(extras.get("contact-email")),
        distributions=distributions,
        source_kind="ckan",
        raw=pkg,
    )


def parse_ckan(body: Any, base_url: str | None = None) -> list[DatasetRecord]:
    """Records from one CKAN response body (parsed JSON)."""
    packages, _ = packages_of(body)
    return [record_from_package(p, base_url) for p in packages]


def api_base(source: str) -> str:
    """``https://portal/`` or ``https://portal/api/3/action/package_search?…`` → the action URL prefix."""
    parts = urlsplit(source)
    path = parts.path
    if "/api/3/action" in path:
        path = path[: path.index("/api/3/action")]
    return f"{parts.scheme}://{parts.netloc}{path.rstrip('/')}/api/3/action"


def harvest_ckan(source: str, fetcher: Fetcher, rows: int = PAGE_ROWS) -> Iterator[DatasetRecord]:
    """The records of a CKAN portal, page by page. The next page is requested (in one helper
    thread) while the records of the current one are read, so the portal's time to answer overlaps
    ours; the requests are the same, one at a time, in the same order."""
    base = api_base(source)
    # a package_search URL keeps its filters (q, fq …); paging and order are ODQ's
    filters = {
        k: v[0]
        for k, v in parse_qs(urlsplit(source).query).items()
        if k not in ("rows", "start", "sort") and "/package_search" in urlsplit(source).path
    }

    def page(start: int) -> Any:
        return fetcher.get_json(
            f"{base}/package_search", {**filters, "rows": rows, "start": start, "sort": SORT}
        )

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="odq-ckan-page") as pool:
        pending: Future[Any] = pool.submit(page, 0)
        try:
            start = 0
            while True:
                packages, count = packages_of(pending.result())
                start += len(packages)
                more = bool(packages) and (count is None or start < count)
                if more:
                    pending = pool.submit(page, start)
                for pkg in packages:
                    yield record_from_package(pkg, source)
                if not more:
                    return
        finally:
            pending.cancel()  # closed early: a page not yet requested is not requested
