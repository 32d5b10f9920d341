"""Helpers shared by the catalog adapters: reading a source (URL through the guarded fetcher, or
a local file, gzip allowed), normalising dates, frequencies, formats and text."""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.ingest.fetch import Fetcher
from app.ingest.fetch import is_url as is_url  # the one URL test, shared with the adapters
from profilers import jsontext

MAX_CATALOG_BYTES = 256 * 1024 * 1024


class CatalogError(Exception):
    """A catalog that cannot be harvested (an error envelope, an unknown shape, a refused URL).
    ``code`` is a stable kebab-case string."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def read_bytes(source: str | Path, fetcher: Fetcher | None = None) -> bytes:
    """The bytes of a local file or of a URL (through ``fetcher``), at most MAX_CATALOG_BYTES
    either way; gzip is undone (within the same cap)."""
    if isinstance(source, str) and is_url(source):
        if fetcher is None:
            raise CatalogError("fetcher-required", f"{source} is a URL: fetching needs a Fetcher")
        data = fetcher.get_bytes(source, max_bytes=MAX_CATALOG_BYTES)
    else:
        with Path(source).open("rb") as fh:
            data = fh.read(MAX_CATALOG_BYTES + 1)
        if len(data) > MAX_CATALOG_BYTES:
            raise CatalogError("too-large", f"{Path(source).name} is larger than {MAX_CATALOG_BYTES} bytes")
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(MAX_CATALOG_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise CatalogError("invalid-catalog", f"the catalog is not valid gzip: {exc}") from exc
        if len(data) > MAX_CATALOG_BYTES:
            raise CatalogError("too-large", f"the catalog unpacks to more than {MAX_CATALOG_BYTES} bytes")
    return data


def load_json_bytes(data: bytes, where: str = "") -> Any:
    try:
        return jsontext.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogError("invalid-catalog", f"{where or 'the catalog'} is not JSON: {exc}") from exc


def text(value: Any) -> str | None:
    """A clean single string from a scalar, a list (first non-empty) or a dict with a name."""
    if value is None:
        return None
    if type(value) is str:  # the common case first
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("name", "title", "display_name", "fn", "@value", "label", "value"):
            if value.get(key):
                return text(value[key])
        return None
    if isinstance(value, list | tuple):
        for item in value:
            got = text(item)
            if got:
                return got
        return None
    out = str(value).strip()
    return out or None


def str_list(value: Any) -> list[str]:
    """Keywords/themes from a list, a comma/semicolon/、-separated string or a Python-list string
    (``"['xls', 'csv']"``, as some crawled Chinese portal exports store them)."""
    if value is None:
        return []
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("[") and s.endswith("]"):
            inner = s[1:-1]
            items = [p.strip().strip("'\"") for p in inner.split(",")]
        else:
            items = [p.strip() for p in re.split(r"[,，;；|]", s)]  # 、 joins words inside one label
        return [i for i in items if i]
    if isinstance(value, dict):
        got = text(value)
        return [got] if got else []
    if isinstance(value, Iterable):
        out: list[str] = []
        for item in value:
            got = text(item)
            if got:
                out.append(got)
        return out
    got = text(value)
    return [got] if got else []


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def iso_date(value: Any) -> str | None:
    """An ISO 8601 date or date-time string from the spellings portals use (``2022-6-27``,
    ``2021/03/01``, ``2023年8月1日``, epoch milliseconds); None when nothing date-like is there.
    Time and zone are kept when the value is already ISO 8601."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.utcfromtimestamp(seconds).strftime("%Y-%m-%dT%H:%M:%S")
        except (OverflowError, OSError, ValueError):
            return None
    s = str(value).strip()
    m = re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$", s)
    if m:
        return s.replace(" ", "T", 1) if m.group(1) else s
    for pat in _DATE_PATTERNS:
        m = pat.match(s)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d).isoformat()
            except ValueError:
                return None
    m = re.match(r"^(\d{4})-(\d{1,2})$", s) or re.match(r"^(\d{4})年(\d{1,2})月$", s)
    if m:
        y, mo = (int(g) for g in m.groups())
        if 1 <= mo <= 12:
            return f"{y:04d}-{mo:02d}"
    return None


# Frequencies normalise to ISO 8601 durations where one exists ("P1D", "P1M", "P1Y" …),
# "continuous" for real-time data, "irregular" for as-needed updates, "never" for closed series.
_EU_FREQUENCY = {
    "CONT": "continuous",
    "UPDATE_CONT": "continuous",
    "HOURLY": "PT1H",
    "DAILY": "P1D",
    "DAILY_2": "P0.5D",
    "WEEKLY": "P1W",
    "WEEKLY_2": "P0.5W",
    "WEEKLY_3": "P0.33W",
    "BIWEEKLY": "P2W",
    "MONTHLY": "P1M",
    "MONTHLY_2": "P0.5M",
    "MONTHLY_3": "P0.33M",
    "BIMONTHLY": "P2M",
    "QUARTERLY": "P3M",
    "ANNUAL": "P1Y",
    "ANNUAL_2": "P6M",
    "ANNUAL_3": "P4M",
    "BIENNIAL": "P2Y",
    "TRIENNIAL": "P3Y",
    "QUADRENNIAL": "P4Y",
    "QUINQUENNIAL": "P5Y",
    "DECENNIAL": "P10Y",
    "IRREG": "irregular",
    "AS_NEEDED": "irregular",
    "NOT_PLANNED": "never",
    "NEVER": "never",
    "OTHER": "irregular",
    "UNKNOWN": None,
}
_WORD_FREQUENCY = {
    "realtime": "continuous",
    "real-time": "continuous",
    "continuous": "continuous",
    "continual": "continuous",
    "hourly": "PT1H",
    "daily": "P1D",
    "weekly": "P1W",
    "fortnightly": "P2W",
    "biweekly": "P2W",
    "monthly": "P1M",
    "quarterly": "P3M",
    "biannually": "P6M",
    "semiannual": "P6M",
    "annual": "P1Y",
    "annually": "P1Y",
    "yearly": "P1Y",
    "irregular": "irregular",
    "as needed": "irregular",
    "as required": "irregular",
    "never": "never",
    "实时": "continuous",
    "每小时": "PT1H",
    "每日": "P1D",
    "每天": "P1D",
    "每周": "P1W",
    "每两周": "P2W",
    "每半月": "P2W",
    "每月": "P1M",
    "每季度": "P3M",
    "每季": "P3M",
    "每半年": "P6M",
    "每年": "P1Y",
    "每两年": "P2Y",
    "日": "P1D",
    "每日一次": "P1D",
    "周": "P1W",
    "月": "P1M",
    "每月一次": "P1M",
    "季度": "P3M",
    "季": "P3M",
    "半年": "P6M",
    "年": "P1Y",
    "每年一次": "P1Y",
    "其他": "irregular",
    "不定期": "irregular",
    "不定时": "irregular",
    "按需": "irregular",
    "不更新": "never",
    "静态": "never",
}


def frequency(value: Any) -> str | None:
    """Normalise a declared update frequency (ISO 8601 ``R/P1Y``, an EU frequency IRI, an English
    or Chinese word). Unknown spellings are kept as they are."""
    s = text(value)
    if not s:
        return None
    m = re.match(r"^R/(P.+)$", s, re.IGNORECASE)
    if m:
        return m.group(1).upper()
    if re.match(r"^P(T?\d|\d)", s, re.IGNORECASE):
        return s.upper()
    tail = s.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    if tail.upper() in _EU_FREQUENCY and ("/" in s or s.isupper()):
        return _EU_FREQUENCY[tail.upper()]
    key = s.lower().strip()
    if key in _WORD_FREQUENCY:
        return _WORD_FREQUENCY[key]
    if tail.lower() in _WORD_FREQUENCY:
        return _WORD_FREQUENCY[tail.lower()]
    return s


def format_name(value: Any) -> str | None:
    """A declared format as a short upper-case name: ``.csv`` → CSV, ``text/csv`` → CSV, an EU
    file-type IRI → its last segment, ``zip+csv`` → ZIP+CSV."""
    s = text(value)
    if not s:
        return None
    return _format_name(s)


@lru_cache(maxsize=4096)
def _format_name(s: str) -> str | None:
    s = s.strip().rstrip("/")
    if "/" in s and s.startswith("http"):
        s = s.rsplit("/", 1)[-1]
    mt = {
        "text/csv": "CSV",
        "application/csv": "CSV",
        "application/json": "JSON",
        "application/geo+json": "GEOJSON",
        "application/vnd.geo+json": "GEOJSON",
        "application/vnd.ms-excel": "XLS",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
        "application/xml": "XML",
        "text/xml": "XML",
        "application/rdf+xml": "RDF",
        "text/turtle": "TTL",
        "application/pdf": "PDF",
        "text/html": "HTML",
        "application/zip": "ZIP",
        "application/x-parquet": "PARQUET",
        "application/vnd.apache.parquet": "PARQUET",
    }.get(s.lower())
    if mt:
        return mt
    return s.lstrip(".").upper() or None


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(str(value).strip().replace(",", "")))
    except (ValueError, OverflowError):  # OverflowError: "inf"
        return None


DECLARED_ROWS = "_odq_rows"
"""The key of ``DatasetRecord.raw`` holding the record count a catalog declares for a dataset
(``数据量``, ``数据条数``, ``记录数``, ``rows`` … in a manifest)."""


def declared_rows(record: Any) -> int | None:
    """The record count the catalog declares for ``record`` (a DatasetRecord or its dict), None
    when it declares none."""
    raw = record.get("raw") if isinstance(record, dict) else getattr(record, "raw", None)
    value = (raw or {}).get(DECLARED_ROWS) if isinstance(raw, dict) else None
    if value is None and isinstance(record, dict):
        value = record.get("declared_rows")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
