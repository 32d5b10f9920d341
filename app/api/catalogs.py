"""Catalog runs over HTTP: ``POST /api/v1/catalogs`` starts one in the background of the server
(the server is the only writer) and answers 202 with its job id; ``GET /api/v1/jobs/{id}`` shows
its counts, rate and ETA; ``GET /api/v1/jobs/{id}/datasets`` the outcome of each dataset. The
``Accept: application/ld+json`` variant of a finished job is its W3C DQV graph."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from app.api.auth import AUTH_RESPONSES, KeyedCallerDep
from app.api.deps import RepoDep, SettingsDep
from app.api.openapi import error_responses
from app.api.responses import JSONResponse
from app.api.routes import SCORE_JOB_SCHEMA
from app.services import catalogs as service
from profilers import jsontext

router = APIRouter(prefix="/api/v1", tags=["catalogs"])


JOB_ERRORS = error_responses((404, "No such job (code job-not-found)"))
START_ERRORS = {
    **error_responses(
        (400, "Bad source or workers (codes invalid-source, missing-source, too-many-workers)"),
        (422, "Invalid request body (code invalid-request)"),
        (429, "This key already has ODQ_CATALOG_RUNS_PER_KEY runs going (code too-many-runs; Retry-After)"),
        (503, "The server already runs ODQ_CATALOG_RUNS_MAX runs (code runs-full; Retry-After)"),
    ),
    **AUTH_RESPONSES,
}


class CatalogRequest(BaseModel):
    """A catalog to score."""

    source: str = Field(
        ...,
        min_length=1,
        max_length=2000,
        description="Portal or catalog URL (CKAN, DCAT-AP, data.json, Socrata, OpenDataSoft, a manifest).",
    )
    kind: Literal["auto", "ckan", "dcat", "datajson", "socrata", "ods", "manifest", "dir"] = "auto"
    portal: str | None = Field(
        None, max_length=200, description="Portal to score the datasets into (needs that portal's key)."
    )
    executor: Literal["inline", "process", "dask"] = "inline"
    workers: int | None = Field(
        None,
        ge=1,
        le=256,
        description="Worker processes (process/dask executors): at most ODQ_CATALOG_WORKERS, or "
        "ODQ_CATALOG_WORKERS_MAX with the administrator's key.",
    )
    metadata_only: bool = Field(False, description="Score metadata and link status without downloading data.")


async def catalog_request(request: Request, caller: KeyedCallerDep) -> CatalogRequest:
    """The body of ``POST /catalogs``, read only once the caller has a key: a caller without one
    gets its 401 whatever the body holds, even text that is not JSON (FastAPI reads a declared
    body before any dependency runs)."""
    raw = await request.body()
    try:
        data: Any = jsontext.loads(raw)
    except ValueError:  # not UTF-8 or not JSON (JSONDecodeError and UnicodeDecodeError both are)
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "the request body is not UTF-8 JSON", "type": "json_invalid"}]
        ) from None
    try:
        return CatalogRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


CatalogBody = Annotated[CatalogRequest, Depends(catalog_request)]


@router.post(
    "/catalogs",
    status_code=202,
    summary="Score a whole catalog (a background job)",
    description="Starts a durable run and answers 202 with its job id at once; follow it at "
    "`GET /api/v1/jobs/{job_id}`. Needs an API key: a portal's key to score into that portal, "
    "the administrator token for local sources. At most ODQ_CATALOG_RUNS_PER_KEY runs per key and "
    "ODQ_CATALOG_RUNS_MAX in all go at once.",
    responses=START_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CatalogRequest.model_json_schema()}},
        }
    },
)
def start_catalog(
    body: CatalogBody, request: Request, repo: RepoDep, settings: SettingsDep, caller: KeyedCallerDep
) -> JSONResponse:
    if body.portal is not None:
        caller.require_write(body.portal)
    run_id = request.app.state.catalog_runs.submit(
        caller.key_id or caller.kind,
        lambda: service.create_run(
            repo,
            body.source,
            kind=body.kind,
            portal=body.portal,
            executor=body.executor,
            workers=body.workers,
            metadata_only=body.metadata_only,
            operator=caller.kind == "admin",  # only the operator may name a local folder or file
            settings=settings,
        ),
    )
    return JSONResponse(
        {"job_id": run_id, "status": "queued", "status_url": f"/api/v1/jobs/{run_id}"},
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{run_id}"},
    )


@router.get(
    "/jobs/{job_id}",
    summary="A job: a catalog run (counts, rate and ETA) or a score job (queued, running, done)",
    description="`Accept: application/ld+json` gives a catalog run's measurements as W3C DQV JSON-LD. "
    "A score job (`kind` score, from a 202 of `POST /api/v1/score`) gives its status and, when done, "
    "`report_id` and `report_url`.",
    responses={
        200: {"content": {"application/json": {"schema": {"oneOf": [SCORE_JOB_SCHEMA, {"type": "object"}]}}}},
        **JOB_ERRORS,
    },
)
def get_job(job_id: str, request: Request, repo: RepoDep) -> JSONResponse:
    from app.services.score_queue import find_job

    score_job = find_job(repo, job_id, getattr(request.app.state, "score_queue", None))
    if score_job is not None:
        return JSONResponse(score_job, headers={"Cache-Control": "no-store"})
    status = service.job_status(repo, job_id)
    if _wants_jsonld(request):
        from app.services.dqv import run_dqv

        return JSONResponse(run_dqv(repo, job_id), media_type="application/ld+json")
    return JSONResponse(status)


@router.get(
    "/jobs/{job_id}/datasets",
    summary="The datasets of a catalog run and their outcome",
    responses=JOB_ERRORS,
)
def get_job_datasets(job_id: str, repo: RepoDep) -> JSONResponse:
    return JSONResponse({"job_id": job_id, "datasets": service.run_items(repo, job_id)})


def _wants_jsonld(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/ld+json" in accept.lower()
