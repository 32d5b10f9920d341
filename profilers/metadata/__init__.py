"""Metadata measurement on catalog records (pure; no I/O, no clock): MQA indicators, 5-star
openness, timeliness, the GSA harvester's record cases, duplicate titles."""

from typing import TYPE_CHECKING, Any

from profilers.metadata.checks import (
    ALL_CODES,
    MetadataAssessment,
    assess,
    duplicate_titles,
    five_star,
    unique_slugs,
)
from profilers.metadata.mqa import (
    INDICATORS,
    MQA_TOTAL,
    LinkStatus,
    MqaResult,
    band_of,
    catalog_mqa,
    evaluate,
)

if TYPE_CHECKING:
    from profilers.metadata.content import DistributionShape, consistency, latest_date

_CONTENT = ("DistributionShape", "consistency", "latest_date")


def __getattr__(name: str) -> Any:
    """The checks on the data (``content``) import Polars: loaded when first asked for, so the
    metadata-only path does not pay for it."""
    if name in _CONTENT:
        from profilers.metadata import content

        return getattr(content, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
