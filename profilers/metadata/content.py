"""Facts about the data that the metadata checks compare with the catalog: the newest date inside
a table (for timeliness) and whether the distributions of one dataset agree (consistency). Pure
and vectorised (Polars expressions over whole columns)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from profilers.context import Table
from profilers.types import CheckResult, Example, Finding

# Period labels in headers of wide statistics tables: 2020, 2020年, 2020年3月, 2020-03, 2020Q1, 2020年第一季度
_HEADER_PERIOD = re.compile(
    r"^\s*((?:19|20)\d{2})\s*(?:年)?\s*(?:(\d{1,2})\s*月?|[Qq]([1-4])|第([一二三四1-4])季度)?\s*$"
)
_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _period_end(year: int, month: int | None) -> date | None:
    if not 1900 <= year <= 2100:
        return None
    if month is None:
        return date(year, 12, 31)
    if not 1 <= month <= 12:
        return None
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def header_latest(labels: list[str]) -> date | None:
    """The end of the latest period named by the column labels (``2020年3月`` → 2020-03-31)."""
    best: date | None = None
    for label in labels:
        m = _HEADER_PERIOD.match(label or "")
        if not m:
            continue
        year = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else None
        quarter = m.group(3) or m.group(4)
        if quarter:
            month = _QUARTER[quarter] * 3
        end = _period_end(year, month)
        if end is not None and (best is None or end > best):
            best = end
    return best


_YEAR_LABEL = re.compile(r"^(?:year|yr|fiscal[ _]?year|年|年份|年度|统计年度|西元年)$", re.IGNORECASE)


def _parsed_dates(col: pl.Expr) -> pl.Expr:
    """A String column as dates, trying the spellings DATE_RE accepts (ISO, slashes and dots,
    yyyymmdd, US mm/dd/yyyy, 2020年3月5日, 2020-03, 2020年); unparseable → null."""
    s = col.str.strip_chars().str.slice(0, 10).str.replace_all(r"[/.]", "-")
    cn = col.str.strip_chars().str.replace(r"^(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?.*$", "$1-$2-$3")
    return pl.coalesce(
        s.str.to_date("%Y-%m-%d", strict=False),
        s.str.to_date("%Y%m%d", strict=False),
        s.str.to_date("%m-%d-%Y", strict=False),
        (s.str.slice(0, 7) + "-01").str.to_date("%Y-%m-%d", strict=False),
        (
            cn.str.strip_chars_end("-")
            + pl.when(cn.str.ends_with("-")).then(pl.lit("-28")).otherwise(pl.lit(""))
        ).str.to_date("%Y-%m-%d", strict=False),
    )


def latest_date(table: Table, reference: date | None = None) -> date | None:
    """The newest date in the table: the maximum of its date and datetime columns and of a year
    column (parsed over whole columns at once), else the latest period its header names (empty
    columns skipped). Dates after ``reference`` (typing errors, planned dates) are ignored when a
    reference is given."""
    if table.fatal or not table.labels:
        return None
    exprs = []
    for s in table.stats:
        col = pl.col(f"c{s.field}")
        if s.type in ("date", "datetime"):
            parsed = _parsed_dates(col)
        elif s.type == "integer" and _YEAR_LABEL.match((s.name or "").strip()):
            year = col.str.strip_chars().cast(pl.Int32, strict=False)
            parsed = pl.when(year.is_between(1900, 2100)).then(pl.date(year, 12, 31))
        else:
            continue
        if reference is not None:
            parsed = pl.when(parsed <= pl.lit(reference)).then(parsed)
        exprs.append(parsed.max().alias(f"d{s.field}"))
    if exprs:
        found = [d for d in table.content.select(exprs).row(0) if isinstance(d, date)]
        if found:
            return max(found)
    filled = [s.name for s in table.stats if s.type != "empty"]
    head = header_latest(filled)
    if head is not None and reference is not None and head > reference:
        return None
    return head


@dataclass(frozen=True, slots=True)
class DistributionShape:
    """What one distribution of a dataset held when it was read."""

    position: int  # 1-based, in the record's order
    label: str  # URL or file name
    rows: int
    columns: list[str]


def _norm(label: str) -> str:
    return re.sub(r"[\s_\-]+", "", label.casefold())


def consistency(shapes: list[DistributionShape]) -> CheckResult:
    """``inconsistent-distributions`` (dimension consistency) when the readable distributions of
    one dataset (the CSV and the XLSX of the same table) differ in row count or in their columns.
    Not applicable with fewer than two."""
    if len(shapes) < 2:
        return CheckResult("consistency", "consistency", "not-applicable")
    first = shapes[0]
    ref_cols = [_norm(c) for c in first.columns]
    differing: list[Example] = []
    for s in shapes[1:]:
        why = []
        if s.rows != first.rows:
            why.append(f"{s.rows} rows vs {first.rows}")
        cols = [_norm(c) for c in s.columns]
        if cols != ref_cols:
            missing = [c for c, n in zip(first.columns, ref_cols, strict=True) if n not in cols]
            extra = [c for c, n in zip(s.columns, cols, strict=True) if n not in ref_cols]
            detail = "columns differ"
            if missing or extra:
                detail += f" (missing {missing[:3]}, extra {extra[:3]})"
            why.append(detail)
        if why:
            differing.append(
                Example(column=f"distribution {s.position}", value=f"{s.label}: {'; '.join(why)}")
            )
    if not differing:
        return CheckResult("consistency", "consistency", "pass")
    finding = Finding(
        code="inconsistent-distributions",
        dimension="consistency",
        severity="warning",
        level="table",
        count=len(differing),
        share=len(differing) / (len(shapes) - 1),
        title="Distributions of one dataset disagree",
        fix="Publish every format from the same table, so the CSV, XLSX and JSON hold the same rows and columns.",
        examples=differing[:5],
        message=f"compared with distribution {first.position} ({first.label})",
        truncated=len(differing) > 5,
    )
    return CheckResult("consistency", "consistency", "fail", [finding])
