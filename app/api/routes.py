"""JSON routes under /api/v1: parse, call one service, respond."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from app.api.deps import RepoDep, SettingsDep
from app.api.upload import receive_upload
from app.errors import BadRequest
from app.services import scoring as service

router = APIRouter(prefix="/api/v1")

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "ok": {"type": "boolean", "const": False},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "error": {"type": "string"},
    },
    "required": ["ok", "status", "code", "error"],
}
ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"description": d, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    for s, d in (
        (400, "Bad request (error code says which)"),
        (404, "Not found"),
        (413, "File larger than ODQ_MAX_UPLOAD_MB"),
        (415, "Not multipart/form-data"),
        (422, "Invalid request"),
    )
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The data file"}
                    },
                    "required": ["file"],
                }
            }
        },
    }
}


@router.post(
    "/score",
    summary="Score one data file",
    description="Upload a CSV/TSV/TXT, XLSX, XLS, JSON, JSONL, GeoJSON or Parquet file as multipart field "
    "`file`. The same bytes return the stored report of the current scoring version.",
    responses=ERRORS,
    openapi_extra=UPLOAD_BODY,
)
async def score(request: Request, settings: SettingsDep, repo: RepoDep) -> JSONResponse:
    upload = await receive_upload(request, settings.blob_dir, settings.max_upload_bytes)
    if upload.blob is None:
        raise BadRequest("No file: send the data as multipart field 'file'.", code="missing-file")
    blob = upload.blob
    name = service.safe_name(upload.filename)
    scored = await run_in_threadpool(service.score_blob, blob, name, repo, None, settings.store_rows)
    return JSONResponse(scored.report, status_code=200, headers={"X-ODQ-Cached": str(scored.cached).lower()})


@router.get("/reports/{report_id}", summary="A stored report", responses=ERRORS)
def get_report(report_id: str, repo: RepoDep) -> JSONResponse:
    return JSONResponse(service.get_report(repo, report_id))


@router.get("/reports", summary="Recent reports", responses=ERRORS)
def list_reports(repo: RepoDep, limit: int = 20) -> JSONResponse:
    if not 1 <= limit <= 200:
        raise BadRequest("limit must be between 1 and 200.", code="invalid-limit")
    return JSONResponse({"reports": repo.list_reports(limit=limit)})
