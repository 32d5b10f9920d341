"""The FastAPI application factory. Nothing happens at import time."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.api.responses import JSONResponse
from app.api.routes import router as api_router
from app.errors import AppError, error_body
from app.ingest.blobs import remove_partial_uploads
from app.observability import install as install_observability
from app.settings import Settings
from app.storage.repository import Repository
from app.storage.store import Store

log = logging.getLogger("odq")

_ROUTER_MODULES: tuple[str, ...] = (
    "app.api.keys",
    "app.web.pages",
    "app.api.catalogs",
    "app.api.portals",
    "app.api.expectations",
)

HEALTH_COUNT_SECONDS = 0.25
"""Most seconds /health waits for the report count; past it the last count read is answered."""

_HTTP_CODES = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """The methods some route serves at the request's path (the ``Allow`` of a 405): Starlette
    names only those of the first route matching the path, while GET and PUT of one path are two
    routes here. Each method is tried against the routes as a request of it would be."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def job_counts(repo: Repository) -> dict[str, int]:
    """Score jobs and catalog runs by state, summed (``odq_jobs`` and ``odq_queue_depth``)."""
    from app.services.catalogs import runs_by_status
    from app.services.score_queue import jobs_by_status

    counts: dict[str, int] = {}
    for part in (jobs_by_status(repo), runs_by_status(repo)):
        for state, n in part.items():
            counts[state] = counts.get(state, 0) + n
    return counts


_WARM_IMPORTS = ("pyarrow.parquet", "pyarrow.dataset", "datasketch", "app.services.portals")
"""What storing a first report imports in the server process (about a second, once)."""


def _warm_parsing(settings: Settings) -> None:
    """Start the parsing fork server and a worker now and import what storing a report needs, so
    the first upload is answered as fast as the next ones (ODQ_SCORE_WAIT_SECONDS is short)."""
    from app.ingest.sandbox import limits_from, warm

    for module in _WARM_IMPORTS:
        importlib.import_module(module)
    limits = limits_from(settings)
    if limits is not None:
        warm(limits)
    from app.web.pages import warm_templates

    warm_templates()  # never compiled on the event loop by a first page


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(settings.db_path)  # holds the data folder: no other server writes to it now
        app.state.store = store
        removed = remove_partial_uploads(settings.blob_dir)  # half-received uploads a crash left
        if removed:
            log.info("removed %d partial upload(s) left by an earlier run", removed)
        app.state.repo = Repository(store)
        # Catalog runs run in background threads of this process (the only writer); runs a crash or
        # a shutdown left unfinished resume now, and are asked to stop between datasets on exit.
        from app.services.catalogs import BackgroundRuns

        app.state.catalog_runs = BackgroundRuns(app.state.repo, settings)
        app.state.catalog_runs.resume()
        # Fresh uploads are scored by a bounded pool from durable job rows (app.services.score_queue);
        # the jobs a crash or a shutdown left unfinished are queued again first.
        from app.services.score_queue import ScoreQueue

        app.state.score_queue = ScoreQueue(
            app.state.repo, settings, metrics=getattr(app.state, "metrics", None)
        )
        app.state.score_queue.start()
        _warm_parsing(settings)
        app.state.job_stats = lambda: job_counts(app.state.repo)
        # /health reads its count on a thread of its own: never behind the request thread pool.
        app.state.health_reader = ThreadPoolExecutor(1, thread_name_prefix="odq-health")
        app.state.health_count = 0
        try:
            yield
        finally:
            app.state.score_queue.stop(settings.shutdown_seconds)
            app.state.catalog_runs.stop()
            app.state.health_reader.shutdown(wait=False, cancel_futures=True)
            store.close()

    # FastAPIOffline serves Swagger UI and ReDoc from the package, never from a CDN: ODQ runs
    # on air-gapped government networks.
    app = FastAPIOffline(
        title="ODQ — open government data quality",
        version="0.1.0",
        description="Scores published datasets for the faults evaluations find: fragmented, duplicated and "
        "invalid data. Every point lost traces to a finding with a stable code.",
        lifespan=lifespan,
        default_response_class=JSONResponse,  # never Infinity or NaN in an answer
    )
    app.state.settings = settings

    @app.exception_handler(AppError)
    async def app_error(_: Request, exc: AppError) -> JSONResponse:
        # Errors may carry headers (WWW-Authenticate on a 401, Retry-After on a 429).
        return JSONResponse(exc.body(), status_code=exc.status, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", [])), "msg": str(e.get("msg", ""))} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        message = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        return JSONResponse(error_body(422, "invalid-request", message, errors=errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer to a JSON body that is not UTF-8; one that is not JSON gets its 422.
            # Both are the same client error: answer them alike (422 invalid-request, documented).
            message = "body: the request body is not UTF-8 JSON"
            return JSONResponse(error_body(422, "invalid-request", message), status_code=422)
        code = _HTTP_CODES.get(exc.status_code, f"http-{exc.status_code}")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return JSONResponse(
            error_body(exc.status_code, code, str(exc.detail)),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            error_body(500, "internal-error", "ODQ failed on this request; the error is logged."),
            status_code=500,
        )

    @app.get("/health", summary="Liveness and database check")
    async def health(request: Request) -> dict[str, object]:
        # Answered on the event loop, never behind the thread pool that requests share: the count
        # is read on the health thread within HEALTH_COUNT_SECONDS, else the last one is given
        # (`reports_stale`).
        state = request.app.state
        stale = False
        try:
            pending = getattr(state, "health_pending", None)
            if pending is None or pending.done():  # one read at a time, however often /health is asked
                pending = state.health_pending = asyncio.wrap_future(
                    state.health_reader.submit(state.repo.count_reports)
                )
            state.health_count = await asyncio.wait_for(asyncio.shield(pending), HEALTH_COUNT_SECONDS)
        except Exception:  # slow (TimeoutError) or failing: the process is up, the count is not fresh
            stale = True
        body: dict[str, object] = {"ok": True, "status": "up", "version": app.version}
        body["reports"] = state.health_count
        if stale:
            body["reports_stale"] = True
        return body

    # Request ids, JSON access log lines and GET /metrics (outside the OpenAPI schema).
    install_observability(app)
    app.include_router(api_router)
    # Further routers, one module per area (portals, catalogs, jobs, web pages); each exposes `router`.
    for module in _ROUTER_MODULES:
        app.include_router(importlib.import_module(module).router)
    return app
