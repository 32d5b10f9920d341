"""The error body every JSON route documents in OpenAPI (one shape: ``{"ok": false, "status", "code",
"error"}``), and a helper that turns (status, description) pairs into a route's ``responses``."""

from __future__ import annotations

from typing import Any

from fastapi import Query

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ok": {"type": "boolean", "const": False},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "error": {"type": "string"},
    },
    "required": ["ok", "status", "code", "error"],
}


def error_responses(*pairs: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each with the shared error body."""
    return {
        s: {"description": d, "content": {"application/json": {"schema": ERROR_SCHEMA}}} for s, d in pairs
    }


def ranged(
    description: str, *, minimum: int | None = None, maximum: int | None = None, enum: list[str] | None = None
) -> Any:
    """A query parameter whose accepted values the schema states (``minimum``, ``maximum``,
    ``enum``) while the route checks them itself, answering 400 with its own stable code rather than
    FastAPI's 422: the schema admits exactly what the server accepts."""
    extra = {k: v for k, v in (("minimum", minimum), ("maximum", maximum), ("enum", enum)) if v is not None}
    return Query(description=description, json_schema_extra=extra)
