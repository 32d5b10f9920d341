"""API keys: create, look up by hash, list, revoke, touch (all the SQL of ``api_keys``).

A key is ``odq_`` followed by 43 URL-safe characters (32 random bytes). Only its sha256 is
stored, with its first characters as a recognisable prefix; the key itself is returned once, by
:meth:`KeyRepository.create`, and never again. Values are bound as parameters.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.storage.store import Store

KEY_PREFIX = "odq_"
SHOWN_CHARS = 12
"""Characters of a key kept in clear (``odq_`` and 8 more): enough to tell keys apart in a
list, far too few to guess the rest (32 random bytes)."""
TOUCH_EVERY = timedelta(seconds=60)
"""last_used_at is written at most this often per key, so a busy key does not turn every read
into a database write."""
PORTAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
"""A portal name: letters, digits, '.', '_' and '-', 1 to 100 characters, not starting with
punctuation (it appears in URLs such as /api/v1/portals/{portal})."""

_COLUMNS = "id, portal, prefix, label, created_at, last_used_at, revoked_at"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    portal: str
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.replace(tzinfo=UTC).isoformat(timespec="seconds") if t else None

        return {
            "id": self.id,
            "portal": self.portal,
            "prefix": self.prefix,
            "label": self.label,
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
            "revoked": self.revoked,
        }


def hash_key(key: str) -> str:
    """sha256 hex of a key (the key is high-entropy, so a plain hash is enough: no salt needed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def valid_portal(portal: str) -> bool:
    return bool(PORTAL_RE.match(portal))


class KeyRepository:
    """The ``api_keys`` table. Safe to share between threads (each uses its own cursor)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, portal: str, label: str | None = None) -> tuple[ApiKey, str]:
        """A new key for ``portal``: the stored record and the key itself (shown once)."""
        if not valid_portal(portal):
            raise ValueError(f"invalid portal name {portal!r}")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(
            id="key_" + secrets.token_hex(6),
            portal=portal,
            prefix=key[:SHOWN_CHARS],
            label=label,
            created_at=_utcnow(),
            last_used_at=None,
            revoked_at=None,
        )
        with self.store.transaction() as cur:
            cur.execute(
                "INSERT INTO api_keys (id, portal, key_hash, prefix, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [record.id, portal, hash_key(key), record.prefix, label, record.created_at],
            )
        return record, key

    def find(self, key: str) -> ApiKey | None:
        """The stored record of ``key`` (revoked or not), or None when no key has its hash."""
        rows = (
            self.store.cursor()
            .execute(f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = ?", [hash_key(key)])
            .fetchall()
        )
        return _record(rows[0]) if rows else None

    def get(self, key_id: str) -> ApiKey | None:
        rows = (
            self.store.cursor().execute(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", [key_id]).fetchall()
        )
        return _record(rows[0]) if rows else None

    def list(self, portal: str | None = None, include_revoked: bool = True) -> list[ApiKey]:
        sql = f"SELECT {_COLUMNS} FROM api_keys WHERE (? IS NULL OR portal = ?)"
        if not include_revoked:
            sql += " AND revoked_at IS NULL"
        rows = self.store.cursor().execute(sql + " ORDER BY created_at, id", [portal, portal]).fetchall()
        return [_record(r) for r in rows]

    def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke a key (idempotent: a revoked key keeps its first revocation time)."""
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", [_utcnow(), key_id]
            )
        return self.get(key_id)

    def touch(self, record: ApiKey, now: datetime | None = None) -> None:
        """Note that the key was used, unless that was noted less than TOUCH_EVERY ago."""
        now = now or _utcnow()
        if record.last_used_at is not None and now - record.last_used_at < TOUCH_EVERY:
            return
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                [now, record.id, now],
            )


def _record(row: tuple[Any, ...]) -> ApiKey:
    return ApiKey(*row)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
