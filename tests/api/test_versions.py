"""A report made by other scoring rules is never served as current: the same bytes scored before and
after a change of the rules (scoring version, weights or check catalogue) give a new report, and the
old one, kept as history, says it is superseded."""

from __future__ import annotations

import copy
from pathlib import Path

from api_support import strict_json
from fastapi.testclient import TestClient

from app.storage.repository import Repository
from scoring import SCORING_VERSION, scoring_digest


def _post(client: TestClient, name: str, data: bytes) -> dict:
    r = client.post("/api/v1/score", files={"file": (name, data, "text/csv")})
    assert r.status_code == 200, r.text[:300]
    return dict(strict_json(r.text))


def test_a_report_of_older_rules_is_not_served_as_current(client: TestClient, corpus_file: Path) -> None:
    data = corpus_file.read_bytes()
    repo: Repository = client.app.state.repo  # type: ignore[attr-defined]
    # Before the change: the same bytes scored by version 1 (no digest recorded), stored as v1 stored it.
    now = _post(client, corpus_file.name, data)
    old = copy.deepcopy(now)
    old.update(id="1" * 32, scoring_version="1", score=92.5, band="excellent")
    old.pop("scoring_digest")
    repo.save_report(old, "declared=csv")

    again = _post(client, corpus_file.name, data)
    assert again["id"] == now["id"] != old["id"]  # the bytes find the report of the current rules
    assert again["scoring_version"] == SCORING_VERSION and again["scoring_digest"] == scoring_digest()

    served_old = client.get(f"/api/v1/reports/{old['id']}").json()
    assert served_old["current"] is False and "version 1" in served_old["superseded"]
    assert served_old["score"] == 92.5  # history keeps the old score with its version
    served_now = client.get(f"/api/v1/reports/{now['id']}").json()
    assert served_now == again  # a current report is served exactly as stored, unmarked


def test_a_change_of_the_weights_digest_supersedes_a_report_of_the_same_version(
    client: TestClient, corpus_file: Path
) -> None:
    data = corpus_file.read_bytes()
    repo: Repository = client.app.state.repo  # type: ignore[attr-defined]
    now = _post(client, corpus_file.name, data)
    stale = copy.deepcopy(now)
    stale.update(id="2" * 32, scoring_digest="0" * 16)
    repo.save_report(stale, "declared=csv;rules=" + "0" * 16)
    assert _post(client, corpus_file.name, data)["id"] == now["id"]
    served = client.get(f"/api/v1/reports/{stale['id']}").json()
    assert served["current"] is False and "0" * 16 in served["superseded"]
