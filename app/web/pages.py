"""The web UI: HTML pages rendered on the server (Jinja2, autoescaped), SVG charts and badges,
and the static files they use. No page needs JavaScript; the small script only adds drag-and-drop
and live progress. Pages send a Content-Security-Policy that forbids inline script.

These routes are outside the OpenAPI schema: the JSON API under /api/v1 is the programmable
interface, and the report page shows the very object ``GET /api/v1/reports/{id}`` returns.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.auth import ScoringCallerDep
from app.api.deps import RepoDep, SettingsDep
from app.api.upload import receive_upload
from app.errors import AppError, BadRequest, NotFound
from app.ingest.fetch import is_url
from app.ingest.sandbox import limits_from
from app.services import portals as portal_service
from app.services import scoring as scoring_service
from app.services import uploads
from app.services.score_queue import JobRefused, QueueFull, ScoreQueue
from app.services.urls import checked_url, name_for
from app.settings import Settings
from app.storage.previews import PreviewReader
from app.web import svg, views
from app.web.i18n import COOKIE, Lang, Translator, choose_lang
from app.web.tasks import task_view
from scoring import Weights, load_weights

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
BADGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache, max-age=0",
}
PREVIEW_ROWS = 20
RECENT_REPORTS = 10
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


# -- errors as pages ---------------------------------------------------------------------------


class HtmlRoute(APIRoute):
    """A page route: an error raised while handling it is answered with an HTML error page of the
    same status and code (the JSON API keeps its JSON errors)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as exc:
                return error_page(request, exc.status, exc.code, exc.message, getattr(exc, "headers", None))
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", []))
                return error_page(request, 422, "invalid-request", f"{where}: {first.get('msg', 'invalid')}")
            except StarletteHTTPException as exc:
                return error_page(request, exc.status_code, f"http-{exc.status_code}", str(exc.detail))

        return route


router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


# -- rendering ---------------------------------------------------------------------------------


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("app.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.filters["num"] = views.num
    return env


@cache
def _static_files() -> dict[str, tuple[bytes, str, str]]:
    """name → (bytes, media type, short content hash) of every file in app/web/static."""
    out: dict[str, tuple[bytes, str, str]] = {}
    root = files("app.web").joinpath("static")
    for entry in root.iterdir():
        suffix = Path(entry.name).suffix
        if entry.is_file() and suffix in STATIC_TYPES:
            data = entry.read_bytes()
            out[entry.name] = (data, STATIC_TYPES[suffix], hashlib.sha256(data).hexdigest()[:12])
    return out


def static_url(name: str) -> str:
    found = _static_files().get(name)
    return f"/static/{name}" + (f"?v={found[2]}" if found else "")


def translator(request: Request) -> tuple[Translator, bool]:
    lang, switched = choose_lang(request)
    return Translator(lang), switched


def switch_url(request: Request, lang: Lang) -> str:
    if request.method != "GET":  # a page answering a form: switch on the start page
        return "/?" + urlencode({"lang": lang})
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query.append(("lang", lang))
    return request.url.path + "?" + urlencode(query)


_WARM = threading.Event()


def warm_templates() -> None:
    """Compile every template at start-up (the app's lifespan), so no page pays for compiling
    them on the event loop (a quarter of a second; seconds on a loaded machine, while /health and
    every other request wait)."""
    _WARM.set()
    _warm_templates()


def _warm_templates() -> None:
    """Compile every template with the first page the process serves (usually the upload form),
    so the report page of a freshly scored file does not pay for its compilation."""
    env = _env()
    for name in env.list_templates(extensions=["html"]):
        try:
            env.get_template(name)
        except Exception:  # a broken template shows when its page is asked for
            log.exception("template %s does not compile", name)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if not _WARM.is_set():
        _WARM.set()
        _warm_templates()
    t, switched = translator(request)
    html = (
        _env()
        .get_template(template)
        .render(
            t=t,
            lang=t.lang,
            switch_to=switch_url(request, t.other),
            path=request.url.path,
            **context,
        )
    )
    response = Response(html, status_code=status, media_type="text/html; charset=utf-8")
    response.headers.update(SECURITY_HEADERS)
    response.headers["Vary"] = "Accept-Language, Cookie"
    if headers:
        response.headers.update(headers)
    if switched:
        response.set_cookie(COOKIE, t.lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def error_page(
    request: Request, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return render(
        request, "error.html", {"status": status, "code": code, "message": message}, status, headers
    )


def current_weights(settings: Settings) -> Weights:
    """The weights scoring uses: the packaged version, or the file ``ODQ_WEIGHTS_FILE`` names."""
    path = settings.weights_file
    if path is None:
        return load_weights()
    return _weights_from_file(str(path), Path(path).stat().st_mtime_ns)


@cache
def _weights_from_file(path: str, mtime_ns: int) -> Weights:
    return Weights.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


# -- static files ------------------------------------------------------------------------------


@router.get("/static/{name}")
def static(name: str) -> Response:
    found = _static_files().get(name)
    if found is None:
        raise NotFound(f"No static file {name!r}.", code="not-found")
    data, media_type, _ = found
    return Response(
        data,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


# -- home and upload ---------------------------------------------------------------------------


@router.get("/")
def home(request: Request, repo: RepoDep, settings: SettingsDep) -> Response:
    weights = load_weights()
    t, _ = translator(request)
    recent = [
        {
            **r,
            "band_title": views.band_title(weights, r.get("band"), t),
            "colour": svg.band_colour(r.get("band")),
        }
        for r in repo.list_reports(limit=RECENT_REPORTS)
    ]
    return render(
        request,
        "home.html",
        {
            "recent": recent,
            "limit_mb": f"{settings.max_upload_mb:g}",
        },
    )


@router.post("/upload")
async def upload(
    request: Request, settings: SettingsDep, repo: RepoDep, caller: ScoringCallerDep
) -> Response:
    received = await receive_upload(request, settings.blob_dir, settings.max_upload_bytes)
    url = received.fields.get("url", "").strip()
    portal = received.fields.get("portal", "").strip()
    blob = received.blob
    if blob is not None and blob.size == 0 and not received.filename:
        blob = None  # the form's file input left empty
    if portal:
        _check_portal_writer(request, caller, portal, received.fields.get("key", "").strip())
    if blob is None:
        if url:
            return await _score_url(request, url, settings, repo, portal)
        raise BadRequest("Choose a file, or give the address of one.", code="missing-file")
    if url:
        raise BadRequest("Send either a file or a URL, not both.", code="file-and-url")
    name = scoring_service.safe_name(received.filename)
    token = uploads.new_delete_token()
    owner = uploads.ownership(token, listed=bool(portal))  # a portal's upload is listed under it
    state = request.app.state
    queue: ScoreQueue = state.score_queue
    # Every upload is a durable score job of the same bounded queue as the API (it survives a
    # restart; 503 with Retry-After when the queue is full): no request scores in its own thread.
    try:
        job = await run_in_threadpool(
            queue.submit,
            blob,
            name,
            origin="web",
            options={"store_rows": settings.store_rows, "portal": portal or None, "owner": owner.as_option()},
            after=_reads_preview(state, repo),
        )
    except QueueFull as exc:
        raise _busy(exc, name) from None
    if blob.size > settings.web_background_mb * 1024 * 1024:
        return _keeps_token(RedirectResponse(f"/progress/{job['id']}", status_code=303), owner, token)
    # A small file: the browser waits for its report (an asyncio wait, holding no thread).
    return _keeps_token(await _follow(request, queue, job, settings), owner, token)


def _keeps_token(response: Response, owner: uploads.Ownership, token: str) -> Response:
    """The browser that uploaded keeps the delete token (HttpOnly cookie) for the delete button."""
    response.set_cookie(
        uploads.cookie_name(owner),
        token,
        max_age=uploads.COOKIE_DAYS * 86400,
        httponly=True,
        samesite="strict",
        path="/",
    )
    return response


def _reads_preview(state: Any, repo: Any) -> Callable[[Any], None]:
    """A job's follow-up: read the report's preview once it is stored, so its page opens at once."""

    def after(scored: Any) -> None:
        _preview_data(state, repo, scored.report)

    return after


def _busy(exc: QueueFull, name: str) -> QueueFull:
    """The queue-full refusal of the form, naming the file the visitor chose (a browser cannot
    keep it chosen on the next page)."""
    retry = int(exc.headers["Retry-After"])
    return QueueFull(
        f"The server is busy: too many files are waiting to be scored. {name!r} was not scored; "
        f"choose it again and send it in {retry} s.",
        retry,
    )


async def _follow(
    request: Request, queue: ScoreQueue, job: Mapping[str, Any], settings: Settings
) -> Response:
    """The report page once the job is done (within ODQ_SCORE_WAIT_MAX_SECONDS), else its progress
    page; a URL the worker refused is the refusal's error page, a failed download its report."""
    outcome = await queue.wait(str(job["id"]), settings.score_wait_max_seconds)
    if outcome is not None and outcome.status == "done" and outcome.report_id:
        return RedirectResponse(f"/reports/{outcome.report_id}", status_code=303)
    if outcome is not None and outcome.http_status is not None:
        raise JobRefused(outcome.error or "refused", outcome.http_status, outcome.code or "bad-request")
    if outcome is not None and outcome.report is not None:
        # A download that failed is a report (score 0, download-failed) that is not stored: show it as is.
        t, _ = translator(request)
        view = views.build_report_view(outcome.report, load_weights(), t)
        return render(request, "report.html", {"v": view, "r": outcome.report, "downloads": []})
    return RedirectResponse(f"/progress/{job['id']}", status_code=303)


def _check_portal_writer(request: Request, caller: Any, portal: str, key: str) -> None:
    """Scoring into a portal needs that portal's key (or the administrator's), given in the form."""
    from app.storage.keys import valid_portal

    if not valid_portal(portal):
        raise BadRequest(
            "A portal name has letters, digits, '.', '_' and '-' only (1 to 100 characters).",
            code="invalid-portal",
        )
    writer = _caller_for_key(request, key) if key else caller
    writer.require_write(portal)


async def _score_url(request: Request, url: str, settings: Settings, repo: Any, portal: str) -> Response:
    """A URL is a score job too: a score worker downloads it, never this request's thread."""
    url = checked_url(url)
    token = uploads.new_delete_token()
    owner = uploads.ownership(token, listed=bool(portal))
    state = request.app.state
    queue: ScoreQueue = state.score_queue
    try:
        job = await run_in_threadpool(
            queue.submit_url,
            url,
            name_for(url),
            origin="web",
            options={"portal": portal or None, "owner": owner.as_option()},
            after=_reads_preview(state, repo),
        )
    except QueueFull as exc:
        raise _busy(exc, url) from None
    return _keeps_token(await _follow(request, queue, job, settings), owner, token)


@router.get("/progress/{task_id}")
def progress(request: Request, task_id: str, repo: RepoDep) -> Response:
    task = task_view(repo, task_id, getattr(request.app.state, "score_queue", None))
    if task is None:
        raise NotFound(f"No scoring task {task_id!r}.", code="task-not-found")
    if task["state"] == "done" and task["report_id"]:
        return RedirectResponse(f"/reports/{task['report_id']}", status_code=303)
    return render(request, "progress.html", {"task": task})


@router.get("/progress/{task_id}/state")
def progress_state(request: Request, task_id: str, repo: RepoDep) -> Response:
    task = task_view(repo, task_id, getattr(request.app.state, "score_queue", None))
    if task is None:
        raise NotFound(f"No scoring task {task_id!r}.", code="task-not-found")
    return Response(json.dumps(task), media_type="application/json", headers={"Cache-Control": "no-store"})


# -- reports -----------------------------------------------------------------------------------


PreviewData = tuple[dict[str, Any] | None, list[list[Any]]]
PREVIEW_CACHE = 64
_PREVIEW_LOCK = threading.Lock()


def _preview_data(state: Any, repo: Any, report: Mapping[str, Any]) -> PreviewData:
    """The first rows of the report's file and the rows of its examples, read once per report and
    kept in a small cache (the kept rows of a file never change)."""
    cache: OrderedDict[str, PreviewData] | None = getattr(state, "web_previews", None)
    if cache is None:
        with _PREVIEW_LOCK:
            cache = getattr(state, "web_previews", None)
            if cache is None:
                cache = OrderedDict()
                state.web_previews = cache
    key = str(report.get("id"))
    with _PREVIEW_LOCK:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    sha256 = (report.get("source") or {}).get("sha256")
    data: PreviewData = (None, [])
    if isinstance(sha256, str) and len(sha256) == 64:
        reader = PreviewReader(repo)
        try:
            first = reader.first_rows(sha256, PREVIEW_ROWS)
        except ValueError:
            first = None
        if first is not None:
            shown = [int(r[0]) for r in first["rows"]]
            wanted = views.example_row_numbers(report.get("findings") or [], skip=shown)
            data = (first, reader.rows_at(sha256, wanted) if wanted else [])
    with _PREVIEW_LOCK:
        cache[key] = data
        while len(cache) > PREVIEW_CACHE:
            cache.popitem(last=False)
    return data


def _preview(
    state: Any, repo: Any, report: Mapping[str, Any]
) -> tuple[views.Preview | None, views.Preview | None]:
    first, example_rows = _preview_data(state, repo, report)
    if first is None:
        return None, None
    findings = report.get("findings") or []
    return (
        views.build_preview(first, first["rows"], findings),
        views.build_preview(first, example_rows, findings) if example_rows else None,
    )


@router.get("/reports/{report_id}")
def report_page(request: Request, report_id: str, repo: RepoDep, settings: SettingsDep) -> Response:
    report = scoring_service.current_report(repo, report_id, limits_from(settings))
    t, _ = translator(request)
    view = views.build_report_view(report, load_weights(), t)
    view.preview, view.example_rows = _preview(request.app.state, repo, report)
    token = uploads.token_from_cookies(repo, report_id, request.cookies)
    return render(
        request,
        "report.html",
        {"v": view, "r": report, "downloads": _downloads(report_id), "delete_token": token},
    )


@router.post("/reports/{report_id}/delete")
async def delete_report(request: Request, report_id: str, repo: RepoDep) -> Response:
    """The delete button of the browser that uploaded (a plain form POST carrying the token)."""
    form = await request.form()
    token = form.get("token")
    await run_in_threadpool(uploads.delete_upload, repo, report_id, token if isinstance(token, str) else None)
    return RedirectResponse("/?deleted=1", status_code=303)


def _downloads(report_id: str) -> list[tuple[str, str, str]]:
    """(label key, href, type) of each download of a report."""
    out = [("report.dl.json", f"/api/v1/reports/{report_id}", "application/json")]
    out.append(("report.dl.dqv", f"/reports/{report_id}/dqv.jsonld", "application/ld+json"))
    out.append(("report.dl.csv", f"/reports/{report_id}/findings.csv", "text/csv"))
    out.append(("report.dl.gx", f"/api/v1/reports/{report_id}/expectations", "application/json"))
    return out


@router.get("/reports/{report_id}/findings.csv")
def findings_csv(report_id: str, repo: RepoDep) -> Response:
    report = scoring_service.get_report(repo, report_id)
    return Response(
        views.findings_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="odq-findings-{report_id[:32]}.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )


# -- methodology -------------------------------------------------------------------------------


@router.get("/methodology")
def methodology(request: Request, settings: SettingsDep) -> Response:
    from profilers.registry import registry

    weights = current_weights(settings)
    t, _ = translator(request)
    checks = registry()
    codes = []
    for code, spec in sorted(weights.codes.items(), key=lambda kv: (kv[1].dimension, kv[0])):
        check = checks.get(code)
        codes.append(
            {
                "code": code,
                "dimension": t.dimension(spec.dimension),
                "title": spec.title_en if t.lang == "en" else spec.title_zh,
                "fix": spec.fix_en if t.lang == "en" else spec.fix_zh,
                "cap": spec.rule.cap,
                "saturation": spec.rule.saturation,
                "severity": t.severity(spec.info.severity),
                "level": t.level(spec.info.level),
                "rubric": spec.rubric or "",
                "measured": check is not None,
                "frictionless": views.FRICTIONLESS_NAMES.get(code, ""),
                "fatal": code in weights.fatal_codes,
            }
        )
    reasons = _reasons(settings)
    dims = [
        {
            "key": key,
            "label": t.dimension(key),
            "fault": t.fault(key),
            "weight": spec.weight,
            "content": spec.content,
            "gbt": views.GBT_36344.get(key, ("", ""))[0 if t.lang == "en" else 1],
            "reason": reasons.get(("dimension", key), ""),
        }
        for key, spec in weights.dimensions.items()
    ]
    bands = [
        {
            "name": b.name,
            "title": b.title_en if t.lang == "en" else b.title_zh,
            "min": b.min_score,
            "mqa": b.mqa_points,
            "colour": svg.band_colour(b.name),
        }
        for b in weights.bands
    ]
    for c in codes:
        c["reason"] = reasons.get(("code", str(c["code"])), "")
    mqa = [(en if t.lang == "en" else zh, points) for en, zh, points in views.MQA_DIMENSIONS]
    return render(
        request,
        "methodology.html",
        {
            "weights": weights,
            "dims": dims,
            "bands": bands,
            "codes": codes,
            "defaults": [(t.severity(s), r.cap, r.saturation) for s, r in weights.defaults.items()],
            "fatal": sorted(weights.fatal_codes),
            "mqa": mqa,
            "mqa_total": sum(p for _, p in mqa),
            "band_reason": reasons.get(("bands", ""), ""),
            "custom_weights": Path(settings.weights_file).name if settings.weights_file else "",
            "portal_thresholds": _portal_thresholds(),
        },
    )


def _portal_thresholds() -> list[tuple[str, str, float]]:
    """(label key, name, value) of the thresholds of the portal pass, read from its code."""
    from profilers import portal

    names = ("NEAR_DUPLICATE", "CONTAINED", "KEY_OVERLAP", "HEADER_JACCARD", "HEADER_OVERLAP")
    return [(f"method.t.{n.lower()}", n, float(getattr(portal, n))) for n in names if hasattr(portal, n)]


def _reasons(settings: Settings) -> dict[tuple[str, str], str]:
    """The ``reason`` texts of the weights file in use (they are not part of ``Weights``)."""
    path = settings.weights_file
    if path is not None:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    else:
        raw = _packaged_weights_json(load_weights().version)
    out: dict[tuple[str, str], str] = {("bands", ""): str(raw.get("bands", {}).get("reason", ""))}
    for key, d in raw.get("dimensions", {}).items():
        out[("dimension", key)] = str(d.get("reason", ""))
    for key, c in raw.get("codes", {}).items():
        out[("code", key)] = str(c.get("reason", ""))
    return out


@cache
def _packaged_weights_json(version: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        files("scoring").joinpath("weights", f"v{version}.json").read_text(encoding="utf-8")
    )
    return data


# -- badges ------------------------------------------------------------------------------------


def _badge(
    request: Request, score: float | None, band: str | None, settings: Settings, status: int = 200
) -> Response:
    t, _ = translator(request)
    weights = load_weights()
    if score is None or (isinstance(score, float) and math.isnan(score)):
        value, colour = t("badge.unscored"), svg.NEUTRAL
    else:
        value = f"{score:.0f} · {views.band_title(weights, band, t)}"
        colour = svg.band_colour(band)
    headers = {**BADGE_HEADERS, "Vary": "Accept-Language, Cookie"}
    return Response(
        svg.badge(t("badge.label"), value, colour),
        status_code=status,
        media_type="image/svg+xml",
        headers=headers,
    )


@router.get("/badge/report/{report_id}.svg")
def report_badge(request: Request, report_id: str, repo: RepoDep, settings: SettingsDep) -> Response:
    report = repo.get_report(report_id)
    if report is None:
        return _badge(request, None, None, settings, status=404)
    return _badge(request, report.get("score"), report.get("band"), settings)


# -- portals -----------------------------------------------------------------------------------


@router.get("/portals")
def portals_page(
    request: Request, repo: RepoDep, settings: SettingsDep, depth: str | None = None
) -> Response:
    t, _ = translator(request)
    weights = load_weights()
    rows: list[dict[str, Any]] = []
    for p in portal_service.list_portals(repo, depth or None):
        history = views.history_points(p.get("history"))
        score, previous = p.get("score"), p.get("previous_score")
        change = None if score is None or previous is None else round(float(score) - float(previous), 1)
        rows.append(
            {
                **p,
                "band_title": views.band_title(weights, p.get("band"), t),
                "change": change,
                "spark": svg.sparkline(
                    [s for _, s in history], title=f"{p.get('name')}: {t('portals.history')}"
                ),
            }
        )
    return render(
        request, "portals.html", {"portals": rows, "depth": depth or None, "depths": portal_service.DEPTHS}
    )


@router.get("/portals/{portal_id}")
def portal_page(request: Request, portal_id: str, repo: RepoDep, settings: SettingsDep) -> Response:
    report = portal_service.get_portal(repo, portal_id)
    t, _ = translator(request)
    view = views.build_portal_view(report, load_weights(), t)
    portal = report.get("portal") or {}
    source = str(portal.get("source") or "")
    return render(
        request,
        "portal.html",
        {
            "p": report,
            "v": view,
            "run_form": True,
            "run_source": source if is_url(source) else "",
        },
    )


@router.get("/badge/{portal}.svg")
def portal_badge(request: Request, portal: str, repo: RepoDep, settings: SettingsDep) -> Response:
    try:
        report = portal_service.get_portal(repo, portal)
    except AppError:
        return _badge(request, None, None, settings, status=404)
    return _badge(request, report.get("score"), report.get("band"), settings)


@router.get("/portals/{portal_id}/dqv.jsonld")
def portal_dqv(portal_id: str, repo: RepoDep) -> Response:
    from app.services.dqv import portal_dqv as to_dqv

    return _jsonld(to_dqv(portal_service.get_portal(repo, portal_id)), f"odq-portal-{portal_id[:40]}.jsonld")


@router.get("/reports/{report_id}/dqv.jsonld")
def report_dqv(report_id: str, repo: RepoDep) -> Response:
    from app.services.dqv import report_dqv as to_dqv

    return _jsonld(to_dqv(scoring_service.get_report(repo, report_id)), f"odq-report-{report_id[:32]}.jsonld")


def _jsonld(graph: Any, filename: str) -> Response:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in filename)
    return Response(
        json.dumps(graph, ensure_ascii=False, indent=2),
        media_type="application/ld+json",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


# -- catalog runs started from a portal page ---------------------------------------------------


def _caller_for_key(request: Request, key: str) -> Any:
    """The caller a key from a form field stands for, checked exactly as the API checks the
    ``X-API-Key`` header (unknown or revoked keys are a 401)."""
    from app.api.auth import current_caller

    headers = [(k, v) for k, v in request.scope["headers"] if k not in (b"authorization", b"x-api-key")]
    headers.append((b"x-api-key", key.encode("utf-8")))
    return current_caller(Request({**request.scope, "headers": headers}))


@router.post("/portals/{portal_id}/runs")
async def start_run(request: Request, portal_id: str, repo: RepoDep, settings: SettingsDep) -> Response:
    from app.api.auth import Unauthorized
    from app.services import catalogs

    form = await request.form()
    key = str(form.get("key") or "").strip()
    if not key:
        raise Unauthorized("Starting a catalog run needs the portal's API key.", code="missing-key")
    caller = _caller_for_key(request, key)
    portal = portal_service.get_portal(repo, portal_id)["portal"]
    caller.require_write(portal["name"])
    source = str(form.get("source") or portal.get("source") or "").strip()
    if not source:
        raise BadRequest("Give the address of the portal's catalog.", code="missing-source")
    kind = portal.get("kind") if source == portal.get("source") else "auto"
    run_id = request.app.state.catalog_runs.submit(
        caller.key_id or caller.kind,
        lambda: catalogs.create_run(
            repo,
            source,
            kind=kind or "auto",
            portal=portal["name"],
            operator=caller.kind == "admin",  # only the operator may name a local folder or file
            settings=settings,
        ),
    )
    return RedirectResponse(f"/jobs/{run_id}", status_code=303)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str, repo: RepoDep) -> Response:
    from app.services import catalogs

    job = catalogs.job_status(repo, job_id)
    portal_url = None
    if job.get("portal"):
        try:
            portal_url = f"/portals/{portal_service.get_portal(repo, job['portal'])['id']}"
        except AppError:
            portal_url = None
    if job["status"] == "done" and portal_url:
        return RedirectResponse(portal_url, status_code=303)
    return render(request, "job.html", {"job": job, "next": portal_url or ""})
