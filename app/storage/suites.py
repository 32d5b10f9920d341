"""SQL of expectation suites (one per portal) and of reading back a resource's loaded rows, for
generating the suite a dataset meets. Wraps the Store like ``repository`` does; values are bound
as parameters, never formatted into SQL."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.storage.repository import Repository
from app.storage.store import Store

if TYPE_CHECKING:  # pyarrow is only needed where rows are read back: keep it off `odq score`'s start-up
    import pyarrow as pa

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class StoredSuite:
    portal: str
    name: str
    fingerprint: str
    expectations: int
    suite: dict[str, Any]
    updated_at: datetime
    updated_by: str | None

    def summary(self) -> dict[str, Any]:
        return {
            "portal": self.portal,
            "name": self.name,
            "fingerprint": self.fingerprint,
            "expectations": self.expectations,
            "updated_at": self.updated_at.replace(tzinfo=UTC).isoformat(timespec="seconds"),
        }


class SuiteStore:
    """The ``expectation_suites`` table and read access to ``data."r_<sha256>"``."""

    def __init__(self, store: Store | Repository) -> None:
        self.store: Store = store.store if isinstance(store, Repository) else store

    def put(
        self,
        portal: str,
        name: str,
        fingerprint: str,
        expectations: int,
        suite: dict[str, Any],
        updated_by: str | None = None,
    ) -> StoredSuite:
        """Store (or replace) the suite of ``portal``."""
        now = datetime.now(UTC).replace(tzinfo=None)
        text = json.dumps(suite, ensure_ascii=False, allow_nan=False)
        with self.store.transaction() as cur:
            cur.execute(
                """
                INSERT INTO expectation_suites
                    (portal, name, fingerprint, expectations, suite_json, updated_at, updated_by)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (portal) DO UPDATE SET
                    name = excluded.name,
                    fingerprint = excluded.fingerprint,
                    expectations = excluded.expectations,
                    suite_json = excluded.suite_json,
                    updated_at = excluded.updated_at,
                    updated_by = excluded.updated_by
                """,
                [portal, name, fingerprint, expectations, text, now, updated_by],
            )
        return StoredSuite(portal, name, fingerprint, expectations, suite, now, updated_by)

    def get(self, portal: str) -> StoredSuite | None:
        rows = (
            self.store.cursor()
            .execute(
                """
                SELECT portal, name, fingerprint, expectations, suite_json, updated_at, updated_by
                FROM expectation_suites WHERE portal = ?
                """,
                [portal],
            )
            .fetchall()
        )
        if not rows:
            return None
        portal_, name, fingerprint, count, text, updated_at, updated_by = rows[0]
        return StoredSuite(portal_, name, fingerprint, int(count), json.loads(text), updated_at, updated_by)

    def delete(self, portal: str) -> bool:
        with self.store.transaction() as cur:
            found = cur.execute(
                "SELECT count(*) FROM expectation_suites WHERE portal = ?", [portal]
            ).fetchall()
            cur.execute("DELETE FROM expectation_suites WHERE portal = ?", [portal])
        return bool(found[0][0])

    def loaded_rows(self, sha256: str) -> tuple[list[str], pa.Table] | None:
        """The labels and the rows (``__row``, ``c1..cN`` as text) kept for a resource, or None
        when its rows were not kept."""
        if not _SHA256_RE.match(sha256):
            return None
        cur = self.store.cursor()
        labels = cur.execute(
            "SELECT label FROM resource_columns WHERE resource_sha256 = ? ORDER BY field", [sha256]
        ).fetchall()
        if not labels:
            return None
        # sha256 is checked hex: safe as part of an identifier.
        table = cur.sql(f'SELECT * FROM data."r_{sha256}" ORDER BY "__row"').to_arrow_table()
        return [r[0] for r in labels], table
