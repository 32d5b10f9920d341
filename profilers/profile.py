"""Run every registered check over a loaded table."""

from __future__ import annotations

from profilers.context import Table
from profilers.registry import run_checks
from profilers.types import CheckResult, Metrics


def profile(table: Table) -> tuple[list[CheckResult], Metrics]:
    results = run_checks(table)
    fatal = table.structure.fatal[0] if table.structure.fatal else None
    metrics = Metrics(
        rows=0 if fatal else table.rows,
        columns=len(table.labels),
        cells=0 if fatal else table.cells,
        fatal=fatal,
    )
    return results, metrics
