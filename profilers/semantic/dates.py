"""Dates after the day a report is judged, in columns of past events (a registration date, a
publication date): a record cannot have been registered tomorrow.

Profilers have no clock: the service passes the reference date (``profile(table,
reference_date=...)``, the day the report is made) and without one nothing is judged, so the
same table always gives the same findings."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import polars as pl

from profilers.semantic.detect import LABEL_FLAGS, Semantic
from profilers.semantic.run import columns_of, real

if TYPE_CHECKING:
    from profilers.context import Table

PAST_EVENT = re.compile(
    r"登记|注册|成立|设立|发布|公布|公开|统计|采集|录入|填报|上报|报送|受理|办结|立案|结案|发生|出生|签发|颁发|发证"
    r"|批准|核准|审批|审核|备案|检查|抽检|处罚|决定|事故|入库|创建|更新|修改|生成|提交|申请|开业|竣工|完成|撤销|注销|缴费|支付"
    r"|(?:^|[^a-z])(?:created?|creation|registered|registration|published|publication|reported|recorded|issued?"
    r"|collected|inspected|inspection|incident|birth|filed|posted|submitted|updated|modified|received|approved"
    r"|founded|established|occurred|opened|closed|completed|entered|sale|sold|paid|payment|served|executed"
    r"|certified|disposition|violation|complaint|arrest|death|hired?)(?:[^a-z]|$)",
    LABEL_FLAGS,
)
"""Labels of dates of past events: registration, publication, statistics, inspection, sale,
payment, change."""
NOT_PAST = re.compile(
    r"有效期|有效|至|止|到期|截止|届满|期满|计划|预计|预期|拟|终止|结束|失效|下次|下一次|复审|复查|年检|换证|续期|期限|预约|排期"
    r"|(?:^|[^a-z])(?:expiry|expiration|expires?|expiring|valid|validity|until|due|end|ends|ending|planned|plan"
    r"|scheduled|target|deadline|next|renewal|renew|future|forecast|projected|estimated|to|by|hearing"
    r"|appointment)(?:[^a-z]|$)",
    LABEL_FLAGS,
)
"""Labels of dates that may lie ahead: validity (有效期至, valid until), expiry (到期), plans,
deadlines (截止日期, CertifyByDate), hearings, the next inspection. These win over
``PAST_EVENT`` (注册有效期至)."""

_DAY_FORMS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_AMBIGUOUS_FORMS = ("%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def past_event_column(label: str) -> bool:
    """The label names a date of a past event (``ISSUE_DATE`` and ``InspectionDate`` read as
    words)."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", label).replace("_", " ")
    return bool(PAST_EVENT.search(words)) and not NOT_PAST.search(words)


def as_date(v: pl.Expr, style: str | None = None) -> pl.Expr:
    """The earliest day a value can name, as a Date (null when it names none): the date part of
    a date or date-time in the forms portals use; ``03/04/2019`` read both ways; a month
    (``2019-05``, ``2019年5月``) as its first day; an Excel serial number (``style="serial"``)."""
    if style == "serial":
        days = v.cast(pl.Float64, strict=False).floor().cast(pl.Int64, strict=False)
        return pl.lit(EXCEL_EPOCH) + pl.duration(days=days)
    day = v.str.extract(r"^([^ T]+)")
    exact = [day.str.to_date(f, strict=False, exact=True) for f in _DAY_FORMS]
    ambiguous = pl.min_horizontal([day.str.to_date(f, strict=False, exact=True) for f in _AMBIGUOUS_FORMS])
    month = (
        day.str.extract(r"^([0-9]{4}(?:-|/|年)[0-9]{1,2})月?$").str.replace(r"[/年]", "-") + "-01"
    ).str.to_date("%Y-%m-%d", strict=False, exact=True)
    return pl.coalesce([*exact, ambiguous, month])


def future_dates(table: Table, reference: dt.date | None) -> dict[str, pl.DataFrame]:
    """Per date column of past events: the rows (``__row`` and the value) whose date is more
    than a day after ``reference`` (a UTC date: where the day has already begun, in Beijing at
    08:00 UTC, a record of that day is no error). Nothing without a reference date."""
    if reference is None:
        return {}
    cols: list[Semantic] = [s for s in columns_of(table, "date") if past_event_column(s.label)]
    if not cols:
        return {}
    frame = table.stripped
    out: dict[str, pl.DataFrame] = {}
    limit = pl.lit(reference + dt.timedelta(days=1), dtype=pl.Date)
    for s in cols:
        v = pl.col(s.col)
        if s.style == "serial":
            candidates = frame.select("__row", s.col)
        else:
            # Most dates start with their year: those of earlier years cannot be after the
            # reference date, and one slice proves it for them. The full parse (eleven forms)
            # runs on the rest: this year's and later, and the day-first forms.
            year = v.str.slice(0, 4).cast(pl.Int32, strict=False)
            candidates = frame.select("__row", s.col).filter((year >= reference.year) | year.is_null())
        candidates = candidates.filter(real(v))
        bad = candidates.filter((as_date(v, s.style) > limit).fill_null(False))
        if bad.height:
            out[s.col] = bad
    return out
