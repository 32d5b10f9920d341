"""JSON routes under /api/v1: parse, call one service, respond."""

from __future__ import annotations

import contextlib
import math
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from app.api.auth import SCORING_RESPONSES, Caller, ScoringCallerDep, Unauthorized
from app.api.deps import RepoDep, SettingsDep
from app.api.openapi import error_responses, ranged
from app.api.responses import JSONResponse
from app.api.upload import receive_upload
from app.errors import BadRequest
from app.ingest.sandbox import limits_from
from app.services import expectations as declared
from app.services import scoring as service
from app.services import uploads
from app.services.score_queue import JobRefused, ScoreQueue, ScoringFailed
from app.services.urls import checked_url, name_for
from profilers import jsontext

router = APIRouter(prefix="/api/v1")

ERRORS = error_responses(
    (400, "Bad request (error code says which)"),
    (404, "Not found"),
    (413, "File larger than ODQ_MAX_UPLOAD_MB"),
    (415, "Not multipart/form-data"),
    (422, "Invalid request"),
)
ACCEPTED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "job_id": {"type": "string", "description": "The score job (uuid4 hex)"},
        "kind": {"type": "string", "const": "score"},
        "status": {"type": "string", "enum": ["queued", "running"]},
        "status_url": {"type": "string", "description": "GET it until status is done: /api/v1/jobs/{job_id}"},
        "queue_position": {"type": ["integer", "null"], "description": "1: the next job to start"},
    },
    "required": ["job_id", "status", "status_url"],
}
SCORE_JOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A score job (`kind` score): one upload waiting for, or past, its scoring.",
    "properties": {
        "job_id": {"type": "string"},
        "id": {"type": "string"},
        "kind": {"type": "string", "const": "score"},
        "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
        "name": {"type": "string", "description": "The file name as uploaded"},
        "bytes": {"type": "integer"},
        "sha256": {"type": "string"},
        "origin": {"type": "string", "enum": ["api", "web"]},
        "report_id": {"type": ["string", "null"], "description": "Set when status is done"},
        "report_url": {"type": ["string", "null"], "description": "/api/v1/reports/{report_id}"},
        "error": {"type": ["string", "null"], "description": "Why a failed job failed"},
        "attempts": {"type": "integer", "description": "Starts so far (a crash makes one more)"},
        "queue_position": {"type": ["integer", "null"]},
        "elapsed_seconds": {"type": "number"},
        "created_at": {"type": "string"},
        "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]},
    },
    "required": ["job_id", "kind", "status", "report_id"],
}
"""The score-job variant of ``GET /api/v1/jobs/{id}`` (catalog runs have ``kind`` catalog)."""
SCORE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The report (`X-ODQ-Cached: true` when the same bytes were scored before)"},
    202: {
        "description": "Not scored within the wait: the job to follow (`Location` header, `Retry-After`)",
        "content": {"application/json": {"schema": ACCEPTED_SCHEMA}},
    },
    **error_responses((503, "Too many uploads waiting to be scored (code queue-full; Retry-After)")),
}
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
                        "url": {
                            "type": "string",
                            "minLength": 1,
                            "pattern": r"\S",
                            "description": "An http(s) URL to fetch and score",
                        }
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
    "gives a report scored 0 with `download-failed`.\n\n"
    "A fresh upload is queued for a scoring worker (first in, first out) and the request waits up to "
    "`ODQ_SCORE_WAIT_SECONDS` (1 s) for its report: 200 with the report when it is ready, else **202** with "
    "`{job_id, status, status_url}` and a `Location` header; follow `GET /api/v1/jobs/{job_id}` until "
    "`status` is `done`, then fetch `report_url`. Jobs survive a restart. A client that cannot poll asks to "
    "wait longer: `?wait=true` (up to `ODQ_SCORE_WAIT_MAX_SECONDS`), `?wait=N` or `Prefer: wait=N` "
    "(N seconds, at most that maximum; answered with `Preference-Applied`); `Prefer: respond-async` or "
    "`?wait=0` answers 202 at once unless the report is already stored. When `ODQ_SCORE_QUEUE_MAX` "
    "uploads are already waiting: 503 `queue-full` with Retry-After. A `url` is a score job too (downloaded by a "
    "score worker, never in the request); its request waits up to `ODQ_SCORE_WAIT_MAX_SECONDS` unless it asks "
    "otherwise.",
    responses={**ERRORS, **SCORING_RESPONSES, **SCORE_RESPONSES},
    openapi_extra=UPLOAD_BODY,
)
async def score(
    request: Request, settings: SettingsDep, repo: RepoDep, caller: ScoringCallerDep
) -> JSONResponse:
    wait, preference = _wait_seconds(request, settings)
    headers = {"Preference-Applied": preference} if preference else {}
    # A URL is downloaded by a score worker, never in this request: by default the request waits
    # (holding no thread) up to ODQ_SCORE_WAIT_MAX_SECONDS for its report.
    url_wait, _ = _wait_seconds(request, settings, settings.score_wait_max_seconds)
    if _is_json(request):
        token = uploads.new_delete_token()
        owner = _owner(request, caller, token, request.query_params.get("publish"))
        return await _score_url(request, await _json_url(request), url_wait, headers, token, owner)
    if _ctype(request) == "application/x-www-form-urlencoded":
        form_url = await _form_url(request)
        if form_url:
            token = uploads.new_delete_token()
            owner = _owner(request, caller, token, request.query_params.get("publish"))
            return await _score_url(request, form_url, url_wait, headers, token, owner)
    token = uploads.new_delete_token()
    owner = _owner(request, caller, token, request.query_params.get("publish"))
    rules: dict[str, Any] = {}

    def read_rules(fields: dict[str, str], filename: str | None) -> None:
        nonlocal owner
        if fields.get("url", "").strip() and filename is not None:  # refused before the file is kept
            raise BadRequest("Send either a file or a url, not both.", code="file-and-url")
        if "publish" in fields:
            owner = _owner(request, caller, token, fields["publish"])
        rules["suite"], rules["schema"] = declared.read_upload_fields(
            fields, service.safe_name(filename), declared.DeclaredLimits.of(settings)
        )

    upload = await receive_upload(
        request,
        settings.blob_dir,
        settings.max_upload_bytes,
        read_rules,
        declared_max=settings.suite_max_bytes,
    )
    if upload.fields.get("url", "").strip():
        return await _score_url(request, upload.fields["url"], url_wait, headers, token, owner)
    if upload.blob is None:
        raise BadRequest("No file: send the data as multipart field 'file'.", code="missing-file")
    blob = upload.blob
    name = service.safe_name(upload.filename)
    stored = await run_in_threadpool(uploads.stored_for, repo, blob, name, owner, **rules)
    if stored is not None:
        return JSONResponse(
            stored, status_code=200, headers={"X-ODQ-Cached": "true", **_token_headers(token), **headers}
        )
    queue: ScoreQueue = request.app.state.score_queue
    fields = {k: upload.fields[k] for k in ("expectations", "schema") if (upload.fields.get(k) or "").strip()}
    # The same uploader's identical requests share one job; another uploader's never do.
    same = f"{blob.sha256} {service.options_key(name, **rules)} {owner.token_sha256}"
    job = await run_in_threadpool(
        queue.submit,
        blob,
        name,
        origin="api",
        options={"store_rows": settings.store_rows, "fields": fields, "owner": owner.as_option()},
        same=same,
    )
    return await _answer(queue, job, wait, headers, repo, token)


def _owner(request: Request, caller: Caller, token: str, publish: str | None) -> uploads.Ownership:
    """Who the upload belongs to: unlisted unless ``publish`` is true, which needs a portal or
    administrator key (401 publish-needs-key for an anonymous caller)."""
    word = (publish or "").strip().lower()
    if word not in ("", "true", "false", "1", "0", "yes", "no", "on", "off"):
        raise BadRequest("publish is true or false.", code="invalid-publish")
    listed = word in ("true", "1", "yes", "on")
    if listed and caller.anonymous:
        raise Unauthorized(
            "Publishing a report (publish=true) needs a portal or administrator API key "
            "(Authorization: Bearer <key>); without one the report stays unlisted.",
            code="publish-needs-key",
        )
    return uploads.ownership(token, listed)


def _token_headers(token: str) -> dict[str, str]:
    """The delete token only this uploader receives (never part of the stored report)."""
    return {"X-ODQ-Delete-Token": token}


async def _answer(
    queue: ScoreQueue, job: dict[str, Any], wait: float, headers: dict[str, str], repo: RepoDep, token: str
) -> JSONResponse:
    """200 with the report when the job finishes within ``wait`` seconds, else 202 with the job."""
    outcome = await queue.wait(job["id"], wait)
    if outcome is not None and (outcome.status == "done" or outcome.report is not None):
        report = outcome.report  # a failed download's report (not stored) comes this way too
        if report is None:  # finished before this request began to wait
            report = await run_in_threadpool(service.get_report, repo, str(outcome.report_id))
        cached = str(outcome.cached).lower()
        mine = _token_headers(token) if outcome.status == "done" else {}
        return JSONResponse(
            report,
            status_code=200,
            headers={"X-ODQ-Cached": cached, "X-ODQ-Job": job["id"], **mine, **headers},
        )
    if outcome is not None and outcome.http_status is not None:
        raise JobRefused(outcome.error or "refused", outcome.http_status, outcome.code or "bad-request")
    if outcome is not None:
        raise ScoringFailed(f"{outcome.error} (job {job['id']})")
    status_url = f"/api/v1/jobs/{job['id']}"
    position = queue.position(job["id"])  # None: taken by a worker (or finished since the wait)
    return JSONResponse(
        {
            "job_id": job["id"],
            "kind": "score",
            "status": "running" if position is None else "queued",
            "status_url": status_url,
            "queue_position": position,
            "delete_token": token,
        },
        status_code=202,
        headers={"Location": status_url, "Retry-After": "1", **_token_headers(token), **headers},
    )


def _wait_seconds(
    request: Request, settings: SettingsDep, default: float | None = None
) -> tuple[float, str | None]:
    """How long this request waits for a fresh upload's report, and the preference it honours:
    ``?wait=true|false|N`` first, then ``Prefer: wait=N`` / ``respond-async``, else ``default``
    (ODQ_SCORE_WAIT_SECONDS when not given)."""
    most = settings.score_wait_max_seconds
    given = request.query_params.get("wait")
    if given is not None:
        word = given.strip().lower()
        if word in ("true", "yes", ""):
            return most, None
        if word in ("false", "no"):
            return 0.0, None
        try:
            seconds = float(word)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds < 0:
            raise BadRequest(
                "wait is true, false or a number of seconds (e.g. ?wait=30).", code="invalid-wait"
            )
        return min(seconds, most), None
    prefer = [p.strip().lower() for h in request.headers.getlist("prefer") for p in h.split(",")]
    for pref in prefer:
        key, _, value = (x.strip() for x in pref.partition("="))
        if key == "wait":
            with contextlib.suppress(ValueError):
                seconds = float(value.strip('"'))
                if math.isfinite(seconds) and seconds >= 0:
                    seconds = min(seconds, most)
                    return seconds, f"wait={seconds:g}"
    if "respond-async" in prefer:
        return 0.0, "respond-async"
    return (settings.score_wait_seconds if default is None else default), None


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
        data = jsontext.loads(body)
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}", code="invalid-json") from exc
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise BadRequest('Send {"url": "https://…"} (a string) to score a URL.', code="missing-url")
    return url


async def _score_url(
    request: Request, url: str, wait: float, headers: dict[str, str], token: str, owner: uploads.Ownership
) -> JSONResponse:
    """Queue the URL as a score job (its download runs in a score worker) and answer like an upload."""
    url = checked_url(url)
    queue: ScoreQueue = request.app.state.score_queue
    job = await run_in_threadpool(
        queue.submit_url, url, name_for(url), origin="api", options={"owner": owner.as_option()}
    )
    return await _answer(queue, job, wait, headers, request.app.state.repo, token)


@router.get(
    "/reports/{report_id}",
    summary="A stored report",
    description="`Accept: application/ld+json` gives the same numbers as W3C DQV JSON-LD. A report made "
    "by other scoring rules is never served as current: the file is scored again from its stored bytes "
    "(`rescored_from` names the old report), or, when that cannot be done, the old report says "
    "`current: false` and why.",
    responses=ERRORS,
)
def get_report(report_id: str, request: Request, repo: RepoDep, settings: SettingsDep) -> JSONResponse:
    report = service.current_report(repo, report_id, limits_from(settings))
    if "application/ld+json" in request.headers.get("accept", "").lower():
        from app.services.dqv import report_dqv

        return JSONResponse(report_dqv(report), media_type="application/ld+json")
    return JSONResponse(report)


@router.delete(
    "/reports/{report_id}",
    summary="Delete an uploaded report",
    description="Removes the report, its findings, its suite, its stored rows and (when no other report "
    "is of the same bytes) the uploaded file. Send the `delete_token` of the upload's answer in the "
    "`X-ODQ-Delete-Token` header. 403 `wrong-delete-token` for any other token; 404 once deleted.",
    responses=error_responses(
        (403, "Not this report's delete token (code wrong-delete-token)"), (404, "Not found")
    ),
)
def delete_report(report_id: str, request: Request, repo: RepoDep) -> JSONResponse:
    uploads.delete_upload(repo, report_id, request.headers.get("x-odq-delete-token"))
    return JSONResponse({"ok": True, "deleted": report_id})


@router.get(
    "/reports",
    summary="Recent published reports",
    description="Only reports published with a portal or administrator key (`publish=true`); an "
    "upload is unlisted by default.",
    responses=ERRORS,
)
def list_reports(
    repo: RepoDep,
    limit: Annotated[int, ranged("Most reports listed, newest first.", minimum=1, maximum=200)] = 20,
) -> JSONResponse:
    if not 1 <= limit <= 200:
        raise BadRequest("limit must be between 1 and 200.", code="invalid-limit")
    return JSONResponse({"reports": repo.list_reports(limit=limit)})
