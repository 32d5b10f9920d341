"""What a column is, decided cheaply: the shapes of an even sample of its values and its label
(Chinese or English). Only columns that qualify are then validated over every row.

A column qualifies for a kind when enough of its sampled real values have the kind's shape:
``share`` without a label hint, ``hinted_share`` when the label names the kind. Kinds whose
shape is common to many other things (six digits: a division code, a postcode or an amount)
need the label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from profilers.context import DATE_RE, DATETIME_RE, PLACEHOLDERS
from profilers.semantic.degrees import is_degrees
from profilers.semantic.vocab import AGGREGATES, ALL_FORMS

if TYPE_CHECKING:
    from profilers.context import Table

SAMPLE_ROWS = 2_000
"""Values looked at per column to decide its kind; the validation itself covers every row."""
SAMPLE_CELLS = 400_000
"""Wide tables sample fewer rows, so the sample stays under this many cells (at least 50 rows)."""


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    shape: str
    """Regex a sampled value must match to count for this kind (looser than valid)."""
    label: str | None
    """Regex on the column label that hints at the kind (case-insensitive)."""
    share: float | None
    """Share of sampled values with the shape that qualifies without a label hint (None: the
    label is required)."""
    hinted_share: float = 0.5


_ALNUM18 = r"^[0-9A-Za-z]{18}$"
KINDS: tuple[Kind, ...] = (
    Kind(
        "id-card",
        r"^[0-9]{17}[0-9Xx]$|^[0-9]{15}$",
        r"身份证|证件号|公民身份|id.?card|identity|citizen.?id|resident.?id",
        0.9,
    ),
    Kind(
        "credit-code",
        _ALNUM18,
        r"信用代码|统一社会|社会信用|uscc|credit.?code|unified.?social|机构代码|org(?:ani[sz]ation)?.?code",
        0.9,
    ),
    Kind(
        "org-code",
        r"^[0-9A-Za-z]{8}-?[0-9Xx]$",
        r"组织机构代码|机构代码|org(?:ani[sz]ation)?.?code",
        None,
    ),
    Kind(
        "division-code",
        r"^[0-9]{6}$|^[0-9]{12}$",
        r"行政区划|区划代码|区划编码|区划|adcode|xzqh|division.?code|admin.?code",
        None,
        0.8,
    ),
    Kind(
        "phone",
        r"^\+?[0-9][0-9\s\-()（）]{5,}[0-9]$",
        r"电话|手机|传真|联系方式|(?:^|[^a-z])(?:tel|phone|mobile|fax|cell)(?:[^a-z]|$)|phone|telephone",
        None,
        0.6,
    ),
    Kind("mobile", r"^1[3-9][0-9]{9}$", None, 0.9),
    Kind("email", r"^(?:mailto:)?[^\s@]+@[^\s@]+$", r"邮箱|电子邮件|e-?mail", 0.9),
    Kind(
        "url",
        r"^(?i:https?://|ftp://|www\.)",
        r"网址|网站|链接|主页|(?:^|[^a-z])(?:url|uri|website|homepage|link|href)(?:[^a-z]|$)",
        0.9,
    ),
    Kind(
        "postcode",
        r"^[0-9]{5}(?:-[0-9]{4})?$|^[0-9]{6}$",
        r"邮编|邮政编码|post.?code|postal|(?:^|[^a-z])zip",
        None,
        0.8,
    ),
)
KIND_BY_NAME = {k.name: k for k in KINDS}

LABEL_FLAGS = re.IGNORECASE

LATITUDE = re.compile(r"纬度|^lat$|latitude|(?:^|[^a-z])lat(?:[^a-z]|$)", LABEL_FLAGS)
LONGITUDE = re.compile(r"经度|^lon$|^lng$|longitude|(?:^|[^a-z])(?:lon|lng|long)(?:[^a-z]|$)", LABEL_FLAGS)
YEAR = re.compile(r"^(?:年份|年度|年|year|yr)$|(?:^|[^a-z])year(?:[^a-z]|$)|年份", LABEL_FLAGS)
COUNT = re.compile(
    r"人数|数量|个数|户数|次数|件数|人口|(?:^|[^a-z])(?:count|employees|population|qty|quantity|headcount)(?:[^a-z]|$)"
    r"|number.?of",
    LABEL_FLAGS,
)
SHARE = re.compile(
    r"占比|比重|百分比|构成|(?:^|[^a-z])(?:percent|percentage|pct|share)(?:[^a-z]|$)", LABEL_FLAGS
)
REGION = re.compile(r"省份|省|地区|区域|行政区|province|region", LABEL_FLAGS)
DATE_LABEL = re.compile(r"日期|时间|date|time|(?:^|[^a-z])day(?:[^a-z]|$)", LABEL_FLAGS)
SERIAL_LABEL = re.compile(r"日期|date|(?:^|[^a-z])day(?:[^a-z]|$)", LABEL_FLAGS)
"""Labels under which a column of plain numbers may be Excel serial dates. Narrower than
``DATE_LABEL``: 时间/time columns of numbers are more often durations (seconds, days)."""
SERIAL_SHAPE = r"^[1-7][0-9]{4}(?:\.[0-9]+)?$"
SERIAL_DAYS = (10_958, 73_050)
"""Excel serial numbers (days since 1899-12-30) from 1930-01-01 to 2099-12-31: five digits, the
fraction being the time of day. Only under a date label (or among real dates) are they dates;
elsewhere five-digit numbers are amounts, counts or codes."""
SERIAL_SHARE = 0.8
PERCENT_SHAPE = r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?\s*[%％]$"
"""A percentage written as text: ``45%``, ``-3.5 %``, ``12.5％``."""
PERCENT_SHARE = 0.8
DEGREES_SHARE = 0.8
"""A string column under a latitude or longitude label is one when this share of its values are
coordinates, written with degree signs (39.9°N, 116°23′) or as plain numbers."""
RATE = re.compile(r"率|(?:^|[^a-z])(?:rate|proportion)(?:[^a-z]|$)", LABEL_FLAGS)
UNBOUNDED_RATE = re.compile(
    r"增|减|涨|跌|降|变动|变化|同比|环比|利率|利润|毛利|收益|回报|负债|完成|溢价|换手|汇率|通胀|倍"
    r"|growth|change|increase|decrease|interest|return|yield|margin|profit|inflation|debt|completion"
    r"|exchange|turnover|(?:^|[^a-z])per(?:[^a-z]|$)",
    LABEL_FLAGS,
)
"""Rates that may be negative or above 100 %: growth and change (增长率, 同比), returns and
margins (收益率, 利润率), debt ratios (负债率), plan completion (完成率, often 105 %), exchange
and turnover rates. Ratios (a sex ratio of 105) are not percentages."""


def percent_label(label: str) -> bool:
    """A label under which a percentage lies between 0 and 100 %: a share (占比, percent) or a
    rate that is a share of a whole (合格率, 覆盖率, 就业率), not a change or a return."""
    return bool(SHARE.search(label) or RATE.search(label)) and not UNBOUNDED_RATE.search(label)


MIN_UNLABELLED = 5
"""Without a label hint, a kind needs at least this many sampled values to go by."""
REGION_SHARE = 0.6
REGION_HINTED_SHARE = 0.3
DATE_HINTED_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Semantic:
    kind: str
    field: int
    label: str
    style: str | None = None
    """A variant of the kind (postcode ``cn`` or ``us``)."""

    @property
    def col(self) -> str:
        return f"c{self.field}"


def _label_hint(pattern: str | None, label: str) -> bool:
    return bool(pattern) and re.search(pattern, label, LABEL_FLAGS) is not None  # type: ignore[arg-type]


def sample(frame: pl.DataFrame, rows: int = SAMPLE_ROWS) -> pl.DataFrame:
    """An even sample of about ``rows`` rows. ``gather`` by index, not ``gather_every``: on
    polars 2.1 the latter takes 10 s on a 5,000-column frame, the former 0.06 s."""
    n = frame.height
    return frame if n <= rows else frame.gather(pl.int_range(0, n, n // rows, eager=True))


def detect(table: Table) -> dict[str, Semantic]:
    """The semantic kind of each column that has one, keyed by column (``c1``…)."""
    if table.fatal or not table.labels or not table.rows:
        return {}
    cols = table.cols
    # The sample stacked into one column, so each shape's regex compiles once however wide the
    # table; wide tables get fewer rows per column.
    frame = sample(table.stripped, max(50, min(SAMPLE_ROWS, SAMPLE_CELLS // len(cols))))
    placeholders = pl.Series(PLACEHOLDERS).implode()
    forms = pl.Series(sorted(ALL_FORMS | AGGREGATES)).implode()
    v = pl.col("v")
    real_v = v.is_not_null() & (v.str.len_bytes() > 0) & ~v.is_in(placeholders)
    long = frame.select(cols).unpivot(variable_name="col", value_name="v")
    sums = long.group_by("col").agg(
        real_v.sum().alias("real"),
        *[(real_v & v.str.contains(k.shape)).sum().alias(k.name) for k in KINDS],
        (real_v & v.is_in(forms)).sum().alias("region"),
    )
    counts: dict[str, dict[str, int]] = {
        r["col"]: {k: int(x or 0) for k, x in r.items() if k != "col"} for r in sums.iter_rows(named=True)
    }
    # Shapes that count only under their labels (serial dates, percentages): measured on the
    # few columns so labelled.
    serial_labelled = [s for s in table.stats if SERIAL_LABEL.search(s.name)]
    labelled = {
        "serial": serial_labelled,
        "dated": serial_labelled,
        "percent": [s for s in table.stats if percent_label(s.name)],
        "degrees": [
            s
            for s in table.stats
            if s.type == "string" and (LATITUDE.search(s.name) or LONGITUDE.search(s.name))
        ],
    }
    labelled["marked"] = labelled["degrees"]
    shapes = {
        "serial": is_serial_date,
        "dated": lambda x: x.str.contains(f"(?:{DATE_RE})|(?:{DATETIME_RE})"),
        "percent": lambda x: x.str.contains(PERCENT_SHAPE),
        "degrees": lambda x: is_degrees(x) | x.str.contains(r"^[+-]?[0-9]+(?:\.[0-9]+)?$"),
        "marked": is_degrees,
    }
    exprs = []
    for name, fn in shapes.items():
        for s in labelled[name]:
            x = pl.col(f"c{s.field}")
            real_x = x.is_not_null() & (x.str.len_bytes() > 0) & ~x.is_in(placeholders)
            exprs.append((real_x & fn(x)).sum().alias(f"c{s.field}|{name}"))
    extra = frame.select(exprs).row(0, named=True) if exprs else {}
    for c in counts:
        counts[c].update({name: int(extra.get(f"{c}|{name}") or 0) for name in shapes})
    out: dict[str, Semantic] = {}
    for s in table.stats:
        c = f"c{s.field}"
        col_counts = counts.get(c, {})
        n_real = col_counts.get("real", 0)
        if n_real == 0:
            continue
        kind = _pick(s.name, s.type, col_counts, n_real)
        if kind is None:
            continue
        style = None
        if kind == "date" and s.type not in ("date", "datetime"):
            style = "serial"
        elif kind == "share" and s.type not in ("integer", "number"):
            style = "percent"
        elif kind in ("latitude", "longitude") and s.type not in ("integer", "number"):
            style = "degrees"
        elif kind == "postcode":
            style = "cn" if _six_digit_share(frame, c) >= 0.5 else "us"
        out[c] = Semantic(kind, s.field, s.name, style)
    return out


def is_serial_date(v: pl.Expr) -> pl.Expr:
    """The value has the shape of an Excel serial date in ``SERIAL_DAYS`` (days since 1899-12-30)."""
    days = v.cast(pl.Float64, strict=False)
    return v.str.contains(SERIAL_SHAPE) & (days >= SERIAL_DAYS[0]) & (days < SERIAL_DAYS[1] + 1)


def _six_digit_share(frame: pl.DataFrame, c: str) -> float:
    v = frame.get_column(c).drop_nulls()
    v = v.filter(v.str.len_bytes() > 0)
    if not v.len():
        return 0.0
    return int(v.str.contains(r"^[0-9]{6}$").sum()) / v.len()


def _pick(label: str, col_type: str, counts: dict[str, int], real: int) -> str | None:
    def qualifies(name: str) -> bool:
        k = KIND_BY_NAME[name]
        share = counts[name] / real
        if _label_hint(k.label, label):
            return share >= k.hinted_share
        return k.share is not None and real >= MIN_UNLABELLED and share >= k.share

    if col_type in ("date", "datetime"):
        return "date"
    if (
        SERIAL_LABEL.search(label)
        and counts["serial"]
        and counts["serial"] + counts["dated"] >= real * SERIAL_SHARE
        and (col_type in ("integer", "number") or counts["dated"])
    ):
        # 43831 under 日期/date, alone or among written dates: an Excel serial number
        # (2020-01-01) whose cell lost its date format.
        return "date"
    if col_type in ("integer", "number") and not (_label_hint(KIND_BY_NAME["id-card"].label, label)):
        # Measures are measures: a numeric column is validated as a number (ranges), unless its
        # label says it holds identifiers or contacts.
        for name in ("phone", "division-code", "postcode", "id-card"):
            if _label_hint(KIND_BY_NAME[name].label, label) and qualifies(name):
                return name
        if real >= MIN_UNLABELLED and counts["mobile"] / real >= (KIND_BY_NAME["mobile"].share or 1.0):
            return "phone"
        return _numeric_kind(label)
    for name in ("id-card", "credit-code", "org-code", "division-code", "postcode", "email", "url", "phone"):
        if qualifies(name):
            # 18 characters of digits only are an ID card number unless the label says credit code.
            if name == "id-card" and _label_hint(KIND_BY_NAME["credit-code"].label, label):
                return "credit-code"
            return name
    if real >= MIN_UNLABELLED and counts["mobile"] / real >= (KIND_BY_NAME["mobile"].share or 1.0):
        return "phone"
    if (
        counts["marked"]
        and counts["degrees"] >= real * DEGREES_SHARE
        and (LATITUDE.search(label) or LONGITUDE.search(label))
    ):
        # 39.9°N, 116°23′ (among plain numbers or not) under a latitude or longitude label.
        return "latitude" if LATITUDE.search(label) else "longitude"
    if percent_label(label) and counts["percent"] >= real * PERCENT_SHARE:
        # 45% written as text, under a label that says the column is a share.
        return "share"
    region_share = counts["region"] / real
    if region_share >= REGION_SHARE or (REGION.search(label) and region_share >= REGION_HINTED_SHARE):
        return "region"
    return None


def _numeric_kind(label: str) -> str | None:
    if LATITUDE.search(label):
        return "latitude"
    if LONGITUDE.search(label):
        return "longitude"
    if YEAR.search(label):
        return "year"
    if SHARE.search(label):
        return "share"
    if COUNT.search(label):
        return "count"
    return None
