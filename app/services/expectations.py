"""Use-cases of declared rules: read an uploaded Great Expectations suite or Frictionless Table
Schema (a clear 4xx when it cannot be used), apply them after profiling, keep a suite per portal,
and export the suite a stored report's dataset meets."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import InvalidRequest, NotFound, PayloadTooLarge
from app.settings import Settings
from app.storage.keys import valid_portal
from app.storage.repository import Repository
from app.storage.suites import SuiteStore
from profilers import expectations as gx_suites
from profilers import jsontext
from profilers.context import Table
from profilers.expectations import Suite, SuiteError
from profilers.schema import SchemaError, TableSchema, check_schema, parse_schema
from profilers.types import CheckResult

log = logging.getLogger(__name__)

MAX_DECLARED_BYTES = 1024 * 1024
"""Largest suite or schema accepted by default (ODQ_SUITE_MAX_BYTES)."""
MAX_RULES = 1000
"""Most expectations of a suite, or fields, constraints and keys of a schema, by default
(ODQ_SUITE_MAX_RULES): each expectation costs a scoring worker about 30 ms of CPU."""
SCHEMA_SUPERSEDES = "type-error"
"""The inferred-type check a declared schema replaces: the declared types are the authority."""


class InvalidDeclaration(InvalidRequest):
    """422: a suite or schema that cannot be used (the code says why)."""

    code = "invalid-suite"


@dataclass(frozen=True, slots=True)
class DeclaredLimits:
    """How large a suite or schema a caller may send (ODQ_SUITE_MAX_BYTES, ODQ_SUITE_MAX_RULES)."""

    max_bytes: int = MAX_DECLARED_BYTES
    max_rules: int = MAX_RULES

    @classmethod
    def of(cls, settings: Settings) -> DeclaredLimits:
        return cls(settings.suite_max_bytes, settings.suite_max_rules)


def _check_size(what: str, source: str | bytes, limits: DeclaredLimits) -> None:
    """413 ``suite-too-large`` / ``schema-too-large`` for a declaration over ODQ_SUITE_MAX_BYTES."""
    size = len(source.encode("utf-8")) if isinstance(source, str) else len(source)
    if size > limits.max_bytes:
        raise _too_large(what, size, limits)


def _too_large(what: str, size: int, limits: DeclaredLimits) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The {'expectation suite' if what == 'suite' else 'schema'} is {size:,} bytes; the limit is "
        f"{limits.max_bytes:,} (ODQ_SUITE_MAX_BYTES).",
        code=f"{what}-too-large",
        limit_bytes=limits.max_bytes,
    )


def _too_many(what: str, count: int, limits: DeclaredLimits) -> InvalidDeclaration:
    rules = "expectations" if what == "suite" else "fields, constraints and keys"
    return InvalidDeclaration(
        f"The {'expectation suite' if what == 'suite' else 'schema'} has {count:,} {rules}; the limit is "
        f"{limits.max_rules:,} (ODQ_SUITE_MAX_RULES). Split it, or run the larger one in your own pipeline.",
        code="too-many-rules",
        limit=limits.max_rules,
    )


# ---- parse -----------------------------------------------------------------------------------


def read_suite(source: str | bytes | Mapping[str, Any], limits: DeclaredLimits | None = None) -> Suite:
    """A validated suite, or a 413 ``suite-too-large``, a 422 ``too-many-rules`` (checked before
    any expectation is validated), ``invalid-suite``, ``unknown-expectation`` (naming every unknown
    type) or ``invalid-expectation``."""
    limits = limits or DeclaredLimits()
    if isinstance(source, str | bytes):
        _check_size("suite", source, limits)
        try:
            text = source.decode("utf-8-sig") if isinstance(source, bytes) else source
            source = jsontext.loads(text)
        except ValueError:
            pass  # parse_suite says what is wrong with it
    if isinstance(source, Mapping):
        items = source.get("expectations")
        if isinstance(items, list) and len(items) > limits.max_rules:
            raise _too_many("suite", len(items), limits)
    try:
        return gx_suites.parse_suite(source)
    except SuiteError as exc:
        detail = {"unknown": exc.unknown} if exc.unknown else {}
        raise InvalidDeclaration(exc.message, code=exc.code, **detail) from None


def read_schema(
    source: str | bytes | Mapping[str, Any],
    data_name: str | None = None,
    base_dir: Path | None = None,
    limits: DeclaredLimits | None = None,
) -> TableSchema:
    """A validated Table Schema (or a datapackage resource's), or a 413 ``schema-too-large``, a
    422 ``too-many-rules``, ``invalid-schema``, ``resource-not-found`` or ``schema-reference``."""
    limits = limits or DeclaredLimits()
    if isinstance(source, str | bytes):
        _check_size("schema", source, limits)
    try:
        schema = parse_schema(source, data_name=data_name, base_dir=base_dir)
    except SchemaError as exc:
        raise InvalidDeclaration(exc.message, code=exc.code) from None
    rules = (
        len(schema.fields)
        + sum(len(f.constraints) for f in schema.fields)
        + len(schema.foreign_keys)
        + len(schema.unique_keys)
        + (1 if schema.primary_key else 0)
    )
    if rules > limits.max_rules:
        raise _too_many("schema", rules, limits)
    return schema


def read_upload_fields(
    fields: Mapping[str, str], data_name: str | None, limits: DeclaredLimits | None = None
) -> tuple[Suite | None, TableSchema | None]:
    """The optional ``expectations`` and ``schema`` form fields of an upload (empty = absent)."""
    suite_text = (fields.get("expectations") or "").strip()
    schema_text = (fields.get("schema") or "").strip()
    suite = read_suite(suite_text, limits) if suite_text else None
    schema = read_schema(schema_text, data_name=data_name, limits=limits) if schema_text else None
    return suite, schema


# ---- apply -----------------------------------------------------------------------------------


def apply_declared(
    table: Table, results: list[CheckResult], suite: Suite | None, schema: TableSchema | None
) -> list[CheckResult]:
    """``results`` with the declared schema's and suite's results added (their notes go to the
    table's notes). A schema replaces the inferred-type check. A crash is a check-error."""
    out = list(results)
    if schema is not None:
        try:
            checked, notes = check_schema(table, schema)
        except Exception as exc:  # the run goes on, like a crashing check
            log.exception("schema check failed")
            checked, notes = CheckResult("schema", "validity", "check-error", error=_error(exc)), []
        if checked.status in ("pass", "fail"):
            out = [
                CheckResult(r.code, r.dimension, "not-applicable") if r.code == SCHEMA_SUPERSEDES else r
                for r in out
            ]
            notes = ["Types are the declared schema's; the inferred type check did not run.", *notes]
        out.append(checked)
        table.structure.notes.extend(notes)
    if suite is not None:
        try:
            ran, notes = gx_suites.run_suite(table, suite)
        except Exception as exc:
            log.exception("expectation suite failed")
            ran, notes = CheckResult(gx_suites.CHECK, "validity", "check-error", error=_error(exc)), []
        out.append(ran)
        table.structure.notes.extend(notes)
    return out


def describe(suite: Suite | None, schema: TableSchema | None) -> dict[str, Any]:
    """What was declared, for the report (``declared``); empty when nothing was."""
    out: dict[str, Any] = {}
    if suite is not None:
        out["expectations"] = {
            "name": suite.name,
            "expectations": len(suite.expectations),
            "fingerprint": suite.fingerprint,
        }
    if schema is not None:
        out["schema"] = {
            "fields": len(schema.fields),
            "resource": schema.resource,
            "fingerprint": schema.fingerprint,
        }
    return out


def options_key(suite: Suite | None, schema: TableSchema | None) -> str:
    """The part of a report's cache key the declarations make: '' without any, so plain reports
    keep their key, and a report made with a suite or schema is never served for another."""
    key = ""
    if suite is not None:
        key += f";expectations={suite.fingerprint}"
    if schema is not None:
        key += f";schema={schema.fingerprint}"
    return key


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


# ---- a portal's suite ------------------------------------------------------------------------


def _check_portal(portal: str) -> None:
    if not valid_portal(portal):
        raise NotFound(
            f"No portal {portal!r}: a portal name is 1-100 letters, digits, '.', '_' or '-'.",
            code="portal-not-found",
        )


def put_portal_suite(
    repo: Repository,
    portal: str,
    body: bytes,
    updated_by: str | None,
    limits: DeclaredLimits | None = None,
) -> dict[str, Any]:
    """Validate and store ``portal``'s suite; its summary."""
    _check_portal(portal)
    if not body.strip():
        raise InvalidDeclaration("Send the suite as the JSON body of the request.", code="invalid-suite")
    suite = read_suite(body, limits)
    stored = SuiteStore(repo).put(
        portal, suite.name, suite.fingerprint, len(suite.expectations), suite.to_json(), updated_by
    )
    return {"ok": True, **stored.summary()}


def get_portal_suite(repo: Repository, portal: str) -> dict[str, Any]:
    """``portal``'s suite as GX 1.x JSON, or 404 ``suite-not-found``."""
    _check_portal(portal)
    stored = SuiteStore(repo).get(portal)
    if stored is None:
        raise NotFound(f"Portal {portal!r} has no expectation suite.", code="suite-not-found")
    suite = dict(stored.suite)
    suite["meta"] = {**(suite.get("meta") or {}), "odq": stored.summary()}
    return suite


def portal_suite(repo: Repository, portal: str | None) -> Suite | None:
    """The suite to apply to a dataset scored into ``portal`` (None when it has none)."""
    if not portal or not valid_portal(portal):
        return None
    stored = SuiteStore(repo).get(portal)
    return Suite.trusted(stored.suite) if stored is not None else None


# ---- export ----------------------------------------------------------------------------------


def store_report_suite(repo: Repository, report: Mapping[str, Any], suite: dict[str, Any] | None) -> None:
    """Keep the suite built with ``report`` (from its loaded rows, in the parsing worker), so
    ``GET /api/v1/reports/{id}/expectations`` serves it as stored. A fatal report, or one whose
    suite could not be built, keeps none: its suite is the one of its column statistics."""
    if suite is None or report.get("fatal"):
        return
    suite = {**suite, "meta": {**suite.get("meta", {}), **_meta(report, "rows")}}
    SuiteStore(repo).put_report_suite(str(report["id"]), "rows", suite)


def export_suite(repo: Repository, report_id: str) -> str | dict[str, Any]:
    """The GX suite the dataset of a stored report meets: the one built from its rows when the
    report was made (as stored JSON text), else (a report made before suites were stored, a fatal
    one, or a catalog run's) the weaker suite of the report's column statistics, which costs time
    linear in its columns. Never rebuilds from the rows in this process."""
    stored = SuiteStore(repo).report_suite_text(report_id)
    if stored is not None:
        return stored
    report = repo.get_report(report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id!r}.", code="report-not-found")
    source = report.get("source") or {}
    name = str(source.get("name") or report_id)
    suite = gx_suites.suite_from_columns(report.get("columns") or [], int(source.get("rows") or 0), name)
    suite["meta"].update(_meta(report, "column statistics"))
    return suite


def _meta(report: Mapping[str, Any], basis: str) -> dict[str, Any]:
    return {"report_id": report["id"], "sha256": (report.get("source") or {}).get("sha256"), "basis": basis}
