"""Metadata measurement on catalog records (pure; no I/O, no clock): MQA indicators, 5-star
openness, timeliness, the GSA harvester's record cases, duplicate titles."""

from profilers.metadata.checks import (
    ALL_CODES,
    MetadataAssessment,
    assess,
    duplicate_titles,
    five_star,
    unique_slugs,
)
from profilers.metadata.content import DistributionShape, consistency, latest_date
from profilers.metadata.mqa import (
    INDICATORS,
    MQA_TOTAL,
    LinkStatus,
    MqaResult,
    band_of,
    catalog_mqa,
    evaluate,
)

__all__ = [
    "ALL_CODES",
    "INDICATORS",
    "MQA_TOTAL",
    "DistributionShape",
    "LinkStatus",
    "MetadataAssessment",
    "MqaResult",
    "assess",
    "band_of",
    "catalog_mqa",
    "consistency",
    "duplicate_titles",
    "evaluate",
    "five_star",
    "latest_date",
    "unique_slugs",
]
