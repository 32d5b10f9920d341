"""Every registered check on its failing and passing cases (``cases.py``), plus the meta-test
that keeps the case table complete."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.ingest.load import load_table
from app.services.scoring import score_file
from profilers.context import Table
from profilers.registry import registry, run_checks
from tests.profilers.cases import CASES, FAILING, PASSING, Case


def load(case: Case, tmp_path: Path) -> Table:
    path = tmp_path / case.name
    path.write_bytes(case.data)
    work = tmp_path / "work"
    work.mkdir()
    return load_table(path, case.name, hashlib.sha256(case.data).hexdigest(), work)


def test_every_registered_check_has_a_failing_and_a_passing_case() -> None:
    codes = set(registry())
    failing = {c.code for c in FAILING}
    passing = {c.code for c in PASSING}
    assert sorted(codes - failing) == [], "registered checks without a failing case in cases.py"
    assert sorted(codes - passing) == [], "registered checks without a passing case in cases.py"


def test_every_case_names_a_registered_check() -> None:
    assert sorted({c.code for c in CASES} - set(registry())) == []


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", FAILING, ids=lambda c: c.id)
def test_failing_case(case: Case, tmp_path: Path) -> None:
    table = load(case, tmp_path)
    result = registry()[case.code].run(table)
    assert result.status == "fail", result.error
    (found,) = result.findings
    assert found.code == case.code
    if case.count is not None:
        assert found.count == case.count
    positions = [(e.row, e.field) for e in found.examples]
    if case.examples is not None:
        assert positions == list(case.examples)
    if case.values is not None:
        assert [e.value for e in found.examples] == list(case.values)
    assert 0 < found.share <= 1


@pytest.mark.parametrize("case", PASSING, ids=lambda c: c.id)
def test_passing_case(case: Case, tmp_path: Path) -> None:
    table = load(case, tmp_path)
    result = registry()[case.code].run(table)
    assert result.status == case.status, [f.to_dict() for f in result.findings] or result.error
    assert result.findings == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_no_check_crashes_on_a_case_file(case: Case, tmp_path: Path) -> None:
    table = load(case, tmp_path)
    errors = {r.code: r.error for r in run_checks(table) if r.status == "check-error"}
    assert errors == {}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_report_agrees_with_the_check(case: Case, tmp_path: Path) -> None:
    """The service's report carries the same status and count as the check run alone."""
    path = tmp_path / case.name
    path.write_bytes(case.data)
    report = score_file(path, case.name, hashlib.sha256(case.data).hexdigest())
    assert report["checks"][case.code] == case.status
    counts = [f["count"] for f in report["findings"] if f["code"] == case.code]
    if case.status == "fail":
        assert len(counts) == 1
        assert case.count is None or counts == [case.count]
    else:
        assert counts == []
    assert 0 <= report["score"] <= 100
