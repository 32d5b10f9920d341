"""JSON routes under /api/v1: parse, call one service, respond."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from app.api.auth import SCORING_RESPONSES, ScoringCallerDep
from app.api.deps import RepoDep, SettingsDep
from app.api.openapi import error_responses
from app.api.upload import receive_upload
from app.errors import BadRequest
from app.ingest.sandbox import limits_from
from app.services import expectations as declared
from app.services import scoring as service

router = APIRouter(prefix="/api/v1")

ERRORS = error_responses(
    (400, "Bad request (error code says which)"),
    (404, "Not found"),
    (413, "File larger than ODQ_MAX_UPLOAD_MB"),
    (415, "Not multipart/form-data"),
    (422, "Invalid request"),
)
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The data file"},
                        "expectations": {
                            "type": "string",
                            "format": "binary",
                            "description": "Optional Great Expectations suite (JSON, GX 1.x or 0.x) to run on the "
                            "data: each failing expectation is an expectation-failed finding. Unknown "
                            "expectation types are refused (422 unknown-expectation).",
                        },
                        "schema": {
                            "type": "string",
                            "format": "binary",
                            "description": "Optional Frictionless Table Schema, or a datapackage.json whose "
                            "resource names this file: declared types, constraints and keys are checked "
                            "(type-error, constraint-error, duplicate-key, foreign-key-error, header-mismatch).",
                        },
                        "url": {
                            "type": "string",
                            "description": "Instead of `file`: an http(s) URL to fetch and score (through the SSRF "
                            "guard; 400 url-refused for a non-public address).",
                        },
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "url": {"type": "string", "description": "An http(s) URL to fetch and score"}
                    },
                    "required": ["url"],
                }
            },
        },
    }
}


@router.post(
    "/score",
    summary="Score one data file",
    description="Upload a CSV/TSV/TXT, XLSX, XLS, JSON, JSONL, GeoJSON or Parquet file as multipart field "
    '`file`, or give a `url` (multipart field or JSON body `{"url": …}`) to fetch it through the SSRF guard. '
    "The same bytes return the stored report of the current scoring version. A URL that cannot be downloaded "
    "gives a report scored 0 with `download-failed`.",
    responses={**ERRORS, **SCORING_RESPONSES},
    openapi_extra=UPLOAD_BODY,
)
async def score(
    request: Request, settings: SettingsDep, repo: RepoDep, caller: ScoringCallerDep
) -> JSONResponse:
    if _is_json(request):
        return await _score_url(await _json_url(request), settings, repo)
    if _ctype(request) == "application/x-www-form-urlencoded":
        form_url = await _form_url(request)
        if form_url:
            return await _score_url(form_url, settings, repo)
    rules: dict[str, Any] = {}

    def read_rules(fields: dict[str, str], filename: str | None) -> None:
        if fields.get("url", "").strip() and filename is not None:  # refused before the file is kept
            raise BadRequest("Send either a file or a url, not both.", code="file-and-url")
        rules["suite"], rules["schema"] = declared.read_upload_fields(fields, service.safe_name(filename))

    upload = await receive_upload(request, settings.blob_dir, settings.max_upload_bytes, read_rules)
    if upload.fields.get("url", "").strip():
        return await _score_url(upload.fields["url"], settings, repo)
    if upload.blob is None:
        raise BadRequest("No file: send the data as multipart field 'file'.", code="missing-file")
    blob = upload.blob
    name = service.safe_name(upload.filename)
    limits = limits_from(settings)
    scored = await run_in_threadpool(
        service.score_blob, blob, name, repo, None, settings.store_rows, limits=limits, **rules
    )
    return JSONResponse(scored.report, status_code=200, headers={"X-ODQ-Cached": str(scored.cached).lower()})


def _ctype(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(request: Request) -> bool:
    ctype = _ctype(request)
    return ctype == "application/json" or ctype.endswith("+json")


async def _small_body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > 64 * 1024:
            raise BadRequest("The request body is too long for a url.", code="field-too-long")
    return body


async def _form_url(request: Request) -> str | None:
    """The ``url`` field of a plain HTML form (application/x-www-form-urlencoded), if any."""
    from urllib.parse import parse_qs

    fields = parse_qs((await _small_body(request)).decode("utf-8", "replace"))
    url = (fields.get("url") or [""])[0].strip()
    return url or None


async def _json_url(request: Request) -> str:
    """The ``url`` of a JSON body ``{"url": "https://…"}`` (at most 64 KiB)."""
    body = await _small_body(request)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}", code="invalid-json") from exc
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise BadRequest('Send {"url": "https://…"} (a string) to score a URL.', code="missing-url")
    return url


async def _score_url(url: str, settings: SettingsDep, repo: RepoDep) -> JSONResponse:
    from app.services.urls import score_url

    scored = await run_in_threadpool(score_url, url, settings, repo, limits=limits_from(settings))
    return JSONResponse(scored.report, status_code=200, headers={"X-ODQ-Cached": str(scored.cached).lower()})


@router.get(
    "/reports/{report_id}",
    summary="A stored report",
    description="`Accept: application/ld+json` gives the same numbers as W3C DQV JSON-LD.",
    responses=ERRORS,
)
def get_report(report_id: str, request: Request, repo: RepoDep) -> JSONResponse:
    report = service.get_report(repo, report_id)
    if "application/ld+json" in request.headers.get("accept", "").lower():
        from app.services.dqv import report_dqv

        return JSONResponse(report_dqv(report), media_type="application/ld+json")
    return JSONResponse(report)


@router.get("/reports", summary="Recent reports", responses=ERRORS)
def list_reports(repo: RepoDep, limit: int = 20) -> JSONResponse:
    if not 1 <= limit <= 200:
        raise BadRequest("limit must be between 1 and 200.", code="invalid-limit")
    return JSONResponse({"reports": repo.list_reports(limit=limit)})
