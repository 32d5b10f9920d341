"""Who is calling: anonymous, a portal (by its API key) or the administrator (by ODQ_ADMIN_TOKEN).

A route that writes to a portal takes ``caller: CallerDep`` and calls
``caller.require_write(portal)``; admin-only routes call ``caller.require_admin()``. Scoring routes
take ``ScoringCallerDep`` instead, which also applies ``ODQ_ANONYMOUS_SCORING`` and the per-client
rate limit to anonymous callers. A key is read from ``Authorization: Bearer <key>`` or
``X-API-Key: <key>``; a key that is unknown or revoked is a 401, never a silent anonymous call.
Keys are never logged nor echoed in errors.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import duckdb
from fastapi import Depends, Request

from app.api.openapi import error_responses
from app.errors import AppError
from app.settings import Settings
from app.storage.keys import KeyRepository

log = logging.getLogger(__name__)

REALM = 'Bearer realm="odq"'


class Unauthorized(AppError):
    """401: no credentials where they are needed, or credentials that are not valid."""

    status = 401
    code = "missing-key"

    def __init__(self, message: str, *, code: str | None = None, **detail: Any) -> None:
        super().__init__(message, code=code, **detail)
        self.headers = {"WWW-Authenticate": REALM}


class Forbidden(AppError):
    """403: a valid caller who may not do this (another portal's data, an admin-only route)."""

    status = 403
    code = "forbidden"


class TooManyRequests(AppError):
    """429 with ``Retry-After`` (whole seconds)."""

    status = 429
    code = "rate-limited"

    def __init__(self, message: str, *, retry_after: int, **detail: Any) -> None:
        super().__init__(message, retry_after=retry_after, **detail)
        self.headers = {"Retry-After": str(retry_after)}


AUTH_RESPONSES = error_responses(
    (401, "No API key, or an unknown or revoked one (codes missing-key, invalid-key, revoked-key)"),
    (403, "The key may not do this (codes wrong-portal, admin-only)"),
)
"""OpenAPI ``responses`` of a route that needs a key: merge into the route's own."""
SCORING_RESPONSES = error_responses(
    (401, "Anonymous scoring is off and no key was sent, or the key is unknown or revoked"),
    (429, "Too many anonymous requests from this client; retry after Retry-After seconds"),
)
"""OpenAPI ``responses`` of a scoring route (anonymous allowed, rate-limited)."""


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request (never holds the key itself)."""

    kind: Literal["anonymous", "portal", "admin"]
    portal: str | None = None
    """The portal of a portal key."""
    key_id: str | None = None
    """Public id of the portal key used (for audit), never the key."""

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"

    def can_write(self, portal: str) -> bool:
        return self.kind == "admin" or (self.kind == "portal" and self.portal == portal)

    def require_write(self, portal: str) -> None:
        """Raise 401 when anonymous, 403 when the key belongs to another portal."""
        if self.kind == "admin":
            return
        if self.kind == "anonymous":
            raise Unauthorized(
                f"Writing to portal {portal!r} needs an API key of that portal "
                "(Authorization: Bearer <key>, or X-API-Key).",
                code="missing-key",
            )
        if self.portal != portal:
            raise Forbidden(
                f"This key belongs to portal {self.portal!r}; it cannot write to portal {portal!r}.",
                code="wrong-portal",
            )

    def require_admin(self) -> None:
        """Raise 401 when anonymous, 403 for a portal key."""
        if self.kind == "admin":
            return
        if self.kind == "anonymous":
            raise Unauthorized("This needs the administrator token (ODQ_ADMIN_TOKEN).", code="missing-key")
        raise Forbidden("Only the administrator may do this; a portal key may not.", code="admin-only")


ANONYMOUS = Caller("anonymous")


def presented_key(request: Request) -> str | None:
    """The credential of the request: ``Authorization: Bearer <key>`` or ``X-API-Key``.

    None when neither header is sent; an Authorization header of another scheme, or an empty
    one, is a 401 (a client that meant to authenticate must not be served as anonymous).
    """
    auth = request.headers.get("authorization")
    if auth is not None:
        scheme, _, token = auth.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(
                "Send the key as 'Authorization: Bearer <key>' (or 'X-API-Key: <key>').", code="invalid-key"
            )
        return token
    header = request.headers.get("x-api-key")
    if header is not None:
        if not header.strip():
            raise Unauthorized("The X-API-Key header is empty.", code="invalid-key")
        return header.strip()
    return None


def current_caller(request: Request) -> Caller:
    """FastAPI dependency: the caller of this request (see the module docstring)."""
    key = presented_key(request)
    if key is None:
        return ANONYMOUS
    settings: Settings = request.app.state.settings
    admin = settings.admin_token.get_secret_value() if settings.admin_token is not None else ""
    if admin and hmac.compare_digest(key.encode("utf-8"), admin.encode("utf-8")):
        return Caller("admin")
    keys = KeyRepository(request.app.state.store)
    record = keys.find(key)
    if record is None:
        raise Unauthorized("The API key is not valid.", code="invalid-key")
    if record.revoked:
        raise Unauthorized(
            f"The API key {record.id} was revoked; ask the operator for a new one.", code="revoked-key"
        )
    try:
        keys.touch(record)
    except duckdb.Error as exc:  # bookkeeping only: the request goes on
        log.warning("could not record the use of key %s: %s", record.id, type(exc).__name__)
    return Caller("portal", portal=record.portal, key_id=record.id)


CallerDep = Annotated[Caller, Depends(current_caller)]


def keyed_caller(caller: CallerDep) -> Caller:
    """FastAPI dependency of routes that need a key (or the administrator token): 401 for an
    anonymous caller, answered before the request body is validated (a caller without a key
    learns nothing of what the body should be)."""
    if caller.anonymous:
        raise Unauthorized(
            "This needs an API key (Authorization: Bearer <key>, or X-API-Key).", code="missing-key"
        )
    return caller


KeyedCallerDep = Annotated[Caller, Depends(keyed_caller)]


# -- anonymous scoring: on/off and the per-client rate limit -----------------------------------


class RateLimiter:
    """A token bucket per client: ``per_minute`` requests at once, refilled evenly over a minute.

    In memory, so per process (ODQ runs one server process). Idle clients are forgotten once
    their bucket is full again, so the table stays as small as the set of active clients.
    """

    def __init__(self, per_minute: int, clock: Any = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def acquire(self, client: str) -> int:
        """Take one request for ``client``: 0 when allowed, else the seconds to wait."""
        if self.capacity <= 0:
            return 0
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / self.rate))
            self._buckets[client] = (tokens - 1.0, now)
            if now - self._last_sweep > 60.0:
                self._sweep(now)
            return 0

    def _sweep(self, now: float) -> None:
        full_after = self.capacity / self.rate
        self._buckets = {c: (t, at) for c, (t, at) in self._buckets.items() if now - at < full_after}
        self._last_sweep = now


_LIMITER_LOCK = threading.Lock()


def _limiter(request: Request, per_minute: int) -> RateLimiter:
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "anonymous_rate_limiter", None)
    if limiter is None:
        with _LIMITER_LOCK:
            limiter = getattr(state, "anonymous_rate_limiter", None)
            if limiter is None:
                limiter = RateLimiter(per_minute)
                state.anonymous_rate_limiter = limiter
    return limiter


def client_address(request: Request) -> str:
    """The client a rate limit applies to: the peer address, which is the forwarded client only
    when the peer is one of ``ODQ_TRUSTED_PROXIES`` (``odq serve`` hands them to uvicorn; any
    other sender's X-Forwarded-For is ignored)."""
    return request.client.host if request.client else "unknown"


def scoring_caller(request: Request, caller: CallerDep) -> Caller:
    """FastAPI dependency of scoring routes: the caller, with anonymous callers checked against
    ``ODQ_ANONYMOUS_SCORING`` (401 when off) and the per-client rate limit (429)."""
    if not caller.anonymous:
        return caller
    settings: Settings = request.app.state.settings
    if not settings.anonymous_scoring:
        raise Unauthorized(
            "Scoring needs an API key on this server (anonymous scoring is off).", code="missing-key"
        )
    if settings.anonymous_rate_per_minute > 0:
        wait = _limiter(request, settings.anonymous_rate_per_minute).acquire(client_address(request))
        if wait:
            raise TooManyRequests(
                f"Too many requests: anonymous clients may score {settings.anonymous_rate_per_minute} files "
                f"a minute. Retry in {wait} s, or use an API key.",
                retry_after=wait,
            )
    return caller


ScoringCallerDep = Annotated[Caller, Depends(scoring_caller)]


def admin_caller(caller: CallerDep) -> Caller:
    """FastAPI dependency of admin-only routes: 401 without credentials, 403 for a portal key
    (checked before the request body is read or validated)."""
    caller.require_admin()
    return caller


AdminDep = Annotated[Caller, Depends(admin_caller)]
