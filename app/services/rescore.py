"""Use-case: re-score every stored report made by other rules (``odq rescore``), and let the portals
that used them follow."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ingest.sandbox import Limits
from app.services.portals import run_portal_pass
from app.services.scoring import follow, rescore_report
from app.storage.repository import Repository
from scoring import SCORING_VERSION, scoring_digest


@dataclass(slots=True)
class Rescored:
    stale: int = 0
    """Stored reports made by other rules."""
    rescored: int = 0
    kept: list[str] = field(default_factory=list)
    """Ids of the reports that could not be scored again (bytes gone, declared rules not kept): they
    stay stored, and are served marked superseded."""
    portals: list[str] = field(default_factory=list)
    """Portals whose datasets now point at re-scored reports; their pass was run again."""


def rescore_all(repo: Repository, limits: Limits | None = None) -> Rescored:
    """Re-score each stored report not made by the current rules; the old reports stay as history
    (with their version and score). Then run the portal pass of each portal concerned."""
    out = Rescored()
    portals: set[str] = set()
    for report_id in repo.reports_not_made_by(SCORING_VERSION, scoring_digest()):
        out.stale += 1
        report = repo.get_report(report_id)
        fresh = rescore_report(repo, report, limits) if report is not None else None
        if report is None or fresh is None:
            out.kept.append(report_id)
            continue
        out.rescored += 1
        portals.update(follow(repo, report, fresh))
    for portal in sorted(portals):
        run_portal_pass(repo, portal)
    out.portals = sorted(portals)
    return out
