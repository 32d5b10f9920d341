"""Metadata findings of one catalog record, in the report's finding shape: the MQA indicators it
misses (dimension ``metadata``; link indicators in ``accessibility``), its 5-star openness
(``openness``), its timeliness (``timeliness``) and the cases the GSA data.gov harvester rejects
(missing identifier, a licence that is not a URI, an over-long description). Pure: no I/O and no
clock (the reference date is passed in).

Examples of record-level findings leave ``row`` and ``field`` empty; ``column`` names the metadata
property and ``value`` the offending value (``distribution N: …`` for a distribution)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from profilers.metadata.mqa import (
    INDICATORS,
    IndicatorResult,
    Links,
    LinkStatus,
    MqaResult,
    dist_format,
    evaluate,
)
from profilers.metadata.vocab import FORMAT_STARS, frequency_days, licence_is_open
from profilers.record import DatasetRecord, Distribution
from profilers.types import MAX_EXAMPLES, CheckResult, Example, Finding

MAX_DESCRIPTION = 10_000  # DCAT-US 1.1 federal schema: description maxLength
GRACE = 0.25  # a dataset may be a quarter of its update period late before it counts as outdated
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s<>\"]+$", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")
_SPACES = re.compile(r"\s+")

PROPERTY = {
    "keyword_usage": "keywords",
    "categories": "themes",
    "spatial_search": "spatial",
    "temporal_search": "temporal",
    "access_url_status": "url",
    "download_url": "download_url",
    "download_url_status": "url",
    "format": "format",
    "media_type": "media_type",
    "format_media_type_vocabulary": "format",
    "non_proprietary": "format",
    "machine_readable": "format",
    "dcat_ap_compliance": "record",
    "licence_information": "licence",
    "licence_vocabulary": "licence",
    "access_restrictions": "access_rights",
    "access_restrictions_vocabulary": "access_rights",
    "contact_point": "contact",
    "publisher": "publisher",
    "rights": "rights",
    "file_size": "size",
    "date_of_issue": "issued",
    "modification_date": "modified",
}


@dataclass(slots=True)
class MetadataAssessment:
    """Everything the metadata checks found on one record."""

    results: list[CheckResult]
    mqa: MqaResult
    stars: list[int] = field(default_factory=list)  # per distribution, in order

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mqa": self.mqa.to_dict(),
            "openness": {"stars": self.stars, "max": max(self.stars, default=None)},
            "checks": {r.code: r.status for r in self.results},
            "findings": [f.to_dict() for f in self.findings],
        }


def _dist_label(d: Distribution, pos: int) -> str:
    return f"distribution {pos}: {d.url or d.access_url or d.title or d.format or 'no link'}"


def _finding(
    code: str,
    dimension: Any,
    severity: Any,
    count: int,
    share: float,
    title: str,
    fix: str,
    examples: list[Example],
    message: str = "",
    level: Any = "table",
) -> Finding:
    return Finding(
        code=code,
        dimension=dimension,
        severity=severity,
        level=level,
        count=count,
        share=min(1.0, max(0.0, share)),
        title=title,
        fix=fix,
        examples=examples[:MAX_EXAMPLES],
        message=message,
        truncated=len(examples) > MAX_EXAMPLES,
    )


def _indicator_findings(
    record: DatasetRecord, mqa: MqaResult, links: Links | None, with_examples: bool = True
) -> tuple[list[Finding], list[Finding]]:
    """Findings of the unmet MQA indicators: (metadata findings, accessibility findings); without
    examples when ``with_examples`` is false (counts and shares are the same)."""
    meta: list[Finding] = []
    access: list[Finding] = []
    broken: list[IndicatorResult] = []
    for r in mqa.indicators:
        if not r.measured or r.met == r.units:
            continue
        ind = r.indicator
        if ind.code == "broken-link":
            broken.append(r)
            continue
        prop = PROPERTY[ind.key]
        examples: list[Example] = []
        if ind.level == "dataset":
            if with_examples:
                examples = [Example(column=prop, value=_dataset_value(record, prop))]
            count, share = 1, 1.0
        else:
            if with_examples:
                examples = [
                    Example(column=prop, value=_dist_label(record.distributions[p - 1], p))
                    for p in r.failing[: MAX_EXAMPLES + 1]
                ] or [Example(column=prop, value="no distribution")]
            count, share = max(1, r.units - r.met), 1.0 - r.share
        f = _finding(ind.code, ind.dimension, "warning", count, share, ind.title, ind.fix, examples)
        (access if ind.dimension == "accessibility" else meta).append(f)
    if broken:
        # access and download link status: one finding, share weighted by the indicators' points
        points = sum(r.indicator.points for r in broken)
        share = sum(r.indicator.points * (1 - r.share) for r in broken) / points
        failing = sorted({p for r in broken for p in r.failing})
        examples = []
        for p in failing[: MAX_EXAMPLES + 1] if with_examples else ():
            d = record.distributions[p - 1]
            st = (links or {}).get(d.url or "") or (links or {}).get(d.access_url or "")
            why = (
                (st.error_code or "") + (f" HTTP {st.status}" if st and st.status else "")
                if st
                else "no link"
            )
            examples.append(Example(column="url", value=f"{_dist_label(d, p)} ({why.strip()})"))
        ind = broken[0].indicator
        access.append(
            _finding(
                "broken-link", "accessibility", "error", len(failing), share, ind.title, ind.fix, examples
            )
        )
    if not record.distributions:
        access.append(
            _finding(
                "no-distribution",
                "accessibility",
                "error",
                1,
                1.0,
                "No distribution",
                "Publish at least one downloadable file or API for the dataset.",
                [Example(column="distributions", value="0")],
                "the dataset has no distribution",
            )
        )
    return meta, access


def _dataset_value(record: DatasetRecord, prop: str) -> str | None:
    value = getattr(record, prop, None)
    if value in (None, "", []):
        return None
    return str(value)[:200]


def _harvester_findings(record: DatasetRecord) -> list[Finding]:
    """The record-level cases of the GSA data.gov harvester (DCAT-US 1.1 schema)."""
    out: list[Finding] = []
    if record.raw.get("_odq_no_identifier"):
        out.append(
            _finding(
                "missing-identifier",
                "metadata",
                "error",
                1,
                1.0,
                "No identifier",
                "Give every dataset a stable, unique identifier.",
                [Example(column="identifier", value=record.title)],
                f"{record.title or 'the dataset'} is missing 'identifier' field",
            )
        )
    if (
        record.source_kind in ("datajson", "dcat")
        and record.licence
        and not _URI.match(record.licence.strip())
    ):
        out.append(
            _finding(
                "invalid-licence-uri",
                "metadata",
                "error",
                1,
                1.0,
                "Licence is not a URI",
                "Give the licence as the URI of a licence document (e.g. https://creativecommons.org/licenses/by/4.0/).",
                [Example(column="licence", value=record.licence[:200])],
                "license does not match any of the acceptable formats: uri, null",
            )
        )
    if record.description and len(record.description) > MAX_DESCRIPTION:
        out.append(
            _finding(
                "description-too-long",
                "metadata",
                "warning",
                1,
                1.0,
                "Description too long",
                "Keep the description under 10,000 characters; put long documentation in a linked document.",
                [Example(column="description", value=f"{len(record.description)} characters")],
                f"description does not match any of the acceptable formats: max string length of {MAX_DESCRIPTION} characters",
            )
        )
    return out


def five_star(
    dist: Distribution, dataset_licence: str | None, link: LinkStatus | None, isopen: bool | None = None
) -> int:
    """5-star openness of one distribution (ckanext-qa's rules): 0 when the link is broken or the
    licence is not open; otherwise the stars of its format, from the content when it was sniffed,
    else declared, else the URL's extension; 1 when no format is known."""
    if link is not None and not link.ok:
        return 0
    if not licence_is_open(dist.licence or dataset_licence, isopen if not dist.licence else None):
        return 0
    fmt = dist_format(dist, link)
    if fmt is None:
        return 1
    return FORMAT_STARS.get(fmt, 1)


def _openness(
    record: DatasetRecord, links: Links | None, with_examples: bool = True
) -> tuple[CheckResult, list[int]]:
    if not record.distributions:
        return CheckResult("openness", "openness", "not-applicable"), []
    isopen = record.raw.get("isopen") if isinstance(record.raw.get("isopen"), bool) else None
    stars = []
    examples = []
    for pos, d in enumerate(record.distributions, start=1):
        link = None
        if links is not None:
            link = links.get(d.url or "") or links.get(d.access_url or "")
        s = five_star(d, record.licence, link, isopen)
        stars.append(s)
        if s < 3 and with_examples:
            why = (
                "link broken"
                if link is not None and not link.ok
                else "licence not open"
                if s == 0
                else f"format {dist_format(d, link) or 'unknown'}"
            )
            examples.append(Example(column="format", value=f"{_dist_label(d, pos)} — {s}★ ({why})"))
    mean = sum(stars) / len(stars)
    share = 1.0 - mean / 5.0
    if share <= 0:
        return CheckResult("openness", "openness", "pass"), stars
    f = _finding(
        "low-openness",
        "openness",
        "warning" if mean >= 2 else "error",
        sum(1 for s in stars if s < 3),
        share,
        "Low 5-star openness",
        "Publish under an open licence, in an open machine-readable format (CSV, JSON), with working links.",
        examples or [Example(column="format", value=f"best {max(stars)}★ of 5")],
        f"mean {mean:.1f}★ of 5 over {len(stars)} distribution(s)",
    )
    return CheckResult("openness", "openness", "fail", [f]), stars


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    s = value.strip()
    for candidate in (s[:10], s[:7] + "-01" if _YEAR_MONTH.fullmatch(s[:7]) and len(s) == 7 else ""):
        if not candidate:
            continue
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _timeliness(record: DatasetRecord, reference: date, data_latest: date | None) -> CheckResult:
    days = frequency_days(record.frequency)
    if days is None:
        return CheckResult("timeliness", "timeliness", "not-applicable")
    dates = [parse_date(record.modified)] + [parse_date(d.modified) for d in record.distributions]
    known = [d for d in dates if d is not None]
    modified = max(known) if known else None
    if modified is None and data_latest is None:
        return CheckResult("timeliness", "timeliness", "not-applicable")
    allowed = days * (1 + GRACE) + 1
    findings: list[Finding] = []
    if modified is not None:
        age = (reference - modified).days
        if age > allowed:
            findings.append(
                _finding(
                    "outdated",
                    "timeliness",
                    "warning",
                    1,
                    (age - allowed) / allowed,
                    "Not updated as often as declared",
                    "Update the dataset as often as its declared frequency says, or declare the real frequency.",
                    [Example(column="modified", value=modified.isoformat())],
                    f"declared {record.frequency}; last modified {modified.isoformat()}, {age} days before "
                    f"{reference.isoformat()} (at most {allowed:.0f} expected)",
                )
            )
    if data_latest is not None:
        # data for a period is published after the period: one period more is allowed
        age = (reference - data_latest).days
        limit = allowed + days
        if age > limit:
            findings.append(
                _finding(
                    "stale-content",
                    "timeliness",
                    "warning",
                    1,
                    (age - limit) / limit,
                    "The data inside is older than the update frequency allows",
                    "Publish the latest data: the newest date in the file should be within one update period.",
                    [Example(column="data", value=data_latest.isoformat())],
                    f"declared {record.frequency}; the latest date in the data is {data_latest.isoformat()}, "
                    f"{age} days before {reference.isoformat()}",
                )
            )
    return CheckResult("timeliness", "timeliness", "fail" if findings else "pass", findings)


def assess(
    record: DatasetRecord,
    reference: date,
    links: Links | None = None,
    data_latest: date | None = None,
    *,
    with_examples: bool = True,
) -> MetadataAssessment:
    """All metadata findings of one record. ``links`` maps URLs to what a link check found (None:
    links not checked, so link indicators are not measured); ``data_latest`` is the newest date
    found inside the data, when it was read. ``with_examples=False`` leaves out the examples of
    the MQA and openness findings (a catalog-wide pass that keeps only codes, counts and shares)."""
    mqa = evaluate(record, links)
    meta, access = _indicator_findings(record, mqa, links, with_examples)
    meta.extend(_harvester_findings(record))
    openness, stars = _openness(record, links, with_examples)
    results = [
        CheckResult("metadata", "metadata", "fail" if meta else "pass", meta),
        CheckResult("accessibility", "accessibility", "fail" if access else "pass", access),
        openness,
        _timeliness(record, reference, data_latest),
    ]
    return MetadataAssessment(results, mqa, stars)


# -- catalog level ------------------------------------------------------------------------------


def _norm_title(title: str | None) -> str:
    return _SPACES.sub(" ", (title or "").strip()).casefold()


def duplicate_titles(records: Iterable[DatasetRecord]) -> list[dict[str, Any]]:
    """``duplicate-title`` findings (level portal, one per repeated title), each with the ids of
    the datasets sharing it in ``datasets``. Like the GSA harvester, every record is kept."""
    groups: dict[str, list[DatasetRecord]] = defaultdict(list)
    total = 0
    for r in records:
        total += 1
        norm = _norm_title(r.title)
        if norm:
            groups[norm].append(r)
    out = []
    for rs in sorted(
        (g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), _norm_title(g[0].title))
    ):
        f = _finding(
            "duplicate-title",
            "metadata",
            "warning",
            len(rs),
            len(rs) / total if total else 0.0,
            "Datasets with the same title",
            "Give each dataset a title that tells it apart (add the period, area or subject).",
            [Example(column="title", value=f"{r.title} ({r.id})") for r in rs],
            f"{len(rs)} datasets are titled {rs[0].title!r}",
            level="portal",
        ).to_dict()
        f["datasets"] = [r.id for r in rs]
        out.append(f)
    return out


def _slugify(text: str) -> str:
    s = re.sub(r"[^\w]+", "-", text.casefold(), flags=re.UNICODE).strip("-_")
    return s[:90] or "dataset"


def unique_slugs(records: Iterable[DatasetRecord]) -> dict[str, str]:
    """A URL slug per record id, from its title; a repeated title gets ``-2``, ``-3`` … in
    catalog order (the harvester's rule: both records are accepted, the second slug differs)."""
    used: set[str] = set()
    out: dict[str, str] = {}
    for r in records:
        base = _slugify(r.title or r.id)
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        out[r.id] = slug
    return out


ALL_CODES = sorted(
    {i.code for i in INDICATORS}
    | {"no-distribution", "low-openness", "outdated", "stale-content", "missing-identifier"}
    | {"invalid-licence-uri", "description-too-long", "duplicate-title", "inconsistent-distributions"}
)
