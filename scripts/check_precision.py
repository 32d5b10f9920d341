"""Precision of ODQ's detectors on the hand-labelled corpus files.

Every labelled file (``calibration/labels.json`` next to the corpus) is scored; for each check code
that has a label kind counterpart, precision = files where the code fired and the label lists a
matching defect / files where the code fired. Real files only by default (``--fixtures`` adds the
synthetic peer fixtures). Run: ``python scripts/check_precision.py [--shared DIR] [--codes a,b]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

from app.services.scoring import score_file

LABEL_KINDS: dict[str, set[str]] = {
    "totals-in-rows": {"totals-in-rows", "aggregate-rows"},
    "missing-measure": {"no-measure-or-unit"},
    "mixed-formats": {
        "inconsistent-format",
        "non-iso-dates",
        "mixed-types",
        "numbers-as-text",
        "mixed-units",
    },
    "misplaced-values": {"values-in-wrong-column", "mixed-values", "mixed-types"},
    "placeholder-rows": {"placeholder-rows"},
    "multi-value-cells": {"multi-value-cells"},
    "unscored-sheets": {"multi-sheet", "multi-table-sheet"},
    "mixed-units": {"mixed-units", "ambiguous-unit"},
}
"""Check code → the label kinds (``labels.json``) that count as the same defect."""


def codes_fired(path: Path) -> set[str]:
    data = path.read_bytes()
    report = score_file(path, path.name, hashlib.sha256(data).hexdigest())
    return {f["code"] for f in report.get("findings", [])}


def measure(shared: Path, codes: list[str], fixtures: bool) -> dict[str, dict[str, list[str]]]:
    labels = json.loads((shared / "calibration" / "labels.json").read_text(encoding="utf-8"))
    out: dict[str, dict[str, list[str]]] = {c: defaultdict(list) for c in codes}
    for name, label in sorted(labels.items()):
        if label["fixture"] and not fixtures:
            continue
        path = shared / "corpus" / name
        if not path.is_file():
            continue
        kinds = {d["kind"] for d in label["defects"]}
        fired = codes_fired(path)
        for code in codes:
            wanted = LABEL_KINDS.get(code, {code})
            if code in fired:
                out[code]["tp" if kinds & wanted else "fp"].append(name)
            elif kinds & wanted:
                out[code]["fn"].append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--codes", default=",".join(LABEL_KINDS))
    parser.add_argument("--fixtures", action="store_true", help="include the synthetic peer fixtures")
    parser.add_argument("--verbose", "-v", action="store_true", help="list the files behind each number")
    args = parser.parse_args(argv)
    codes = [c for c in args.codes.split(",") if c]
    result = measure(args.shared, codes, args.fixtures)
    print(f"{'code':<20} {'fired':>5} {'right':>5} {'precision':>9} {'missed':>6}")
    for code in codes:
        tp, fp, fn = (len(result[code][k]) for k in ("tp", "fp", "fn"))
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        print(f"{code:<20} {tp + fp:>5} {tp:>5} {precision:>9} {fn:>6}")
        if args.verbose:
            for key in ("fp", "fn"):
                for name in result[code][key]:
                    print(f"    {key} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
