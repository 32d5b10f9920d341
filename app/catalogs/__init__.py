"""Catalog adapters: every source becomes a stream of ``DatasetRecord`` (profilers.record).

``harvest(source, kind, fetcher)``: ``source`` is a portal or API URL (fetched through the guarded
``Fetcher``) or a local file or folder; ``kind`` is ``auto`` or one of ``KINDS``:

- ``ckan``     CKAN Action API (package_search paged) or a saved package_search/package_show body;
- ``dcat``     DCAT/DCAT-AP as JSON-LD, RDF/XML or Turtle (Hydra paging);
- ``datajson`` Project Open Data data.json (DCAT-US 1.1);
- ``socrata``  Socrata Discovery API (``/api/catalog/v1``);
- ``ods``      OpenDataSoft Explore API v2.1;
- ``manifest`` a CSV, XLSX or JSON list of datasets (Chinese and English column names);
- ``dir``      a folder of files, one dataset per file.

Every adapter also has a pure ``parse_*`` function from a response body to records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.catalogs.common import CatalogError, is_url, load_json_bytes, read_bytes
from app.ingest.fetch import Fetcher, FetchError
from profilers.record import DatasetRecord

KINDS = ("ckan", "dcat", "datajson", "socrata", "ods", "manifest", "dir")

__all__ = ["KINDS", "CatalogError", "detect_kind", "harvest", "parse_body"]


def _kind_of_json(body: Any) -> str | None:
    from app.catalogs.datajson import is_datajson
    from app.catalogs.manifest import looks_like_manifest
    from app.catalogs.ods import is_ods
    from app.catalogs.socrata import is_socrata

    if isinstance(body, dict):
        if ("success" in body and "result" in body) or "help" in body:
            return "ckan"
        if is_datajson(body):
            return "datajson"
        if is_socrata(body):
            return "socrata"
        if is_ods(body):
            return "ods"
        if "@context" in body or "@graph" in body:
            return "dcat"
        results = body.get("results")
        first = results[0] if isinstance(results, list) and results else None
        if isinstance(first, dict) and ("resources" in first or "num_resources" in first):
            return "ckan"
        if "resources" in body and ("name" in body or "id" in body):
            return "ckan"  # one bare package (legacy data.gov.uk)
        for value in body.values():  # {"data": [...]} manifests
            if isinstance(value, list) and looks_like_manifest(value):
                return "manifest"
    if isinstance(body, list) and body:
        first = body[0]
        if isinstance(first, dict):
            if "resources" in first or "num_resources" in first:
                return "ckan"
            if "@context" in first or "@id" in first:
                return "dcat"
            if "accessLevel" in first or "bureauCode" in first:
                return "datajson"
            if looks_like_manifest(body):
                return "manifest"
    return None


def kind_of_bytes(data: bytes, name: str = "") -> str:
    """The adapter that reads these bytes (a saved catalog or manifest)."""
    lower = name.lower()
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "manifest"
    if lower.endswith((".ttl", ".rdf", ".owl", ".n3", ".nt", ".jsonld")):
        return "dcat"
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        kind = _kind_of_json(load_json_bytes(data, name))
        if kind:
            return kind
        raise CatalogError("unknown-catalog", f"{name or 'the source'}: a JSON shape no adapter knows")
    if head == b"<":
        return "dcat"
    if lower.endswith((".csv", ".tsv", ".txt")):
        return "manifest"
    if head == b"@" or b"@prefix" in data[:2000]:
        return "dcat"
    return "manifest"


def detect_kind(source: str, fetcher: Fetcher | None = None) -> str:
    """``auto``: the kind of ``source`` from its path or URL, else from its content."""
    if not is_url(source):
        path = Path(source)
        if path.is_dir():
            return "dir"
        if not path.is_file():
            raise CatalogError("source-not-found", f"{source} is neither a URL, a file nor a folder")
        return kind_of_bytes(read_bytes(path), path.name)
    parts = urlsplit(source)
    p = parts.path.lower()
    if "/api/3/action" in p:
        return "ckan"
    if "/api/catalog/v1" in p:
        return "socrata"
    if "/api/explore/v2" in p:
        return "ods"
    if p.endswith("data.json"):
        return "datajson"
    if p.endswith((".ttl", ".rdf", ".jsonld", ".xml")):
        return "dcat"
    if fetcher is None:
        raise CatalogError("fetcher-required", f"detecting the kind of {source} needs a Fetcher")
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    probes: tuple[tuple[str, str, dict[str, Any]], ...] = (
        ("ckan", f"{base}/api/3/action/package_search", {"rows": 0}),
        ("ods", f"{base}/api/explore/v2.1/catalog/datasets", {"limit": 1}),
        (
            "socrata",
            f"{parts.scheme}://{parts.netloc}/api/catalog/v1",
            {"domains": parts.hostname, "limit": 1},
        ),
        ("datajson", f"{base}/data.json", {}),
    )
    for kind, url, params in probes:
        try:
            body = fetcher.get_json(url, params)
        except FetchError as exc:
            if exc.code in ("url-refused", "bad-url", "robots-disallowed", "host-not-found"):
                raise
            continue
        if _kind_of_json(body) == kind or (kind == "ckan" and isinstance(body, dict) and "success" in body):
            return kind
    try:
        return kind_of_bytes(fetcher.get_bytes(source, max_bytes=64 * 1024 * 1024), parts.path)
    except FetchError:
        raise
    except CatalogError as exc:
        raise CatalogError(
            "unknown-catalog", f"{source}: no adapter recognises this portal ({exc.message})"
        ) from exc


def parse_body(data: bytes, kind: str, name: str = "", folder: Path | None = None) -> list[DatasetRecord]:
    """Records from the bytes of a saved catalog of ``kind`` (pure, no I/O)."""
    if kind == "ckan":
        from app.catalogs.ckan import parse_ckan

        return parse_ckan(load_json_bytes(data, name))
    if kind == "dcat":
        from app.catalogs.dcat import parse_dcat

        return parse_dcat(data, name)
    if kind == "datajson":
        from app.catalogs.datajson import parse_datajson

        return parse_datajson(load_json_bytes(data, name))
    if kind == "socrata":
        from app.catalogs.socrata import parse_socrata

        return parse_socrata(load_json_bytes(data, name))
    if kind == "ods":
        from app.catalogs.ods import parse_ods

        return parse_ods(load_json_bytes(data, name))
    if kind == "manifest":
        from app.catalogs.manifest import parse_manifest

        return parse_manifest(data, name, folder)
    raise CatalogError("unknown-kind", f"unknown catalog kind {kind!r} (one of {', '.join(KINDS)})")


def harvest(source: str, kind: str = "auto", fetcher: Fetcher | None = None) -> Iterator[DatasetRecord]:
    """Every dataset of ``source`` as a record, in a stable order. Raises CatalogError (or
    FetchError for a URL that cannot be fetched) before or while yielding."""
    if kind == "auto":
        kind = detect_kind(source, fetcher)
    if kind not in KINDS:
        raise CatalogError("unknown-kind", f"unknown catalog kind {kind!r} (one of {', '.join(KINDS)})")
    if kind == "dir":
        from app.catalogs.folder import parse_folder

        if is_url(source):
            raise CatalogError("invalid-source", "kind 'dir' needs a local folder")
        yield from parse_folder(Path(source))
        return
    if is_url(source):
        if fetcher is None:
            raise CatalogError("fetcher-required", f"{source} is a URL: harvesting needs a Fetcher")
        if kind == "ckan":
            from app.catalogs.ckan import harvest_ckan

            yield from harvest_ckan(source, fetcher)
        elif kind == "dcat":
            from app.catalogs.dcat import harvest_dcat

            yield from harvest_dcat(source, fetcher)
        elif kind == "datajson":
            from app.catalogs.datajson import harvest_datajson

            yield from harvest_datajson(source, fetcher)
        elif kind == "socrata":
            from app.catalogs.socrata import harvest_socrata

            yield from harvest_socrata(source, fetcher)
        elif kind == "ods":
            from app.catalogs.ods import harvest_ods

            yield from harvest_ods(source, fetcher)
        else:  # a manifest at a URL: links inside stay URLs
            yield from parse_body(read_bytes(source, fetcher), kind, urlsplit(source).path)
        return
    path = Path(source)
    if not path.is_file():
        raise CatalogError("source-not-found", f"{source} is not a file")
    yield from parse_body(read_bytes(path), kind, path.name, folder=path.resolve().parent)
