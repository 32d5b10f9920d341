"""What the pages show, built from the stored report (the same object the JSON API returns), the
scoring weights and the portal reports. Pure functions of their inputs: no I/O, no request.

Every list shown is capped (findings, examples, preview rows and columns), so a page's size does
not grow with the number of rows of a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from app.web import svg
from app.web.i18n import Translator
from scoring import Weights

MAX_FINDINGS = 100
MAX_EXAMPLES = 5
MAX_PREVIEW_COLUMNS = 30
MAX_EXAMPLE_ROWS = 12
MAX_COLUMN_STATS = 100
MAX_VALUE_CHARS = 200
TOP_FIXES = 3

# Frictionless' names of the same faults, where ODQ's code differs or matches one of theirs.
FRICTIONLESS_NAMES: Mapping[str, str] = {
    "blank-header": "blank-label",
    "duplicate-header": "duplicate-label",
    "blank-row": "blank-row",
    "extra-cell": "extra-cell",
    "missing-cell": "missing-cell",
    "type-error": "type-error",
    "encoding-error": "encoding-error",
    "duplicate-row": "duplicate-row",
    "format-mismatch": "format-error",
    "unreadable-file": "source-error",
    "download-failed": "scheme-error",
    "out-of-range": "constraint-error",
}

# GB/T 36344-2018 (信息技术 数据质量评价指标) dimension each ODQ dimension maps to.
GBT_36344: Mapping[str, tuple[str, str]] = {
    "validity": (
        "Accuracy (format compliance, dirty data) · Normativity",
        "准确性（格式合规性、脏数据）· 规范性",
    ),
    "uniqueness": ("Accuracy (duplicate rate, uniqueness)", "准确性（数据重复率、唯一性）"),
    "completeness": ("Completeness", "完整性"),
    "consolidation": ("— (ODQ: fragmentation)", "—（ODQ 自定：碎片化）"),
    "metadata": ("Normativity (metadata)", "规范性（元数据）"),
    "openness": ("— (5-star open data)", "—（五星开放数据）"),
    "accessibility": ("Accessibility", "可访问性"),
    "timeliness": ("Timeliness", "时效性"),
    "consistency": ("Consistency", "一致性"),
}

# data.europa.eu MQA dimensions and their maximum points (405 in all).
MQA_DIMENSIONS: Sequence[tuple[str, str, int]] = (
    ("Findability", "可发现性", 100),
    ("Accessibility", "可访问性", 100),
    ("Interoperability", "互操作性", 110),
    ("Reusability", "可重用性", 75),
    ("Contextuality", "情境信息", 20),
)


def band_title(weights: Weights, band: str | None, t: Translator) -> str:
    for b in weights.bands:
        if b.name == band:
            return b.title_en if t.lang == "en" else b.title_zh
    return band or t("none")


def band_limits(weights: Weights) -> list[tuple[str, float]]:
    return [(b.name, b.min_score) for b in weights.bands]


def short(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pct(share: float | None) -> str:
    if share is None:
        return ""
    value = share * 100
    return f"{value:.2f}%" if 0 < value < 1 else f"{value:.1f}%"


def num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


# -- report ------------------------------------------------------------------------------------


@dataclass
class Preview:
    labels: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    marks: list[list[str]]
    """Per row, per cell: the codes of findings at that cell ('' when none)."""
    column_marks: list[str]
    hidden_columns: int = 0


@dataclass
class ReportView:
    report: Mapping[str, Any]
    title: str
    band_title: str
    colour: str
    dimension_chart: Markup
    dimensions: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    hidden_findings: int
    fixes: list[dict[str, Any]]
    fixes_gain: float
    source: list[tuple[str, str]]
    columns: list[dict[str, Any]]
    hidden_columns: int
    preview: Preview | None = None
    example_rows: Preview | None = None
    notes: list[str] = field(default_factory=list)
    sheets: list[dict[str, Any]] = field(default_factory=list)
    """The workbook's other data sheets, each scored on its own: index, name, rows, columns, score,
    band title, the codes that cost most (or why the sheet was not scored)."""


def finding_title(f: Mapping[str, Any], t: Translator) -> str:
    if t.lang == "zh" and f.get("title_zh"):
        return str(f["title_zh"])
    return str(f.get("title") or f.get("code"))


def finding_why(f: Mapping[str, Any], t: Translator) -> str:
    """Why the finding costs what it costs: the scorer's reason (English), or its rubric class in
    the reader's language."""
    if t.lang == "en" and f.get("reason"):
        return str(f["reason"])
    rubric = f.get("rubric")
    return t(f"rubric.{rubric}") if rubric in ("blemish", "routine", "substantial", "fatal") else ""


def finding_fix(f: Mapping[str, Any], t: Translator) -> str:
    if t.lang == "zh" and f.get("fix_zh"):
        return str(f["fix_zh"])
    return str(f.get("fix") or "")


def cell_marks(
    findings: Iterable[Mapping[str, Any]],
) -> tuple[dict[tuple[int, int], set[str]], dict[int, set[str]], dict[int, set[str]]]:
    """From the examples of the findings: codes by (row, field), by row (whole row) and by field (whole column)."""
    cells: dict[tuple[int, int], set[str]] = {}
    rows: dict[int, set[str]] = {}
    columns: dict[int, set[str]] = {}
    for f in findings:
        if f.get("level") == "file":
            continue  # title and note lines are not table rows
        for ex in f.get("examples") or []:
            row, fld = ex.get("row"), ex.get("field")
            if isinstance(row, int) and isinstance(fld, int):
                cells.setdefault((row, fld), set()).add(str(f["code"]))
            elif isinstance(row, int):
                rows.setdefault(row, set()).add(str(f["code"]))
            elif isinstance(fld, int):
                columns.setdefault(fld, set()).add(str(f["code"]))
    return cells, rows, columns


def build_preview(
    data: Mapping[str, Any] | None,
    rows: Sequence[Sequence[Any]] | None,
    findings: Sequence[Mapping[str, Any]],
) -> Preview | None:
    """Rows as kept (``[__row, c1..cN]``) with the cells that findings point at marked."""
    if data is None or rows is None:
        return None
    labels = [str(x) for x in data["columns"]]
    width = max([len(labels), int(data.get("width") or 0), *(len(r) - 1 for r in rows)])
    shown = min(width, MAX_PREVIEW_COLUMNS)
    labels = (labels + [""] * width)[:shown]
    cells, whole_rows, columns = cell_marks(findings)
    out_rows: list[list[str]] = []
    numbers: list[int] = []
    marks: list[list[str]] = []
    for r in rows:
        number = int(r[0])
        values = list(r[1:]) + [None] * (width - (len(r) - 1))
        numbers.append(number)
        out_rows.append([short(v, 80) if v is not None else "" for v in values[:shown]])
        row_codes = whole_rows.get(number, set())
        marks.append(
            [" ".join(sorted(cells.get((number, i), set()) | row_codes)) for i in range(1, shown + 1)]
        )
    column_marks = [" ".join(sorted(columns.get(i, set()))) for i in range(1, shown + 1)]
    return Preview(labels, out_rows, numbers, marks, column_marks, hidden_columns=width - shown)


def example_row_numbers(findings: Iterable[Mapping[str, Any]], skip: Iterable[int] = ()) -> list[int]:
    """Row numbers of the findings' examples (table rows only), minus those in ``skip``: the
    examples of the most costly findings first, at most MAX_EXAMPLE_ROWS rows."""
    skipped = set(skip)
    wanted: list[int] = []
    for f in findings:
        if f.get("level") == "file":
            continue
        for ex in (f.get("examples") or [])[:MAX_EXAMPLES]:
            row = ex.get("row")
            if isinstance(row, int) and row not in skipped and row not in wanted:
                wanted.append(row)
    return sorted(wanted[:MAX_EXAMPLE_ROWS])


MAX_SHEETS_SHOWN = 50
"""Rows of the report page's table of other sheets."""


def build_report_view(report: Mapping[str, Any], weights: Weights, t: Translator) -> ReportView:
    limits = band_limits(weights)
    dims = []
    for key, d in (report.get("dimensions") or {}).items():
        dims.append(
            {
                "key": key,
                "label": t.dimension(key),
                "fault": t.fault(key),
                "score": d.get("score"),
                "weight": d.get("weight"),
                "codes": list(d.get("findings") or []),
            }
        )
    chart = svg.bars(
        [(d["label"], d["score"], svg.score_colour(d["score"], limits)) for d in dims],
        title=t("report.dimensions"),
    )
    findings_all = list(report.get("findings") or [])
    findings = []
    for f in findings_all[:MAX_FINDINGS]:
        examples = list(f.get("examples") or [])[:MAX_EXAMPLES]
        findings.append(
            {
                "code": f["code"],
                "title": finding_title(f, t),
                "fix": finding_fix(f, t),
                "message": short(f.get("message")),
                "dimension": t.dimension(str(f.get("dimension"))),
                "severity": t.severity(str(f.get("severity"))),
                "severity_key": f.get("severity"),
                "level": t.level(str(f.get("level"))),
                "count": int(f.get("count") or 0),
                "share": pct(f.get("share")),
                "points_lost": f.get("points_lost") or 0.0,
                "why": finding_why(f, t),
                "examples": [
                    {
                        "row": ex.get("row"),
                        "field": ex.get("field"),
                        "column": short(ex.get("column"), 80),
                        "value": short(ex.get("value")),
                    }
                    for ex in examples
                ],
                "more": int(f.get("count") or 0) > len(examples) and bool(examples),
            }
        )
    by_code = {f["code"]: f for f in findings_all}
    fixes = []
    for fx in (report.get("fixes") or [])[:TOP_FIXES]:
        f = by_code.get(fx["code"], {"code": fx["code"]})
        fixes.append({"code": fx["code"], "gain": fx.get("gain") or 0.0, "title": finding_title(f, t)})
    src = report.get("source") or {}
    source: list[tuple[str, str]] = [(t("report.name"), short(src.get("name"), 255))]
    if src.get("url"):
        source.append((t("report.url"), short(src.get("url"), 500)))
    source += [
        (t("report.format"), short(src.get("format"))),
        (t("report.encoding"), short(src.get("encoding")) or t("none")),
        (t("report.header_row"), num(src.get("header_row"))),
        (t("report.size"), f"{num(src.get('rows'))} × {num(src.get('columns'))}"),
        (t("report.bytes"), num(src.get("bytes"))),
        (t("report.sha256"), short(src.get("sha256"), 64)),
        (t("report.created"), short(report.get("created_at"))),
        (t("report.version"), short(report.get("scoring_version"))),
    ]
    columns_all = list(report.get("columns") or [])
    columns = [
        {
            "name": short(c.get("name"), 120),
            "type": short(c.get("type")),
            "nulls": c.get("nulls"),
            "distinct": c.get("distinct"),
        }
        for c in columns_all[:MAX_COLUMN_STATS]
    ]
    return ReportView(
        report=report,
        title=short(src.get("name"), 255) or str(report.get("id")),
        band_title=band_title(weights, report.get("band"), t),
        colour=svg.band_colour(report.get("band")),
        dimension_chart=chart,
        dimensions=dims,
        findings=findings,
        hidden_findings=max(0, len(findings_all) - MAX_FINDINGS),
        fixes=fixes,
        fixes_gain=round(sum(fx["gain"] for fx in fixes), 1),
        source=source,
        columns=columns,
        hidden_columns=max(0, len(columns_all) - MAX_COLUMN_STATS),
        notes=[short(n) for n in (report.get("notes") or [])[:20]],
        sheets=[
            {
                "index": sheet.get("index"),
                "name": short(sheet.get("name"), 255),
                "rows": sheet.get("rows"),
                "columns": sheet.get("columns"),
                "score": sheet.get("score"),
                "band": sheet.get("band"),
                "band_title": band_title(weights, sheet.get("band"), t) if sheet.get("band") else "",
                "codes": [f["code"] for f in (sheet.get("findings") or []) if f.get("points_lost", 0) > 0][
                    :3
                ],
                "skipped": short(sheet.get("skipped")),
            }
            for sheet in (report.get("sheets") or [])[:MAX_SHEETS_SHOWN]
        ],
    )


# -- findings as CSV ----------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CSV_HEADER = (
    "code",
    "dimension",
    "severity",
    "level",
    "count",
    "share",
    "points_lost",
    "title",
    "title_zh",
    "fix",
    "fix_zh",
    "row",
    "field",
    "column",
    "value",
)


def csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (OWASP);
    numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def findings_csv(report: Mapping[str, Any]) -> str:
    """One line per example of each finding (a finding without examples: one line), UTF-8 with BOM
    so spreadsheet programs read Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for f in report.get("findings") or []:
        base = [
            f.get("code"),
            f.get("dimension"),
            f.get("severity"),
            f.get("level"),
            f.get("count"),
            f.get("share"),
            f.get("points_lost"),
            f.get("title"),
            f.get("title_zh"),
            f.get("fix"),
            f.get("fix_zh"),
        ]
        for ex in f.get("examples") or [{}]:
            line = [*base, ex.get("row"), ex.get("field"), ex.get("column"), ex.get("value")]
            writer.writerow([csv_safe(v) for v in line])
    return "\ufeff" + out.getvalue()


# -- portals -------------------------------------------------------------------------------------

CLUSTER_KIND_CODES: Mapping[str, str] = {
    "duplicate": "duplicate-dataset",
    "contained": "contained-dataset",
    "republished": "republished-dataset",
    "near-duplicate": "near-duplicate-dataset",
    "series": "split-series",
}
LINK_CODES = ("download-failed", "broken-link")
WORST_DATASETS = 10
MAX_CLUSTERS = 50
MAX_MEMBERS = 30
MAX_PORTAL_FINDINGS = 50


@dataclass
class PortalView:
    name: str
    band_title: str
    colour: str
    band_chart: Markup
    band_counts: list[tuple[str, int]]
    dimension_chart: Markup
    dimensions: list[dict[str, Any]]
    worst: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    series: list[dict[str, Any]]
    links: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    trend: Markup
    history: list[tuple[str, float]]
    dataset_count: int


def history_points(history: Any) -> list[tuple[str, float]]:
    """A portal's history as (date, score) oldest first; items are (at, score) pairs,
    ``{created_at, score}`` objects or bare numbers."""
    out: list[tuple[str, float]] = []
    for i, item in enumerate(history or []):
        if isinstance(item, int | float):
            out.append((str(i + 1), float(item)))
        elif isinstance(item, Mapping) and isinstance(item.get("score"), int | float):
            out.append((str(item.get("created_at") or i + 1)[:16].replace("T", " "), float(item["score"])))
        elif isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[1], int | float):
            out.append((str(item[0])[:16].replace("T", " "), float(item[1])))
    return out


def _codes_of(findings: Any) -> list[str]:
    return [str(f.get("code")) if isinstance(f, Mapping) else str(f) for f in findings or []]


def _members(keys: Any, by_key: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for key in list(keys or [])[:MAX_MEMBERS]:
        d = by_key.get(str(key), {})
        out.append(
            {
                "key": short(key, 300),
                "title": short(d.get("title") or d.get("name") or key, 160),
                "report_id": d.get("report_id"),
                "score": d.get("score"),
            }
        )
    return out


def _code_title(weights: Weights, code: str, t: Translator) -> str:
    spec = weights.codes.get(code)
    if spec is None:
        return code
    return spec.title_en if t.lang == "en" else spec.title_zh


def _code_fix(weights: Weights, code: str, t: Translator) -> str:
    spec = weights.codes.get(code)
    if spec is None:
        return ""
    return spec.fix_en if t.lang == "en" else spec.fix_zh


def build_portal_view(report: Mapping[str, Any], weights: Weights, t: Translator) -> PortalView:
    given_portal = report.get("portal")
    portal: Mapping[str, Any] = given_portal if isinstance(given_portal, Mapping) else {}
    datasets = list(report.get("datasets") or [])
    by_key = {str(d.get("id")): d for d in datasets if d.get("id") is not None}
    counts: dict[str, int] = {b.name: 0 for b in weights.bands}
    given = report.get("bands")
    if isinstance(given, Mapping):
        counts = {b.name: int(given.get(b.name) or 0) for b in weights.bands}
    else:
        for d in datasets:
            if d.get("band") in counts:
                counts[d["band"]] += 1
    titled = [(band_title(weights, name, t), n, svg.band_colour(name)) for name, n in counts.items()]
    limits = band_limits(weights)
    dims = []
    for key, d in (report.get("dimensions") or {}).items():
        score = d.get("score") if isinstance(d, Mapping) else d
        mean = d.get("datasets_mean") if isinstance(d, Mapping) else None
        dims.append({"key": key, "label": t.dimension(key), "score": score, "datasets_mean": mean})
    scored = [d for d in datasets if isinstance(d.get("score"), int | float)]
    worst = [
        {
            "title": short(d.get("title") or d.get("name"), 160),
            "score": d.get("score"),
            "band": d.get("band"),
            "band_title": band_title(weights, d.get("band"), t),
            "report_id": d.get("report_id"),
            "codes": _codes_of(d.get("findings"))[:5],
        }
        for d in sorted(scored, key=lambda d: (d["score"], str(d.get("title") or d.get("name") or "")))[
            :WORST_DATASETS
        ]
    ]
    clusters, series = [], []
    for c in (report.get("clusters") or [])[:MAX_CLUSTERS]:
        kind = str(c.get("kind"))
        code = CLUSTER_KIND_CODES.get(kind, kind)
        item: dict[str, Any] = {
            "kind": kind,
            "code": code,
            "title": _code_title(weights, code, t),
            "size": c.get("size") or len(c.get("datasets") or []),
            "similarity": c.get("row_jaccard_max"),
            "members": _members(c.get("datasets"), by_key),
            "merge": None,
        }
        if kind == "series":
            merge = c.get("suggested_merge") or {}
            by = str(c.get("split_by") or merge.get("add_column") or "name")
            item["merge"] = t(
                "portal.merge.text",
                n=merge.get("replaces", item["size"]),
                rows=num(merge.get("rows")),
                columns=num(merge.get("columns")),
                by=t.split_by(by),
            )
            item["drift"] = bool(c.get("schema_drift"))
            item["varying"] = ", ".join(str(x) for x in (c.get("varying_tokens") or [])[:12])
            series.append(item)
        else:
            clusters.append(item)
    links = [
        {
            "title": short(d.get("title") or d.get("name"), 160),
            "url": short(d.get("url") or d.get("name"), 500),
            "report_id": d.get("report_id"),
        }
        for d in datasets
        if any(c in LINK_CODES for c in _codes_of(d.get("findings")))
    ][:MAX_CLUSTERS]
    findings = [
        {
            "code": f.get("code"),
            "title": finding_title(f, t),
            "fix": finding_fix(f, t),
            "message": short(f.get("message"), 300),
            "count": f.get("count"),
            "share": pct(f.get("share")),
            "points_lost": f.get("points_lost") or 0.0,
            "dimension": t.dimension(str(f.get("dimension"))),
        }
        for f in (report.get("findings") or [])[:MAX_PORTAL_FINDINGS]
    ]
    history = history_points(report.get("history"))
    return PortalView(
        name=short(portal.get("name") or report.get("name") or report.get("id"), 200),
        band_title=band_title(weights, report.get("band"), t),
        colour=svg.band_colour(report.get("band")),
        band_chart=svg.stacked(titled, title=t("portal.bands")),
        band_counts=[(label, n) for label, n, _ in titled],
        dimension_chart=svg.bars(
            [(d["label"], d["score"], svg.score_colour(d["score"], limits)) for d in dims],
            title=t("portal.dimensions"),
        ),
        dimensions=dims,
        worst=worst,
        clusters=clusters,
        series=series,
        links=links,
        findings=findings,
        trend=svg.trend(history, title=t("portal.trend")),
        history=history,
        dataset_count=len(datasets),
    )
