"""Declared schemas: check a table against a Frictionless Table Schema (or the schema of a
``datapackage.json`` resource) the way frictionless does, vectorised in Polars.

Frictionless' errors map to ODQ codes: ``type-error`` (a value that does not parse as the declared
type), ``constraint-error`` (required, minimum/maximum, exclusiveMinimum/exclusiveMaximum,
minLength/maxLength, pattern, enum), ``duplicate-key`` (a ``unique`` field, the primary key, a
unique key: repeats, and primary keys with no value), ``foreign-key-error`` (a foreign key within
the table with no matching row) and ``header-mismatch`` (extra-label, missing-label,
incorrect-label). Positions are frictionless': ``row`` is the spreadsheet row, ``field`` the
1-based column, None for row-level errors (keys).

Rules taken from frictionless 5 (and checked against it): a cell equal to one of
``missingValues`` (default ``[""]``) is missing; a missing value breaks only ``required``; a value
of the wrong type is a type-error and its constraints are not checked; a short row's absent cells
are the missing-cell check's, not the schema's; ``pattern`` must match the whole value;
``unique`` and key repeats are reported at the later rows; a primary key whose cells are all
missing (or not of their type) is an error of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from profilers import jsontext
from profilers.context import select_row
from profilers.types import MAX_EXAMPLES, CheckResult, Dimension, Example, Finding, Level, Severity

CHECK = "schema"
"""Key of the schema's result in a report's ``checks``."""

TYPES = (
    "string", "number", "integer", "boolean", "object", "array", "list", "date", "time", "datetime",
    "year", "yearmonth", "duration", "geopoint", "geojson", "any",
)  # fmt: skip
CONSTRAINTS = (
    "required", "unique", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "pattern", "enum",
)  # fmt: skip
FIELDS_MATCH = ("exact", "equal", "subset", "superset", "partial")
DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")

_INTEGER_RE = r"^[+-]?[0-9]+$"
_NUMBER_RE = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]?(?i:nan|inf|infinity)$"
_DATETIME_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_TIME_RE = r"^[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
_DURATION_RE = r"^P(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?$"
_GEOPOINT_RE = r"^\s*([+-]?[0-9]+(?:\.[0-9]+)?)\s*,\s*([+-]?[0-9]+(?:\.[0-9]+)?)\s*$"
_STRING_FORMATS = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "uri": r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$",
    "uuid": r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$",
    "binary": r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
}
_ANY_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d", "%d.%m.%Y", "%Y年%m月%d日")
_ANY_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M")


class SchemaError(ValueError):
    """A schema that cannot be used; ``code`` is a stable kebab-case reason."""

    def __init__(self, message: str, code: str = "invalid-schema") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    format: str
    constraints: Mapping[str, Any]
    options: Mapping[str, Any]
    """trueValues, falseValues, bareNumber, groupChar, decimalChar, missingValues."""


@dataclass(frozen=True, slots=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableSchema:
    fields: tuple[FieldSpec, ...]
    missing_values: tuple[str, ...] = ("",)
    primary_key: tuple[str, ...] = ()
    unique_keys: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    fields_match: str = "exact"
    resource: str | None = None
    """Name of the datapackage resource the schema came from (None for a bare Table Schema)."""
    descriptor: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        text = json.dumps([self.resource, self.descriptor], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---- parse ---------------------------------------------------------------------------------


def parse_schema(
    source: str | bytes | Mapping[str, Any], data_name: str | None = None, base_dir: Path | None = None
) -> TableSchema:
    """A Table Schema, or the schema of one resource of a ``datapackage.json`` (the resource whose
    path is ``data_name``, or the only one). A resource's ``schema`` given as a relative path is
    read from ``base_dir`` when one is given (never outside it). Raises :class:`SchemaError`."""
    data = _json(source, "schema")
    resource_name: str | None = None
    if isinstance(data, Mapping) and isinstance(data.get("resources"), list):
        resource = _pick_resource(data["resources"], data_name)
        resource_name = str(resource.get("name") or resource.get("path") or "")
        data = resource.get("schema")
        if isinstance(data, str):
            data = _json(_read_reference(data, base_dir), "schema")
        if not isinstance(data, Mapping):
            raise SchemaError(f"Resource {resource_name!r} of the data package has no schema.")
    if not isinstance(data, Mapping) or not isinstance(data.get("fields"), list):
        raise SchemaError("A Table Schema is a JSON object with a list 'fields' (or a datapackage.json).")
    missing = data.get("missingValues", [""])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise SchemaError("'missingValues' must be a list of strings.")
    fields = tuple(_field(i, f) for i, f in enumerate(data["fields"], start=1))
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise SchemaError(f"Field names must be unique; repeated: {', '.join(dupes)}.")
    primary = _key(data.get("primaryKey"), names, "primaryKey")
    unique_keys = tuple(_key(k, names, "uniqueKeys") for k in data.get("uniqueKeys") or [])
    foreign = tuple(_foreign_key(fk, names) for fk in data.get("foreignKeys") or [])
    match = data.get("fieldsMatch", "exact")
    if match not in FIELDS_MATCH:
        raise SchemaError(f"'fieldsMatch' must be one of {', '.join(FIELDS_MATCH)}.")
    return TableSchema(
        fields=fields,
        missing_values=tuple(missing),
        primary_key=primary,
        unique_keys=unique_keys,
        foreign_keys=foreign,
        fields_match=match,
        resource=resource_name,
        descriptor=dict(data),
    )


def _json(source: str | bytes | Mapping[str, Any], what: str) -> Any:
    if isinstance(source, Mapping):
        return source
    text = source.decode("utf-8-sig", "replace") if isinstance(source, bytes) else source
    try:
        return jsontext.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"The {what} is not JSON: {exc}") from None


def _pick_resource(resources: list[Any], data_name: str | None) -> Mapping[str, Any]:
    usable = [r for r in resources if isinstance(r, Mapping)]
    if not usable:
        raise SchemaError("The data package lists no resources.")
    if data_name:
        stem = PurePosixPath(data_name).stem
        for r in usable:
            paths = r.get("path")
            for path in paths if isinstance(paths, list) else [paths]:
                if isinstance(path, str) and PurePosixPath(path.replace("\\", "/")).name == data_name:
                    return r
        for r in usable:
            if r.get("name") in (data_name, stem):
                return r
    if len(usable) == 1:
        return usable[0]
    names = ", ".join(str(r.get("name") or r.get("path")) for r in usable)
    raise SchemaError(
        f"The data package has {len(usable)} resources ({names}) and none is {data_name!r}.",
        code="resource-not-found",
    )


def _read_reference(reference: str, base_dir: Path | None) -> str:
    if base_dir is None or "://" in reference:
        raise SchemaError(
            f"The resource's schema is a reference ({reference!r}); send the Table Schema itself.",
            code="schema-reference",
        )
    base = base_dir.resolve()
    target = (base / reference).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise SchemaError(
            f"Schema file {reference!r} not found beside the data package.", code="schema-reference"
        )
    return target.read_text(encoding="utf-8-sig")


def _field(i: int, spec: Any) -> FieldSpec:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
        raise SchemaError(f"Field #{i} must be an object with a string 'name'.")
    name = spec["name"]
    kind = spec.get("type", "any")
    if kind not in TYPES:
        raise SchemaError(f"Field {name!r}: unknown type {kind!r} (one of {', '.join(TYPES)}).")
    constraints = spec.get("constraints") or {}
    if not isinstance(constraints, Mapping):
        raise SchemaError(f"Field {name!r}: 'constraints' must be an object.")
    unknown = sorted(set(constraints) - set(CONSTRAINTS))
    if unknown:
        raise SchemaError(f"Field {name!r}: unknown constraint(s) {', '.join(unknown)}.")
    for key in ("minLength", "maxLength"):
        if key in constraints and not isinstance(constraints[key], int):
            raise SchemaError(f"Field {name!r}: {key} must be an integer.")
    if "enum" in constraints and not isinstance(constraints["enum"], list):
        raise SchemaError(f"Field {name!r}: enum must be a list.")
    if "pattern" in constraints:
        if not isinstance(constraints["pattern"], str):
            raise SchemaError(f"Field {name!r}: pattern must be a string.")
        try:
            re.compile(constraints["pattern"])
        except re.error as exc:
            raise SchemaError(
                f"Field {name!r}: pattern {constraints['pattern']!r} is not a regex: {exc}"
            ) from None
    options = {
        k: spec[k]
        for k in ("trueValues", "falseValues", "bareNumber", "groupChar", "decimalChar", "missingValues")
        if k in spec
    }
    fmt = spec.get("format", "default")
    out = FieldSpec(name, kind, fmt if isinstance(fmt, str) else "default", dict(constraints), options)
    bound = _bound_parser(out)
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in constraints and bound is not None and bound(constraints[key]) is None:
            raise SchemaError(f"Field {name!r}: {key} {constraints[key]!r} is not a {kind}.")
    return out


def _key(value: Any, names: list[str], what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    key = [value] if isinstance(value, str) else value
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        raise SchemaError(f"'{what}' must be a field name or a list of them.")
    missing = [k for k in key if k not in names]
    if missing:
        raise SchemaError(f"'{what}' names fields the schema does not declare: {', '.join(missing)}.")
    return tuple(key)


def _foreign_key(value: Any, names: list[str]) -> ForeignKey:
    if not isinstance(value, Mapping) or not isinstance(value.get("reference"), Mapping):
        raise SchemaError("Each foreign key needs 'fields' and a 'reference' object.")
    fields = _key(value.get("fields"), names, "foreignKeys.fields")
    ref = value["reference"]
    resource = ref.get("resource", "")
    ref_fields = ref.get("fields")
    ref_key = (ref_fields,) if isinstance(ref_fields, str) else tuple(ref_fields or ())
    if not fields or len(ref_key) != len(fields) or not isinstance(resource, str):
        raise SchemaError("A foreign key's 'fields' and 'reference.fields' must have the same length.")
    return ForeignKey(fields, resource, ref_key)


# ---- check ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Hits:
    """Exact count and the first rows (row-major) of one ODQ code."""

    count: int = 0
    units: int = 0
    examples: list[tuple[int, int, Example]] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int, examples: list[tuple[int, int, Example]]) -> None:
        if count:
            self.count += count
            self.kinds[kind] = self.kinds.get(kind, 0) + count
            self.examples.extend(examples)


_CODES: dict[str, tuple[Dimension, Severity, Level, str, str]] = {
    "type-error": (
        "validity", "error", "cell", "Values that do not fit their declared type",
        "Correct the values, or declare the type the column really has.",
    ),
    "constraint-error": (
        "validity", "error", "cell", "Values that break a declared constraint",
        "Correct the values, or the constraint if the data are right.",
    ),
    "duplicate-key": (
        "uniqueness", "error", "row", "Values of a key or unique field that repeat or are missing",
        "Make the key unique and fill it in every row.",
    ),
    "foreign-key-error": (
        "validity", "error", "row", "Foreign key values with no matching row",
        "Add the referenced rows, or correct the key values.",
    ),
    "header-mismatch": (
        "validity", "error", "column", "Header labels that differ from the declared schema",
        "Rename, add or remove columns so the header matches the schema.",
    ),
}  # fmt: skip


def check_schema(table: Any, schema: TableSchema) -> tuple[CheckResult, list[str]]:
    """Check ``table`` (a profilers ``Table``) against ``schema``: one finding per ODQ code, counts
    exact, examples the first in row order. Returns the result and notes for the report."""
    if table.fatal or not table.labels:
        return CheckResult(CHECK, "validity", "not-applicable"), []
    hits = {code: _Hits() for code in _CODES}
    notes: list[str] = []
    labels: list[str] = list(table.labels)
    header_row = table.source.header_row or 1
    mapping = _map_fields(schema, labels, header_row, hits["header-mismatch"])
    frame = table.content
    n = frame.height
    hits["header-mismatch"].units = max(len(schema.fields), len(labels))
    typed: dict[str, pl.Expr] = {}
    valid: dict[str, pl.Expr] = {}
    masks: list[_Mask] = []
    for spec in schema.fields:
        pos = mapping.get(spec.name)
        if pos is None:
            continue
        c = f"c{pos}"
        missing = list(spec.options.get("missingValues", schema.missing_values))
        raw = pl.col(c)
        present = raw.is_not_null() & ~raw.is_in(missing)
        value, ok = _parse(spec, raw, frame.get_column(c))
        ok = ok.fill_null(False)
        typed[spec.name] = pl.when(present & ok).then(value).otherwise(None)
        valid[spec.name] = present & ok
        label = labels[pos - 1]
        masks.append(_Mask(hits["type-error"], "type", present & ~ok, c, pos, label))
        if spec.constraints.get("required"):
            masks.append(
                _Mask(hits["constraint-error"], "required", raw.is_not_null() & ~present, c, pos, label)
            )
        for kind, broken in _constraints(spec, raw, value):
            masks.append(_Mask(hits["constraint-error"], kind, present & ok & broken, c, pos, label))
        if spec.constraints.get("unique"):
            _unique(frame, hits["duplicate-key"], typed[spec.name], valid[spec.name], pos, label)
    _cells(frame, masks)
    for spec in schema.fields:
        hits["type-error"].units += n if spec.name in mapping else 0
    hits["constraint-error"].units = hits["type-error"].units
    hits["duplicate-key"].units = n
    hits["foreign-key-error"].units = n
    keyed = frame.select(pl.col("__row"), *[e.alias(k) for k, e in typed.items()])
    if schema.primary_key and all(k in mapping for k in schema.primary_key):
        _primary_key(keyed, hits["duplicate-key"], schema.primary_key)
    for key in schema.unique_keys:
        if all(k in mapping for k in key):
            filled = keyed.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in key]))
            _repeats(filled, hits["duplicate-key"], key, "unique-key")
    for fk in schema.foreign_keys:
        if fk.resource not in ("", schema.resource):
            notes.append(
                f"Foreign key {', '.join(fk.fields)} → resource {fk.resource!r} was not checked "
                "(only references within the same table are)."
            )
            continue
        if all(k in mapping for k in (*fk.fields, *fk.reference)):
            _foreign(keyed, hits["foreign-key-error"], fk)
    findings = [_finding(code, h) for code, h in hits.items() if h.count]
    return CheckResult(CHECK, "validity", "fail" if findings else "pass", findings), notes


def _map_fields(schema: TableSchema, labels: list[str], header_row: int, hits: _Hits) -> dict[str, int]:
    """Field name → 1-based column; header mismatches go to ``hits`` (frictionless' extra-label,
    missing-label and incorrect-label)."""
    names = [f.name for f in schema.fields]

    def add(kind: str, pos: int, column: str | None, value: str | None) -> None:
        hits.add(kind, 1, [(header_row, pos, Example(row=header_row, field=pos, column=column, value=value))])

    if schema.fields_match == "exact":
        for pos, name in enumerate(names, start=1):
            if pos > len(labels):
                add("missing-label", pos, name, None)
            elif labels[pos - 1].strip() and labels[pos - 1] != name:
                add("incorrect-label", pos, labels[pos - 1], labels[pos - 1])
        for pos in range(len(names) + 1, len(labels) + 1):
            add("extra-label", pos, labels[pos - 1], labels[pos - 1])
        return {name: pos for pos, name in enumerate(names, start=1) if pos <= len(labels)}
    first: dict[str, int] = {}
    for pos, label in enumerate(labels, start=1):
        first.setdefault(label, pos)
    mapping = {name: first[name] for name in names if name in first}
    if schema.fields_match in ("equal", "subset"):
        for i, name in enumerate(names, start=1):
            if name not in first:
                add("missing-label", len(labels) + i, name, None)
    if schema.fields_match in ("equal", "superset"):
        for pos, label in enumerate(labels, start=1):
            if label not in mapping:
                add("extra-label", pos, label, label)
    if schema.fields_match == "partial" and not mapping:
        add("missing-label", len(labels) + 1, names[0] if names else None, None)
    return mapping


def _parse(spec: FieldSpec, raw: pl.Expr, column: pl.Series) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, valid flag) of a cell for the field's type; evaluated only where present."""
    kind, fmt = spec.type, spec.format
    s = raw.str.strip_chars()
    if kind == "string":
        pattern = _STRING_FORMATS.get(fmt)
        return raw, raw.str.contains(pattern) if pattern else pl.lit(True)
    if kind in ("integer", "year"):
        if not spec.options.get("bareNumber", True):
            s = s.str.replace_all(r"^[^-0-9]*|[^0-9]*$", "")
        ok = s.str.contains(r"^[0-9]{4}$" if kind == "year" else _INTEGER_RE)
        return s.cast(pl.Int64, strict=False), ok
    if kind == "number":
        group, decimal = spec.options.get("groupChar", ""), spec.options.get("decimalChar", ".")
        if not spec.options.get("bareNumber", True):
            s = s.str.replace_all(r"^[^-0-9]*|[^0-9]*$", "")
        if group:
            s = s.str.replace_all(group, "", literal=True)
        guard = pl.lit(True)
        if decimal != ".":
            guard = ~s.str.contains(".", literal=True)
            s = s.str.replace_all(decimal, ".", literal=True)
        return s.cast(pl.Float64, strict=False), guard & s.str.contains(_NUMBER_RE)
    if kind == "boolean":
        trues = list(spec.options.get("trueValues", DEFAULT_TRUE))
        falses = list(spec.options.get("falseValues", DEFAULT_FALSE))
        return s.is_in(trues), s.is_in(trues + falses)
    if kind == "date":
        if fmt == "any":
            value = pl.coalesce([raw.str.to_date(f, strict=False) for f in _ANY_DATE_FORMATS])
        else:
            value = raw.str.to_date("%Y-%m-%d" if fmt == "default" else fmt, strict=False)
        return value, value.is_not_null()
    if kind == "datetime":
        if fmt in ("default", "any"):
            head = raw.str.slice(0, 19).str.replace(" ", "T", literal=True)
            value = head.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False)
            ok = value.is_not_null() & (raw.str.contains(_DATETIME_RE) if fmt == "default" else pl.lit(True))
            if fmt == "any":
                value = pl.coalesce([raw.str.to_datetime(f, strict=False) for f in _ANY_DATETIME_FORMATS])
                ok = value.is_not_null()
            return value, ok
        value = raw.str.to_datetime(fmt, strict=False)
        return value, value.is_not_null()
    if kind == "time":
        if fmt in ("default", "any"):
            value = raw.str.slice(0, 8).str.to_time("%H:%M:%S", strict=False)
            return value, value.is_not_null() & raw.str.contains(_TIME_RE)
        value = raw.str.to_time(fmt, strict=False)
        return value, value.is_not_null()
    if kind == "yearmonth":
        month = raw.str.extract(r"^[0-9]{4}-([0-9]{1,2})$", 1).cast(pl.Int64, strict=False)
        return raw, month.is_between(1, 12)
    if kind == "duration":
        return raw, raw.str.contains(_DURATION_RE) & (raw != "P") & ~raw.str.ends_with("T")
    if kind == "geopoint" and fmt in ("default", ""):
        lon = raw.str.extract(_GEOPOINT_RE, 1).cast(pl.Float64, strict=False)
        lat = raw.str.extract(_GEOPOINT_RE, 2).cast(pl.Float64, strict=False)
        return raw, lon.is_between(-180, 180) & lat.is_between(-90, 90)
    if kind in ("object", "geojson", "array"):
        want: type = list if kind == "array" else dict
        good = [v for v in column.drop_nulls().unique().to_list() if isinstance(_loads(v), want)]
        return raw, raw.is_in(good)
    return raw, pl.lit(True)  # any, list, geopoint in other formats


def _loads(text: str) -> Any:
    try:
        return jsontext.loads(text)
    except json.JSONDecodeError:
        return None


def _constraints(spec: FieldSpec, raw: pl.Expr, value: pl.Expr) -> list[tuple[str, pl.Expr]]:
    """(constraint name, broken flag) for each declared constraint but required and unique."""
    c = spec.constraints
    out: list[tuple[str, pl.Expr]] = []
    bound = _bound_parser(spec)
    for key, op in (
        ("minimum", lambda v, b: v < b),
        ("maximum", lambda v, b: v > b),
        ("exclusiveMinimum", lambda v, b: v <= b),
        ("exclusiveMaximum", lambda v, b: v >= b),
    ):
        if key in c and bound is not None:
            limit = bound(c[key])
            if limit is None:
                raise SchemaError(f"Field {spec.name!r}: {key} {c[key]!r} is not a {spec.type}.")
            broken = op(value, pl.lit(limit))
            if spec.type == "number":  # NaN is a number but has no order
                broken = broken & value.is_not_nan()
            out.append((key, broken))
    if "minLength" in c:
        out.append(("minLength", raw.str.len_chars() < c["minLength"]))
    if "maxLength" in c:
        out.append(("maxLength", raw.str.len_chars() > c["maxLength"]))
    if "pattern" in c:
        out.append(("pattern", ~_full_match(raw, c["pattern"])))
    if "enum" in c:
        if spec.type == "boolean":
            trues = spec.options.get("trueValues", DEFAULT_TRUE)
            flags = [v in trues if isinstance(v, str) else bool(v) for v in c["enum"]]
            out.append(("enum", ~value.is_in(flags)))
        elif bound is not None:
            allowed = [a for a in (bound(v) for v in c["enum"]) if a is not None]
            out.append(("enum", ~value.is_in(allowed)))
        else:
            out.append(("enum", ~raw.is_in([str(v) for v in c["enum"]])))
    return out


def _bound_parser(spec: FieldSpec) -> Callable[[Any], Any] | None:
    """How a constraint value (minimum, enum item) is read for the field's type; None: compare text."""
    kind = spec.type
    if kind in ("integer", "year"):
        return lambda v: _number(v, int)
    if kind == "number":
        return lambda v: _number(v, float)
    if kind == "date":
        return lambda v: _iso(v, dt.date.fromisoformat)
    if kind == "datetime":
        return lambda v: _iso(
            v, lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00")).replace(tzinfo=None)
        )
    if kind == "time":
        return lambda v: _iso(v, dt.time.fromisoformat)
    return None


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, bool):
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def _iso(value: Any, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(str(value))
    except ValueError:
        return None


def _full_match(raw: pl.Expr, pattern: str) -> pl.Expr:
    anchored = f"^(?:{pattern})$"
    try:
        pl.Series([""]).str.contains(anchored)
    except pl.exceptions.PolarsError:
        # Python-only syntax (look-around, back-references): test the distinct values in Python.
        compiled = re.compile(anchored)

        def matches(values: pl.Series) -> pl.Series:
            return values.is_in([v for v in values.drop_nulls().unique().to_list() if compiled.match(v)])

        return raw.map_batches(matches, return_dtype=pl.Boolean)
    return raw.str.contains(anchored)


@dataclass(frozen=True, slots=True)
class _Mask:
    """Cells of column ``c`` (field ``pos``) where ``mask`` holds are a ``kind`` error of ``hits``."""

    hits: _Hits
    kind: str
    mask: pl.Expr
    c: str
    pos: int
    label: str


def _cells(frame: pl.DataFrame, masks: list[_Mask]) -> None:
    """Count every mask in one pass over the frame; examples only for the masks that hit."""
    if not masks:
        return
    counts = select_row(frame, [m.mask.fill_null(False).sum().alias(str(i)) for i, m in enumerate(masks)])
    for i, m in enumerate(masks):
        count = int(counts[str(i)] or 0)
        if not count:
            continue
        first = frame.lazy().filter(m.mask.fill_null(False)).select("__row", m.c).head(MAX_EXAMPLES).collect()
        m.hits.add(
            m.kind,
            count,
            [
                (int(r), m.pos, Example(row=int(r), field=m.pos, column=m.label, value=_short(v)))
                for r, v in first.iter_rows()
            ],
        )


def _unique(frame: pl.DataFrame, hits: _Hits, value: pl.Expr, ok: pl.Expr, pos: int, label: str) -> None:
    rows = frame.select(pl.col("__row"), value.alias("v"), ok.fill_null(False).alias("ok")).filter(
        pl.col("ok")
    )
    repeats = rows.filter(~pl.col("v").is_first_distinct())
    if repeats.height:
        first = repeats.head(MAX_EXAMPLES)
        hits.add(
            "unique",
            repeats.height,
            [
                (int(r), pos, Example(row=int(r), field=pos, column=label, value=_short(v)))
                for r, v, _ in first.iter_rows()
            ],
        )


def _primary_key(keyed: pl.DataFrame, hits: _Hits, key: tuple[str, ...]) -> None:
    """Rows whose key cells are all missing (or not of their type), and rows repeating a key."""
    empty = pl.all_horizontal([pl.col(k).is_null() for k in key])
    _row_hits(hits, "primary-key-missing", keyed.filter(empty), key)
    _repeats(keyed.filter(~empty), hits, key, "primary-key")


def _repeats(frame: pl.DataFrame, hits: _Hits, key: tuple[str, ...], kind: str) -> None:
    if frame.height:
        _row_hits(hits, kind, frame.filter(~pl.struct(list(key)).is_first_distinct()), key)


def _foreign(keyed: pl.DataFrame, hits: _Hits, fk: ForeignKey) -> None:
    names = [f"k{i}" for i in range(len(fk.fields))]
    source = keyed.select(
        pl.col("__row"), *[pl.col(f).cast(pl.String).alias(k) for f, k in zip(fk.fields, names, strict=True)]
    ).filter(~pl.all_horizontal([pl.col(k).is_null() for k in names]))
    lookup = keyed.select(
        [pl.col(f).cast(pl.String).alias(k) for f, k in zip(fk.reference, names, strict=True)]
    ).unique()
    broken = source.join(lookup, on=names, how="anti", nulls_equal=True, maintain_order="left").sort("__row")
    _row_hits(hits, "foreign-key", broken.rename(dict(zip(names, fk.fields, strict=True))), fk.fields)


def _row_hits(hits: _Hits, kind: str, rows: pl.DataFrame, key: tuple[str, ...]) -> None:
    if not rows.height:
        return
    examples = []
    for record in rows.head(MAX_EXAMPLES).iter_rows(named=True):
        value = ", ".join(f"{k}={'' if record[k] is None else record[k]}" for k in key)
        examples.append((int(record["__row"]), 0, Example(row=int(record["__row"]), value=value)))
    hits.add(kind, rows.height, examples)


def _finding(code: str, hits: _Hits) -> Finding:
    dimension, severity, level, title, fix = _CODES[code]
    examples = [e for _, _, e in sorted(hits.examples, key=lambda t: (t[0], t[1] or 1 << 30))][:MAX_EXAMPLES]
    kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(hits.kinds.items()))
    return Finding(
        code=code,
        dimension=dimension,
        severity=severity,
        level=level,
        count=hits.count,
        share=min(1.0, hits.count / max(hits.units, 1)),
        title=title,
        fix=fix,
        examples=examples,
        message=f"Declared schema: {kinds}",
        truncated=hits.count > len(examples),
    )


def _short(v: Any, limit: int = 200) -> str | None:
    if v is None:
        return None
    s = str(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"
