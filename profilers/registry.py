"""The check registry: one module per check under ``profilers/checks``, each registering one
function with ``@check``. Modules are discovered once; registering a code twice raises."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl

from profilers.context import WIDE, Table, select_row
from profilers.types import MAX_EXAMPLES, CheckResult, Dimension, Example, Finding, Level, Rubric, Severity


class NotApplicable(Exception):
    """Raised by a check that cannot apply to this table; it then costs nothing."""


@dataclass(frozen=True, slots=True)
class Hit:
    """What a check measured: an exact count, the affected share and some examples."""

    count: int
    share: float
    examples: list[Example]
    message: str = ""
    truncated: bool = False


CheckFn = Callable[[Table], "Hit | None"]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    code: str
    dimension: Dimension
    severity: Severity
    level: Level
    title: str
    description: str
    fix: str
    func: CheckFn
    needs_table: bool = True
    title_zh: str = ""
    fix_zh: str = ""
    rubric: Rubric | None = None

    def run(self, table: Table) -> CheckResult:
        if self.needs_table and table.fatal:
            return CheckResult(self.code, self.dimension, "not-applicable")
        try:
            hit = self.func(table)
        except NotApplicable:
            return CheckResult(self.code, self.dimension, "not-applicable")
        except Exception as exc:  # a check that crashes is recorded and the run goes on
            return CheckResult(self.code, self.dimension, "check-error", error=f"{type(exc).__name__}: {exc}")
        if hit is None or hit.count <= 0:
            return CheckResult(self.code, self.dimension, "pass")
        finding = Finding(
            code=self.code,
            dimension=self.dimension,
            severity=self.severity,
            level=self.level,
            count=hit.count,
            share=min(1.0, max(0.0, hit.share)),
            title=self.title,
            fix=self.fix,
            examples=hit.examples[:MAX_EXAMPLES],
            message=hit.message,
            truncated=hit.truncated or hit.count > len(hit.examples[:MAX_EXAMPLES]),
        )
        return CheckResult(self.code, self.dimension, "fail", [finding])


_REGISTRY: dict[str, CheckSpec] = {}


def check(
    code: str,
    *,
    dimension: Dimension,
    title: str,
    description: str,
    fix: str,
    severity: Severity = "error",
    level: Level = "cell",
    needs_table: bool = True,
    title_zh: str = "",
    fix_zh: str = "",
    rubric: Rubric | None = None,
) -> Callable[[CheckFn], CheckFn]:
    def register(func: CheckFn) -> CheckFn:
        if code in _REGISTRY:
            raise ValueError(f"check code {code!r} registered twice ({_REGISTRY[code].func.__module__})")
        _REGISTRY[code] = CheckSpec(
            code,
            dimension,
            severity,
            level,
            title,
            description,
            fix,
            func,
            needs_table,
            title_zh,
            fix_zh,
            rubric,
        )
        return func

    return register


@lru_cache(maxsize=1)
def registry() -> dict[str, CheckSpec]:
    """Every registered check, by code, after importing each module of ``profilers.checks``."""
    import profilers.checks as package

    for mod in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{mod.name}")
    return dict(sorted(_REGISTRY.items()))


def run_checks(table: Table, only: Iterable[str] | None = None) -> list[CheckResult]:
    specs = registry()
    codes = list(only) if only is not None else list(specs)
    return [specs[c].run(table) for c in codes]


# ---- helpers shared by checks -------------------------------------------------------------


def cell_examples(frame: pl.DataFrame, table: Table, col: str, limit: int = MAX_EXAMPLES) -> list[Example]:
    """Examples (row, field, column, value) from the first rows of ``frame`` for column ``col``."""
    field = int(col[1:])
    label = table.label(field)
    return [
        Example(row=int(r), field=field, column=label, value=_short(v))
        for r, v in frame.select("__row", col).head(limit).iter_rows()
    ]


def row_examples(rows: Iterable[Any], limit: int = MAX_EXAMPLES, value: str | None = None) -> list[Example]:
    out = []
    for r in rows:
        out.append(Example(row=int(r), value=value))
        if len(out) >= limit:
            break
    return out


def _short(v: Any, limit: int = 200) -> str | None:
    if v is None:
        return None
    s = str(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def short(v: Any, limit: int = 200) -> str | None:
    return _short(v, limit)


def per_column(
    table: Table,
    predicate: Callable[[str], pl.Expr],
    columns: Iterable[str] | None = None,
    frame: pl.DataFrame | None = None,
) -> tuple[int, list[Example]]:
    """Count cells matching ``predicate(col)`` over columns in one pass, with examples
    taken column by column in field order. ``frame`` defaults to ``table.content``; pass
    ``table.stripped`` to test trimmed values (examples then show trimmed values)."""
    cols = list(columns) if columns is not None else table.cols
    if not cols or table.content.height == 0:
        return 0, []
    frame = table.content if frame is None else frame
    if len(cols) > WIDE:
        # Wide tables: the columns stacked into one, so each predicate runs once.
        long = frame.select(pl.col("__row", *cols)).unpivot(
            index="__row", variable_name="col", value_name="v"
        )
        hits = long.filter(predicate("v"))
        if not hits.height:
            return 0, []
        order = {c: i for i, c in enumerate(cols)}
        hits = hits.with_columns(pos=pl.col("col").replace_strict(order, return_dtype=pl.Int64)).sort(
            "pos", "__row"
        )
        first = [
            Example(row=int(r), field=int(c[1:]), column=table.label(int(c[1:])), value=_short(v))
            for r, c, v in hits.select("__row", "col", "v").head(MAX_EXAMPLES).iter_rows()
        ]
        return hits.height, first
    counts = select_row(frame, [predicate(c).sum().alias(c) for c in cols])
    total = 0
    examples: list[Example] = []
    for c in cols:
        n = int(counts[c] or 0)
        if not n:
            continue
        total += n
        if len(examples) < MAX_EXAMPLES:
            examples += cell_examples(frame.filter(predicate(c)), table, c, MAX_EXAMPLES - len(examples))
    return total, examples
