"""Use-case: score the file behind a URL (``odq score URL`` and ``POST /api/v1/score`` with
``url``), fetched through the guarded client.

Outcomes:

- a URL the guard refuses (not http/https, credentials in it, a host that is not a host name, a
  special-use name such as ``localhost`` or ``*.internal`` (refused before any lookup), a
  non-public address, a redirect to one) → ``BadRequest`` 400 ``url-refused`` / ``bad-url``; a
  host name that does not resolve → 400 ``host-not-found``; robots.txt forbidding it → 400
  ``robots-disallowed``. Nothing is fetched or stored.
- a download that fails (HTTP error, timeout, too many redirects, over ``ODQ_FETCH_MAX_MB``) → a
  scored report: score 0, fatal ``download-failed``, the fetch error code and HTTP status in
  ``source.error_code``/``source.http_status``. It is not stored (there are no bytes to key it by).
- otherwise the bytes are stored by sha256 like an upload and scored under the name the URL gives
  (its last path segment), so a ``.csv`` link that returns HTML gets ``format-mismatch``.
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import unquote, urlsplit

from app.errors import BadRequest
from app.ingest.fetch import Allowlist, Fetcher, FetchError, FetchResult, check_url
from app.services.scoring import Scored, safe_name, score_blob
from app.settings import Settings
from app.storage.repository import Repository, new_report_id

REFUSED = ("url-refused", "bad-url", "robots-disallowed", "host-not-found")


def name_for(url: str, content_type: str | None = None) -> str:
    """A display name from the URL's last path segment (``data.csv``), else its host."""
    parts = urlsplit(url)
    base = posixpath.basename(unquote(parts.path).rstrip("/"))
    name = safe_name(base) if base else ""
    if not name or name == "upload":
        name = safe_name(parts.hostname or "download")
    return name


def checked_url(url: str) -> str:
    """``url`` stripped, or a 400 ``bad-url`` when it is not an absolute http(s) URL with a host
    (the syntax part of the guard, before a job is queued; the addresses are checked when fetched)."""
    url = url.strip()
    try:
        check_url(url)
    except FetchError as exc:
        raise BadRequest(exc.message, code=exc.code) from exc
    return url


def score_url(
    url: str,
    settings: Settings,
    repo: Repository | None,
    *,
    fetcher: Fetcher | None = None,
    limits: Any = None,
) -> Scored:
    """Fetch ``url`` (guarded) and score it. Raises BadRequest for refused URLs."""
    url = url.strip()
    try:
        check_url(url, Allowlist(settings.fetch_allow))
    except FetchError as exc:
        raise BadRequest(exc.message, code=exc.code) from exc
    own = fetcher is None
    f = fetcher or Fetcher(settings)
    try:
        got = f.download(url, settings.blob_dir, max_bytes=int(settings.fetch_max_mb * 1024 * 1024))
    finally:
        if own:
            f.close()
    if got.error_code in REFUSED:
        raise BadRequest(got.error or "the URL was refused", code=got.error_code or "url-refused", url=url)
    name = name_for(got.final_url or url, got.content_type)
    if got.error_code is not None or got.blob is None:
        return Scored(failed_download_report(name, url, got), stored=False, cached=False)
    kwargs: dict[str, Any] = {"limits": limits} if limits is not None else {}
    scored = score_blob(got.blob, name, repo, url, settings.store_rows, **kwargs)
    scored.report["source"].setdefault("url", url)
    scored.report["source"]["http_status"] = got.status
    return scored


def failed_download_report(name: str, url: str, got: FetchResult) -> dict[str, Any]:
    """The report of a URL whose bytes could not be fetched: score 0, fatal ``download-failed``
    (the example names the URL, the HTTP status and the fetch error)."""
    from app.services.report import build_report
    from profilers.context import SourceInfo, Structure, Table
    from profilers.types import CheckResult, Example, Finding, Metrics
    from scoring import describe_code, score_table

    described = describe_code("download-failed")
    code = got.error_code or "download-failed"
    detail = got.error or "no content"
    if code != "download-failed":
        detail = f"{code}: {detail}"
    if got.status is not None and str(got.status) not in detail:
        detail = f"HTTP {got.status} — {detail}"
    finding = Finding(
        code="download-failed",
        dimension="validity",
        severity="error",
        level="file",
        count=1,
        share=1.0,
        title=str(described.get("title_en") or "Download failed"),
        fix=str(described.get("fix_en") or ""),
        examples=[Example(column="url", value=f"{url} ({detail})")],
        message=detail,
    )
    results = [CheckResult("download-failed", "validity", "fail", [finding])]
    card = score_table(results, Metrics(fatal="download-failed"))
    source = SourceInfo(name=name, sha256="", bytes=0, format="none", url=url)
    table = Table(source, Structure(fatal=("download-failed", detail)))
    report = build_report(new_report_id(), table, results, card)
    report["source"]["sha256"] = None
    report["source"]["error_code"] = code
    report["source"]["http_status"] = got.status
    return report
