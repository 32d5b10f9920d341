"""API key management for the administrator (ODQ_ADMIN_TOKEN): create, list, revoke.

The same as ``odq keys`` on the server, for when the server holds the database.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.api.auth import AUTH_RESPONSES, AdminDep
from app.api.responses import JSONResponse
from app.errors import NotFound
from app.storage.keys import PORTAL_RE, KeyRepository

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])

_ERROR = AUTH_RESPONSES[401]["content"]
RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {"description": "No key with this id", "content": _ERROR},
    422: {"description": "Invalid request", "content": _ERROR},
}


class KeyRequest(BaseModel):
    portal: str = Field(
        pattern=PORTAL_RE.pattern,
        description="The portal the key may write to.",
        examples=["data-gov-example"],
    )
    label: str | None = Field(None, max_length=200, description="What the key is for.")


def _keys(request: Request) -> KeyRepository:
    return KeyRepository(request.app.state.store)


@router.post(
    "",
    summary="Create an API key for a portal (admin)",
    description="Returns the key once, in `key`; only its hash is stored.",
    status_code=201,
    responses=RESPONSES,
)
async def create_key(body: KeyRequest, request: Request, _: AdminDep) -> JSONResponse:
    record, key = await run_in_threadpool(_keys(request).create, body.portal, body.label)
    return JSONResponse({**record.to_dict(), "key": key}, status_code=201)


@router.get("", summary="List API keys (admin)", responses=RESPONSES)
def list_keys(
    request: Request,
    _: AdminDep,
    portal: Annotated[str | None, Query(description="Only this portal's keys.")] = None,
) -> JSONResponse:
    return JSONResponse({"keys": [r.to_dict() for r in _keys(request).list(portal)]})


@router.delete("/{key_id}", summary="Revoke an API key (admin)", responses=RESPONSES)
def revoke_key(key_id: str, request: Request, _: AdminDep) -> JSONResponse:
    record = _keys(request).revoke(key_id)
    if record is None:
        raise NotFound(f"No key with id {key_id!r}.", code="key-not-found")
    return JSONResponse(record.to_dict())
