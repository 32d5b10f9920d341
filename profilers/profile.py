"""Run every registered check over a loaded table."""

from __future__ import annotations

import datetime as dt

from profilers.context import Table
from profilers.registry import run_checks
from profilers.types import CheckResult, Metrics


def profile(table: Table, reference_date: dt.date | None = None) -> tuple[list[CheckResult], Metrics]:
    """``reference_date``: the day the report is judged on (its creation date), for the checks
    that compare values with today; None skips them, so profiling stays deterministic."""
    table.reference_date = reference_date
    results = run_checks(table)
    fatal = table.structure.fatal[0] if table.structure.fatal else None
    metrics = Metrics(
        rows=0 if fatal else table.rows,
        columns=len(table.labels),
        cells=0 if fatal else table.cells,
        fatal=fatal,
    )
    return results, metrics
