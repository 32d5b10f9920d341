"""Great Expectations suites over the API: the suite a scored dataset meets, and the suite a
portal keeps for its datasets (written only with that portal's key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from app.api.auth import AUTH_RESPONSES, CallerDep
from app.api.deps import RepoDep, SettingsDep
from app.api.responses import JSONResponse
from app.errors import PayloadTooLarge
from app.services import expectations as service

router = APIRouter(prefix="/api/v1", tags=["expectations"])

_ERROR = AUTH_RESPONSES[401]["content"]
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such report, portal or suite (the code says which)", "content": _ERROR},
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {"description": "Not a valid portal name", "content": _ERROR},
    413: {"description": "The suite is larger than ODQ_SUITE_MAX_BYTES (suite-too-large)", "content": _ERROR},
    422: {
        "description": "Not a usable suite: invalid-suite, too-many-rules (more expectations than "
        "ODQ_SUITE_MAX_RULES), unknown-expectation (lists the unknown types), invalid-expectation",
        "content": _ERROR,
    },
}
SUITE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "A Great Expectations suite: GX 1.x (name, expectations[{type, kwargs}]) or "
                    "0.x (expectation_suite_name, expectations[{expectation_type, kwargs}]).",
                    "required": ["expectations"],
                }
            }
        },
    }
}


@router.get(
    "/reports/{report_id}/expectations",
    summary="The Great Expectations suite a scored dataset meets",
    description="A GX 1.x suite generated from the dataset as profiled: its columns, not-null where no value "
    "is missing, unique where none repeats, numeric types and ranges, date patterns, value lengths and the "
    "value sets of low-cardinality columns. Run it in your own pipeline to keep the data this way. The suite "
    "is built once, when the report is made, and served as stored (`meta.basis` `rows`); a report made "
    "before suites were stored gets the weaker suite of its column statistics (`meta.basis` "
    "`column statistics`). A bound beyond the float range is left open.",
    responses=READ_RESPONSES,
)
async def report_expectations(report_id: str, repo: RepoDep) -> Response:
    suite = await run_in_threadpool(service.export_suite, repo, report_id)
    if isinstance(suite, str):  # stored JSON text, served as it is
        return Response(suite, media_type="application/json")
    return JSONResponse(suite)


@router.get(
    "/portals/{portal}/expectations",
    summary="A portal's expectation suite",
    description="The suite applied to the portal's datasets when they are scored into it (GX 1.x JSON; "
    "`meta.odq` says when it was stored).",
    responses=READ_RESPONSES,
)
def get_portal_expectations(portal: str, repo: RepoDep) -> JSONResponse:
    return JSONResponse(service.get_portal_suite(repo, portal))


@router.put(
    "/portals/{portal}/expectations",
    summary="Store a portal's expectation suite (portal key)",
    description="Validates the suite (unknown expectation types are refused, not skipped) and stores it for "
    "the portal; it runs on every dataset scored into the portal. Needs a key of this portal.",
    responses=WRITE_RESPONSES,
    openapi_extra=SUITE_BODY,
)
async def put_portal_expectations(
    portal: str, request: Request, repo: RepoDep, caller: CallerDep, settings: SettingsDep
) -> JSONResponse:
    caller.require_write(portal)
    limits = service.DeclaredLimits.of(settings)
    body = await _body(request, limits.max_bytes)
    by = caller.key_id or caller.kind
    return JSONResponse(await run_in_threadpool(service.put_portal_suite, repo, portal, body, by, limits))


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit``."""
    too_large = PayloadTooLarge(
        f"The suite is larger than {limit:,} bytes (ODQ_SUITE_MAX_BYTES).",
        code="suite-too-large",
        limit_bytes=limit,
    )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise too_large
    return bytes(data)
