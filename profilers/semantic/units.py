"""Numbers written with a unit or a multiplier: 12万, 3.5亿元, 800 元, 45%, 1,200 kg."""

from __future__ import annotations

import polars as pl

UNITS = (
    "亿千瓦小时|亿千瓦时|万千瓦小时|万千瓦时|千瓦小时|千瓦时|万千瓦|千瓦|亿立方米|万立方米|立方米|万吨标准煤|吨标准煤"
    "|万亿|亿元|万元|千元|百万|亿|万|千|元|美元|人民币|人次|人|个|户|家|次|件|台|辆|套|项|所|万吨|吨|公斤|千克|kg|t"
    "|平方公里|平方米|㎡|km²|km|公里|千米|米|m|亩|公顷|ha|小时|天|日|岁|%|％|‰"
)
NUMBER = r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
QUANTITY = rf"^{NUMBER}\s*(?:{UNITS})?$"
"""A number, bare or with one unit after it."""
_UNIT = rf"^{NUMBER}\s*({UNITS})$"


def unit_of(v: pl.Expr) -> pl.Expr:
    """The unit after a number ("" for a bare number)."""
    return v.str.extract(_UNIT, 1).fill_null("")
