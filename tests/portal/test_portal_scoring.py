"""scoring.portal: pure aggregation of dataset scores and portal findings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.portal import DatasetScore, PortalFinding, score_portal

SCORES = st.floats(min_value=0, max_value=100, allow_nan=False)


def _dataset(v: float, c: float) -> DatasetScore:
    return DatasetScore(score=(v * 30 + c * 10) / 40, dimensions={"validity": v, "consolidation": c})


def test_dimensions_are_means_minus_portal_findings() -> None:
    card = score_portal(
        [_dataset(100, 100), _dataset(50, 100)], [PortalFinding("split-series", "consolidation", 2, 0.5)]
    )
    assert card.dimensions["validity"]["score"] == 75.0
    assert card.dimensions["consolidation"]["datasets_mean"] == 100.0
    assert card.dimensions["consolidation"]["score"] == 80.0  # cap 40 × share 0.5
    # uniqueness is measured by the portal pass itself: 100 here, weight 20
    assert card.dimensions["uniqueness"]["score"] == 100.0
    assert card.score == round((75 * 30 + 100 * 20 + 80 * 10) / 60, 2)
    assert card.findings[0].points_lost == round((75 * 30 + 100 * 20 + 100 * 10) / 60 - card.score, 2)
    assert card.bands == {"excellent": 1, "good": 1, "sufficient": 0, "bad": 0}


def test_a_dataset_without_report_counts_zero() -> None:
    card = score_portal([_dataset(100, 100), DatasetScore(None, {})], [])
    assert card.dimensions["validity"]["score"] == 50.0 and card.bands["bad"] == 1


@given(st.lists(st.tuples(SCORES, SCORES), min_size=1, max_size=20), st.floats(min_value=0, max_value=1))
@settings(max_examples=100, deadline=None)
def test_a_portal_finding_never_raises_the_score(scores: list[tuple[float, float]], share: float) -> None:
    datasets = [_dataset(v, c) for v, c in scores]
    without = score_portal(datasets, [])
    with_finding = score_portal(datasets, [PortalFinding("duplicate-dataset", "uniqueness", 2, share)])
    assert 0 <= with_finding.score <= without.score <= 100
