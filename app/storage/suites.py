"""SQL of expectation suites: one per portal (``expectation_suites``) and the suite each report's
dataset meets, built when the report was made (``report_suites``). Wraps the Store like
``repository`` does; values are bound as parameters, never formatted into SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.storage.repository import Repository
from app.storage.store import Store


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
    """The ``expectation_suites`` (per portal) and ``report_suites`` (per report) tables."""

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

    def put_report_suite(self, report_id: str, basis: str, suite: dict[str, Any]) -> None:
        """Store the suite of ``report_id`` (kept as it is when one is already stored: a report's
        dataset never changes)."""
        text = json.dumps(suite, ensure_ascii=False, allow_nan=False)
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.store.transaction() as cur:
            cur.execute(
                """
                INSERT INTO report_suites (report_id, basis, expectations, suite_json, created_at)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING
                """,
                [report_id, basis, len(suite.get("expectations") or ()), text, now],
            )

    def report_suite_text(self, report_id: str) -> str | None:
        """The stored suite of ``report_id`` as its JSON text, or None when none was stored."""
        row = (
            self.store.cursor()
            .execute("SELECT suite_json FROM report_suites WHERE report_id = ?", [report_id])
            .fetchone()
        )
        return None if row is None else str(row[0])
