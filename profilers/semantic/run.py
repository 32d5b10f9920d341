"""Shared bodies of the semantic checks: validate every row of the columns detected as one kind,
and judge the suspect cells found by the one text pass."""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakKeyDictionary

import polars as pl

from profilers.context import PLACEHOLDERS, Table
from profilers.registry import Hit, cell_examples, short
from profilers.semantic.degrees import coordinate
from profilers.semantic.detect import Semantic
from profilers.types import MAX_EXAMPLES, Example

Validator = Callable[[pl.Expr], pl.Expr]
SeriesValidator = Callable[[pl.Series], pl.Series]
REPEATED = 0.5
"""When a column has fewer distinct values than this share of its rows (dates, districts), each
distinct value is validated once and the verdicts are joined back to the rows."""


def columns_of(table: Table, *kinds: str) -> list[Semantic]:
    return [s for s in table.semantic.values() if s.kind in kinds]


MEASURES = ("latitude", "longitude", "year", "count", "share")
_NUMBERS: WeakKeyDictionary[Table, dict[str, pl.Series]] = WeakKeyDictionary()


def numbers(table: Table, cols: list[str] | None = None) -> pl.DataFrame:
    """``__row`` and ``cols`` (default: the columns of the measure kinds, ``MEASURES``) cast to
    Float64 (null where the plain cast fails: separators, units, % signs; coordinates written
    with degree signs are parsed, ``profilers.semantic.degrees``). Each column is cast
    once per table for the checks that read it (out-of-range, swapped-coordinates)."""
    if cols is None:
        cols = [s.col for s in columns_of(table, *MEASURES)]
    cache = _NUMBERS.setdefault(table, {})
    todo = [c for c in cols if c not in cache]
    if todo:
        semantic = table.semantic
        styles = {c: semantic[c].style if c in semantic else None for c in todo}
        cast = table.stripped.select([coordinate(pl.col(c), styles[c]).alias(c) for c in todo])
        cache.update({c: cast.get_column(c) for c in todo})
    return pl.DataFrame([table.stripped.get_column("__row"), *[cache[c] for c in cols]])


def real(v: pl.Expr) -> pl.Expr:
    """A value: not empty, not a placeholder (those are other checks' findings)."""
    return v.is_not_null() & (v.str.len_bytes() > 0) & ~v.is_in(pl.Series(PLACEHOLDERS).implode())


def rejected(
    frame: pl.DataFrame,
    col: str,
    valid: Validator,
    fast: tuple[Validator, ...] = (),
    series: SeriesValidator | None = None,
) -> pl.DataFrame:
    """The rows of ``frame`` whose ``col`` the validator rejects. ``fast`` are cheap tests that
    each accept many valid values, applied in turn so the full test runs on what is left;
    ``series`` validates a whole Series at once (the check-digit arithmetic)."""
    v = pl.col(col)
    for accept in fast:
        if not frame.height:
            return frame
        frame = frame.filter(~accept(v))
    if not frame.height:
        return frame
    if series is not None:
        return frame.filter(~series(frame.get_column(col)))
    return frame.filter(~valid(v))


def invalid_values(
    table: Table,
    kinds: tuple[str, ...],
    valid: Callable[[Semantic], Validator],
    fast: tuple[Validator, ...] = (),
    series: SeriesValidator | None = None,
) -> Hit | None:
    """Count the real values of the columns of ``kinds`` that ``valid`` (or ``series``) rejects
    (trimmed values; examples in field then row order). The share is of the cells of the columns
    checked."""
    cols = columns_of(table, *kinds)
    if not cols:
        return None
    frame = table.stripped
    count = 0
    examples: list[Example] = []
    for s in cols:
        v = pl.col(s.col)
        if table.stat(s.field).distinct < table.rows * REPEATED:
            # Few distinct values: judge each once, then find the rows of the rejected ones.
            distinct = frame.select(v.unique()).filter(real(v))
            bad_values = rejected(distinct, s.col, valid(s), fast, series).get_column(s.col)
            bad = (
                frame.select("__row", s.col).filter(v.is_in(bad_values.implode()))
                if bad_values.len()
                else frame.select("__row", s.col).clear()
            )
        else:
            # Mostly distinct values: the fast tests first, over the whole column; what they do
            # not accept is rarely more than a few rows, so the placeholder test runs on those.
            filled = v.str.len_bytes() > 0
            candidates = frame.select("__row", s.col).filter(filled & ~fast[0](v) if fast else filled)
            bad = rejected(candidates.filter(real(v)), s.col, valid(s), fast[1:], series)
        count += bad.height
        if bad.height and len(examples) < MAX_EXAMPLES:
            examples += cell_examples(bad, table, s.col, MAX_EXAMPLES - len(examples))
    if not count:
        return None
    return Hit(count, count / max(table.rows * len(cols), 1), examples)


def suspect_hits(table: Table, predicate: Validator) -> Hit | None:
    """The suspect cells (``Table.suspect_cells``) that ``predicate`` confirms; the share is of
    all cells."""
    found = table.suspect_cells.filter(predicate(pl.col("v")))
    if not found.height:
        return None
    examples = [
        Example(row=int(r), field=int(c[1:]), column=table.label(int(c[1:])), value=short(v))
        for r, c, v in found.head(MAX_EXAMPLES).iter_rows()
    ]
    return Hit(found.height, found.height / max(table.cells, 1), examples)
