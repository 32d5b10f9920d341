"""The per-dataset work of a catalog run, as a plain function of plain data.

``prefetch(spec, fetcher)`` is the network part, done by the coordinator with the run's one
fetcher (so per-host limits hold for the whole pool): the download into the blob store, or the
HEAD of a metadata-only run. ``process_item(spec)`` then sniffs, loads, profiles and scores the
downloaded blob (it fetches itself only when called without a prefetch) and returns a picklable
:class:`WorkResult`. It never opens the database: it runs in the writer's thread (inline), in a
pool process or on a Dask worker alike (which read the blob store by path: a Dask cluster on
other machines needs the data dir on a shared file system), and the single writer stores what
it returns. Nothing here raises for bad data or a bad link: every outcome is a report
or a named error code.
"""

from __future__ import annotations

import logging
import os
import posixpath
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from app.ingest.fetch import is_url

log = logging.getLogger(__name__)

# Formats worth downloading to score, best first (declared by the catalog; the content decides later).
TABULAR = ("csv", "tsv", "xlsx", "xls", "json", "jsonl", "geojson", "parquet", "txt", "zip")

_FETCHERS: dict[tuple[tuple[str, Any], ...], Any] = {}


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """What a worker needs, as plain values (sent once per task; small)."""

    blob_dir: str
    settings: dict[str, Any]  # Settings fields the fetcher reads (fetch_*), JSON-safe
    max_bytes: int
    metadata_only: bool = False
    signatures: bool = False  # compute the MinHash signatures the portal pass compares
    reference_date: str | None = None  # ISO date timeliness is judged at (the run's start: no clock)
    check_links: bool = True  # metadata-only: HEAD each chosen link
    # The folder of a local source (a folder, or a manifest's folder, resolved): the only place its
    # links may name a file. None (a catalog fetched from a URL): every link must be an http(s)
    # URL; anything else is ``bad-url`` and never opened.
    local_root: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """What a distribution link means for a run: an http(s) URL to fetch, a file inside the local
    source's folder, or a refusal (``bad-url``, the link is never opened)."""

    url: str | None = None
    path: Path | None = None
    refused: str | None = None


BAD_LINK = (
    "only http(s) links are followed in a catalog fetched from a URL; a file path or another "
    "scheme is never opened"
)
OUTSIDE_ROOT = "the link names a file outside the catalog's own folder; it is not opened"


def resolve_link(link: str, local_root: str | None) -> Link:
    """Decide what ``link`` is, before anything is opened (see :class:`Link`). Without a local
    root nothing touches the disk, so the answer is the same whether a named file exists or not.
    Inside a local source a link is resolved (``..`` and symlinks followed) and must stay in the
    source's folder."""
    if is_url(link):
        return Link(url=link)
    if local_root is None:
        return Link(refused=BAD_LINK)
    scheme = urlsplit(link).scheme if ":" in link else ""
    if len(scheme) > 1:  # file:, ftp:, data: … (a one-letter scheme is a Windows drive)
        return Link(
            refused=f"only http(s) links and paths inside the catalog's folder are read, not {scheme}:"
        )
    root = Path(local_root)
    candidate = Path(link)
    try:
        resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    except (OSError, RuntimeError, ValueError):
        return Link(refused=OUTSIDE_ROOT)
    if not resolved.is_relative_to(root):
        return Link(refused=OUTSIDE_ROOT)
    return Link(path=resolved)


@dataclass(slots=True)
class WorkSpec:
    key: str
    record: dict[str, Any]  # DatasetRecord as a dict (dataclasses.asdict)
    config: WorkerConfig
    conditional: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # url → {etag, last_modified, report_id}
    # What the coordinator's fetcher got for the chosen URL (:func:`prefetch`): the worker then
    # only reads the blob and scores it. None: the worker fetches itself (a direct call).
    fetched: dict[str, Any] | None = None
    # The DatasetRecord itself, when the spec is processed in the process that harvested it
    # (a metadata-only run's link checks): spares rebuilding it from ``record``. Never set on a
    # spec sent to a worker.
    source: Any = None


@dataclass(slots=True)
class WorkResult:
    key: str
    status: str  # done | failed
    report: dict[str, Any] | None = None
    options_key: str = ""
    reuse_report_id: str | None = None
    url: str | None = None
    http_status: int | None = None
    error_code: str | None = None
    error: str | None = None
    fetch: dict[str, Any] | None = None
    resource: dict[str, Any] | None = None
    links: list[dict[str, Any]] = field(default_factory=list)
    signatures: Any = None  # profilers.signatures.Signatures of the loaded table (picklable)
    metadata: dict[str, Any] | None = None  # the record's metadata assessment (MQA, openness, timeliness)
    metadata_score: float | None = None  # score of the metadata dimensions alone
    seconds: float = 0.0
    worker: str = ""


def process_item(spec: WorkSpec) -> WorkResult:
    """Score one dataset. Never raises: an unexpected error is a failed result naming it."""
    started = time.perf_counter()
    try:
        result = _process(spec)
    except Exception as exc:  # one dataset never stops the run
        log.exception("dataset %s failed", spec.key)
        result = WorkResult(
            spec.key, "failed", error_code="worker-error", error=f"{type(exc).__name__}: {exc}"
        )
    try:
        _assess_metadata(spec, result)
    except Exception as exc:  # the data outcome stands; the metadata checks say what broke
        log.exception("metadata checks of %s failed", spec.key)
        result.metadata = {"check_error": f"{type(exc).__name__}: {exc}"}
    result.seconds = round(time.perf_counter() - started, 4)
    result.worker = f"pid-{os.getpid()}"
    return result


def prefetch(spec: WorkSpec, fetcher: Any) -> WorkSpec:
    """The network part of a dataset, done by the coordinator with its one fetcher (whose per-host
    limits then hold for the whole run, however many workers score): the download (a conditional
    GET into the blob store) or, metadata-only, the HEAD of the chosen link. Local paths and
    unchecked links need nothing. Never raises: a failure is recorded in ``fetched``."""
    url = fetched_url(spec)
    if url is None:
        return spec
    if spec.config.metadata_only:
        spec.fetched = head_link(url, fetcher)
        return spec
    try:
        cond = spec.conditional.get(url) or {}
        got = fetcher.download(
            url,
            Path(spec.config.blob_dir),
            max_bytes=spec.config.max_bytes,
            etag=cond.get("etag"),
            last_modified=cond.get("last_modified"),
        )
        fetched = _fetched_dict(got)
    except Exception as exc:  # one dataset never stops the run
        log.exception("fetching %s failed", url)
        fetched = {"url": url, "error_code": "download-failed", "error": f"{type(exc).__name__}: {exc}"}
    spec.fetched = fetched
    return spec


def fetched_url(spec: WorkSpec) -> str | None:
    """The URL ``prefetch`` requests for ``spec`` (its chosen distribution's), or None when
    there is nothing to request: no distribution, a local path, or an unchecked link."""
    dist = choose_distribution(spec.record)
    if dist is None:
        return None
    url = str(dist.get("url") or dist.get("access_url"))
    if not is_url(url) or (spec.config.metadata_only and not spec.config.check_links):
        return None
    return url


def head_link(url: str, fetcher: Any) -> dict[str, Any]:
    """The HEAD of ``url`` as ``prefetch`` records it. Never raises."""
    try:
        return _fetched_dict(fetcher.head(url))
    except Exception as exc:  # one dataset never stops the run
        log.exception("checking %s failed", url)
        return {"url": url, "error_code": "download-failed", "error": f"{type(exc).__name__}: {exc}"}


def _fetched_dict(got: Any) -> dict[str, Any]:
    """A FetchResult as plain (picklable, small) data."""
    blob = got.blob
    return {
        "url": got.url,
        "final_url": got.final_url,
        "status": got.status,
        "content_type": got.content_type,
        "etag": got.etag,
        "last_modified": got.last_modified,
        "blob": None if blob is None else {"sha256": blob.sha256, "size": blob.size, "path": str(blob.path)},
        "not_modified": got.not_modified,
        "error_code": got.error_code,
        "error": got.error,
    }


def _fetched_result(data: dict[str, Any]) -> Any:
    from app.ingest.blobs import Blob
    from app.ingest.fetch import FetchResult

    blob = data.get("blob")
    return FetchResult(
        data["url"],
        data.get("final_url") or data["url"],
        data.get("status"),
        data.get("content_type"),
        data.get("etag"),
        data.get("last_modified"),
        None if blob is None else Blob(blob["sha256"], int(blob["size"]), Path(blob["path"])),
        not_modified=bool(data.get("not_modified")),
        error_code=data.get("error_code"),
        error=data.get("error"),
    )


def _got(spec: WorkSpec, url: str, fetch: Any) -> Any:
    """What the coordinator fetched for ``url``, else the result of ``fetch()`` (this worker's)."""
    if spec.fetched is not None and spec.fetched.get("url") == url:
        return _fetched_result(spec.fetched)
    return fetch()


def choose_distribution(record: dict[str, Any]) -> dict[str, Any] | None:
    """The distribution to score: the first with a URL in the best declared tabular format,
    else the first with a URL at all."""
    with_url = [d for d in record.get("distributions") or [] if d.get("url") or d.get("access_url")]
    if not with_url:
        return None

    def rank(d: dict[str, Any]) -> int:
        fmt = _declared(d)
        return TABULAR.index(fmt) if fmt in TABULAR else len(TABULAR)

    return min(with_url, key=rank)


def _process(spec: WorkSpec) -> WorkResult:
    record, config = spec.record, spec.config
    dist = choose_distribution(record)
    if dist is None:
        if config.metadata_only:  # nothing to download was asked for: the metadata scores the gap
            return WorkResult(spec.key, "done")
        return WorkResult(
            spec.key, "failed", error_code="no-distribution", error="no distribution with a URL"
        )
    url = str(dist.get("url") or dist.get("access_url"))
    link = resolve_link(url, config.local_root)
    if link.refused is not None:
        if config.metadata_only:
            return WorkResult(spec.key, "failed", url=url, error_code="bad-url", error=link.refused)
        report = failed_report(_name_for(url, dist, spec.key), url, "bad-url", link.refused)
        return WorkResult(
            spec.key, "failed", report=report, url=url, error_code="bad-url", error=link.refused
        )
    if config.metadata_only:
        return _link_status(spec, url, link)
    name = _name_for(url, dist, spec.key)
    if link.path is not None:
        return _score_local(spec, link.path, name)
    return _score_remote(spec, url, name)


def _score_local(spec: WorkSpec, path: Path, name: str) -> WorkResult:
    """A file of a local source (inside its folder: :func:`resolve_link`), copied into the blob
    store under the same size cap as a download."""
    from app.errors import PayloadTooLarge
    from app.ingest.blobs import store_file

    code, message = None, ""
    if not path.is_file():
        code, message = "download-failed", "the file does not exist"
    else:
        try:
            blob = store_file(path, Path(spec.config.blob_dir), limit=spec.config.max_bytes)
        except PayloadTooLarge:
            code, message = "too-large", f"the file is larger than {spec.config.max_bytes} bytes"
        except OSError as exc:
            code, message = (
                "download-failed",
                f"the file cannot be read ({exc.strerror or type(exc).__name__})",
            )
    if code is not None:
        report = failed_report(name, str(path), code, message)
        return WorkResult(spec.key, "failed", report=report, url=str(path), error_code=code, error=message)
    return _score_blob(spec, blob, name, url=None, shown_url=str(path))


def _score_remote(spec: WorkSpec, url: str, name: str) -> WorkResult:
    cond = spec.conditional.get(url) or {}
    got = _got(
        spec,
        url,
        lambda: _fetcher(spec.config).download(
            url,
            Path(spec.config.blob_dir),
            max_bytes=spec.config.max_bytes,
            etag=cond.get("etag"),
            last_modified=cond.get("last_modified"),
        ),
    )
    fetch = {
        "url": url,
        "etag": got.etag,
        "last_modified": got.last_modified,
        "http_status": got.status,
        "content_type": got.content_type,
        "sha256": got.blob.sha256 if got.blob else None,
    }
    if got.not_modified and cond.get("report_id"):
        return WorkResult(
            spec.key,
            "done",
            reuse_report_id=str(cond["report_id"]),
            url=url,
            http_status=got.status,
            fetch={**fetch, "sha256": cond.get("sha256")},
        )
    if got.error_code is not None or got.blob is None:
        code = got.error_code or "download-failed"
        message = got.error or "no content"
        report = failed_report(name, url, code, message, status=got.status)
        return WorkResult(
            spec.key,
            "failed",
            report=report,
            url=url,
            http_status=got.status,
            error_code=code,
            error=message,
            fetch=fetch,
        )
    result = _score_blob(spec, got.blob, name, url=url, shown_url=url)
    result.http_status = got.status
    result.fetch = fetch
    return result


def _score_blob(spec: WorkSpec, blob: Any, name: str, *, url: str | None, shown_url: str) -> WorkResult:
    from app.services.scoring import _options_key, score_file

    kept: list[Any] = []
    keep = None
    if spec.config.signatures:
        from profilers.signatures import signatures_of

        def keep(table: Any) -> None:
            try:
                kept.append(signatures_of(table))
            except Exception:  # the portal pass recomputes what is missing; scoring goes on
                log.exception("signatures of %s failed", blob.sha256)

    report = score_file(blob.path, name, blob.sha256, url=url, keep=keep)
    src = report["source"]
    fatal = report.get("fatal")
    return WorkResult(
        spec.key,
        "failed" if fatal else "done",
        report=report,
        options_key=_options_key(name),
        url=shown_url,
        error_code=fatal,
        resource={
            "sha256": blob.sha256,
            "bytes": blob.size,
            "format": src.get("format"),
            "encoding": src.get("encoding"),
            "name": name,
            "blob_path": str(blob.path),
        },
        signatures=kept[0] if kept else None,
    )


def _link_status(spec: WorkSpec, url: str, link: Link) -> WorkResult:
    """Metadata-only: no download. A file of a local source is checked on disk; a URL is
    recorded unchecked unless the fetcher offers a HEAD request."""
    local = link.path
    if local is not None:
        ok = local.is_file()
        return WorkResult(
            spec.key,
            "done" if ok else "failed",
            url=url,
            error_code=None if ok else "download-failed",
            links=[{"url": url, "checked": True, "exists": ok}],
        )
    if not spec.config.check_links:
        return WorkResult(spec.key, "done", url=url, links=[{"url": url, "checked": False}])
    got = _got(spec, url, lambda: _fetcher(spec.config).head(url))
    return WorkResult(
        spec.key,
        "failed" if got.error_code else "done",
        url=url,
        http_status=got.status,
        error_code=got.error_code,
        error=got.error,
        links=[{"url": url, "checked": True, "status": got.status, "content_type": got.content_type}],
    )


def failed_report(
    name: str, url: str, code: str, message: str, *, status: int | None = None
) -> dict[str, Any]:
    """The report of a dataset whose bytes could not be obtained: score 0 with ``download-failed``
    naming the fetch error code and the HTTP status (the same report ``odq score URL`` gives)."""
    from app.ingest.fetch import FetchResult
    from app.services.urls import failed_download_report

    got = FetchResult(url, url, status, None, None, None, None, error_code=code, error=message)
    return failed_download_report(name, url, got)


def _assess_metadata(spec: WorkSpec, result: WorkResult) -> None:
    """MQA indicators, 5-star openness and timeliness of the record (profilers.metadata), with the
    link status this worker observed and the format sniffed from the content."""
    from datetime import date

    from profilers.metadata import LinkStatus, assess
    from scoring import score_table

    record = spec.source if spec.source is not None else record_from_dict(spec.record)
    links: dict[str, LinkStatus] | None = None
    if result.url and (result.http_status is not None or result.error_code or result.report is not None):
        sniffed = None
        if result.report is not None and not result.report.get("fatal"):
            sniffed = (result.report.get("source") or {}).get("format")
        code = (
            result.error_code
            if result.error_code not in (None, "unreadable-file", "empty-file", "header-only")
            else None
        )
        links = {
            result.url: LinkStatus(
                result.url,
                status=result.http_status,
                error_code=code,
                content_type=(result.fetch or {}).get("content_type")
                or next((link.get("content_type") for link in result.links), None),
                sniffed_format=sniffed,
            )
        }
    reference = date.fromisoformat(spec.config.reference_date) if spec.config.reference_date else date.today()
    if spec.config.metadata_only:
        # No data to weigh the metadata against: the compact form of the run without link
        # checks (MQA score, findings without examples), now with the links measured.
        result.metadata = compact_metadata(record, reference, links)[0]
        result.metadata_score = result.metadata["score"]
        return
    assessment = assess(record, reference, links)
    card = score_table(assessment.results, _no_table_metrics())
    result.metadata = assessment.to_dict()
    result.metadata["mqa_counts"] = {r.indicator.key: [r.met, r.units] for r in assessment.mqa.indicators}
    result.metadata["score"] = card.score
    result.metadata_score = card.score


def compact_metadata(record: Any, reference: Any, links: Any = None) -> tuple[dict[str, Any], Any]:
    """The metadata checks of one record as a metadata-only run keeps them: its MQA score (0–100,
    from the 405-point scale), MQA counts, openness stars and the findings without examples.
    Returns that and the MQA result (its indicators, for catalog sums). ``links``: what the link
    checks found (None: not checked, link indicators not measured)."""
    from profilers.metadata import assess

    assessment = assess(record, reference, links, with_examples=False)
    mqa = assessment.mqa
    score_405 = mqa.score_405
    score = round(score_405 / 405 * 100, 2)
    return {
        "score": score,
        "score_405": round(score_405, 1),
        "mqa_counts": {r.indicator.key: [r.met, r.units] for r in mqa.indicators},
        "stars": assessment.stars,
        "findings": [
            {"code": f.code, "dimension": f.dimension, "count": f.count, "share": round(f.share, 6)}
            for f in assessment.findings
        ],
    }, mqa


def _no_table_metrics() -> Any:
    from profilers.types import Metrics

    return Metrics()


def record_from_dict(data: dict[str, Any]) -> Any:
    """A DatasetRecord back from ``dataclasses.asdict`` (unknown keys ignored)."""
    from profilers.record import DatasetRecord, Distribution

    dist_keys, rec_keys = frozenset(field_names(Distribution)), frozenset(field_names(DatasetRecord))
    values = {k: v for k, v in data.items() if k in rec_keys and k != "distributions"}
    dists = [
        Distribution(**{k: v for k, v in d.items() if k in dist_keys})
        for d in data.get("distributions") or []
    ]
    return DatasetRecord(**values, distributions=dists)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, in order (``dataclasses.fields`` rebuilds its answer at every
    call, which shows when every record of a large catalog is converted)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        from dataclasses import fields

        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


# -- helpers ------------------------------------------------------------------------------------


def _fetcher(config: WorkerConfig) -> Any:
    """One fetcher per process and configuration (connection pools and robots.txt are reused)."""
    key = tuple(sorted(config.settings.items()))
    fetcher = _FETCHERS.get(key)
    if fetcher is None:
        from app.ingest.fetch import Fetcher
        from app.settings import Settings

        fetcher = Fetcher(Settings(**config.settings))
        _FETCHERS[key] = fetcher
    return fetcher


def _declared(dist: dict[str, Any]) -> str:
    fmt = str(dist.get("format") or "").strip().lower().lstrip(".")
    if not fmt:
        media = str(dist.get("media_type") or "").lower()
        for known in TABULAR:
            if known in media:
                return known
        if "excel" in media or "spreadsheet" in media:
            return "xlsx"
        path = urlsplit(str(dist.get("url") or "")).path.lower()
        ext = posixpath.splitext(path)[1].lstrip(".")
        return ext
    return {"text/csv": "csv", "xls/xlsx": "xlsx", "excel": "xlsx"}.get(fmt, fmt)


def _name_for(url: str, dist: dict[str, Any], key: str) -> str:
    """A display name whose extension is the declared format (it drives format-mismatch)."""
    base = posixpath.basename(unquote(urlsplit(url).path)) if is_url(url) else os.path.basename(url)
    base = "".join(ch for ch in base if ch.isprintable())[:200]
    declared = _declared(dist)
    if base and posixpath.splitext(base)[1]:
        return base
    stem = base or "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key)[:80] or "dataset"
    return f"{stem}.{declared}" if declared else stem
