from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.storage import Repository, Store, new_report_id

_counter = itertools.count()


def sha_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_report(
    sha256: str | None = None,
    *,
    scoring_version: str = "1",
    created_at: str = "2025-03-01T08:00:00+00:00",
    n_findings: int = 2,
    **overrides: Any,
) -> dict[str, Any]:
    """A report shaped like DESIGN §8, with some awkward values (unicode, None, nesting)."""
    n = next(_counter)
    sha256 = sha_of(f"content {n}") if sha256 is None else sha256
    findings = [
        {
            "code": "placeholder-value" if i % 2 else "blank-row",
            "dimension": "validity",
            "severity": "warning",
            "level": "cell" if i % 2 else "row",
            "count": 3 + i,
            "share": 0.125,
            "points_lost": 1.5 + i,
            "fix": "用空值代替“暂无”",
            "examples": [{"row": 4 + i, "field": 2, "column": "联系电话", "value": "暂无"}],
        }
        for i in range(n_findings)
    ]
    report: dict[str, Any] = {
        "id": new_report_id(),
        "scoring_version": scoring_version,
        "created_at": created_at,
        "source": {
            "name": f"企业名录-{n}.csv",
            "url": f"https://data.example.gov.cn/files/{n}.csv?x=1&y='2'",
            "sha256": sha256,
            "bytes": 1024 + n,
            "format": "csv",
            "encoding": "gb18030",
            "header_row": 2,
            "rows": 100,
            "columns": 5,
        },
        "score": 71.25,
        "band": "good",
        "dimensions": {
            "validity": {"score": 62.5, "weight": 0.4, "findings": n_findings},
            "uniqueness": {"score": 100.0, "weight": 0.3, "findings": 0},
            "timeliness": {"score": None, "weight": 0.0, "findings": 0},
        },
        "findings": findings,
        "columns": [
            {"name": "统一社会信用代码", "type": "VARCHAR", "nulls": 0, "distinct": 100},
            {"name": "注册资本", "type": "DOUBLE", "nulls": 7, "distinct": 81, "min": -0.0, "max": 1e300},
        ],
    }
    report.update(overrides)
    return report


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "odq.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as s:
        yield s


@pytest.fixture
def repo(store: Store) -> Repository:
    return Repository(store)


@pytest.fixture
def report_factory() -> Callable[..., dict[str, Any]]:
    return make_report
