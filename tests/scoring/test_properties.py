"""Properties the scoring model must keep whatever the findings (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from profilers.types import CheckResult, Finding, Metrics
from scoring import band_for, load_weights, score_table

W = load_weights()
DIMENSIONS = list(W.dimensions)
CONTENT = [d for d in DIMENSIONS if W.dimensions[d].content]
UNKNOWN_CODES = ["made-up-error", "another-new-check"]
FATAL = sorted(W.fatal_codes)

shares = st.one_of(
    st.sampled_from([0.0, 1e-9, 0.01, 0.05, 0.1, 0.5, 1.0]),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
)


def codes_of(dimension: str) -> list[str]:
    return [c for c, spec in W.codes.items() if spec.dimension == dimension] + UNKNOWN_CODES


@st.composite
def findings(draw: st.DrawFn, dimension: str) -> Finding:
    return Finding(
        code=draw(st.sampled_from(codes_of(dimension))),
        dimension=dimension,  # type: ignore[arg-type]
        severity=draw(st.sampled_from(["error", "warning", "info"])),
        level=draw(st.sampled_from(["file", "table", "column", "row", "cell"])),
        count=draw(st.integers(min_value=0, max_value=10_000)),
        share=draw(shares),
    )


@st.composite
def checks(draw: st.DrawFn, status: str | None = None, dimension: str | None = None) -> CheckResult:
    dim = dimension or draw(st.sampled_from(DIMENSIONS))
    stat = status or draw(st.sampled_from(["pass", "fail", "fail", "not-applicable", "check-error"]))
    found = draw(st.lists(findings(dim), max_size=4)) if stat != "pass" else []
    return CheckResult(code=f"{dim}-check", dimension=dim, status=stat, findings=found)  # type: ignore[arg-type]


tables = st.lists(checks(), max_size=8)
metrics = st.builds(Metrics, fatal=st.one_of(st.none(), st.none(), st.sampled_from(FATAL)))


def all_findings(results: list[CheckResult]) -> list[Finding]:
    return [f for r in results for f in r.findings]


@settings(max_examples=300)
@given(results=tables, m=metrics)
def test_score_and_dimensions_in_range(results: list[CheckResult], m: Metrics) -> None:
    card = score_table(results, m)
    assert 0.0 <= card.score <= 100.0
    assert card.band == band_for(card.score)
    for dim in card.dimensions.values():
        assert dim.applicable == (dim.score is not None)
        assert dim.score is None or 0.0 <= dim.score <= 100.0
    lost = [f.points_lost for f in all_findings(results)]
    assert all(p >= 0.0 for p in lost)
    assert (
        sum(lost) <= 100.0 - card.score + 0.01
    )  # fixing findings one by one never promises more than is lost


@settings(max_examples=300)
@given(results=tables, m=metrics, data=st.data())
def test_adding_a_failing_finding_never_raises_the_score(
    results: list[CheckResult], m: Metrics, data: st.DataObject
) -> None:
    before = score_table(results, m)
    applicable = [k for k, d in before.dimensions.items() if d.applicable]
    dim = data.draw(st.sampled_from(applicable or DIMENSIONS))
    if not applicable:
        results = [*results, CheckResult("probe", dim, "pass")]  # type: ignore[arg-type]
        before = score_table(results, m)
    extra = data.draw(findings(dim))
    targets = [i for i, r in enumerate(results) if r.status == "fail" and r.dimension == dim]
    into_existing = data.draw(st.booleans())
    if targets and into_existing:
        i = data.draw(st.sampled_from(targets))
        grown = [*results[:i], replace(results[i], findings=[*results[i].findings, extra]), *results[i + 1 :]]
    else:
        grown = [*results, CheckResult("new-check", dim, "fail", [extra])]  # type: ignore[arg-type]
    after = score_table(grown, m)
    assert after.score <= before.score
    for key, d in before.dimensions.items():
        if d.applicable:
            assert after.dimensions[key].score is not None and after.dimensions[key].score <= d.score  # type: ignore[operator]


@settings(max_examples=300)
@given(results=tables, m=metrics, data=st.data())
def test_turning_a_passing_check_into_a_failing_one_never_raises_the_score(
    results: list[CheckResult], m: Metrics, data: st.DataObject
) -> None:
    passed = data.draw(checks(status="pass"))
    at = data.draw(st.integers(min_value=0, max_value=len(results)))
    with_pass = [*results[:at], passed, *results[at:]]
    failed = replace(
        passed, status="fail", findings=data.draw(st.lists(findings(passed.dimension), max_size=4))
    )
    with_fail = [*results[:at], failed, *results[at:]]
    assert score_table(with_fail, m).score <= score_table(with_pass, m).score


@settings(max_examples=300)
@given(results=tables, m=metrics, data=st.data())
def test_order_does_not_matter(results: list[CheckResult], m: Metrics, data: st.DataObject) -> None:
    card = score_table(results, m)
    lost = {id(f): f.points_lost for f in all_findings(results)}
    shuffled = [
        replace(r, findings=data.draw(st.permutations(r.findings)))
        for r in data.draw(st.permutations(results))
    ]
    again = score_table(shuffled, m)
    assert again.to_dict() == card.to_dict()
    assert {id(f): f.points_lost for f in all_findings(shuffled)} == lost


@settings(max_examples=300)
@given(results=tables, m=metrics, data=st.data())
def test_a_check_that_did_not_run_changes_nothing(
    results: list[CheckResult], m: Metrics, data: st.DataObject
) -> None:
    card = score_table(results, m)
    lost = [f.points_lost for f in all_findings(results)]
    idle = data.draw(checks(status=data.draw(st.sampled_from(["not-applicable", "check-error"]))))
    at = data.draw(st.integers(min_value=0, max_value=len(results)))
    again = score_table([*results[:at], idle, *results[at:]], m)
    assert again.to_dict() == card.to_dict()
    assert [f.points_lost for f in all_findings(results)] == lost
    assert all(f.points_lost == 0.0 for f in idle.findings)


@settings(max_examples=300)
@given(results=tables, fatal=st.sampled_from(FATAL))
def test_fatal_zeroes_the_content_dimensions(results: list[CheckResult], fatal: str) -> None:
    healthy = score_table(results, Metrics())
    card = score_table(results, Metrics(fatal=fatal))
    assert card.fatal == fatal
    for key in CONTENT:
        assert card.dimensions[key].applicable and card.dimensions[key].score == 0.0
    others = {k: d for k, d in card.dimensions.items() if k not in CONTENT}
    assert others == {k: d for k, d in healthy.dimensions.items() if k not in CONTENT}
    assert card.score <= healthy.score
    top = sum(d.weight for k, d in others.items() if d.applicable)  # content weights count as zeros
    assert card.score <= round(100 * top / (top + sum(W.dimensions[k].weight for k in CONTENT)), 2)


@settings(max_examples=300)
@given(results=tables, data=st.data())
def test_points_lost_is_the_gain_of_removing_the_finding(
    results: list[CheckResult], data: st.DataObject
) -> None:
    card = score_table(results, Metrics())
    located = [(i, j) for i, r in enumerate(results) for j in range(len(r.findings))]
    if not located:
        return
    i, j = data.draw(st.sampled_from(located))
    target = results[i].findings[j]
    lost = target.points_lost
    fixed = [
        *results[:i],
        replace(results[i], findings=results[i].findings[:j] + results[i].findings[j + 1 :]),
        *results[i + 1 :],
    ]
    gain = score_table(fixed, Metrics()).score - card.score
    assert abs(gain - lost) <= 0.01 + 1e-9  # both scores are rounded to 2 decimals
