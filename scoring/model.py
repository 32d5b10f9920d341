"""Scoring model: a pure function of check results, metrics and versioned weights.

Rules (v2; the numbers live in ``scoring/weights/v2.json``, the meaning of each code in the catalogue
``profilers.codes``). A score answers the usability rubric: how much work stands between the file and
correct use.

- Only findings of checks whose status is ``fail`` count, and only when present (``count > 0`` or
  ``share > 0``); the others get ``points_lost`` 0.
- **Class.** Each present finding counts as one rubric class: the class of its code at full extent
  (the catalogue), or a milder class while its share stays under a threshold of the weights
  (``milder_below``: e.g. invalid codes under 5 % of their column are routine, from 5 % substantial).
  A code of the catalog record (rubric None) counts as a blemish: it bounds no band.
- **Band.** The worst class present bounds the score: blemish 100..86.7 (Excellent), routine
  86.6..54.6 (Good), substantial 54.5..29.9 (Sufficient), fatal 29.8..0 (Bad).
- **Place inside the band.** Each finding has an extent ``x = min(1, share / saturation)``, at least
  ``placement.min_extent``. The load ``L`` is the sum of the extents of the findings of the worst
  class plus ``lower_class_weight`` to the power of the class distance times the extents of milder
  ones. The score is ``ceiling - (ceiling - floor) * min(1, L / faults_to_floor)``: one full fault of
  the band's class puts a file near the top of its band, several near the bottom.
- Fatal: ``Metrics.fatal``, or a present finding whose code is in ``fatal.codes`` (nothing readable),
  scores 0 and zeroes the content dimensions; the scorecard names the code in ``fatal``.
- Dimensions (for the report, the portal pass and DQV): a finding costs its own dimension
  ``cap * min(1, share / saturation)`` points, at least ``floor.points``; a dimension is applicable
  when a check of it ran (pass or fail). With nothing measured the score is ``unmeasured``.
- ``points_lost`` of a finding = score without that finding minus the score, recomputed exactly
  (band, placement and fatal included); each finding says in ``reason`` which band its class bounds.
- ``fixes`` group the present findings by (code, dimension): the gain of fixing all of them,
  ranked by gain (desc) then code, only gains above 0 after rounding to 2 decimals.

Loads are summed exactly (as fractions), so the result does not depend on the order of the input,
and each "without this finding" recomputation costs O(number of classes).
"""

from __future__ import annotations

import hashlib
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

from profilers.codes import RUBRIC_CLASSES, CodeInfo, catalogue
from profilers.types import CheckResult, Dimension, Finding, Metrics, Rubric
from profilers.version import measurement_digest

SCORING_VERSION = "2"
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
SEVERITIES = ("error", "warning", "info")
RANK = {c: i for i, c in enumerate(RUBRIC_CLASSES)}

BOUNDS = {
    "blemish": "moves the file down inside Excellent: a small blemish that needs no work before use",
    "routine": "keeps the file out of Excellent: a default reader does not give the right table at once, "
    "but a skilled user fixes it in minutes with standard options",
    "substantial": "keeps the file out of Good: correct use needs substantial work or outside knowledge",
    "fatal": "makes the file Bad: it cannot be used as published",
}
"""Why each rubric class costs what it costs (the rubric's words), said by each finding."""


@dataclass(frozen=True, slots=True)
class Rule:
    """How much one finding can cost its dimension, and the share at which it counts in full."""

    cap: float
    saturation: float
    milder_below: tuple[tuple[float, Rubric], ...] = ()
    """(share, class): under that share the finding counts as that milder class (ascending)."""

    def extent(self, count: int, share: float) -> float:
        """How much of a full fault the finding is: ``min(1, share / saturation)`` (0 when absent)."""
        share = min(share, 1.0) if share > 0 else 0.0  # also maps NaN to 0
        if share == 0.0 and count <= 0:
            return 0.0
        return min(1.0, share / self.saturation)

    def points(self, count: int, share: float, floor: float) -> float:
        """Dimension points for a finding affecting ``share`` of its unit (``count`` items)."""
        extent = self.extent(count, share)
        if extent == 0.0:
            return 0.0
        return min(self.cap, max(floor, self.cap * extent))

    def rubric(self, full: Rubric, share: float) -> Rubric:
        """The class a finding of class ``full`` (at full extent) counts as at ``share``."""
        for below, milder in self.milder_below:
            if share < below:
                return milder
        return full


@dataclass(frozen=True, slots=True)
class CodeSpec:
    """A code's numbers (from the weights) with its meaning (from the catalogue, ``profilers.codes``)."""

    rule: Rule
    info: CodeInfo

    @property
    def dimension(self) -> str:
        return self.info.dimension

    @property
    def rubric(self) -> Rubric | None:
        return self.info.rubric

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
class ClassBand:
    """The scores a file whose worst fault is of this class can reach."""

    ceiling: float
    floor: float


@dataclass(frozen=True, slots=True)
class Weights:
    """Parsed, validated weights of one scoring version. Treat as read-only (it is cached)."""

    version: str
    dimensions: Mapping[str, DimensionSpec]
    codes: Mapping[str, CodeSpec]
    defaults: Mapping[str, Rule]
    default_class: Mapping[str, Rubric]
    bands: tuple[Band, ...]
    classes: Mapping[str, ClassBand]
    fatal_codes: frozenset[str]
    floor: float
    min_extent: float
    faults_to_floor: float
    lower_class_weight: float
    unmeasured_score: float
    digest: str
    """sha256 of the weights JSON and the catalogue (codes, classes, dimensions): what made a score."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], codes_known: Mapping[str, CodeInfo] | None = None) -> Weights:
        """Build and validate weights from the JSON structure of ``scoring/weights/v*.json``; the
        meaning of each code comes from the catalogue (``codes_known``, default ``catalogue()``).
        A catalogued code without numbers takes the default of its severity."""
        known = catalogue() if codes_known is None else codes_known
        stale = sorted(set(data["codes"]) - set(known))
        if stale:
            raise ValueError(
                f"invalid scoring weights v{data.get('version')}: codes not in the catalogue: {', '.join(stale)}"
            )
        problems: list[str] = []

        def rule(spec: Mapping[str, Any], name: str) -> Rule:
            ladder = tuple((float(s), str(c)) for s, c in spec.get("milder_below", ()))
            problems.extend(f"{name}: unknown rubric class {c!r}" for _, c in ladder if c not in RANK)
            return Rule(float(spec["cap"]), float(spec["saturation"]), ladder)  # type: ignore[arg-type]

        defaults = {s: rule(data["defaults"][s], f"default {s!r}") for s in SEVERITIES}
        default_class = {s: data["defaults"][s]["class"] for s in SEVERITIES}
        codes = {
            code: CodeSpec(
                rule=rule(data["codes"][code], f"code {code!r}")
                if code in data["codes"]
                else defaults[info.severity],
                info=info,
            )
            for code, info in known.items()
        }
        bands = tuple(
            Band(b["name"], float(b["min"]), int(b["mqa_points"]), b["title_en"], b["title_zh"])
            for b in data["bands"]["levels"]
        )
        placement = data["placement"]
        weights = cls(
            version=str(data["version"]),
            dimensions=MappingProxyType(
                {
                    key: DimensionSpec(float(d["weight"]), bool(d["content"]))
                    for key, d in data["dimensions"].items()
                }
            ),
            codes=MappingProxyType(codes),
            defaults=MappingProxyType(defaults),
            default_class=MappingProxyType(default_class),
            bands=bands,
            classes=MappingProxyType(
                {
                    c: ClassBand(float(data["classes"][c]["ceiling"]), float(data["classes"][c]["floor"]))
                    for c in RUBRIC_CLASSES
                }
            ),
            fatal_codes=frozenset(data["fatal"]["codes"]),
            floor=float(data["floor"]["points"]),
            min_extent=float(placement["min_extent"]),
            faults_to_floor=float(placement["faults_to_floor"]),
            lower_class_weight=float(placement["lower_class_weight"]),
            unmeasured_score=float(data["unmeasured"]["score"]),
            digest=_digest(data, known),
        )
        weights._validate(problems)
        return weights

    def _validate(self, problems: list[str]) -> None:
        problems += [f"dimension {d!r} has no weight" for d in DIMENSIONS if d not in self.dimensions]
        problems += [
            f"dimension {d!r}: weight must be >= 0" for d, s in self.dimensions.items() if s.weight < 0
        ]
        if not any(s.content and s.weight > 0 for s in self.dimensions.values()):
            problems.append("no content dimension has a positive weight")
        rules = [(f"code {c!r}", s.rule, s.rubric) for c, s in self.codes.items()]
        rules += [(f"default {s!r}", r, self.default_class[s]) for s, r in self.defaults.items()]
        for name, rule, full in rules:
            if not (0 <= rule.cap <= 100 and 0 < rule.saturation <= 1):
                problems.append(f"{name}: need 0 <= cap <= 100 and 0 < saturation <= 1")
            shares = [s for s, _ in rule.milder_below]
            ranks = [RANK.get(c, -1) for _, c in rule.milder_below] + [RANK.get(full or "blemish", 0)]
            if (
                shares != sorted(set(shares))
                or ranks != sorted(set(ranks))
                or not all(0 < s <= 1 for s in shares)
            ):
                problems.append(
                    f"{name}: milder_below must rise in share and class, below the code's own class"
                )
        problems += [
            f"code {c!r}: unknown dimension {s.dimension!r}"
            for c, s in self.codes.items()
            if s.dimension not in self.dimensions
        ]
        problems += [
            f"fatal code {c!r} is not a fatal code of the catalogue"
            for c in self.fatal_codes
            if c not in self.codes or self.codes[c].rubric != "fatal"
        ]
        problems += [f"default {s!r}: unknown class" for s, c in self.default_class.items() if c not in RANK]
        mins = [b.min_score for b in self.bands]
        if not mins or mins != sorted(mins, reverse=True) or mins[-1] != 0:
            problems.append("bands must be sorted by min descending and end at 0")
        if set(self.classes) != set(RUBRIC_CLASSES):
            problems.append(f"classes must be exactly {', '.join(RUBRIC_CLASSES)}")
        else:
            # each class lies inside one band, the classes in band order: the bands mean the rubric
            for c, band in zip(RUBRIC_CLASSES, self.bands, strict=False):
                cb = self.classes[c]
                upper = 100.0 if c == "blemish" else self.bands[RANK[c] - 1].min_score
                below_upper = cb.ceiling <= upper if c == "blemish" else cb.ceiling < upper
                if not (band.min_score <= cb.floor <= cb.ceiling and below_upper):
                    problems.append(f"class {c!r} must lie inside the {band.name} band")
        if not (0 < self.min_extent <= 1 and self.faults_to_floor > 0 and 0 <= self.lower_class_weight <= 1):
            problems.append(
                "placement: need 0 < min_extent <= 1, faults_to_floor > 0, 0 <= lower_class_weight <= 1"
            )
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

    def class_of(self, code: str, severity: str) -> Rubric:
        """The class of a code at full extent: the catalogue's, blemish for a fault of the record
        (rubric None), the default of ``severity`` for a code the catalogue does not know."""
        spec = self.codes.get(code)
        if spec is not None:
            return spec.rubric or "blemish"
        return self.default_class.get(severity, self.default_class["error"])

    def weight_of(self, dimension: str) -> float:
        spec = self.dimensions.get(dimension)
        return spec.weight if spec else 0.0

    def is_content(self, dimension: str) -> bool:
        spec = self.dimensions.get(dimension)
        return bool(spec and spec.content)


def _digest(data: Mapping[str, Any], known: Mapping[str, CodeInfo]) -> str:
    """What made a score: the weights, for each code its dimension, severity, level and class, and
    the measurement (``profilers.version``: the checks' code and the readers' version)."""
    meaning = {c: [i.dimension, i.severity, i.level, i.rubric] for c, i in sorted(known.items())}
    blob = json.dumps(
        {"weights": data, "catalogue": meaning, "measurement": measurement_digest()},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


@cache
def load_weights(version: str = SCORING_VERSION) -> Weights:
    """The packaged weights of ``version`` (read once, then cached)."""
    resource = files("scoring").joinpath("weights", f"v{version}.json")
    if not resource.is_file():
        raise ValueError(f"unknown scoring version {version!r}")
    return Weights.from_dict(json.loads(resource.read_text(encoding="utf-8")))


def scoring_digest() -> str:
    """The digest of the current weights and catalogue (see ``Weights.digest``)."""
    return load_weights().digest


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
    """Dimension, class, titles and fixes of a code; an unknown code gets its own name as title."""
    spec = (weights or load_weights()).codes.get(code)
    if spec is None:
        return {
            "code": code,
            "known": False,
            "dimension": None,
            "rubric": None,
            "title_en": code,
            "title_zh": code,
            "fix_en": "",
            "fix_zh": "",
        }
    return {
        "code": code,
        "known": True,
        "dimension": spec.dimension,
        "rubric": spec.rubric,
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
    rubric: Rubric = "blemish"
    """The class the finding counts as at its share."""
    ceiling: float = 100.0
    """The best score a file with this finding can reach."""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "dimension": self.dimension,
            "points": round(self.points, 2),
            "points_lost": round(self.points_lost, 2),
            "rubric": self.rubric,
            "ceiling": self.ceiling,
            "reason": self.reason,
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
    digest: str = ""
    """Digest of the weights and catalogue that made the score (``Weights.digest``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "digest": self.digest,
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
    rubric: Rubric
    extent: Fraction


def _is_present(finding: Finding) -> bool:
    return finding.count > 0 or finding.share > 0


def _fatal(weights: Weights, declared: str | None, codes: Iterable[str]) -> str | None:
    """The declared fatal code, or else the first fatal code among the present findings."""
    if declared:
        return declared
    return min((c for c in codes if c in weights.fatal_codes), default=None)


def _reason(w: Weights, item: _Item, full: Rubric) -> str:
    share = item.finding.share
    text = BOUNDS[item.rubric]
    if item.rubric != full:
        below = next(
            s for s, c in w.rule_for(item.finding.code, item.finding.severity).milder_below if share < s
        )
        text += f" (at {share:.2%} of its unit, under {below:.0%}; in full it {BOUNDS[full].split(':')[0]})"
    return text


class _Load:
    """Exact extents per class; the score of a file from them, with or without some findings."""

    def __init__(self, w: Weights, items: Sequence[_Item]) -> None:
        self.w = w
        self.sums: dict[str, Fraction] = {c: Fraction(0) for c in RUBRIC_CLASSES}
        self.counts: Counter[str] = Counter()
        for item in items:
            self.sums[item.rubric] += item.extent
            self.counts[item.rubric] += 1

    def score(self, removed: Sequence[_Item] = ()) -> float:
        sums = dict(self.sums)
        counts = self.counts.copy()
        for item in removed:
            sums[item.rubric] -= item.extent
            counts[item.rubric] -= 1
        present = [c for c in RUBRIC_CLASSES if counts[c] > 0]
        if not present:
            return 100.0
        worst = present[-1]
        load = math.fsum(
            float(sums[c]) * self.w.lower_class_weight ** (RANK[worst] - RANK[c]) for c in present
        )
        band = self.w.classes[worst]
        drop = (band.ceiling - band.floor) * min(1.0, load / self.w.faults_to_floor)
        return max(band.floor, band.ceiling - drop)


def _dimension_scores(
    weights: Weights, applicable: frozenset[str], lost: Mapping[str, Fraction], fatal: str | None
) -> dict[str, float]:
    dims = set(applicable)
    if fatal:
        dims |= {d for d, spec in weights.dimensions.items() if spec.content}
    return {
        dim: 0.0 if fatal and weights.is_content(dim) else max(0.0, 100.0 - float(lost.get(dim, 0)))
        for dim in dims
    }


def score_table(results: list[CheckResult], metrics: Metrics, weights: Weights | None = None) -> ScoreCard:
    """Score one table. Sets ``points_lost``, ``rubric`` and ``reason`` on every finding of ``results``
    (mutates them)."""
    w = weights or load_weights()
    applicable: set[str] = set()
    items: list[_Item] = []
    for result in results:
        for finding in result.findings:
            finding.points_lost, finding.rubric, finding.reason = 0.0, None, ""
        if result.status not in ("pass", "fail"):
            continue
        applicable.add(result.dimension)
        if result.status == "fail":
            for finding in result.findings:
                if _is_present(finding):
                    rule = w.rule_for(finding.code, finding.severity)
                    full = w.class_of(finding.code, finding.severity)
                    share = finding.share if finding.share > 0 else 0.0
                    extent = max(w.min_extent, rule.extent(finding.count, finding.share))
                    items.append(
                        _Item(
                            finding,
                            rule.points(finding.count, finding.share, w.floor),
                            rule.rubric(full, min(1.0, share)),
                            Fraction(extent),
                        )
                    )
                    applicable.add(finding.dimension)
    measured = frozenset(applicable)
    lost: dict[str, Fraction] = {}
    for item in items:
        lost[item.finding.dimension] = lost.get(item.finding.dimension, Fraction(0)) + Fraction(item.points)
    present = Counter(i.finding.code for i in items)
    fatal = _fatal(w, metrics.fatal, present)
    load = _Load(w, items)

    def overall(removed: Sequence[_Item] = ()) -> float:
        rest_codes = present - Counter(i.finding.code for i in removed)
        declared = metrics.fatal
        if declared in present and declared not in rest_codes:
            declared = None  # the fix removes the fatal fault itself
        if _fatal(w, declared, rest_codes):
            return 0.0
        if not measured:
            return w.unmeasured_score
        return load.score(removed)

    score_exact = overall()

    def gain_without(removed: Sequence[_Item]) -> float:
        return max(0.0, overall(removed) - score_exact)

    for item in items:
        item.finding.points_lost = gain_without([item])
        item.finding.rubric = item.rubric
        item.finding.reason = _reason(w, item, w.class_of(item.finding.code, item.finding.severity))

    groups: dict[tuple[str, str], list[_Item]] = {}
    for item in items:
        groups.setdefault((item.finding.code, item.finding.dimension), []).append(item)
    fixes = [
        Fix(code, dim, round(gain_without(group), 2), len(group)) for (code, dim), group in groups.items()
    ]
    fixes = sorted((f for f in fixes if f.gain > 0), key=lambda f: (-f.gain, f.code, f.dimension))

    scores = _dimension_scores(w, measured, lost, fatal)
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
        (
            FindingScore(
                i.finding.code,
                i.finding.dimension,
                i.points,
                i.finding.points_lost,
                i.rubric,
                w.classes[i.rubric].ceiling,
                i.finding.reason,
            )
            for i in items
        ),
        key=lambda f: (-f.points_lost, f.code, f.dimension, -f.points, f.rubric, f.reason),
    )
    score = round(min(100.0, max(0.0, score_exact)), 2)
    return ScoreCard(
        version=w.version,
        score=score,
        band=band_for(score, w),
        fatal=fatal,
        dimensions=dimensions,
        findings=tuple(finding_scores),
        fixes=tuple(fixes),
        digest=w.digest,
    )
