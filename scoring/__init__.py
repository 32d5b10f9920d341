"""Judge: turns check results and metrics into a versioned, explainable score.

Pure arithmetic over ``profilers.types``; the weights and thresholds are data in ``scoring/weights``.
"""

from scoring.model import (
    BANDS,
    SCORING_VERSION,
    Band,
    DimensionScore,
    FindingScore,
    Fix,
    ScoreCard,
    Weights,
    band_for,
    describe_code,
    load_weights,
    score_table,
    scoring_digest,
)

__all__ = [
    "BANDS",
    "SCORING_VERSION",
    "Band",
    "DimensionScore",
    "FindingScore",
    "Fix",
    "ScoreCard",
    "Weights",
    "band_for",
    "describe_code",
    "load_weights",
    "score_table",
    "scoring_digest",
]
