"""Typed errors that carry their HTTP status and a stable code; rendered in one place
(``app.main``) as ``{"ok": false, "status", "code", "error"}``."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad-request"

    def __init__(self, message: str, *, code: str | None = None, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.detail = detail

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "status": self.status, "code": self.code, "error": self.message}
        if self.detail:
            out["detail"] = self.detail
        return out


class BadRequest(AppError):
    status = 400
    code = "bad-request"


class NotFound(AppError):
    status = 404
    code = "not-found"


class PayloadTooLarge(AppError):
    status = 413
    code = "file-too-large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported-media-type"


class InvalidRequest(AppError):
    status = 422
    code = "invalid-request"


def error_body(status: int, code: str, message: str, **detail: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, "status": status, "code": code, "error": message}
    if detail:
        out["detail"] = detail
    return out
