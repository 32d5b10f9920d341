"""Portal routes: the ranking of portals and one portal's report (findings, clusters, history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from app.api.deps import RepoDep
from app.api.openapi import ERROR_SCHEMA, ranged
from app.api.responses import JSONResponse
from app.errors import BadRequest
from app.services import portals as service

router = APIRouter(prefix="/api/v1/portals", tags=["portals"])

_ERROR = {"application/json": {"schema": ERROR_SCHEMA}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad request (error code says which)", "content": _ERROR},
    404: {"description": "No scored portal with this id or name", "content": _ERROR},
    422: {"description": "Invalid request", "content": _ERROR},
}
MAX_LIMIT = 1000


@router.get(
    "",
    summary="Portal ranking",
    description="Every scored portal with its latest score, band, number of datasets, depth of assessment "
    "(metadata-only, links-checked, content), rank among the portals assessed at the same depth "
    "(1 = best), previous score and score history.",
    responses=RESPONSES,
)
async def list_portals(
    repo: RepoDep,
    limit: Annotated[int, ranged("Most portals listed.", minimum=1, maximum=MAX_LIMIT)] = 100,
    offset: Annotated[int, ranged("Portals skipped first.", minimum=0)] = 0,
    depth: Annotated[
        str | None,
        Query(description="Only the portals assessed at this depth: " + ", ".join(service.DEPTHS) + "."),
    ] = None,
) -> JSONResponse:
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise BadRequest(f"limit must be 1..{MAX_LIMIT} and offset >= 0.", code="invalid-limit")
    rows = await run_in_threadpool(service.list_portals, repo, depth)
    return JSONResponse({"portals": rows[offset : offset + limit], "total": len(rows)})


DATASETS_LIMIT = 1000
"""Datasets listed per portal report by default: a portal of up to this many looks as it always
did (every dataset); a bigger one is read a page at a time."""
MAX_DATASETS_LIMIT = 10_000
MAX_OFFSET = 2**31 - 1


@router.get(
    "/{portal_id}",
    summary="A portal's report",
    description="The latest portal report (by id or name): dimension scores, band distribution, portal "
    "findings (each listing its datasets, the catalog-level ones of the latest catalog run such as "
    "`duplicate-title` included), the catalog run's MQA value (`catalog`), duplicate/revision/series "
    "clusters, rank, score history and a page of the datasets.\n\n"
    f"Datasets are paged: `datasets_limit` (1..{MAX_DATASETS_LIMIT}, default {DATASETS_LIMIT}) and "
    "`datasets_offset` (default 0) choose the page, `datasets_order` its order: `key` (by dataset id, "
    "the default) or `worst` (lowest score first; datasets where nothing could be scored first of all, "
    "then by id). `datasets_total` counts every dataset of the portal; `datasets_page` echoes "
    "offset, limit and order. Everything else (findings, clusters, scores) covers all datasets. "
    "With `Accept: application/ld+json` the W3C DQV graph of the report (the same page of datasets).",
    responses=RESPONSES,
)
async def get_portal(
    portal_id: str,
    request: Request,
    repo: RepoDep,
    datasets_limit: Annotated[
        int, ranged("Datasets in the page.", minimum=1, maximum=MAX_DATASETS_LIMIT)
    ] = DATASETS_LIMIT,
    datasets_offset: Annotated[int, ranged("Datasets skipped first.", minimum=0, maximum=MAX_OFFSET)] = 0,
    datasets_order: Annotated[
        str, ranged("Order of the datasets.", enum=list(service.DATASET_ORDERS))
    ] = "key",
) -> JSONResponse:
    if not 1 <= datasets_limit <= MAX_DATASETS_LIMIT or not 0 <= datasets_offset <= MAX_OFFSET:
        raise BadRequest(
            f"datasets_limit must be 1..{MAX_DATASETS_LIMIT} and datasets_offset 0..{MAX_OFFSET}.",
            code="invalid-limit",
        )
    portal = await run_in_threadpool(
        service.get_portal, repo, portal_id, datasets_limit, datasets_offset, datasets_order
    )
    if "application/ld+json" in request.headers.get("accept", "").lower():  # W3C DQV JSON-LD
        from app.services.dqv import portal_dqv

        return JSONResponse(portal_dqv(portal), media_type="application/ld+json")
    return JSONResponse(portal)
