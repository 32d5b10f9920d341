"""The checks added for calibration on the real layouts of the shared corpus: quoted-lines on a file
whose every line is quoted whole (terrible_csv.txt), range-values on salary ranges written as text
(jobs.xml); neither fires on the other real files of the calibration labels."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from app.ingest.load import load_table
from profilers.context import Table
from profilers.registry import registry

QA = "peer-cases/ckanext-qa"


def read(corpus: Path, rel: str, tmp_path: Path) -> Table:
    path = corpus / rel
    return load_table(path, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), tmp_path)


def test_quoted_lines_on_a_file_whose_every_line_is_quoted(corpus: Path, tmp_path: Path) -> None:
    result = registry()["quoted-lines"].run(read(corpus, f"{QA}/terrible_csv.txt", tmp_path))
    assert result.status == "fail"
    (found,) = result.findings
    assert found.count == 131 and found.share == 1.0
    assert found.examples[0].value == "North East,NORTHUMBERLAND,3,6,6,1,2,3"
    assert "8 fields joined by ','" in found.message


def test_range_values_on_salary_ranges(corpus: Path, tmp_path: Path) -> None:
    result = registry()["range-values"].run(read(corpus, f"{QA}/jobs.xml", tmp_path))
    assert result.status == "fail"
    (found,) = result.findings
    assert found.count == 9  # every SALARY cell, no other column
    assert {e.column for e in found.examples} == {"SALARY"}
    assert found.examples[0].value == "£31,754 - £34,549 per annum"


LABELS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "calibration" / "labels.json").resolve()


def real_files() -> list[str]:
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    return sorted(p for p, label in labels.items() if not label.get("fixture"))


@pytest.mark.parametrize("rel", real_files())
def test_neither_check_fires_elsewhere_on_the_labelled_real_files(
    corpus: Path, tmp_path: Path, rel: str
) -> None:
    table = read(corpus, rel, tmp_path)
    for code, positive in (("quoted-lines", "terrible_csv.txt"), ("range-values", "jobs.xml")):
        if rel.endswith(positive):
            continue
        assert registry()[code].run(table).status != "fail", (code, rel)
