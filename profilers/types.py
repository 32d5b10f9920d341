"""Result types shared by profilers (which measure) and scoring (which judges).

A finding is data, never an exception. ``row`` is the 1-based record number as a
spreadsheet shows it (title and header rows count), ``field`` the 1-based column
position and ``column`` the header label.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Dimension = Literal[
    "validity",
    "uniqueness",
    "consolidation",
    "completeness",
    "metadata",
    "openness",
    "accessibility",
    "timeliness",
    "consistency",
]
Severity = Literal["error", "warning", "info"]
Level = Literal["file", "table", "column", "row", "cell", "portal"]
Status = Literal["pass", "fail", "not-applicable", "check-error"]
Rubric = Literal["blemish", "routine", "substantial", "fatal"]
"""The rubric class of a fault (the usability rubric): the best band a file with it can reach when the fault is
at full extent. ``blemish`` moves a file inside Excellent; ``routine`` (a fix a skilled user makes in
minutes: skip titles, re-encode, map placeholders) keeps it out of Excellent; ``substantial`` (outside
knowledge or real work: no unit, totals in rows, mixed formats) keeps it out of Good; ``fatal`` makes
it Bad."""

MAX_EXAMPLES = 5
"""Examples kept per finding; counts stay exact whatever the cap."""


@dataclass(frozen=True, slots=True)
class Example:
    row: int | None = None
    field: int | None = None
    column: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Finding:
    code: str
    dimension: Dimension
    severity: Severity
    level: Level
    count: int
    share: float
    """Affected share (0..1) of the unit the check measures: rows, cells, columns or 1 for the file."""
    title: str = ""
    fix: str = ""
    examples: list[Example] = field(default_factory=list)
    points_lost: float = 0.0
    """Overall points this finding costs; filled in by scoring."""
    message: str = ""
    truncated: bool = False
    """True when more examples existed than were kept (the count is still exact)."""
    rubric: Rubric | None = None
    """The rubric class this finding counts as at its share; filled in by scoring."""
    reason: str = ""
    """Why it costs what it costs (the band it bounds and why); filled in by scoring."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "dimension": self.dimension,
            "severity": self.severity,
            "level": self.level,
            "title": self.title,
            "message": self.message,
            "count": self.count,
            "share": round(self.share, 6),
            "points_lost": round(self.points_lost, 2),
            "rubric": self.rubric,
            "reason": self.reason,
            "fix": self.fix,
            "examples": [e.to_dict() for e in self.examples],
            "truncated": self.truncated,
        }


@dataclass(slots=True)
class CheckResult:
    """The outcome of one check on one table: its status and the findings it emitted."""

    code: str
    dimension: Dimension
    status: Status
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


@dataclass(slots=True)
class Metrics:
    """Size facts scoring needs, measured by the profiler."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    fatal: str | None = None
    """Code of a fatal finding (unreadable-file, empty-file, …) that zeroes the content dimensions."""
