"""Vocabularies shipped as package data (``profilers/semantic/data``): province-level divisions
of China with their GB/T 2260 prefixes, official and short names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any


@dataclass(frozen=True, slots=True)
class Province:
    prefix: str
    official: str
    short: str
    kind: str


@cache
def _data() -> dict[str, Any]:
    text = files("profilers.semantic").joinpath("data", "provinces.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


PROVINCES: tuple[Province, ...] = tuple(
    Province(p["prefix"], p["official"], p["short"], p["kind"]) for p in _data()["provinces"]
)
PROVINCE_PREFIXES: frozenset[str] = frozenset(p.prefix for p in PROVINCES) | {_data()["national_prefix"]}
"""GB/T 2260 first two digits: the 34 province-level divisions, and 10 for national bodies
(central-level unified social credit codes carry 100000)."""
OFFICIAL_NAMES: frozenset[str] = frozenset(p.official for p in PROVINCES)
SHORT_NAMES: frozenset[str] = frozenset(p.short for p in PROVINCES)
AGGREGATES: frozenset[str] = frozenset(_data()["aggregates"])
"""Total rows that sit in a province column (全国, 合计): neither official nor short."""


REAL_HOMONYMS = frozenset({"吉林市"})
"""Short name + suffix forms that do exist at another level (吉林市 is a city in 吉林省)."""


def wrong_forms() -> dict[str, str]:
    """Names that do not exist, each with the official name meant: a short name plus the wrong
    level suffix (广西省, 北京省, 新疆自治区, 内蒙古省, 上海特别行政区 …)."""
    out: dict[str, str] = {}
    for p in PROVINCES:
        for suffix in ("省", "市", "自治区", "特别行政区"):
            name = p.short + suffix
            if name != p.official and name not in REAL_HOMONYMS:
                out[name] = p.official
    out["内蒙"] = "内蒙古自治区"
    out["内蒙省"] = "内蒙古自治区"
    return out


WRONG_FORMS: dict[str, str] = wrong_forms()


@cache
def division_codes() -> tuple[frozenset[str], frozenset[str]]:
    """The six-digit GB/T 2260 codes of ``data/gb2260.txt`` (``scripts/gen_gb2260.py`` writes
    it): those of the current list, and those of earlier revisions withdrawn since. Read on
    first use, not at import."""
    text = files("profilers.semantic").joinpath("data", "gb2260.txt").read_text(encoding="utf-8")
    current: set[str] = set()
    withdrawn: set[str] = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, status = line.split()
            (current if status == "c" else withdrawn).add(code)
    return frozenset(current), frozenset(withdrawn)


ALL_FORMS: frozenset[str] = OFFICIAL_NAMES | SHORT_NAMES | frozenset(WRONG_FORMS)
