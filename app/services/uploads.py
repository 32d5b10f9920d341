"""Uploads are private by default: each upload is its uploader's own report (under the file name
they gave), unlisted unless published with a portal or administrator key, and deletable with the
delete token its answer carried."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import AppError, NotFound
from app.ingest.blobs import Blob
from app.services import scoring
from app.storage.repository import Repository, new_report_id


class DeleteRefused(AppError):
    """403: the token given is not the delete token of this report."""

    status = 403
    code = "wrong-delete-token"


@dataclass(frozen=True, slots=True)
class Ownership:
    """Who an upload belongs to: listed or not, and the sha256 of its delete token."""

    listed: bool
    token_sha256: str

    def as_option(self) -> dict[str, Any]:
        """As kept in a score job's options (the token itself is never stored)."""
        return {"listed": self.listed, "token_sha256": self.token_sha256}

    @classmethod
    def from_option(cls, value: Any) -> Ownership | None:
        if not isinstance(value, dict) or not isinstance(value.get("token_sha256"), str):
            return None
        return cls(bool(value.get("listed")), value["token_sha256"])


def new_delete_token() -> str:
    """A fresh delete token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ownership(token: str, listed: bool) -> Ownership:
    return Ownership(listed, token_digest(token))


def claim(
    repo: Repository, report: dict[str, Any], name: str, cached: bool, owner: Ownership
) -> dict[str, Any]:
    """Make ``report`` (just stored for this upload, or ``cached``: a stored report of the same
    bytes) this uploader's own: a fresh report keeps its id; a cached one is copied under a new id
    and this uploader's file name, so no uploader learns of another's upload."""
    if not cached:
        repo.own_report(str(report["id"]), owner.listed, owner.token_sha256)
        return report
    return repo.copy_report(report, new_report_id(), name, owner.listed, owner.token_sha256)


def delete_upload(repo: Repository, report_id: str, token: str | None) -> None:
    """Remove a report and what only it used (rows, suite, blob). 404 when there is no such report;
    403 ``wrong-delete-token`` when ``token`` is not its delete token (or it has none)."""
    found = repo.delete_token_of(report_id)
    if found is None:
        raise NotFound(f"No report with id {report_id!r}.", code="report-not-found")
    _, digest = found
    if not token or digest is None or not hmac.compare_digest(token_digest(token), digest):
        raise DeleteRefused(
            "This is not the delete token of this report: only the uploader, with the delete_token "
            "the upload's answer carried, may delete it.",
        )
    blob_path = repo.delete_report(report_id)
    if blob_path:
        with contextlib.suppress(OSError):
            Path(blob_path).unlink(missing_ok=True)


def stored_for(
    repo: Repository, blob: Blob, name: str, owner: Ownership, **rules: Any
) -> dict[str, Any] | None:
    """The stored report of these bytes and rules made this uploader's own (a copy under their
    name), or None when the bytes must be scored."""
    found = scoring.find_stored(blob, name, repo, **rules)
    if found is None:
        return None
    return claim(repo, found.report, name, True, owner)


COOKIE_PREFIX = "odq_del_"
"""The browser that uploaded keeps each delete token in a cookie ``odq_del_<digest prefix>``."""
COOKIE_DAYS = 30


def cookie_name(owner: Ownership) -> str:
    return COOKIE_PREFIX + owner.token_sha256[:16]


def token_from_cookies(repo: Repository, report_id: str, cookies: Mapping[str, str]) -> str | None:
    """The delete token of ``report_id`` among this browser's cookies, if it uploaded the report."""
    found = repo.delete_token_of(report_id)
    digest = found[1] if found else None
    if digest is None:
        return None
    cookie = cookies.get(COOKIE_PREFIX + digest[:16])
    if cookie and hmac.compare_digest(token_digest(cookie), digest):
        return cookie
    return None
