"""Great Expectations suites: parse a suite (GX 1.x JSON or the 0.x shape), run it on a loaded
table, and generate the suite a table meets (the contract a portal can run in its own pipeline).

This is the only module that imports ``great_expectations``, and only inside functions: the
import alone costs seconds, and plain scoring never pays it. Generating a suite needs no GX at
all (it writes the 1.x JSON shape directly).

Data reach GX as pandas, converted from the table's Polars frame through pyarrow, with the
spreadsheet row number (``__row``) as the index, so GX's unexpected indexes are ODQ's rows.
Columns are named as ``pandas.read_csv`` names them (a blank label is ``Unnamed: <i>``, a
repeated one ``label.1``), empty cells and read_csv's default NA strings are nulls, and a column the profiler typed as integer or
number becomes numeric when every value parses (as ``read_csv`` would make it), so a suite written
against ``read_csv`` gives the same counts here.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import math
import threading
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from profilers import jsontext
from profilers.context import EXACT_DISTINCT_ROWS, Table, select_row, type_expr
from profilers.types import MAX_EXAMPLES, CheckResult, Example, Finding, Level, Severity

CHECK = "expectations"
"""Key of the suite's result in a report's ``checks``."""
CODE = "expectation-failed"
MAX_ROWS = 2_000_000
"""Rows a suite runs on. Past it the suite runs on the first MAX_ROWS rows and the report says
so in its notes (pandas holds every cell as an object: about 1 GB per 2M rows × 10 columns)."""
SET_MAX = 20
"""Generated suites: a column with at most this many distinct values (each seen at least twice
on average) gets an in-set expectation."""
ROW_INDEX = "__row"
READ_CSV_NULLS = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
    "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip
"""The strings ``pandas.read_csv`` reads as missing by default (pandas' STR_NA_VALUES): a suite
written against read_csv counts them as nulls, so ODQ's frame for GX does too."""
_BOOLS = {"True": True, "true": True, "TRUE": True, "False": False, "false": False, "FALSE": False}

_OLD_ONLY_KWARGS = ("result_format", "include_config", "catch_exceptions")
"""0.x keyword arguments that are run options, not part of the expectation, in GX 1.x."""
_SEVERITY: dict[str, Severity] = {"critical": "error", "warning": "warning", "info": "info"}


class SuiteError(ValueError):
    """A suite that cannot be used; ``code`` is a stable kebab-case reason."""

    def __init__(self, message: str, code: str = "invalid-suite", unknown: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.unknown = list(unknown)


@dataclass(frozen=True, slots=True)
class Suite:
    """A parsed, validated suite in the GX 1.x shape."""

    name: str
    expectations: tuple[dict[str, Any], ...]
    """Each ``{"type", "kwargs", "meta"}`` (and ``severity`` when given)."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "expectations": [dict(e) for e in self.expectations], "meta": {}}

    @classmethod
    def trusted(cls, data: Mapping[str, Any]) -> Suite:
        """A suite from JSON that :func:`parse_suite` validated before (e.g. a stored one), without
        importing GX again."""
        return cls(str(data.get("name") or "suite"), tuple(dict(e) for e in data.get("expectations") or ()))

    @property
    def fingerprint(self) -> str:
        """A short hash of the expectations (not the name): equal suites, equal fingerprints."""
        text = json.dumps(list(self.expectations), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---- GX, lazily ----------------------------------------------------------------------------

_GX_LOCK = threading.Lock()


@cache
def _gx() -> Any:
    """The great_expectations module, imported once; the pandas whole-frame fingerprint (a hash
    of every cell, about 2 s per million rows, used only to label batches) is switched off."""
    with _GX_LOCK:
        import great_expectations as gx
        from great_expectations.execution_engine import pandas_execution_engine

        pandas_execution_engine.HASH_THRESHOLD = 0  # type: ignore[attr-defined]
        return gx


@cache
def known_types() -> frozenset[str]:
    """Every expectation type GX registers."""
    _gx()
    from great_expectations.expectations.registry import _registered_expectations

    return frozenset(_registered_expectations)


def _configuration(expectation: Mapping[str, Any]) -> Any:
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    kwargs: dict[str, Any] = {"type": expectation["type"], "kwargs": dict(expectation["kwargs"])}
    if expectation.get("meta"):
        kwargs["meta"] = dict(expectation["meta"])
    if expectation.get("severity"):
        kwargs["severity"] = expectation["severity"]
    return ExpectationConfiguration(**kwargs)


# ---- parse ---------------------------------------------------------------------------------


def parse_suite(source: str | bytes | Mapping[str, Any]) -> Suite:
    """A suite from its JSON text or object, GX 1.x (``name``, ``type``) or 0.x
    (``expectation_suite_name``, ``expectation_type``). Raises :class:`SuiteError`: code
    ``invalid-suite`` (not a suite), ``unknown-expectation`` (types GX does not know, all listed:
    GX itself would drop them silently) or ``invalid-expectation`` (arguments GX refuses)."""
    data: Any = source
    if isinstance(source, bytes | str):
        text = source.decode("utf-8-sig", "replace") if isinstance(source, bytes) else source
        try:
            data = jsontext.loads(text)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"The suite is not JSON: {exc}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("expectations"), list):
        raise SuiteError(
            "A suite is a JSON object with a list 'expectations' (Great Expectations suite JSON)."
        )
    name = data.get("name") or data.get("expectation_suite_name") or "suite"
    items: list[dict[str, Any]] = []
    for i, item in enumerate(data["expectations"], start=1):
        if not isinstance(item, Mapping):
            raise SuiteError(f"Expectation #{i} is not an object.")
        kind = item.get("type") or item.get("expectation_type")
        if not isinstance(kind, str) or not kind:
            raise SuiteError(f"Expectation #{i} has no 'type' (or 0.x 'expectation_type').")
        kwargs = item.get("kwargs") or {}
        if not isinstance(kwargs, Mapping):
            raise SuiteError(f"Expectation #{i} ({kind}): 'kwargs' must be an object.")
        meta = item.get("meta") or {}
        entry: dict[str, Any] = {
            "type": kind,
            "kwargs": {k: v for k, v in kwargs.items() if k not in _OLD_ONLY_KWARGS},
            "meta": dict(meta) if isinstance(meta, Mapping) else {},
        }
        if isinstance(item.get("severity"), str):
            entry["severity"] = item["severity"]
        items.append(entry)
    known = known_types()
    unknown = sorted({e["type"] for e in items if e["type"] not in known})
    if unknown:
        hints = []
        for kind in unknown:
            close = difflib.get_close_matches(kind, sorted(known), n=1)
            hints.append(f"{kind} (did you mean {close[0]}?)" if close else kind)
        raise SuiteError(
            f"Unknown expectation type{'s' if len(unknown) > 1 else ''}: {', '.join(hints)}. "
            "Great Expectations would skip them silently; fix or remove them.",
            code="unknown-expectation",
            unknown=unknown,
        )
    for i, entry in enumerate(items, start=1):
        try:
            _configuration(entry).to_domain_obj()
        except Exception as exc:  # GX raises pydantic and its own errors for bad arguments
            detail = " ".join(str(exc).split())
            raise SuiteError(
                f"Expectation #{i} ({entry['type']}) has invalid arguments: {detail}",
                code="invalid-expectation",
            ) from None
    return Suite(str(name), tuple(items))


# ---- the table as pandas -------------------------------------------------------------------


def pandas_names(labels: Sequence[str]) -> list[str]:
    """Column names as ``pandas.read_csv`` gives them: ``Unnamed: <i>`` for a blank label
    (0-based), ``label.1``, ``label.2`` … for repeats."""
    seen: Counter[str] = Counter()
    out: list[str] = []
    taken: set[str] = set()
    for i, label in enumerate(labels):
        base = label if label.strip() else f"Unnamed: {i}"
        name = base
        while name in taken:
            seen[base] += 1
            name = f"{base}.{seen[base]}"
        taken.add(name)
        out.append(name)
    return out


def typed_frame(table: Table, max_rows: int | None = None) -> tuple[pl.DataFrame, list[str]]:
    """``__row`` and one column per field named as pandas would, empty cells null, and each column
    typed as ``read_csv`` would type it. Returns the frame and the names."""
    frame = table.content
    if max_rows is not None and frame.height > max_rows:
        frame = frame.head(max_rows)
    names = pandas_names(table.labels)
    exprs = [pl.col("__row").alias(ROW_INDEX)]
    for c, name in zip(table.cols, names, strict=True):
        v = pl.col(c)
        exprs.append(pl.when(v.is_in(READ_CSV_NULLS)).then(None).otherwise(v).alias(name))
    out = frame.select(exprs)
    # read_csv's inference: a column is int64 when every value parses as an integer, float64 when
    # every value parses as a number, bool when every value is true/false, else text.
    checks: list[pl.Expr] = []
    for name in names:
        v = pl.col(name).str.strip_chars()
        checks += [
            pl.col(name).is_not_null().sum().alias(f"{name}\0n"),
            v.cast(pl.Int64, strict=False).is_not_null().sum().alias(f"{name}\0int"),
            v.cast(pl.Float64, strict=False).is_not_null().sum().alias(f"{name}\0float"),
            v.is_in(list(_BOOLS)).sum().alias(f"{name}\0bool"),
        ]
    counts = select_row(out, checks)
    casts: list[pl.Expr] = []
    for name in names:
        filled = counts[f"{name}\0n"]
        v = pl.col(name).str.strip_chars()
        if not filled:
            continue
        if counts[f"{name}\0int"] == filled:
            casts.append(v.cast(pl.Int64).alias(name))
        elif counts[f"{name}\0float"] == filled:
            casts.append(v.cast(pl.Float64).alias(name))
        elif counts[f"{name}\0bool"] == filled:
            casts.append(v.replace_strict(_BOOLS, return_dtype=pl.Boolean).alias(name))
    if casts:
        out = out.with_columns(casts)
    return out, names


def to_pandas(table: Table, max_rows: int | None = MAX_ROWS) -> tuple[Any, list[str]]:
    frame, names = typed_frame(table, max_rows)
    pdf = frame.to_pandas().set_index(ROW_INDEX)
    # An unnamed index: with a named one GX builds its unexpected-index list one row at a time
    # (minutes on a million rows); unnamed, the index values are taken as they are.
    pdf.index.name = None
    return pdf, names


# ---- run -----------------------------------------------------------------------------------


def run_suite(table: Table, suite: Suite, max_rows: int = MAX_ROWS) -> tuple[CheckResult, list[str]]:
    """Run ``suite`` on the table: one ``expectation-failed`` finding per expectation that fails,
    with GX's exact unexpected count and examples at ODQ rows. Returns the result and notes."""
    if table.fatal or not table.labels:
        return CheckResult(CHECK, "validity", "not-applicable"), []
    if not suite.expectations:
        return CheckResult(CHECK, "validity", "pass"), []
    notes: list[str] = []
    if table.rows > max_rows:
        notes.append(
            f"The expectation suite ran on the first {max_rows:,} of {table.rows:,} rows "
            "(unexpected counts cover those rows only)."
        )
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    pdf, names = to_pandas(table, max_rows)
    fields = {name: i for i, name in enumerate(names, start=1)}
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    source = context.data_sources.add_pandas(f"odq-{uuid.uuid4().hex}")
    batch = (
        source.add_dataframe_asset("table")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": pdf})
    )
    expectations = []
    for i, entry in enumerate(suite.expectations):
        entry = {**entry, "meta": {**entry.get("meta", {}), "odq_index": i}}
        expectations.append(_configuration(entry).to_domain_obj())
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=expectations)
    validation = batch.validate(
        gx_suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": MAX_EXAMPLES}
    )
    findings: list[tuple[int, Finding]] = []
    for r in validation.results:
        if not r.success:
            index = int(r.expectation_config.meta["odq_index"])
            findings.append((index, _finding(r, suite.expectations[index], fields, len(pdf))))
    findings.sort(key=lambda pair: pair[0])  # suite order (GX reorders its results)
    found = [f for _, f in findings]
    return CheckResult(CHECK, "validity", "fail" if found else "pass", found), notes


def _finding(result: Any, entry: Mapping[str, Any], fields: Mapping[str, int], rows: int) -> Finding:
    kwargs = entry["kwargs"]
    column = kwargs.get("column") if isinstance(kwargs.get("column"), str) else None
    field = fields.get(column) if column else None
    outcome: dict[str, Any] = dict(result.result or {})
    severity = _SEVERITY.get(str(entry.get("severity") or "critical"), "error")
    call = _describe(entry)
    error = _exception_message(result.exception_info)
    level: Level
    if error is not None:
        return _make(
            1,
            1.0,
            "column" if column else "table",
            severity,
            [Example(field=field, column=column)],
            f"{call} could not be evaluated: {error}",
        )
    if "unexpected_count" in outcome:
        count = int(outcome["unexpected_count"] or 0)
        total = int(outcome.get("element_count") or rows) or 1
        examples = _examples(outcome, column, field)
        message = f"{call}: {count:,} of {total:,} rows unexpected"
        return _make(max(count, 1), count / total, "cell" if column else "row", severity, examples, message)
    observed = outcome.get("observed_value")
    level = "column" if column else "table"
    example = Example(field=field, column=column, value=_text(observed) if observed is not None else None)
    return _make(1, 1.0, level, severity, [example], f"{call}: observed {_text(observed)}")


def _make(
    count: int, share: float, level: Level, severity: Severity, examples: list[Example], message: str
) -> Finding:
    return Finding(
        code=CODE,
        dimension="validity",
        severity=severity,
        level=level,
        count=count,
        share=min(1.0, max(0.0, share)),
        title="Expectation failed",
        fix="Correct the rows that fail the expectation, or the expectation if the data are right.",
        examples=examples[:MAX_EXAMPLES],
        message=message,
        truncated=count > len(examples[:MAX_EXAMPLES]),
    )


def _examples(outcome: Mapping[str, Any], column: str | None, field: int | None) -> list[Example]:
    indexes = list(outcome.get("partial_unexpected_index_list") or [])
    values = list(outcome.get("partial_unexpected_list") or [])
    out = []
    for i, index in enumerate(indexes[:MAX_EXAMPLES]):
        row = index.get(ROW_INDEX) if isinstance(index, Mapping) else index
        value = values[i] if i < len(values) else None
        out.append(Example(row=_int(row), field=field, column=column, value=_text(value)))
    return out


def _describe(entry: Mapping[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in entry["kwargs"].items())
    text = f"{entry['type']}({args})"
    return text if len(text) <= 300 else text[:299] + "…"


def _exception_message(info: Any) -> str | None:
    """The first exception message in GX's exception_info (flat, or keyed by metric)."""
    if not isinstance(info, Mapping):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "error")
    for value in info.values():
        if isinstance(value, Mapping):
            found = _exception_message(value)
            if found is not None:
                return found
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN: the cell is empty
        return None
    if isinstance(value, tuple | list):
        return ", ".join("" if _text(v) is None else str(_text(v)) for v in value)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---- generate ------------------------------------------------------------------------------

_INT_TYPES = ["int64", "Int64", "int32", "Int32"]
_FLOAT_TYPES = ["float64", "Float64", "float32"]


def suite_from_table(table: Table, name: str) -> dict[str, Any]:
    """The GX 1.x suite ``table`` meets: its columns in order, each column present, not null where
    no value is missing, unique where no value repeats, numeric type and min/max for numeric
    columns, the pattern of date columns, value lengths, and the value set of low-cardinality
    columns. Running it on the same table passes every expectation."""
    expectations: list[dict[str, Any]] = []
    if table.fatal or not table.labels:
        return _suite_json(name, expectations, rows=0)
    frame, names = typed_frame(table)
    schema = frame.schema  # once: each `frame.schema` builds the whole schema (columns² in a loop)
    expectations.append(_expect("expect_table_columns_to_match_ordered_list", column_list=names))
    n = frame.height
    patterns = {
        c: type_expr(stat.type)
        for stat, c in zip(table.stats, names, strict=True)
        if stat.type in ("date", "datetime") and schema[c] == pl.String
    }
    # Every fact in two vectorised passes (counts first, then the bounds of the columns that have values).
    exprs: list[pl.Expr] = []
    for c in names:
        col = pl.col(c)
        exprs += [col.null_count().alias(f"{c}\0nulls"), col.drop_nulls().n_unique().alias(f"{c}\0distinct")]
        dtype = schema[c]
        if dtype.is_numeric():
            exprs += [col.min().alias(f"{c}\0min"), col.max().alias(f"{c}\0max")]
        elif dtype == pl.String:
            lengths = col.str.len_chars()
            exprs += [lengths.min().alias(f"{c}\0minlen"), lengths.max().alias(f"{c}\0maxlen")]
            if patterns.get(c):
                exprs.append(col.drop_nulls().str.contains(str(patterns[c])).all().alias(f"{c}\0pattern"))
    facts = select_row(frame, exprs)
    for c in names:
        expectations.append(_expect("expect_column_to_exist", column=c))
        nulls = int(facts[f"{c}\0nulls"])
        filled = n - nulls
        distinct = int(facts[f"{c}\0distinct"])
        dtype = schema[c]
        if filled == 0:
            expectations.append(_expect("expect_column_values_to_be_null", column=c))
            continue
        if nulls == 0:
            expectations.append(_expect("expect_column_values_to_not_be_null", column=c))
        if distinct == filled and filled >= 2:
            expectations.append(_expect("expect_column_values_to_be_unique", column=c))
        if dtype.is_numeric():
            types = _INT_TYPES + (_FLOAT_TYPES if nulls else []) if dtype.is_integer() else _FLOAT_TYPES
            expectations.append(_expect("expect_column_values_to_be_in_type_list", column=c, type_list=types))
            low, high = _plain(facts[f"{c}\0min"]), _plain(facts[f"{c}\0max"])
            if low is not None or high is not None:  # GX needs one bound at least
                expectations.append(
                    _expect("expect_column_values_to_be_between", column=c, min_value=low, max_value=high)
                )
        elif dtype == pl.String:
            expectations.append(
                _expect(
                    "expect_column_value_lengths_to_be_between",
                    column=c,
                    min_value=int(facts[f"{c}\0minlen"]),
                    max_value=int(facts[f"{c}\0maxlen"]),
                )
            )
            if facts.get(f"{c}\0pattern"):
                expectations.append(
                    _expect("expect_column_values_to_match_regex", column=c, regex=patterns[c])
                )
        if distinct <= SET_MAX and filled >= 2 * distinct and distinct < filled:
            values = frame.get_column(c).drop_nulls().unique().to_list()
            if any(isinstance(v, float) and not math.isfinite(v) for v in values):
                continue  # infinity or NaN cannot be written in a JSON value set
            expectations.append(
                _expect(
                    "expect_column_values_to_be_in_set", column=c, value_set=sorted(_plain(v) for v in values)
                )
            )
    return _suite_json(name, expectations, rows=n)


def suite_from_columns(columns: Sequence[Mapping[str, Any]], rows: int, name: str) -> dict[str, Any]:
    """A weaker contract from a report's column statistics alone (when the rows were not kept):
    the columns in order, each present, not null where no value was missing, unique where every
    value differed, and the value lengths."""
    names = pandas_names([str(c.get("name") or "") for c in columns])
    expectations: list[dict[str, Any]] = []
    if names:
        expectations.append(_expect("expect_table_columns_to_match_ordered_list", column_list=names))
    for stats, column in zip(columns, names, strict=True):
        expectations.append(_expect("expect_column_to_exist", column=column))
        nulls = int(stats.get("nulls") or 0)
        distinct = int(stats.get("distinct") or 0)
        if rows and nulls == 0:
            expectations.append(_expect("expect_column_values_to_not_be_null", column=column))
        exact = rows <= EXACT_DISTINCT_ROWS  # above it distinct counts are estimates
        if exact and rows >= 2 and nulls == 0 and not stats.get("placeholders") and distinct == rows:
            expectations.append(_expect("expect_column_values_to_be_unique", column=column))
    return _suite_json(name, expectations, rows=rows)


def _expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {}}


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (Polars gives Python scalars; dates stay strings here). A number past
    the float range (``1e400`` reads as infinity) or NaN is not JSON: None, an open bound."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else value


def _suite_json(name: str, expectations: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    return {
        "name": name,
        "expectations": expectations,
        "meta": {
            "generated_by": "ODQ",
            "description": "The contract this dataset met when ODQ profiled it.",
            "rows": rows,
        },
    }
