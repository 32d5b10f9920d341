"""Assemble the report of DESIGN §8 from a loaded table, its check results and its score."""

from __future__ import annotations

import datetime as dt
from typing import Any

from profilers.context import Table
from profilers.types import CheckResult
from scoring import SCORING_VERSION, ScoreCard, describe_code


def build_report(report_id: str, table: Table, results: list[CheckResult], card: ScoreCard) -> dict[str, Any]:
    findings = [f for r in results for f in r.findings]
    findings.sort(key=lambda f: (-f.points_lost, f.dimension, f.code))
    source = table.source.to_dict()
    structure = table.structure
    return {
        "id": report_id,
        "scoring_version": SCORING_VERSION,
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


def _finding(f: dict[str, Any]) -> dict[str, Any]:
    described = describe_code(f["code"])
    f["title_zh"] = described.get("title_zh") or ""
    f["fix_zh"] = described.get("fix_zh") or ""
    return f
