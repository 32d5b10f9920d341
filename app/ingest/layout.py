"""Find the header row, the title lines above it and the note lines below the data.

Works on the first and last records of a grid as Python lists (a few dozen rows), so it costs
nothing on large files.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

HEAD_ROWS = 60
TAIL_ROWS = 60

NOTE_RE = re.compile(
    r"^\s*[\"'“]?\s*(?:(?:注|说明|备注|附注|数据来源|资料来源|来源|出处|制表|填报|单位)\s*[:：]"
    r"|注\s*[0-9一二三四五六七八九十①-⑩]|(?:sources?|notes?|footnotes?)\s*[:：.]|\*)",
    re.IGNORECASE,
)
"""A note or source line: the keyword then a colon (注：, 数据来源：, Source:) or a numbered note
(注1). A bare 注 is not enough: 注销登记 (deregistration) is data."""
COMMENT_RE = re.compile(r"^\s*#")
MAX_NOTE_LINES = 12
NUMERIC_RE = re.compile(r"^[+-]?[\d,]*\.?\d+%?$")


@dataclass(slots=True)
class Layout:
    header_index: int | None
    """0-based index of the (last) header record in the grid, None when there is no header."""
    title_indexes: list[int] = field(default_factory=list)
    header_indexes: list[int] = field(default_factory=list)
    """All records of a multi-row header (the last is ``header_index``)."""
    footer_start: int | None = None
    """0-based index of the first footer record; data ends before it."""
    footer_indexes: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _filled(row: list[str] | None) -> int:
    return 0 if row is None else sum(1 for v in row if v is not None and v.strip())


def _first_text(row: list[str] | None) -> str:
    if not row:
        return ""
    return next((v.strip() for v in row if v and v.strip()), "")


def _numeric_share(row: list[str] | None) -> float:
    vals = [v.strip() for v in (row or []) if v and v.strip()]
    if not vals:
        return 0.0
    return sum(1 for v in vals if NUMERIC_RE.match(v)) / len(vals)


def _comment(row: list[str] | None) -> bool:
    """A "# …" comment line: one cell only (a "#" column header has neighbours)."""
    return _filled(row) == 1 and bool(COMMENT_RE.match(_first_text(row)))


def _title_like(row: list[str] | None) -> bool:
    """A caption or note line: one or two cells of prose, not a short key such as 1978年."""
    text = _first_text(row)
    prose = len(text) > 15 or not any(ch.isdigit() for ch in text)
    return 0 < _filled(row) <= 2 and _numeric_share(row) == 0 and prose


PREAMBLE_WIDTH = 3
"""A metadata preamble is key/value lines ("Data Source","World Development Indicators") above a
header at least this many times wider."""


def _preamble(head: list[list[str] | None]) -> set[int]:
    """Indexes of the leading key/value lines of a metadata preamble (a World Bank API extract:
    "Data Source", "Last Updated Date" and blank lines above the header). They would otherwise set the
    typical row width when the table below them has only a row or two."""
    out: set[int] = set()
    for i, row in enumerate(head):
        filled = _filled(row)
        if filled == 0:
            continue
        if filled <= 2 and _numeric_share(row) == 0 and not NUMERIC_RE.match(_first_text(row)):
            out.add(i)
            continue
        return out if out and filled >= PREAMBLE_WIDTH * 2 else set()
    return set()


def detect_layout(head: list[list[str] | None], tail: list[list[str] | None], total: int) -> Layout:
    """``head``: the first records, ``tail``: the last records (may overlap), ``total``: record count."""
    nonblank = [r for r in head if _filled(r) > 0]
    if not nonblank:
        return Layout(header_index=None)
    preamble = _preamble(head)
    widths = [
        _filled(r) for i, r in enumerate(head) if _filled(r) > 0 and not _comment(r) and i not in preamble
    ]
    multi = [w for w in widths if w >= 2]
    if multi:
        counts = Counter(multi)
        typical = max(counts, key=lambda w: (counts[w], w))
    else:
        typical = 1
    need = max(2, (typical + 1) // 2) if typical >= 2 else 1
    wide = [i for i, row in enumerate(head) if _filled(row) >= need and not _comment(row)]
    header = None
    for i in wide:
        # The header is a wide row followed by wide rows: a wide title line (a pandas
        # "Unnamed: 1" row, a long caption padded across) is followed by narrow lines.
        nxt = next((j for j in range(i + 1, len(head)) if _filled(head[j]) > 0), None)
        if nxt is None or nxt in wide or not _title_like(head[nxt]):
            header = i
            break
    if header is None and wide:
        header = wide[0]
    titles = [i for i in range(header) if _filled(head[i]) > 0] if header is not None else []
    if header is None:
        # No row is as wide as the data: take the first non-blank one.
        header = next(i for i, r in enumerate(head) if _filled(r) > 0)
        titles = []
    headers = [header]
    labels = [v if v is not None else "" for v in (head[header] or [])]
    # A second header row: the next row is text where the data below is numeric, and the first
    # row has gaps (merged cells) that the second fills.
    nxt = header + 1
    if nxt < len(head) and head[nxt] is not None and _filled(head[nxt]) >= 2:
        below = [r for r in head[nxt + 1 : nxt + 6] if _filled(r) > 0]
        gaps = [j for j, v in enumerate(labels) if not v.strip()]
        second = head[nxt] or []
        fills_gaps = any(j < len(second) and second[j].strip() for j in gaps)
        if (
            below
            and _numeric_share(second) == 0
            and sum(_numeric_share(r) for r in below) / len(below) >= 0.5
            and fills_gaps
        ):
            labels = _merge_header(labels, second)
            headers.append(nxt)
            header = nxt
    footer_indexes, footer_start = _footer(tail, total, header, _filled(head[header]) >= 2)
    return Layout(
        header_index=header,
        title_indexes=titles,
        header_indexes=headers if len(headers) > 1 else [],
        footer_start=footer_start,
        footer_indexes=footer_indexes,
        labels=labels,
    )


def _merge_header(top: list[str], bottom: list[str]) -> list[str]:
    width = max(len(top), len(bottom))
    top = top + [""] * (width - len(top))
    bottom = bottom + [""] * (width - len(bottom))
    out = []
    carry = ""
    for a, b in zip(top, bottom, strict=True):
        carry = a.strip() or carry
        a_eff = a.strip() or (carry if b.strip() else "")
        out.append(" / ".join(p for p in (a_eff, b.strip()) if p))
    return out


def _indented(row: list[str] | None) -> bool:
    """The line's first cell starts with an ideographic space (U+3000), as the continuation lines of
    Chinese statistical notes do."""
    first = next((v for v in row or [] if v and v.strip()), "")
    return first.startswith("\u3000")


def _footer(
    tail: list[list[str] | None], total: int, header: int, wide_header: bool
) -> tuple[list[int], int | None]:
    """Note lines at the end: scanning up from the last record, skipping blank ones."""
    offset = total - len(tail)
    notes: list[int] = []
    indented: list[int] = []
    """Lines indented with ideographic spaces below the lines read so far: a note's continuation
    ("　　2. 2022年数据为…") once a note line is found above them, data otherwise."""
    start: int | None = None
    for k in range(len(tail) - 1, -1, -1):
        idx = offset + k
        if idx <= header:
            break
        row = tail[k]
        filled = _filled(row)
        if filled == 0:
            continue
        text = _first_text(row)
        if filled <= 2 and len(indented) < MAX_NOTE_LINES and _indented(row):
            indented.append(idx)
            continue
        # A note line, or above one a line of prose continuing it ("2. 进出口数据来源于…").
        continues = bool(notes) and wide_header and len(notes) < MAX_NOTE_LINES and _title_like(row)
        if filled <= 2 and _numeric_share(row) == 0 and (NOTE_RE.match(text) or continues):
            notes += [*indented, idx]
            indented = []
            start = idx
            continue
        break
    notes.reverse()
    return notes, start
