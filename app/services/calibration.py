"""Calibration: score every hand-labelled file of the shared corpus and compare with its label.

The labels (``calibration/labels.json`` of the shared material) place each file in a band of the
usability rubric with a score; the real published files (``"fixture": false``) are the calibration
set. Each file is read and profiled once; scoring it again under other weights is cheap (``rescore``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from app.ingest.load import load_table
from profilers.profile import profile
from profilers.types import CheckResult, Metrics
from scoring import Weights, band_for, load_weights, score_table

BAND_ORDER = ("excellent", "good", "sufficient", "bad")
REFERENCE_DATE = dt.date(2026, 12, 1)
"""Dates after this day count as future dates: fixed, so calibration does not move with the clock."""

TARGETS = {"rho": 0.85, "same_band": 0.75, "two_bands_away": 0}
"""The targets of the rubric work on the real files (issue 14)."""


@dataclass(slots=True)
class Measured:
    """One labelled file, read and profiled once."""

    path: str
    label_band: str
    label_score: float
    fixture: bool
    why: str
    results: list[CheckResult]
    metrics: Metrics
    kinds: tuple[str, ...] = ()
    """The kinds of the defects the label lists (``defects[].kind``)."""


@dataclass(slots=True)
class Judged:
    path: str
    label_band: str
    label_score: float
    score: float
    band: str
    fixture: bool
    why: str
    findings: list[tuple[str, str | None, float, str]] = field(default_factory=list)
    """(code, class, points lost, reason) of the findings, most costly first."""

    @property
    def distance(self) -> int:
        return abs(BAND_ORDER.index(self.band) - BAND_ORDER.index(self.label_band))


@dataclass(slots=True)
class Figures:
    files: int
    rho: float
    same_band: float
    two_bands_away: int
    confusion: dict[str, dict[str, int]]
    """label band -> ODQ band -> files."""

    def meets(self, targets: Mapping[str, float] = TARGETS) -> bool:
        return (
            self.rho >= targets["rho"]
            and self.same_band >= targets["same_band"]
            and self.two_bands_away <= targets["two_bands_away"]
        )


def read_labels(labels: Path) -> dict[str, dict[str, Any]]:
    return dict(json.loads(labels.read_text(encoding="utf-8")))


def measure(labels: Path, corpus: Path, only: Iterable[str] | None = None) -> list[Measured]:
    """Read and profile each labelled file once (``only``: a subset of the label paths)."""
    wanted = set(only) if only is not None else None
    out: list[Measured] = []
    for rel, label in sorted(read_labels(labels).items()):
        if wanted is not None and rel not in wanted:
            continue
        path = corpus / rel
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with tempfile.TemporaryDirectory(prefix="odq-calibrate-") as work:
            table = load_table(path, path.name, digest, Path(work))
            results, metrics = profile(table, reference_date=REFERENCE_DATE)
        out.append(
            Measured(
                rel,
                str(label["band"]),
                float(label["score"]),
                bool(label.get("fixture")),
                str(label.get("why") or ""),
                results,
                metrics,
                tuple(str(d.get("kind")) for d in label.get("defects") or ()),
            )
        )
    return out


LABELLED_AS: dict[str, tuple[str, ...]] = {
    "totals-in-rows": ("totals-in-rows", "aggregate-rows"),
    "missing-measure": ("no-measure-or-unit",),
    "mixed-formats": ("inconsistent-format", "mixed-formats"),
    "misplaced-values": ("values-in-wrong-column", "mixed-values", "mixed-types"),
    "placeholder-rows": ("placeholder-rows",),
    "multi-value-cells": ("multi-value-cells",),
    "unscored-sheets": ("multi-sheet",),
    "mixed-units": ("mixed-units",),
    "quoted-lines": ("wrong-quoting",),
    "range-values": ("multi-value-cells",),
}
"""The checks of issue 14 and the defect kinds of the labels that confirm a finding of each."""


@dataclass(slots=True)
class Precision:
    code: str
    fired: int
    """Labelled files where the check found something."""
    confirmed: int
    """Of those, files whose label lists a defect of a matching kind."""
    labelled: int
    """Labelled files with a defect of a matching kind (found or not)."""
    false: list[str] = field(default_factory=list)
    """Files where the check fired and the label lists no such defect."""

    @property
    def precision(self) -> float:
        return self.confirmed / self.fired if self.fired else float("nan")


def precision(
    measured: Iterable[Measured], matches: Mapping[str, tuple[str, ...]] = LABELLED_AS
) -> list[Precision]:
    """Per check: on how many labelled files it fires, and how many of those the label confirms."""
    rows = list(measured)
    out = []
    for code, kinds in matches.items():
        fired = [
            m
            for m in rows
            if any(
                r.status == "fail"
                and any(f.code == code and (f.count > 0 or f.share > 0) for f in r.findings)
                for r in m.results
            )
        ]
        confirmed = [m for m in fired if set(kinds) & set(m.kinds)]
        labelled = sum(1 for m in rows if set(kinds) & set(m.kinds))
        false = [m.path for m in fired if m not in confirmed]
        out.append(Precision(code, len(fired), len(confirmed), labelled, false))
    return out


def precision_table(rows: Iterable[Precision]) -> str:
    lines = [
        "| check | files where it fires | confirmed by the label | precision | labelled files with the defect | not confirmed |",
        "|---|---|---|---|---|---|",
    ]
    for p in rows:
        shown = f"{p.precision:.2f}" if p.fired else "n/a"
        lines.append(
            f"| `{p.code}` | {p.fired} | {p.confirmed} | {shown} | {p.labelled} | "
            + (", ".join(f"`{f}`" for f in p.false) or "none")
            + " |"
        )
    return "\n".join(lines)


def judge(measured: Iterable[Measured], weights: Weights | None = None) -> list[Judged]:
    """Score each measured file under ``weights`` (default: the current version)."""
    w = weights or load_weights()
    out = []
    for m in measured:
        card = score_table(m.results, m.metrics, w)
        reasons: dict[tuple[str, str], str] = {
            (f.code, f.dimension): f.reason for r in m.results for f in r.findings
        }
        findings: list[tuple[str, str | None, float, str]] = [
            (f.code, f.rubric, f.points_lost, reasons.get((f.code, f.dimension), "")) for f in card.findings
        ]
        out.append(
            Judged(m.path, m.label_band, m.label_score, card.score, card.band, m.fixture, m.why, findings)
        )
    return out


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks (ties share their rank)."""
    if len(xs) < 2:
        return float("nan")
    frame = pl.DataFrame({"x": xs, "y": ys}).select(pl.col("x").rank("average"), pl.col("y").rank("average"))
    value = frame.select(pl.corr("x", "y")).item()
    return float(value) if value is not None else float("nan")


def figures(judged: Iterable[Judged]) -> Figures:
    rows = list(judged)
    confusion = {a: dict.fromkeys(BAND_ORDER, 0) for a in BAND_ORDER}
    for j in rows:
        confusion[j.label_band][j.band] += 1
    same = sum(1 for j in rows if j.distance == 0)
    return Figures(
        files=len(rows),
        rho=spearman([j.score for j in rows], [j.label_score for j in rows]),
        same_band=same / len(rows) if rows else 0.0,
        two_bands_away=sum(1 for j in rows if j.distance >= 2),
        confusion=confusion,
    )


def disagreements(judged: Iterable[Judged], limit: int = 15) -> list[Judged]:
    """The files furthest from their label: by band distance, then by score difference."""
    return sorted(judged, key=lambda j: (-j.distance, -abs(j.score - j.label_score), j.path))[:limit]


def confusion_table(f: Figures) -> str:
    lines = ["| label \\ ODQ | " + " | ".join(BAND_ORDER) + " |", "|---" * (len(BAND_ORDER) + 1) + "|"]
    for a in BAND_ORDER:
        lines.append(f"| {a} | " + " | ".join(str(f.confusion[a][b]) for b in BAND_ORDER) + " |")
    return "\n".join(lines)


def summary(name: str, f: Figures) -> str:
    return (
        f"{name}: {f.files} files, Spearman's rho {f.rho:.3f}, same band {f.same_band:.1%}, "
        f"two or more bands away {f.two_bands_away}"
    )


def describe(j: Judged, findings: int = 4) -> str:
    why = "; ".join(f"{code} ({cls}, -{lost:.1f})" for code, cls, lost, _ in j.findings[:findings])
    return (
        f"`{j.path}`: label {j.label_band} {j.label_score:g}, ODQ {j.band} {j.score:.1f} "
        f"({'two bands' if j.distance >= 2 else 'one band' if j.distance else 'same band'}). "
        f"ODQ found: {why or 'nothing'}. Label: {j.why}"
    )


def band_of_label(score: float) -> str:
    return band_for(score)
