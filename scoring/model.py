"""Scoring model: a pure function of check results, metrics and versioned weights.

Rules (v1; the numbers live in ``scoring/weights/v1.json``):

- Only findings of checks whose status is ``fail`` cost points, and only when they are present
  (``count > 0`` or ``share > 0``). Findings attached to ``pass``, ``not-applicable`` or
  ``check-error`` checks cost nothing (their ``points_lost`` is set to 0).
- A finding costs its own dimension (``Finding.dimension``)
  ``cap * min(1, share / saturation)`` points, at least ``floor`` (0.5) and never more than ``cap``.
  ``cap`` and ``saturation`` come from the finding's code; unknown codes use the default of the
  finding's severity (``defaults`` in the weights).
- A dimension is applicable when a check of it ran with status ``pass`` or ``fail`` (or a present
  finding of a failing check lands in it). Its score is ``max(0, 100 - sum of its points)``.
- Fatal: ``Metrics.fatal``, or else a present finding whose code is listed as fatal, makes every
  content dimension applicable with score 0; the scorecard names the code in ``fatal``.
- Overall = weighted mean of the applicable dimensions; with none applicable it is the
  ``unmeasured`` score (100: nothing was found wrong, and every dimension says applicable=false).
- ``points_lost`` of a finding = overall score without that finding minus the overall score,
  recomputed exactly (clamping and fatal included). Fixing it does not un-measure its dimension.
- ``fixes`` group the present findings by (code, dimension): the gain of fixing all of them,
  ranked by gain (desc) then code, only gains above 0 after rounding to 2 decimals.

Points are summed exactly (as fractions) and rounded once, so the result does not depend on the
order of the input, and each "without this finding" recomputation costs O(1): scoring is linear in
the number of findings.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any, get_args

from profilers.codes import CodeInfo, catalogue
from profilers.types import CheckResult, Dimension, Finding, Metrics

SCORING_VERSION = "1"
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Rule:
    """How much one finding can cost its dimension."""

    cap: float
    saturation: float

    def points(self, count: int, share: float, floor: float) -> float:
        """Dimension points for a finding affecting ``share`` of its unit (``count`` items)."""
        share = min(share, 1.0) if share > 0 else 0.0  # also maps NaN to 0
        if share == 0.0 and count <= 0:
            return 0.0
        graded = self.cap * min(1.0, share / self.saturation)
        return min(self.cap, max(floor, graded))


@dataclass(frozen=True, slots=True)
class CodeSpec:
    """A code's numbers (from the weights) with its meaning (from the catalogue, ``profilers.codes``)."""

    rule: Rule
    info: CodeInfo

    @property
    def dimension(self) -> str:
        return self.info.dimension

    @property
    def title_en(self) -> str:
        return self.info.title

    @property
    def title_zh(self) -> str:
        return self.info.title_zh

    @property
    def fix_en(self) -> str:
        return self.info.fix

    @property
    def fix_zh(self) -> str:
        return self.info.fix_zh


@dataclass(frozen=True, slots=True)
class DimensionSpec:
    weight: float
    content: bool


@dataclass(frozen=True, slots=True)
class Band:
    name: str
    min_score: float
    mqa_points: int
    title_en: str
    title_zh: str


@dataclass(frozen=True, slots=True)
class Weights:
    """Parsed, validated weights of one scoring version. Treat as read-only (it is cached)."""

    version: str
    dimensions: Mapping[str, DimensionSpec]
    codes: Mapping[str, CodeSpec]
    defaults: Mapping[str, Rule]
    bands: tuple[Band, ...]
    fatal_codes: frozenset[str]
    floor: float
    unmeasured_score: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], codes_known: Mapping[str, CodeInfo] | None = None) -> Weights:
        """Build and validate weights from the JSON structure of ``scoring/weights/v*.json``; the
        meaning of each code comes from the catalogue (``codes_known``, default ``catalogue()``)."""
        known = catalogue() if codes_known is None else codes_known
        missing = sorted(set(data["codes"]) ^ set(known))
        if missing:
            raise ValueError(
                f"invalid scoring weights v{data.get('version')}: codes not both in the weights "
                f"and the catalogue: {', '.join(missing)}"
            )
        dimensions = {
            key: DimensionSpec(float(d["weight"]), bool(d["content"]))
            for key, d in data["dimensions"].items()
        }
        codes = {
            code: CodeSpec(rule=Rule(float(c["cap"]), float(c["saturation"])), info=known[code])
            for code, c in data["codes"].items()
        }
        defaults = {
            s: Rule(float(data["defaults"][s]["cap"]), float(data["defaults"][s]["saturation"]))
            for s in SEVERITIES
        }
        bands = tuple(
            Band(b["name"], float(b["min"]), int(b["mqa_points"]), b["title_en"], b["title_zh"])
            for b in data["bands"]["levels"]
        )
        weights = cls(
            version=str(data["version"]),
            dimensions=MappingProxyType(dimensions),
            codes=MappingProxyType(codes),
            defaults=MappingProxyType(defaults),
            bands=bands,
            fatal_codes=frozenset(data["fatal"]["codes"]),
            floor=float(data["floor"]["points"]),
            unmeasured_score=float(data["unmeasured"]["score"]),
        )
        weights._validate()
        return weights

    def _validate(self) -> None:
        problems = [f"dimension {d!r} has no weight" for d in DIMENSIONS if d not in self.dimensions]
        problems += [
            f"dimension {d!r}: weight must be >= 0" for d, s in self.dimensions.items() if s.weight < 0
        ]
        if not any(s.content and s.weight > 0 for s in self.dimensions.values()):
            problems.append("no content dimension has a positive weight")
        rules = [(f"code {c!r}", s.rule) for c, s in self.codes.items()]
        rules += [(f"default {s!r}", r) for s, r in self.defaults.items()]
        for name, rule in rules:
            if not (0 <= rule.cap <= 100 and 0 < rule.saturation <= 1):
                problems.append(f"{name}: need 0 <= cap <= 100 and 0 < saturation <= 1")
        problems += [
            f"code {c!r}: unknown dimension {s.dimension!r}"
            for c, s in self.codes.items()
            if s.dimension not in self.dimensions
        ]
        problems += [
            f"fatal code {c!r} is not listed under codes" for c in self.fatal_codes if c not in self.codes
        ]
        mins = [b.min_score for b in self.bands]
        if not mins or mins != sorted(mins, reverse=True) or mins[-1] != 0:
            problems.append("bands must be sorted by min descending and end at 0")
        if not 0 <= self.unmeasured_score <= 100 or not 0 <= self.floor <= 100:
            problems.append("unmeasured score and floor must lie in [0, 100]")
        if problems:
            raise ValueError(f"invalid scoring weights v{self.version}: " + "; ".join(problems))

    def rule_for(self, code: str, severity: str) -> Rule:
        """The code's rule, or the default of ``severity`` for a code not in the weights."""
        spec = self.codes.get(code)
        if spec is not None:
            return spec.rule
        return self.defaults.get(severity, self.defaults["error"])

    def weight_of(self, dimension: str) -> float:
        spec = self.dimensions.get(dimension)
        return spec.weight if spec else 0.0

    def is_content(self, dimension: str) -> bool:
        spec = self.dimensions.get(dimension)
        return bool(spec and spec.content)


@cache
def load_weights(version: str = SCORING_VERSION) -> Weights:
    """The packaged weights of ``version`` (read once, then cached)."""
    resource = files("scoring").joinpath("weights", f"v{version}.json")
    if not resource.is_file():
        raise ValueError(f"unknown scoring version {version!r}")
    return Weights.from_dict(json.loads(resource.read_text(encoding="utf-8")))


BANDS: tuple[Band, ...] = load_weights().bands
"""Bands of the current version, best first: excellent >= 86.7, good >= 54.6, sufficient >= 29.9, bad."""


def band_for(score: float, weights: Weights | None = None) -> str:
    """Band name for a 0-100 score: the first band whose minimum the score reaches."""
    bands = (weights or load_weights()).bands
    for band in bands:
        if score >= band.min_score:
            return band.name
    return bands[-1].name


def describe_code(code: str, weights: Weights | None = None) -> dict[str, Any]:
    """Dimension, titles and fixes of a code; an unknown code gets its own name as title."""
    spec = (weights or load_weights()).codes.get(code)
    if spec is None:
        return {
            "code": code,
            "known": False,
            "dimension": None,
            "title_en": code,
            "title_zh": code,
            "fix_en": "",
            "fix_zh": "",
        }
    return {
        "code": code,
        "known": True,
        "dimension": spec.dimension,
        "title_en": spec.title_en,
        "title_zh": spec.title_zh,
        "fix_en": spec.fix_en,
        "fix_zh": spec.fix_zh,
    }


@dataclass(frozen=True, slots=True)
class DimensionScore:
    score: float | None
    """Rounded to 2 decimals; None when the dimension is not applicable."""
    weight: float
    applicable: bool
    findings: tuple[str, ...]
    """Sorted codes of the present findings of failing checks in this dimension."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "weight": self.weight,
            "applicable": self.applicable,
            "findings": list(self.findings),
        }


@dataclass(frozen=True, slots=True)
class FindingScore:
    code: str
    dimension: str
    points: float
    """Points of its dimension's 100 the finding costs (before clamping)."""
    points_lost: float
    """Overall points gained if this finding alone were fixed."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "dimension": self.dimension,
            "points": round(self.points, 2),
            "points_lost": round(self.points_lost, 2),
        }


@dataclass(frozen=True, slots=True)
class Fix:
    code: str
    dimension: str
    gain: float
    """Overall points gained by fixing every finding of this code (rounded to 2 decimals)."""
    findings: int

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "dimension": self.dimension, "gain": self.gain, "findings": self.findings}


@dataclass(frozen=True, slots=True)
class ScoreCard:
    version: str
    score: float
    band: str
    fatal: str | None
    dimensions: Mapping[str, DimensionScore]
    findings: tuple[FindingScore, ...]
    """Present findings of failing checks, most costly first."""
    fixes: tuple[Fix, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "score": self.score,
            "band": self.band,
            "fatal": self.fatal,
            "dimensions": {key: d.to_dict() for key, d in self.dimensions.items()},
            "findings": [f.to_dict() for f in self.findings],
            "fixes": [f.to_dict() for f in self.fixes],
        }


@dataclass(frozen=True, slots=True)
class _Item:
    finding: Finding
    points: float


def _is_present(finding: Finding) -> bool:
    return finding.count > 0 or finding.share > 0


def _fatal(weights: Weights, declared: str | None, codes: Iterable[str]) -> str | None:
    """The declared fatal code, or else the first fatal code among the present findings."""
    if declared:
        return declared
    return min((c for c in codes if c in weights.fatal_codes), default=None)


def _evaluate(
    weights: Weights, applicable: frozenset[str], lost: Mapping[str, Fraction], fatal: str | None
) -> tuple[float, dict[str, float]]:
    """Overall score and the scores of the applicable dimensions, from the exact points lost per dimension."""
    dims = set(applicable)
    if fatal:
        dims |= {d for d, spec in weights.dimensions.items() if spec.content}
    scores: dict[str, float] = {}
    for dim in dims:
        if fatal and weights.is_content(dim):
            scores[dim] = 0.0
        else:
            scores[dim] = max(0.0, 100.0 - float(lost.get(dim, 0)))
    total = math.fsum(weights.weight_of(d) for d in scores)
    if total <= 0:
        return weights.unmeasured_score, scores
    overall = math.fsum(weights.weight_of(d) * s for d, s in scores.items()) / total
    return min(100.0, max(0.0, overall)), scores


def score_table(results: list[CheckResult], metrics: Metrics, weights: Weights | None = None) -> ScoreCard:
    """Score one table. Sets ``points_lost`` on every finding of ``results`` (mutates them)."""
    w = weights or load_weights()
    applicable: set[str] = set()
    items: list[_Item] = []
    for result in results:
        for finding in result.findings:
            finding.points_lost = 0.0
        if result.status not in ("pass", "fail"):
            continue
        applicable.add(result.dimension)
        if result.status == "fail":
            for finding in result.findings:
                if _is_present(finding):
                    rule = w.rule_for(finding.code, finding.severity)
                    items.append(_Item(finding, rule.points(finding.count, finding.share, w.floor)))
                    applicable.add(finding.dimension)
    measured = frozenset(applicable)
    lost: dict[str, Fraction] = {}
    for item in items:
        lost[item.finding.dimension] = lost.get(item.finding.dimension, Fraction(0)) + Fraction(item.points)
    present = Counter(i.finding.code for i in items)
    fatal = _fatal(w, metrics.fatal, present)
    overall, scores = _evaluate(w, measured, lost, fatal)

    def gain_without(removed: Sequence[_Item]) -> float:
        rest_lost = dict(lost)
        for item in removed:
            rest_lost[item.finding.dimension] -= Fraction(item.points)
        rest_codes = present - Counter(i.finding.code for i in removed)
        declared = metrics.fatal
        if declared in present and declared not in rest_codes:
            declared = None  # the fix removes the fatal fault itself
        without, _ = _evaluate(w, measured, rest_lost, _fatal(w, declared, rest_codes))
        return max(0.0, without - overall)

    for item in items:
        item.finding.points_lost = gain_without([item])

    groups: dict[tuple[str, str], list[_Item]] = {}
    for item in items:
        groups.setdefault((item.finding.code, item.finding.dimension), []).append(item)
    fixes = [
        Fix(code, dim, round(gain_without(group), 2), len(group)) for (code, dim), group in groups.items()
    ]
    fixes = sorted((f for f in fixes if f.gain > 0), key=lambda f: (-f.gain, f.code, f.dimension))

    keys = list(w.dimensions) + sorted(set(scores) - set(w.dimensions))
    dimensions = {
        key: DimensionScore(
            score=round(scores[key], 2) if key in scores else None,
            weight=w.weight_of(key),
            applicable=key in scores,
            findings=tuple(sorted({i.finding.code for i in items if i.finding.dimension == key})),
        )
        for key in keys
    }
    finding_scores = sorted(
        (FindingScore(i.finding.code, i.finding.dimension, i.points, i.finding.points_lost) for i in items),
        key=lambda f: (-f.points_lost, f.code, f.dimension, -f.points),
    )
    score = round(overall, 2)
    return ScoreCard(
        version=w.version,
        score=score,
        band=band_for(score, w),
        fatal=fatal,
        dimensions=dimensions,
        findings=tuple(finding_scores),
        fixes=tuple(fixes),
    )
