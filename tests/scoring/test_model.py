"""Unit tests of the scoring model: worked examples whose numbers follow from weights v2 (the rubric:
a fault's class bounds the band, its share places the file inside it)."""

from __future__ import annotations

import ast
import json
import re
import sys
from importlib.resources import files
from pathlib import Path

import pytest

import scoring
from profilers.codes import catalogue
from profilers.types import CheckResult, Finding, Metrics
from scoring import BANDS, SCORING_VERSION, band_for, describe_code, load_weights, score_table
from scoring.model import Weights

EXPECTED_CODES = {
    "validity": [
        "download-failed", "empty-file", "header-only", "unreadable-file", "format-mismatch",
        "encoding-error", "unclosed-quote", "mojibake", "blank-header", "duplicate-header", "title-rows",
        "footer-notes", "multi-row-header", "blank-row", "extra-cell", "missing-cell", "type-error",
        "placeholder-value", "out-of-range", "sentinel-row", "invalid-date", "invalid-id-card",
        "invalid-credit-code", "invalid-division-code", "invalid-phone", "invalid-email", "invalid-url",
        "whitespace", "full-width-digits", "empty-column", "constant-column", "expectation-failed",
    ],
    "uniqueness": ["duplicate-row", "near-duplicate-row", "duplicate-key", "duplicate-column"],
    "consolidation": ["low-capacity", "narrow-table"],
    "completeness": ["null-values"],
}  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")


def finding(
    code: str, share: float, count: int = 1, severity: str = "error", dimension: str | None = None
) -> Finding:
    dim = dimension or describe_code(code)["dimension"]
    return Finding(code=code, dimension=dim, severity=severity, level="column", count=count, share=share)  # type: ignore[arg-type]


def failing(*findings: Finding) -> CheckResult:
    return CheckResult(
        code=findings[0].code, dimension=findings[0].dimension, status="fail", findings=list(findings)
    )


def passing(dimension: str) -> CheckResult:
    return CheckResult(code=f"{dimension}-check", dimension=dimension, status="pass")  # type: ignore[arg-type]


# --- weights data -----------------------------------------------------------------------------------


def test_weights_cover_every_code_with_both_languages() -> None:
    raw = json.loads(
        files("scoring").joinpath("weights", f"v{SCORING_VERSION}.json").read_text(encoding="utf-8")
    )
    for dimension, codes in EXPECTED_CODES.items():
        for code in codes:
            entry = raw["codes"][code]
            assert catalogue()[code].dimension == dimension, code
            assert 0 < entry["cap"] <= 100 and 0 < entry["saturation"] <= 1, code
            assert entry["reason"].strip(), code
            info = catalogue()[code]
            assert info.title.strip() and info.fix.strip() and not CJK.fullmatch(info.title[0]), code
            assert CJK.search(info.title_zh) and CJK.search(info.fix_zh), code


def test_weights_version_bands_and_fatal_codes() -> None:
    w = load_weights()
    assert w.version == SCORING_VERSION == "2"
    assert load_weights() is w  # cached
    assert w.fatal_codes == {
        "unreadable-file",
        "empty-file",
        "download-failed",
        "header-only",
        "decompression-bomb",
    }
    total = json.loads(
        files("scoring").joinpath("weights", f"v{SCORING_VERSION}.json").read_text(encoding="utf-8")
    )["bands"]["mqa_total"]
    assert [(b.name, b.min_score) for b in BANDS] == [
        ("excellent", 86.7),
        ("good", 54.6),
        ("sufficient", 29.9),
        ("bad", 0.0),
    ]
    for band in BANDS[:-1]:  # each threshold is its MQA share of 405, rounded to 1 decimal
        assert band.min_score == round(band.mqa_points / total * 100, 1)
    content = {d for d, spec in w.dimensions.items() if spec.content}
    assert content == {"validity", "uniqueness", "consolidation", "completeness"}


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scoring version"):
        load_weights("999")


def test_invalid_weights_are_refused() -> None:
    raw = json.loads(
        files("scoring").joinpath("weights", f"v{SCORING_VERSION}.json").read_text(encoding="utf-8")
    )
    raw["codes"]["whitespace"]["saturation"] = 0
    raw["codes"]["mojibake"]["cap"] = 101
    with pytest.raises(ValueError, match=r"whitespace.*mojibake|mojibake.*whitespace"):
        Weights.from_dict(raw)
    raw = json.loads(
        files("scoring").joinpath("weights", f"v{SCORING_VERSION}.json").read_text(encoding="utf-8")
    )
    raw["classes"]["routine"]["ceiling"] = 90  # a routine fault could leave a file Excellent
    raw["codes"]["type-error"]["milder_below"] = [[0.05, "fatal"]]  # milder must be milder
    with pytest.raises(
        ValueError, match=r"code 'type-error': milder_below.*class 'routine' must lie inside the good"
    ):
        Weights.from_dict(raw)


def test_describe_code() -> None:
    d = describe_code("duplicate-key")
    assert d["dimension"] == "uniqueness" and d["known"]
    assert d["title_zh"] == "主键重复" and d["fix_en"]
    unknown = describe_code("no-such-code")
    assert (
        unknown["known"] is False and unknown["dimension"] is None and unknown["title_en"] == "no-such-code"
    )


# --- bands ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100, "excellent"),
        (86.7, "excellent"),
        (86.69, "good"),
        (54.6, "good"),
        (54.59, "sufficient"),
        (29.9, "sufficient"),
        (29.89, "bad"),
        (0, "bad"),
    ],
)
def test_band_thresholds(score: float, band: str) -> None:
    assert band_for(score) == band


ROUTINE_TOP, SUBSTANTIAL_TOP, STEP = 86.6, 54.5, 1 / 4.5  # weights v2: classes and placement


def test_each_class_bounds_its_band() -> None:
    """A fault at full extent keeps the file in the band of its rubric class, near the top."""
    blemish = score_table([failing(finding("narrow-table", share=1.0))], Metrics())
    routine = score_table([failing(finding("title-rows", share=1.0))], Metrics())
    substantial = score_table([failing(finding("mixed-units", share=1.0))], Metrics())
    fatal = score_table([failing(finding("mojibake", share=0.9))], Metrics())
    assert [c.band for c in (blemish, routine, substantial, fatal)] == [
        "excellent",
        "good",
        "sufficient",
        "bad",
    ]
    assert routine.score == round(ROUTINE_TOP - (ROUTINE_TOP - 54.6) * STEP, 2)  # 79.49
    assert substantial.score == round(SUBSTANTIAL_TOP - (SUBSTANTIAL_TOP - 29.9) * STEP, 2)
    (f,) = routine.findings
    assert f.rubric == "routine" and f.ceiling == ROUTINE_TOP
    assert f.reason.startswith("keeps the file out of Excellent")


def test_share_decides_the_class_of_value_faults() -> None:
    """Invalid codes: one in a million costs little, under 5 % routine, from 5 % substantial."""
    tiny = score_table([failing(finding("invalid-credit-code", share=1e-6, count=1))], Metrics())
    few = score_table([failing(finding("invalid-credit-code", share=0.04, count=40))], Metrics())
    many = score_table([failing(finding("invalid-credit-code", share=0.05, count=50))], Metrics())
    assert (tiny.band, few.band, many.band) == ("excellent", "good", "sufficient")
    assert tiny.score > 99
    assert "under 5%" in few.findings[0].reason and "keeps the file out of Good" in few.findings[0].reason


def test_share_places_the_file_inside_its_band() -> None:
    small = score_table([failing(finding("type-error", share=0.005))], Metrics())
    large = score_table([failing(finding("type-error", share=0.04))], Metrics())
    assert small.band == large.band == "good" and small.score > large.score


def test_several_faults_push_the_file_down_its_band_not_out_of_it() -> None:
    codes = [
        "title-rows",
        "footer-notes",
        "legacy-encoding",
        "empty-column",
        "blank-header",
        "duplicate-header",
    ]
    scores = [
        score_table([failing(finding(c, share=1.0)) for c in codes[:n]], Metrics()).score for n in (1, 3, 6)
    ]
    assert (
        scores[0] > scores[1] > scores[2] == 54.6
    )  # the bottom of Good: routine faults never make it Sufficient


def test_milder_faults_count_less_than_the_worst_class() -> None:
    alone = score_table([failing(finding("mixed-units", share=1.0))], Metrics()).score
    routine = score_table(
        [failing(finding("mixed-units", share=1.0)), failing(finding("title-rows", share=1.0))], Metrics()
    ).score
    same = score_table(
        [failing(finding("mixed-units", share=1.0)), failing(finding("multi-row-header", share=1.0))],
        Metrics(),
    ).score
    assert alone > routine > same
    assert alone - routine == pytest.approx((alone - same) * 0.25, abs=0.02)


# --- points -----------------------------------------------------------------------------------------


def test_graded_points_with_cap_and_floor() -> None:
    # type-error: cap 25, saturation 0.05
    half = score_table([failing(finding("type-error", share=0.025))], Metrics())
    assert half.dimensions["validity"].score == 87.5
    beyond = score_table([failing(finding("type-error", share=0.9))], Metrics())
    assert beyond.dimensions["validity"].score == 75.0  # never more than the cap
    tiny = score_table([failing(finding("type-error", share=1e-9, count=1))], Metrics())
    assert tiny.dimensions["validity"].score == 99.5  # the floor
    absent = score_table([failing(finding("type-error", share=0.0, count=0))], Metrics())
    assert absent.score == 100.0 and absent.dimensions["validity"].findings == ()


def test_dimensions_stay_graded_while_the_overall_follows_the_rubric() -> None:
    results = [failing(finding("type-error", share=0.025)), passing("uniqueness")]
    card = score_table(results, Metrics())
    assert card.dimensions["validity"].score == 87.5  # cap 25 * 0.025 / 0.05
    assert card.dimensions["uniqueness"].score == 100.0
    assert card.score == round(ROUTINE_TOP - (ROUTINE_TOP - 54.6) * 0.5 * STEP, 2)
    assert not card.dimensions["completeness"].applicable and card.dimensions["completeness"].score is None


def test_not_applicable_and_crashed_checks_cost_nothing() -> None:
    bad = finding("duplicate-row", share=0.5)
    results = [
        passing("validity"),
        CheckResult("duplicate-row", "uniqueness", "not-applicable", [bad]),
        CheckResult("null-values", "completeness", "check-error", error="boom"),
    ]
    card = score_table(results, Metrics())
    assert card.score == 100.0
    assert not card.dimensions["uniqueness"].applicable and not card.dimensions["completeness"].applicable
    assert bad.points_lost == 0.0


def test_findings_of_a_passing_check_cost_nothing() -> None:
    note = finding("whitespace", share=0.5)
    note.points_lost = 42.0  # stale value from an earlier run is reset
    card = score_table([CheckResult("whitespace", "validity", "pass", [note])], Metrics())
    assert card.score == 100.0 and note.points_lost == 0.0 and card.fixes == ()


def test_nothing_measured_scores_the_unmeasured_value() -> None:
    card = score_table([], Metrics())
    assert card.score == 100.0 and card.band == "excellent" and card.fatal is None
    assert not any(d.applicable for d in card.dimensions.values())


def test_unknown_codes_fall_back_by_severity() -> None:
    w = load_weights()
    assert "made-up-code" not in w.codes
    for severity in ("error", "warning", "info"):
        rule = w.defaults[severity]
        f = finding("made-up-code", share=1.0, severity=severity, dimension="metadata")
        card = score_table([failing(f)], Metrics())
        assert card.dimensions["metadata"].score == 100 - rule.cap, severity
    assert w.defaults["error"].cap > w.defaults["warning"].cap > w.defaults["info"].cap


# --- fatal ------------------------------------------------------------------------------------------


def test_fatal_zeroes_content_dimensions_and_says_why() -> None:
    empty = finding("empty-file", share=1.0)
    card = score_table([failing(empty)], Metrics(fatal="empty-file"))
    assert card.score == 0.0 and card.band == "bad" and card.fatal == "empty-file"
    for key in ("validity", "uniqueness", "consolidation", "completeness"):
        assert card.dimensions[key].applicable and card.dimensions[key].score == 0.0
    assert empty.points_lost == 100.0  # fixing it leaves nothing measured, i.e. the unmeasured 100
    assert [(f.code, f.gain) for f in card.fixes] == [("empty-file", 100.0)]


def test_fatal_keeps_other_dimensions() -> None:
    results = [failing(finding("download-failed", share=1.0)), passing("metadata")]
    card = score_table(results, Metrics(fatal="download-failed"))
    assert card.dimensions["metadata"].score == 100.0
    assert card.score == 0.0 and card.band == "bad"


def test_fatal_code_finding_is_fatal_even_without_metrics() -> None:
    card = score_table([failing(finding("unreadable-file", share=1.0))], Metrics())
    assert card.fatal == "unreadable-file" and card.score == 0.0


# --- points_lost and fixes --------------------------------------------------------------------------


def test_points_lost_is_what_fixing_the_finding_gains() -> None:
    a = finding("type-error", share=0.025)
    b = finding("whitespace", share=0.1)
    c = finding("duplicate-row", share=0.05)
    card = score_table([failing(a), failing(b), failing(c)], Metrics())
    for fixed, rest in ((a, [b, c]), (b, [a, c]), (c, [a, b])):
        without = score_table([failing(f) for f in rest], Metrics()).score
        assert fixed.points_lost == pytest.approx(without - card.score, abs=0.01), fixed.code
    alone = finding("title-rows", share=1.0)
    one = score_table([failing(alone)], Metrics())
    # fixing the only fault makes the file Excellent (100, exactly; the score is rounded)
    assert alone.points_lost == pytest.approx(100 - one.score, abs=0.01)


def test_points_lost_are_exact_at_the_bottom_of_a_band() -> None:
    # six full routine faults sit at the bottom of Good; fixing one of them still leaves five: no gain
    fs = [finding("duplicate-key", share=0.5) for _ in range(6)]
    card = score_table([failing(*fs)], Metrics())
    assert card.score == 54.6 and card.band == "good"
    assert [f.points_lost for f in fs] == [0.0] * 6
    assert [(f.code, f.gain, f.findings) for f in card.fixes] == [("duplicate-key", 45.4, 6)]


def test_fixes_ranked_by_gain_then_code() -> None:
    results = [
        failing(finding("whitespace", share=0.2)),  # routine, full extent
        failing(finding("full-width-digits", share=0.2)),  # routine, full extent: tie, sorted by code
        failing(finding("type-error", share=0.05)),  # substantial: bounds the file to Sufficient
        failing(finding("blank-row", share=0.0, count=0)),  # absent: no fix
        passing("uniqueness"),
    ]
    card = score_table(results, Metrics())
    assert card.band == "sufficient"
    assert [f.code for f in card.fixes] == ["type-error", "full-width-digits", "whitespace"]
    after = round(ROUTINE_TOP - (ROUTINE_TOP - 54.6) * 2 * STEP, 2)  # two routine faults left
    assert card.fixes[0].gain == pytest.approx(after - card.score, abs=0.01)
    assert card.fixes[1].gain == card.fixes[2].gain > 0


def test_scorecard_to_dict_is_json() -> None:
    card = score_table([failing(finding("mojibake", share=0.005)), passing("completeness")], Metrics())
    data = json.loads(json.dumps(card.to_dict()))
    assert set(data) == {"version", "digest", "score", "band", "fatal", "dimensions", "findings", "fixes"}
    assert data["version"] == "2" and data["digest"] == load_weights().digest
    assert data["dimensions"]["validity"] == {
        "score": 85.0,
        "weight": 30.0,
        "applicable": True,
        "findings": ["mojibake"],
    }
    (f,) = data["findings"]
    assert f["rubric"] == "routine" and f["ceiling"] == ROUTINE_TOP and "out of Excellent" in f["reason"]
    assert data["fixes"] == [
        {"code": "mojibake", "dimension": "validity", "gain": round(100 - card.score, 2), "findings": 1}
    ]


def test_public_api() -> None:
    assert set(scoring.__all__) >= {
        "SCORING_VERSION",
        "score_table",
        "band_for",
        "load_weights",
        "ScoreCard",
        "BANDS",
        "describe_code",
    }


def test_scoring_imports_only_profiler_types_and_the_catalogue() -> None:
    package = Path(scoring.__file__).parent
    outside: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            outside |= {n for n in names if n.split(".")[0] not in sys.stdlib_module_names | {"scoring"}}
    # result types, the code catalogue and the measurement digest
    assert outside <= {"profilers.types", "profilers.codes", "profilers.version"}
