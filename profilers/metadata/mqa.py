"""The MQA indicators of data.europa.eu (405 points: findability 100, accessibility 100,
interoperability 110, reusability 75, contextuality 20), measured on one ``DatasetRecord``.

Each indicator is met by a share of its unit: 0 or 1 for dataset-level indicators, the share of
distributions meeting it for distribution-level ones (as MQA counts distributions). Link-status
indicators are only measured when link statuses are passed in; unmeasured indicators are left out
of both the points and the maximum. A catalog's value of an indicator is its points × the share
of the catalog's datasets (or distributions) meeting it; bands are MQA's (351/221/121 of 405)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from profilers.metadata.vocab import (
    ACCESS_VOCAB,
    KNOWN_FORMATS,
    MACHINE_READABLE,
    NON_PROPRIETARY,
    licence_in_vocab,
    norm_format,
)
from profilers.record import DatasetRecord, Distribution

MQA_TOTAL = 405
BANDS = ((351, "excellent"), (221, "good"), (121, "sufficient"), (0, "bad"))


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """What a link check found for one URL (HEAD or download): the HTTP status, an error code
    (``download-failed``, ``timeout``, ``url-refused`` …) and, when the content was read, the
    format sniffed from it."""

    url: str
    status: int | None = None
    error_code: str | None = None
    content_type: str | None = None
    sniffed_format: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None and (self.status is None or self.status < 400)


Links = Mapping[str, LinkStatus]


@dataclass(frozen=True, slots=True)
class Indicator:
    key: str
    mqa_dimension: str
    points: int
    level: str  # dataset | distribution
    code: str  # ODQ finding code when not met
    dimension: str  # ODQ dimension of that finding
    title: str
    fix: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "keyword_usage",
        "findability",
        30,
        "dataset",
        "missing-keywords",
        "metadata",
        "No keywords",
        "Add keywords (dcat:keyword) people would search for.",
    ),
    Indicator(
        "categories",
        "findability",
        30,
        "dataset",
        "missing-themes",
        "metadata",
        "No theme or category",
        "Assign the dataset to a theme (dcat:theme), e.g. of the EU data-theme list.",
    ),
    Indicator(
        "spatial_search",
        "findability",
        20,
        "dataset",
        "missing-spatial",
        "metadata",
        "No spatial coverage",
        "Say which area the data covers (dct:spatial).",
    ),
    Indicator(
        "temporal_search",
        "findability",
        20,
        "dataset",
        "missing-temporal",
        "metadata",
        "No temporal coverage",
        "Say which period the data covers (dct:temporal).",
    ),
    Indicator(
        "access_url_status",
        "accessibility",
        50,
        "distribution",
        "broken-link",
        "accessibility",
        "Links that do not work",
        "Make every access and download link answer with the data (HTTP 200).",
    ),
    Indicator(
        "download_url",
        "accessibility",
        20,
        "distribution",
        "missing-download-url",
        "accessibility",
        "No direct download link",
        "Give each distribution a direct download URL (dcat:downloadURL).",
    ),
    Indicator(
        "download_url_status",
        "accessibility",
        30,
        "distribution",
        "broken-link",
        "accessibility",
        "Links that do not work",
        "Make every access and download link answer with the data (HTTP 200).",
    ),
    Indicator(
        "format",
        "interoperability",
        20,
        "distribution",
        "missing-format",
        "metadata",
        "No format declared",
        "Declare each distribution's format (dct:format).",
    ),
    Indicator(
        "media_type",
        "interoperability",
        10,
        "distribution",
        "missing-media-type",
        "metadata",
        "No media type declared",
        "Declare each distribution's media type (dcat:mediaType, e.g. text/csv).",
    ),
    Indicator(
        "format_media_type_vocabulary",
        "interoperability",
        10,
        "distribution",
        "unknown-format",
        "metadata",
        "Format outside the controlled vocabulary",
        "Use a format name of the EU file-type list (CSV, XLSX, JSON …).",
    ),
    Indicator(
        "non_proprietary",
        "interoperability",
        20,
        "distribution",
        "proprietary-format",
        "metadata",
        "Proprietary format",
        "Also publish the data in an open format (CSV, JSON, ODS).",
    ),
    Indicator(
        "machine_readable",
        "interoperability",
        20,
        "distribution",
        "not-machine-readable",
        "metadata",
        "Not machine-readable",
        "Publish the data as a table or structured file (CSV, XLSX, JSON), not a PDF or a web page.",
    ),
    Indicator(
        "dcat_ap_compliance",
        "interoperability",
        30,
        "dataset",
        "dcat-ap-incomplete",
        "metadata",
        "Mandatory DCAT-AP properties missing",
        "Fill in title, description and a link for every distribution.",
    ),
    Indicator(
        "licence_information",
        "reusability",
        20,
        "distribution",
        "missing-licence",
        "metadata",
        "No licence",
        "State the licence (dct:license), preferably an open one such as CC BY 4.0.",
    ),
    Indicator(
        "licence_vocabulary",
        "reusability",
        10,
        "distribution",
        "unknown-licence",
        "metadata",
        "Licence outside a known vocabulary",
        "Name the licence by its IRI from the EU licence list or SPDX.",
    ),
    Indicator(
        "access_restrictions",
        "reusability",
        10,
        "dataset",
        "missing-access-rights",
        "metadata",
        "No access rights",
        "Say whether access is public or restricted (dct:accessRights).",
    ),
    Indicator(
        "access_restrictions_vocabulary",
        "reusability",
        5,
        "dataset",
        "unknown-access-rights",
        "metadata",
        "Access rights outside the vocabulary",
        "Use the EU access-right list (PUBLIC, RESTRICTED, NON_PUBLIC).",
    ),
    Indicator(
        "contact_point",
        "reusability",
        20,
        "dataset",
        "missing-contact",
        "metadata",
        "No contact point",
        "Give a contact e-mail or phone (dcat:contactPoint).",
    ),
    Indicator(
        "publisher",
        "reusability",
        10,
        "dataset",
        "missing-publisher",
        "metadata",
        "No publisher",
        "Name the publishing organisation (dct:publisher).",
    ),
    Indicator(
        "rights",
        "contextuality",
        5,
        "distribution",
        "missing-rights",
        "metadata",
        "No rights statement",
        "State the rights of each distribution (dct:rights).",
    ),
    Indicator(
        "file_size",
        "contextuality",
        5,
        "distribution",
        "missing-byte-size",
        "metadata",
        "No file size",
        "Declare each distribution's size in bytes (dcat:byteSize).",
    ),
    Indicator(
        "date_of_issue",
        "contextuality",
        5,
        "dataset",
        "missing-issued",
        "metadata",
        "No publication date",
        "Give the date the dataset was first published (dct:issued).",
    ),
    Indicator(
        "modification_date",
        "contextuality",
        5,
        "dataset",
        "missing-modified",
        "metadata",
        "No modification date",
        "Give the date of the last change (dct:modified), and keep it current.",
    ),
)
assert sum(i.points for i in INDICATORS) == MQA_TOTAL
MQA_DIMENSIONS = {
    "findability": 100,
    "accessibility": 100,
    "interoperability": 110,
    "reusability": 75,
    "contextuality": 20,
}


def band_of(points_405: float) -> str:
    for threshold, name in BANDS:
        if points_405 >= threshold:
            return name
    return "bad"


# -- the tests of the indicators ----------------------------------------------------------------

_URI = re.compile(r"^[a-z][a-z0-9+.-]*:(//)?\S+$", re.IGNORECASE)


def _raw(record: DatasetRecord, *keys: str) -> Any:
    for key in keys:
        if record.raw.get(key) not in (None, "", []):
            return record.raw.get(key)
    if record.source_kind == "dcat":  # DCAT records keep predicate IRIs as keys
        for k, v in record.raw.items():
            if k.rsplit("/", 1)[-1].rsplit("#", 1)[-1] in keys and v not in (None, "", []):
                return v
    return None


def access_rights(record: DatasetRecord) -> str | None:
    value = _raw(
        record,
        "accessLevel",
        "accessRights",
        "access_level",
        "_odq_access",
        "开放条件",
        "开放类型",
        "开放状态",
    )
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value).strip() if value not in (None, "") else None


def dist_format(dist: Distribution, link: LinkStatus | None = None) -> str | None:
    """The format of a distribution: sniffed from the content when known, else declared, else the
    media type, else the URL's extension."""
    if link is not None and link.sniffed_format:
        return norm_format(link.sniffed_format)
    fmt = norm_format(dist.format)
    if fmt:
        return fmt
    if dist.media_type:
        mt = dist.media_type.lower()
        for key, name in (
            ("csv", "CSV"),
            ("json", "JSON"),
            ("spreadsheetml", "XLSX"),
            ("ms-excel", "XLS"),
            ("xml", "XML"),
            ("pdf", "PDF"),
            ("html", "HTML"),
            ("zip", "ZIP"),
        ):
            if key in mt:
                return name
    url = (dist.url or dist.access_url or "").split("?", 1)[0].split("#", 1)[0]
    last = url.rsplit("/", 1)[-1]
    if "." in last:
        ext = last.rsplit(".", 1)[-1]
        if 1 <= len(ext) <= 7 and ext.isalnum():
            return norm_format(ext)
    return None


_DIST_KEYS = tuple(i.key for i in INDICATORS if i.level == "distribution")
assert _DIST_KEYS == (
    "access_url_status",
    "download_url",
    "download_url_status",
    "format",
    "media_type",
    "format_media_type_vocabulary",
    "non_proprietary",
    "machine_readable",
    "licence_information",
    "licence_vocabulary",
    "rights",
    "file_size",
), "_dist_flags builds its tuples in this order"
_DOWNLOAD_IS_URL = frozenset({"ckan", "dir", "socrata", "ods", "manifest"})


def _dist_flags(record: DatasetRecord, links: Links | None) -> list[tuple[bool | None, ...]]:
    """Per distribution, whether it meets each distribution-level indicator (``_DIST_KEYS``
    order); None = not measured (link status without a link check)."""
    out: list[tuple[bool | None, ...]] = []
    for d in record.distributions:
        link: LinkStatus | None = None
        if links is not None:
            for u in (d.url, d.access_url):
                if u and u in links:
                    link = links[u]
                    break
        if links is None:
            access_ok: bool | None = None
            download_ok: bool | None = None
        else:
            access_ok = link.ok if link is not None else (False if not (d.url or d.access_url) else None)
            st = links.get(d.url) if d.url else None
            download_ok = False if not d.url else (st.ok if st is not None else None)
        raw = d.raw
        if raw.get("downloadURL") or raw.get("http://www.w3.org/ns/dcat#downloadURL"):
            has_download = True
        elif record.source_kind in _DOWNLOAD_IS_URL:
            has_download = bool(d.url)
        else:  # a download URL is declared, or the only link is a file (not a landing page)
            has_download = bool(d.url and d.url != d.access_url)
        fmt = dist_format(d, link)
        licence = d.licence or record.licence
        size = d.size
        out.append(
            (  # _DIST_KEYS order (checked below)
                access_ok,  # access_url_status
                has_download,  # download_url
                download_ok,  # download_url_status
                bool(d.format),  # format
                bool(d.media_type),  # media_type
                norm_format(d.format) in KNOWN_FORMATS,  # format_media_type_vocabulary
                fmt in NON_PROPRIETARY,  # non_proprietary
                fmt in MACHINE_READABLE,  # machine_readable
                bool(licence),  # licence_information
                licence_in_vocab(licence),  # licence_vocabulary
                bool(raw.get("rights") or raw.get("http://purl.org/dc/terms/rights")),  # rights
                size is not None and size >= 0,  # file_size
            )
        )
    return out


_DATASET_KEYS = tuple(i.key for i in INDICATORS if i.level == "dataset")
assert _DATASET_KEYS == (
    "keyword_usage",
    "categories",
    "spatial_search",
    "temporal_search",
    "dcat_ap_compliance",
    "access_restrictions",
    "access_restrictions_vocabulary",
    "contact_point",
    "publisher",
    "date_of_issue",
    "modification_date",
), "_dataset_flags returns its values in this order"


def _dataset_flags(record: DatasetRecord) -> tuple[bool, ...]:
    """Whether ``record`` meets each dataset-level indicator (``_DATASET_KEYS`` order)."""
    dcat_ap = bool(
        record.title
        and record.description
        and record.distributions
        and all(d.url or d.access_url for d in record.distributions)
    )
    rights = access_rights(record)
    vocab_access = bool(rights) and any(v in str(rights).lower() for v in ACCESS_VOCAB)
    return (
        bool(record.keywords),
        bool(record.themes),
        bool(record.spatial),
        bool(record.temporal),
        dcat_ap,
        rights is not None,
        vocab_access,
        bool(record.contact),
        bool(record.publisher),
        bool(record.issued),
        bool(record.modified),
    )


@dataclass(slots=True)
class IndicatorResult:
    indicator: Indicator
    met: int  # units meeting it
    units: int  # units measured (datasets: 1; distributions: how many were measured)
    failing: list[int] = field(default_factory=list)  # 1-based distribution positions failing

    @property
    def measured(self) -> bool:
        return self.units > 0

    @property
    def share(self) -> float:
        return self.met / self.units if self.units else 0.0

    @property
    def points(self) -> float:
        return self.indicator.points * self.share


@dataclass(slots=True)
class MqaResult:
    indicators: list[IndicatorResult]

    @property
    def points(self) -> float:
        return sum(r.points for r in self.indicators if r.measured)

    @property
    def max_points(self) -> int:
        return sum(r.indicator.points for r in self.indicators if r.measured)

    @property
    def score_405(self) -> float:
        """Points on MQA's 405 scale (unmeasured indicators scaled out)."""
        points = 0.0  # one pass: the same sums as ``points`` and ``max_points``
        max_points = 0
        for r in self.indicators:
            if r.units > 0:
                points += r.indicator.points * (r.met / r.units)
                max_points += r.indicator.points
        return points / max_points * MQA_TOTAL if max_points else 0.0

    def to_dict(self) -> dict[str, Any]:
        dims: dict[str, dict[str, float]] = {}
        for r in self.indicators:
            if not r.measured:
                continue
            d = dims.setdefault(r.indicator.mqa_dimension, {"points": 0.0, "max_points": 0.0})
            d["points"] += r.points
            d["max_points"] += r.indicator.points
        return {
            "points": round(self.points, 2),
            "max_points": self.max_points,
            "score_405": round(self.score_405, 1),
            "band": band_of(self.score_405),
            "dimensions": {
                k: {"points": round(v["points"], 2), "max_points": v["max_points"]} for k, v in dims.items()
            },
            "indicators": {
                r.indicator.key: (round(r.share, 4) if r.measured else None) for r in self.indicators
            },
        }


_DATASET_INDICATORS = tuple(i for i in INDICATORS if i.level == "dataset")
_DIST_INDICATORS = tuple(i for i in INDICATORS if i.level == "distribution")
_POSITION = {ind.key: n for n, ind in enumerate(INDICATORS)}


def evaluate(record: DatasetRecord, links: Links | None = None) -> MqaResult:
    """Which indicators ``record`` meets (pure)."""
    out: list[IndicatorResult | None] = [None] * len(INDICATORS)
    for ind, ok in zip(_DATASET_INDICATORS, _dataset_flags(record), strict=True):
        out[_POSITION[ind.key]] = IndicatorResult(ind, int(ok), 1)
    flags = _dist_flags(record, links)
    if not flags:
        # nothing to link to, no format: a dataset without distributions meets none of them,
        # except link statuses, which cannot be measured
        for ind in _DIST_INDICATORS:
            out[_POSITION[ind.key]] = IndicatorResult(
                ind, 0, 0 if ind.key.endswith("_status") and links is None else 1
            )
    else:
        for ind, column in zip(_DIST_INDICATORS, zip(*flags, strict=True), strict=True):
            met = column.count(True)  # the flags are True, False or None (not measured)
            units = len(column) - column.count(None)
            failing = [pos for pos, got in enumerate(column, start=1) if got is False] if met < units else []
            out[_POSITION[ind.key]] = IndicatorResult(ind, met, units, failing)
    return MqaResult([r for r in out if r is not None])


def catalog_mqa(results: Iterable[MqaResult]) -> dict[str, Any]:
    """The catalog's MQA value: per indicator, points × the share of the catalog's units (datasets,
    or distributions for distribution-level indicators) meeting it."""
    met: dict[str, int] = {i.key: 0 for i in INDICATORS}
    units: dict[str, int] = {i.key: 0 for i in INDICATORS}
    datasets = 0
    for res in results:
        datasets += 1
        for r in res.indicators:
            met[r.indicator.key] += r.met
            units[r.indicator.key] += r.units
    indicators: dict[str, Any] = {}
    total = 0.0
    max_points = 0
    dims: dict[str, dict[str, float]] = {}
    for ind in INDICATORS:
        if not units[ind.key]:
            indicators[ind.key] = None
            continue
        share = met[ind.key] / units[ind.key]
        value = ind.points * share
        total += value
        max_points += ind.points
        indicators[ind.key] = {"share": round(share, 4), "points": round(value, 2), "of": ind.points}
        d = dims.setdefault(ind.mqa_dimension, {"points": 0.0, "max_points": 0.0})
        d["points"] += value
        d["max_points"] += ind.points
    score_405 = total / max_points * MQA_TOTAL if max_points else 0.0
    return {
        "datasets": datasets,
        "points": round(total, 2),
        "max_points": max_points,
        "score_405": round(score_405, 1),
        "band": band_of(score_405),
        "dimensions": {
            k: {"points": round(v["points"], 2), "max_points": v["max_points"]} for k, v in dims.items()
        },
        "indicators": indicators,
    }
