"""The scoring digest covers the measurement: a report made by other checks is not current."""

from __future__ import annotations

import shutil
from pathlib import Path

import profilers
from profilers.version import READERS, measurement_digest, tree_digest


def _copy(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name / "profilers"
    shutil.copytree(Path(profilers.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_digest_is_the_same_wherever_the_package_lies(tmp_path: Path) -> None:
    assert tree_digest(_copy(tmp_path, "a"), READERS) == measurement_digest()


def test_a_changed_check_or_reader_version_changes_the_digest(tmp_path: Path) -> None:
    root = _copy(tmp_path, "b")
    check = root / "checks" / "title_rows.py"
    text = check.read_text(encoding="utf-8")
    assert "if not rows:" in text
    check.write_text(text.replace("if not rows:", "if len(rows) < 2:"), encoding="utf-8")
    assert tree_digest(root, READERS) != measurement_digest()
    assert tree_digest(_copy(tmp_path, "c"), READERS + "x") != measurement_digest()
