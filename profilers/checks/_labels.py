"""Helpers shared by the checks that read a table's row labels (the text column that names each
row: 地区, 指标, Country Name) and its value columns."""

from __future__ import annotations

import re

from profilers.context import Table

PERIOD_LABEL = re.compile(
    r"^(?:(?:19|20)[0-9]{2}(?:年(?:[0-9]{1,2}月(?:[0-9]{1,2}日)?|第?[一二三四1-4]季度|[上下]半年)?"
    r"|[-./][0-9]{1,2}(?:[-./][0-9]{1,2})?|[Qq][1-4]|年?[Qq][1-4]|M[0-9]{1,2})?"
    r"|[0-9]{1,2}月|(?:19|20)[0-9]{2}\s*[-–/]\s*(?:19|20)?[0-9]{2}|(?:19|20)[0-9]{2}\s*\[YR(?:19|20)[0-9]{2}\])$"
)
"""A column label that is only a period: 2023, 2023年, 2023年3月, 2016.01, 2020Q1, 2015-16."""

NOT_LABELS = {"credit-code", "org-code", "id-card", "phone", "email", "url", "postcode", "coordinates"}
"""Column kinds that never name a row (region names do)."""
LABEL_COLUMNS = 3
"""Row labels are looked for in the first few columns (a code column may come first)."""


def label_columns(table: Table) -> list[str]:
    """The text columns among the first ``LABEL_COLUMNS`` that hold real values and are not codes,
    phones or e-mails (a column of credit codes names no row)."""
    semantic = table.semantic
    out = []
    for s in table.stats[:LABEL_COLUMNS]:
        kind = getattr(semantic.get(f"c{s.field}"), "kind", None)
        if s.type == "string" and s.real > 0 and kind not in NOT_LABELS:
            out.append(f"c{s.field}")
    return out


def value_columns(table: Table) -> list[str]:
    """Columns of numbers."""
    return [f"c{s.field}" for s in table.stats if s.type in ("integer", "number") and s.real > 0]


def period_columns(table: Table) -> list[str]:
    """Columns labelled by a period (a wide table: one column per year or month)."""
    return [f"c{i}" for i, label in enumerate(table.labels, 1) if PERIOD_LABEL.match(label.strip())]
