"""Fixtures shared by the ingest and profiler tests.

- ``corpus``: the shared corpus (``../shared/corpus`` beside the repository, read-only).
- ``score``: score a file the way the service does (``score_file``) and return the report.
- ``flatten``: the report's findings as compact lists, like frictionless' ``report.flatten``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from app.services.scoring import score_file

# No clocks in tests: property tests bound their work by example counts, never by Hypothesis'
# per-example deadline (200 ms by default), which a busy machine overruns. The fuzz tests keep
# their own profiles (tests/fuzz/fuzz_support.py).
settings.register_profile("odq", deadline=None)
settings.load_profile("odq")

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()

FINDING_KEYS = ("code", "dimension", "severity", "level", "count", "share", "points_lost")
EXAMPLE_KEYS = ("row", "field", "column", "value")

Report = dict[str, Any]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def score_path(path: Path, name: str | None = None) -> Report:
    return score_file(path, name or path.name, sha256_of(path))


def flatten(report: Report, keys: Sequence[str], codes: Iterable[str] | None = None) -> list[list[Any]]:
    """One list per example of every finding (in report order), holding ``keys``: finding keys
    (code, count, …) and example keys (row, field, column, value) mixed as asked.

    ``flatten(report, ["code", "row", "field"]) == [["blank-row", 4, None], …]``. A finding without
    examples gives one list with None for the example keys. ``codes`` keeps only those codes."""
    wanted = set(codes) if codes is not None else None
    out: list[list[Any]] = []
    for finding in report["findings"]:
        if wanted is not None and finding["code"] not in wanted:
            continue
        for example in finding["examples"] or [{}]:
            out.append([example.get(k) if k in EXAMPLE_KEYS else finding.get(k) for k in keys])
    return out


def finding(report: Report, code: str) -> dict[str, Any] | None:
    """The finding with ``code``, or None."""
    found = [f for f in report["findings"] if f["code"] == code]
    assert len(found) <= 1, f"{code} reported {len(found)} times"
    return found[0] if found else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is expected at {CORPUS} (../shared/corpus from the repo)"
    return CORPUS


@pytest.fixture(scope="session")
def score() -> Callable[..., Report]:
    """``score(path, name=None)`` → the report of ``score_file`` (never stored)."""
    return score_path


@pytest.fixture(name="flatten", scope="session")
def flatten_fixture() -> Callable[..., list[list[Any]]]:
    return flatten


@pytest.fixture(name="finding", scope="session")
def finding_fixture() -> Callable[[Report, str], dict[str, Any] | None]:
    return finding


@pytest.fixture(scope="module")
def report_of(score: Callable[..., Report]) -> Callable[[Path], Report]:
    """Score a file once per test module (reports cached by path)."""
    cache: dict[Path, Report] = {}

    def get(path: Path) -> Report:
        assert path.is_file(), f"missing corpus file {path}"
        if path not in cache:
            cache[path] = score(path)
        return cache[path]

    return get
