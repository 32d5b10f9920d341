"""Helpers shared by the checks that read a table's row labels (the text column that names each
row: 地区, 指标, Country Name) and its value columns."""

from __future__ import annotations

from profilers.context import Table

LABEL_COLUMNS = 3
"""Row labels are looked for in the first few columns (a code column may come first)."""


def label_columns(table: Table) -> list[str]:
    """The text columns among the first ``LABEL_COLUMNS`` that hold real values."""
    out = []
    for s in table.stats[:LABEL_COLUMNS]:
        if s.type == "string" and s.real > 0:
            out.append(f"c{s.field}")
    return out


def value_columns(table: Table) -> list[str]:
    """Columns of numbers."""
    return [f"c{s.field}" for s in table.stats if s.type in ("integer", "number") and s.real > 0]
