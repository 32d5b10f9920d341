"""Latitude and longitude written in each other's column.

A row's pair is swapped when its latitude cannot be one (beyond ±90) while its longitude could
be (within ±90), or, in a regional table (all points within a few degrees of each other), when
the row's latitude sits where the table's longitudes are and its longitude where the latitudes
are: lat −73.98 / lon 40.75 in a New York table, lat 116.4 / lon 39.9 in a Chinese one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from profilers.semantic.detect import sample
from profilers.semantic.run import numbers

if TYPE_CHECKING:
    from profilers.context import Table

REGIONAL_MAD = 2.0
"""A table is regional when the median absolute deviation of both its latitudes and its
longitudes is at most 2 degrees (a city, a province); world-wide tables have points everywhere,
so a pair near the other column's centre proves nothing there."""
TOLERANCE_MADS = 10.0
MIN_TOLERANCE = 0.5
"""Near a centre: within 10 MADs of it, and at least half a degree (a city's MAD is 0.05°)."""
MIN_PAIRS = 10
"""Regional centres need at least this many sampled pairs."""


@dataclass(frozen=True, slots=True)
class Swapped:
    lat: str
    lon: str
    rows: pl.DataFrame
    """``__row``, the latitude and the longitude of each swapped row, in row order."""


def swapped_pairs(table: Table) -> Swapped | None:
    """The rows whose latitude and longitude are swapped, for the first latitude and the first
    longitude column (None when the table has no such pair or no row is swapped)."""
    lats = [s.col for s in table.semantic.values() if s.kind == "latitude"]
    lons = [s.col for s in table.semantic.values() if s.kind == "longitude"]
    if not lats or not lons:
        return None
    lat_c, lon_c = lats[0], lons[0]
    # The columns cast once (shared with out-of-range), then the ranges: most tables have no
    # swapped row, and the ranges prove it without a pass per rule.
    frame = numbers(table, [lat_c, lon_c])
    lat, lon = pl.col(lat_c), pl.col(lon_c)
    r = frame.select(
        lat.min().alias("lat_min"),
        lat.max().alias("lat_max"),
        lon.min().alias("lon_min"),
        lon.max().alias("lon_max"),
    ).row(0, named=True)
    if r["lat_min"] is None or r["lon_min"] is None:
        return None
    rules: list[pl.Expr] = []
    if max(abs(r["lat_min"]), abs(r["lat_max"])) > 90:
        rules.append((lat.abs() > 90) & (lon.abs() <= 90))
    centres = sample(frame).select(
        lat.median().alias("lat"),
        lon.median().alias("lon"),
        (lat - lat.median()).abs().median().alias("lat_mad"),
        (lon - lon.median()).abs().median().alias("lon_mad"),
        (lat.is_not_null() & lon.is_not_null()).sum().alias("pairs"),
    )
    c = centres.row(0, named=True)
    if (
        c["pairs"] >= MIN_PAIRS
        and c["lat_mad"] is not None
        and max(c["lat_mad"], c["lon_mad"]) <= REGIONAL_MAD
    ):
        tol = max(MIN_TOLERANCE, TOLERANCE_MADS * max(c["lat_mad"], c["lon_mad"]))
        # The two centres must be told apart: each point near one is far from the other.
        reach = (
            r["lat_min"] <= c["lon"] + tol
            and r["lat_max"] >= c["lon"] - tol
            and r["lon_min"] <= c["lat"] + tol
            and r["lon_max"] >= c["lat"] - tol
        )
        if abs(c["lat"] - c["lon"]) > 2 * tol and reach:
            rules.append(((lat - c["lon"]).abs() <= tol) & ((lon - c["lat"]).abs() <= tol))
    if not rules:
        return None
    rows = frame.filter(pl.any_horizontal(rules).fill_null(False)).get_column("__row")
    if not rows.len():
        return None
    # The values as written (a float prints 39.90 as 39.9).
    found = table.stripped.select("__row", lat_c, lon_c).filter(pl.col("__row").is_in(rows.implode()))
    return Swapped(lat_c, lon_c, found)
