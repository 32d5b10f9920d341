"""The precision of the layout checks on the hand-labelled real files of the shared corpus
(``scripts/check_precision.py``): each fires only where the labels list the defect."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_precision.py"
NEW_CHECKS = (
    "totals-in-rows",
    "missing-measure",
    "mixed-formats",
    "misplaced-values",
    "placeholder-rows",
    "multi-value-cells",
    "unscored-sheets",
)
TARGET = 0.9


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_precision", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_new_check_is_precise_on_the_labelled_real_files() -> None:
    result = script().measure(SHARED, [*NEW_CHECKS, "mixed-units"], fixtures=False)
    for code in NEW_CHECKS:
        right, wrong = len(result[code]["tp"]), len(result[code]["fp"])
        assert right >= 1, f"{code} finds none of the labelled defects"
        assert right / (right + wrong) >= TARGET, (code, result[code]["fp"])
    assert result["mixed-units"]["fp"] == []
