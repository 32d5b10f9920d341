"""Assemble the report of DESIGN §8 from a loaded table, its check results and its score."""

from __future__ import annotations

import datetime as dt
from typing import Any

from profilers.context import Table
from profilers.types import CheckResult
from scoring import SCORING_VERSION, ScoreCard, describe_code, scoring_digest


def build_report(
    report_id: str,
    table: Table,
    results: list[CheckResult],
    card: ScoreCard,
    sheets: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``sheets``: the other data sheets of a workbook, each scored on its own
    (``app.services.scoring.score_other_sheets``); the report has ``sheets`` only when there are any."""
    findings = [f for r in results for f in r.findings]
    findings.sort(key=lambda f: (-f.points_lost, f.dimension, f.code))
    source = table.source.to_dict()
    structure = table.structure
    report = {
        "id": report_id,
        "scoring_version": SCORING_VERSION,
        "scoring_digest": card.digest,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": source,
        "score": card.score,
        "band": card.band,
        "fatal": card.fatal,
        "dimensions": {
            key: {"score": d.score, "weight": d.weight, "findings": list(d.findings)}
            for key, d in card.dimensions.items()
            if d.applicable
        },
        "findings": [_finding(f.to_dict()) for f in findings],
        "fixes": [fx.to_dict() for fx in card.fixes],
        "columns": [s.to_dict() for s in table.stats] if not table.fatal else [],
        "checks": {r.code: r.status for r in results},
        "check_errors": {r.code: r.error for r in results if r.status == "check-error"},
        "notes": list(structure.notes),
    }
    if sheets:
        report["sheets"] = sheets
    return report


def _finding(f: dict[str, Any]) -> dict[str, Any]:
    described = describe_code(f["code"])
    f["title_zh"] = described.get("title_zh") or ""
    f["fix_zh"] = described.get("fix_zh") or ""
    return f


def is_current(report: dict[str, Any]) -> bool:
    """True when ``report`` was made by the current rules: this scoring version and the digest of the
    weights and check catalogue in force now (``scoring.scoring_digest``)."""
    return (
        report.get("scoring_version") == SCORING_VERSION and report.get("scoring_digest") == scoring_digest()
    )


def mark_currency(report: dict[str, Any]) -> dict[str, Any]:
    """Mark a stored report made by other rules (``current: false`` and why); a current report is
    served exactly as stored. An old report is never passed off as current."""
    if not is_current(report):
        report["current"] = False
        report["superseded"] = (
            f"Scored by version {report.get('scoring_version')} (rules {report.get('scoring_digest') or 'unrecorded'}); "
            f"the current rules are version {SCORING_VERSION} ({scoring_digest()}). Score the file again for a "
            "current report."
        )
    return report
