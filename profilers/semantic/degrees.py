"""Coordinates written with degree signs: ``39.9°``, ``116°23′``, ``39°54′27″N``, ``N39.9``,
``北纬39.9°``, ``东经116度23分``. Parsed to signed decimal degrees by one regex over the column
(a Polars expression, no Python per value), for the bounds and swapped-pair checks."""

from __future__ import annotations

import polars as pl

_HEMI = r"[NSEWnsew]|北纬|南纬|东经|西经|[北南东西]"
_NUM = r"[0-9]+(?:\.[0-9]+)?"
DEGREES = (
    rf"^({_HEMI})?\s*([+-])?\s*({_NUM})\s*(?:°|º|˚|度)?"
    rf"\s*(?:({_NUM})\s*(?:′|'|’|分))?"
    rf"\s*(?:({_NUM})\s*(?:″|\"|”|''|秒))?\s*({_HEMI})?$"
)
"""Hemisphere before or after, a sign, degrees, then optional minutes and seconds."""
MARKED = r"[°º˚度′’″”]|^(?:[NSEWnsew]|北纬|南纬|东经|西经)|(?:[0-9.]\s*)[NSEWnsew]$|[0-9]'"
"""The value carries a degree, minute or second mark or a hemisphere: not a plain number."""
DEGREES_SHAPE = rf"(?:{DEGREES})"


def is_degrees(v: pl.Expr) -> pl.Expr:
    """A coordinate written with marks (what a plain number cast cannot read)."""
    return v.str.contains(MARKED) & v.str.contains(DEGREES)


def parse_degrees(v: pl.Expr) -> pl.Expr:
    """Signed decimal degrees (null where the value is not a coordinate in these forms): south
    and west (S, W, 南纬, 西经) are negative; minutes and seconds must be below 60."""
    g = v.str.extract_groups(DEGREES)
    hemi = pl.coalesce(g.struct.field("1"), g.struct.field("6")).str.to_uppercase()
    deg = g.struct.field("3").cast(pl.Float64, strict=False)
    minutes = g.struct.field("4").cast(pl.Float64, strict=False)
    seconds = g.struct.field("5").cast(pl.Float64, strict=False)
    both = g.struct.field("1").is_not_null() & g.struct.field("6").is_not_null()
    south_west = hemi.is_in(["S", "W", "南纬", "西经", "南", "西"]).fill_null(False)
    negative = (g.struct.field("2") == "-").fill_null(False) != south_west
    value = deg + minutes.fill_null(0.0) / 60 + seconds.fill_null(0.0) / 3600
    ok = ~both & (minutes.fill_null(0.0) < 60) & (seconds.fill_null(0.0) < 60)
    return pl.when(ok).then(pl.when(negative).then(-value).otherwise(value))


def coordinate(v: pl.Expr, style: str | None) -> pl.Expr:
    """A latitude or longitude column as Float64: the plain cast, and for a column written with
    degree signs (``style="degrees"``) the degree parse where the cast fails."""
    plain = v.cast(pl.Float64, strict=False)
    return pl.coalesce(plain, parse_degrees(v)) if style == "degrees" else plain
