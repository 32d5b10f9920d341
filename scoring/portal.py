"""Portal aggregation (pure): dimension scores from the datasets' own scores plus the points of
portal-level findings, the band distribution, and the fragmentation index as given.

Rules (v1, weights in ``scoring/weights/v1.json``):

- A dataset keeps its own score. Its dimension scores are those of its report; a dataset with no
  report (nothing could be fetched or read) counts 0 in every content dimension, like a fatal file.
  A dataset whose content was not assessed (``read=False``: a metadata-only run asked for no
  download) has no content dimension at all ("not assessed", never 0); its ``metadata`` dimension
  is its MQA score (``metadata_score``, 0–100 from the 405 points) when given, and a dimension the
  catalog declares (``declared``: ``consolidation`` from a declared record count) is 100 minus the
  points of its extra findings there (``low-capacity`` marked declared).
  Extra findings a catalog run attaches to a dataset (metadata, download) score their dimension for
  that dataset as ``100 − Σ points`` with the per-code rules.
- A portal dimension is the mean of the datasets' scores in that dimension (over the datasets where
  it applies), minus the points of the portal-level findings of that dimension (uniqueness and
  consolidation are always measured by the pass, 100 when no dataset measured them):
  ``cap × min(1, share ÷ saturation)`` with the code's rule, ``share`` = share of the portal's
  datasets involved.
- Overall = weighted mean of the applicable dimensions (the dataset weights). ``points_lost`` of a
  portal finding = overall without it − overall.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scoring.model import Weights, band_for, load_weights


@dataclass(slots=True)
class DatasetScore:
    score: float | None
    dimensions: Mapping[str, float | None]
    extra: Sequence[Mapping[str, Any]] = field(default_factory=list)
    """Extra findings: ``{code, dimension, severity?, count, share}``."""
    read: bool = True
    """False: the content was not assessed (metadata-only), so no content dimension applies."""
    metadata_score: float | None = None
    """The dataset's MQA score (0–100) when its content was not assessed."""
    declared: Sequence[str] = ()
    """Dimensions of a dataset not read that the catalog's declarations measure (``consolidation``
    from a declared record count): 100 minus the points of its extra findings there."""


@dataclass(slots=True)
class PortalFinding:
    code: str
    dimension: str
    count: int
    share: float
    points: float = 0.0
    points_lost: float = 0.0


@dataclass(slots=True)
class PortalScore:
    score: float
    band: str
    dimensions: dict[str, dict[str, Any]]
    bands: dict[str, int]
    findings: list[PortalFinding]


def _dataset_dimensions(d: DatasetScore, w: Weights) -> dict[str, float]:
    out: dict[str, float] = {}
    if not d.read:
        out = {} if d.metadata_score is None else {"metadata": float(d.metadata_score)}
    elif d.score is None:
        out = {k: 0.0 for k, spec in w.dimensions.items() if spec.content}
    else:
        out = {k: float(v) for k, v in d.dimensions.items() if v is not None}
    lost: dict[str, float] = {}
    for f in d.extra:
        dim = f.get("dimension") or (w.codes[f["code"]].dimension if f.get("code") in w.codes else None)
        if not dim:
            continue
        rule = w.rule_for(str(f.get("code")), str(f.get("severity") or "warning"))
        lost[dim] = lost.get(dim, 0.0) + rule.points(
            int(f.get("count") or 0), float(f.get("share") or 0.0), w.floor
        )
    for dim, points in lost.items():
        if dim not in out:
            out[dim] = max(0.0, 100.0 - points)
    if not d.read:
        for dim in d.declared:
            out[dim] = max(0.0, 100.0 - lost.get(dim, 0.0))
    return out


PORTAL_DIMENSIONS = ("uniqueness", "consolidation")
"""Dimensions the portal pass measures itself (cross-dataset duplicates, split series): applicable
whenever the pass ran, found something or not, so a finding can only lower the score."""


def score_portal(
    datasets: Sequence[DatasetScore],
    findings: Sequence[PortalFinding],
    weights: Weights | None = None,
    measured: Sequence[str] = PORTAL_DIMENSIONS,
) -> PortalScore:
    w = weights or load_weights()
    sums: dict[str, float] = {}
    counts: Counter[str] = Counter()
    bands: Counter[str] = Counter({b.name: 0 for b in w.bands})
    for d in datasets:
        for dim, s in _dataset_dimensions(d, w).items():
            sums[dim] = sums.get(dim, 0.0) + s
            counts[dim] += 1
        if d.read:  # a dataset not read has no content score to band
            bands[band_for(d.score if d.score is not None else 0.0, w)] += 1
    base = {dim: sums[dim] / counts[dim] for dim in sums}
    for dim in measured:
        base.setdefault(dim, 100.0)
    for f in findings:
        rule = w.rule_for(f.code, "warning")
        f.points = rule.points(f.count, f.share, w.floor)
        base.setdefault(f.dimension, 100.0)

    def overall(skip: int | None) -> tuple[float, dict[str, float]]:
        lost: dict[str, float] = {}
        for i, f in enumerate(findings):
            if i != skip:
                lost[f.dimension] = lost.get(f.dimension, 0.0) + f.points
        dims = {dim: max(0.0, mean - lost.get(dim, 0.0)) for dim, mean in base.items()}
        total = math.fsum(w.weight_of(d) for d in dims)
        if total <= 0:
            return w.unmeasured_score, dims
        return math.fsum(w.weight_of(d) * s for d, s in dims.items()) / total, dims

    score, dims = overall(None)
    for i, f in enumerate(findings):
        f.points_lost = round(max(0.0, overall(i)[0] - score), 2)
    score = round(min(100.0, max(0.0, score)), 2)
    dimensions = {
        dim: {
            "score": round(dims[dim], 2),
            "weight": w.weight_of(dim),
            "datasets_mean": round(base[dim], 2),
            "datasets": counts.get(dim, 0),
            "findings": sorted({f.code for f in findings if f.dimension == dim}),
        }
        for dim in [*(d for d in w.dimensions if d in dims), *sorted(set(dims) - set(w.dimensions))]
    }
    return PortalScore(score, band_for(score, w), dimensions, dict(bands), list(findings))
