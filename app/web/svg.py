"""Charts and badges as SVG drawn on the server: no chart library, nothing fetched by the browser.

Every text that goes into an SVG is escaped here (``markupsafe.escape``); the functions return
``Markup`` so templates embed them as they are.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from markupsafe import Markup, escape

BAND_COLOURS = {
    "excellent": "#1b5e20",
    "good": "#33691e",
    "sufficient": "#8a5a00",
    "bad": "#b71c1c",
}
NEUTRAL = "#555555"


def band_colour(band: str | None) -> str:
    return BAND_COLOURS.get(band or "", NEUTRAL)


def score_colour(score: float | None, bands: Sequence[tuple[str, float]]) -> str:
    """Colour of a score by the band it falls in; ``bands`` is ``[(name, min), …]`` best first."""
    if score is None:
        return NEUTRAL
    for name, minimum in bands:
        if score >= minimum:
            return band_colour(name)
    return band_colour(bands[-1][0]) if bands else NEUTRAL


def text_width(text: str, size: float = 11.0) -> float:
    """Rough width of ``text`` in a sans-serif font: wide (CJK) characters count double."""
    units = sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)
    return units * size * 0.6


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def bars(
    rows: Sequence[tuple[str, float | None, str]],
    title: str,
    width: int = 420,
    max_value: float = 100.0,
) -> Markup:
    """Horizontal bars: ``rows`` of (label, value or None, colour). Value labels at the bar ends."""
    label_w = max((text_width(label, 12) for label, _, _ in rows), default=40) + 12
    bar_w = max(80.0, width - label_w - 48)
    row_h = 24
    height = row_h * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for i, (label, value, colour) in enumerate(rows):
        y = i * row_h + 2
        parts.append(
            f'<text x="{_fmt(label_w - 8)}" y="{y + 16}" text-anchor="end" font-size="12">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{_fmt(label_w)}" y="{y + 4}" width="{_fmt(bar_w)}" height="14" fill="#e6e6e6"/>'
        )
        if value is None:
            parts.append(f'<text x="{_fmt(label_w + 4)}" y="{y + 16}" font-size="12">—</text>')
            continue
        w = bar_w * max(0.0, min(1.0, value / max_value))
        parts.append(
            f'<rect x="{_fmt(label_w)}" y="{y + 4}" width="{_fmt(w)}" height="14" fill="{escape(colour)}"/>'
        )
        parts.append(
            f'<text x="{_fmt(label_w + bar_w + 6)}" y="{y + 16}" font-size="12">{escape(_fmt(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked(segments: Sequence[tuple[str, int, str]], title: str, width: int = 420) -> Markup:
    """One bar split into segments of (label, count, colour), with a legend below."""
    total = sum(n for _, n, _ in segments) or 1
    height = 26 + 20 * len(segments)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    x = 0.0
    for _, n, colour in segments:
        w = width * n / total
        if w > 0:
            parts.append(f'<rect x="{_fmt(x)}" y="0" width="{_fmt(w)}" height="18" fill="{escape(colour)}"/>')
        x += w
    for i, (label, n, colour) in enumerate(segments):
        y = 26 + 20 * i
        parts.append(f'<rect x="0" y="{y}" width="12" height="12" fill="{escape(colour)}"/>')
        parts.append(f'<text x="18" y="{y + 11}" font-size="12">{escape(label)}: {n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(values: Sequence[float], title: str, width: int = 100, height: int = 24) -> Markup:
    """A small line of ``values`` (0–100 scale), latest last; a dot marks the latest."""
    if not values:
        return Markup("")
    n = len(values)

    def point(i: int, v: float) -> tuple[float, float]:
        x = 2 + (width - 4) * (i / (n - 1) if n > 1 else 0.5)
        y = 2 + (height - 4) * (1 - max(0.0, min(100.0, v)) / 100)
        return x, y

    pts = [point(i, v) for i, v in enumerate(values)]
    line = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts)
    lx, ly = pts[-1]
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
        f'<polyline fill="none" stroke="#1f4e79" stroke-width="1.5" points="{line}"/>'
        f'<circle cx="{_fmt(lx)}" cy="{_fmt(ly)}" r="2.5" fill="#1f4e79"/></svg>'
    )


def trend(points: Sequence[tuple[str, float]], title: str, width: int = 480, height: int = 160) -> Markup:
    """Score over runs: ``points`` of (label, score) oldest first, with a 0–100 axis."""
    if not points:
        return Markup("")
    left, right, top, bottom = 30, 10, 10, 24
    pw, ph = width - left - right, height - top - bottom
    n = len(points)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + pw * (i / (n - 1) if n > 1 else 0.5)
        return x, top + ph * (1 - max(0.0, min(100.0, v)) / 100)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for tick in (0, 50, 100):
        _, y = xy(0, tick)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="#ccc"/>'
            f'<text x="{left - 4}" y="{_fmt(y + 4)}" text-anchor="end" font-size="10">{tick}</text>'
        )
    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    parts.append(
        '<polyline fill="none" stroke="#1f4e79" stroke-width="2" points="'
        + " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in coords)
        + '"/>'
    )
    for (label, value), (x, y) in zip(points, coords, strict=True):
        parts.append(
            f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="3" fill="#1f4e79"><title>{escape(label)}: '
            f"{escape(_fmt(value))}</title></circle>"
        )
    first, last = points[0][0], points[-1][0]
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="10">{escape(first)}</text>')
    if n > 1:
        parts.append(
            f'<text x="{width - right}" y="{height - 6}" text-anchor="end" font-size="10">{escape(last)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def badge(label: str, value: str, colour: str) -> str:
    """A flat badge (label on grey, value on ``colour``) as a standalone SVG document."""
    size = 11.0
    lw = text_width(label, size) + 12
    vw = text_width(value, size) + 12
    total = lw + vw
    title = f"{label}: {value}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(total)}" height="20" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<rect width="{_fmt(lw)}" height="20" fill="#555"/>'
        f'<rect x="{_fmt(lw)}" width="{_fmt(vw)}" height="20" fill="{escape(colour)}"/>'
        f'<g fill="#fff" font-family="Verdana,DejaVu Sans,Noto Sans CJK SC,sans-serif" font-size="{_fmt(size)}">'
        f'<text x="{_fmt(lw / 2)}" y="14" text-anchor="middle">{escape(label)}</text>'
        f'<text x="{_fmt(lw + vw / 2)}" y="14" text-anchor="middle">{escape(value)}</text>'
        "</g></svg>"
    )
