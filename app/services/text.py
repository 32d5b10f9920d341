"""The readable text form of a report (``odq score`` default)."""

from __future__ import annotations

from typing import Any

BAND_ZH = {"excellent": "优秀", "good": "良好", "sufficient": "合格", "bad": "较差"}


def render_text(report: dict[str, Any]) -> str:
    src = report["source"]
    lines = [
        f"{src['name']}  —  score {report['score']:.1f}/100  {report['band']} ({BAND_ZH.get(report['band'], '')})",
        f"  format {src.get('format')}"
        + (f", encoding {src['encoding']}" if src.get("encoding") else "")
        + (f", header row {src['header_row']}" if src.get("header_row") else "")
        + f", {src.get('rows', 0)} rows × {src.get('columns', 0)} columns, {src.get('bytes', 0):,} bytes",
    ]
    if report.get("fatal"):
        lines.append(f"  fatal: {report['fatal']} — the content dimensions score 0")
    lines.append("")
    lines.append("  dimension        score  weight")
    for key, dim in report["dimensions"].items():
        lines.append(f"  {key:<15} {dim['score']:6.1f}  {dim['weight']:g}")
    findings = report["findings"]
    lines.append("")
    if not findings:
        lines.append("  No findings.")
    else:
        lines.append(f"  {len(findings)} finding(s), most costly first:")
    for f in findings:
        lines.append(
            f"  - {f['code']} [{f['dimension']}] ×{f['count']} ({f['share'] * 100:.1f}%), "
            f"−{f['points_lost']:.1f} pts: {f['title']}"
        )
        if f.get("message"):
            lines.append(f"      {f['message']}")
        for ex in f["examples"][:3]:
            where = ", ".join(
                f"{k} {ex[k]!s}" for k in ("row", "field", "column") if ex.get(k) not in (None, "")
            )
            value = ex.get("value")
            shown = "" if value is None else repr(value if len(value) <= 60 else value[:57] + "...")
            lines.append(f"      at {where or 'file'}{': ' + shown if shown else ''}")
        if f.get("reason"):
            lines.append(f"      why: {f['reason']}")
        lines.append(f"      fix: {f['fix']}")
    fixes = report.get("fixes") or []
    if fixes:
        lines.append("")
        top = fixes[:3]
        gain = sum(fx["gain"] for fx in top)
        lines.append(
            f"  Fix these {len(top)} to gain about {gain:.1f} points: " + ", ".join(fx["code"] for fx in top)
        )
    sheets = report.get("sheets") or []
    if sheets:
        lines.append("")
        lines.append(f"  {len(sheets)} other sheet(s) with data, each scored on its own:")
    for sheet in sheets:
        where = f"  sheet {sheet.get('index') or '?'} {sheet['name']!r}: {sheet.get('rows', 0)} rows × {sheet.get('columns', 0)} columns"
        if sheet.get("score") is None:
            lines.append(f"{where}, {sheet.get('skipped') or 'not scored'}")
            continue
        costly = ", ".join(
            f["code"] for f in (sheet.get("findings") or [])[:3] if f.get("points_lost", 0) > 0
        )
        lines.append(
            f"{where}  —  score {sheet['score']:.1f}  {sheet['band']} ({BAND_ZH.get(sheet['band'], '')})"
            + (f"; most costly: {costly}" if costly else "")
        )
    for note in report.get("notes") or []:
        lines.append(f"  note: {note}")
    return "\n".join(lines) + "\n"
