"""The catalogue of finding codes (``profilers.codes``) is the one place a code's texts and rubric class
live; the weights hold numbers only, and the two cover the same codes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import pytest

from profilers.codes import OTHER_CODES, RUBRIC_CLASSES, catalogue
from profilers.registry import registry
from scoring import SCORING_VERSION, load_weights
from scoring.model import Weights

CJK = re.compile(r"[\u4e00-\u9fff]")
TEXT_KEYS_ALLOWED = {"reason", "about", "name", "title_en", "title_zh"}
"""Strings the weights may hold: reasons next to numbers, and the band names (bands are not codes)."""


def _weights_json() -> dict[str, Any]:
    raw = files("scoring").joinpath("weights", f"v{SCORING_VERSION}.json").read_text(encoding="utf-8")
    return dict(json.loads(raw))


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}/{i}")
    elif isinstance(node, str):
        yield path, node


def test_every_code_has_both_languages_a_dimension_and_a_class() -> None:
    for code, info in catalogue().items():
        assert info.title.strip() and not CJK.search(info.title[0]), code
        assert info.fix.strip(), code
        assert CJK.search(info.title_zh) and CJK.search(info.fix_zh), code
        assert info.rubric in (*RUBRIC_CLASSES, None), code
        if info.rubric is None:  # only faults of the catalog record bound no band
            assert info.dimension in ("metadata", "accessibility", "openness", "timeliness", "consistency"), (
                code
            )


def test_every_check_declares_its_texts_and_class_on_the_decorator() -> None:
    for code, spec in registry().items():
        assert spec.title_zh and spec.fix_zh and spec.rubric in RUBRIC_CLASSES, code
        assert catalogue()[code].check, code
    assert not {i.code for i in OTHER_CODES} & set(registry())


def test_weights_hold_numbers_only() -> None:
    raw = _weights_json()
    for path, text in _strings(raw):
        key = path.rsplit("/", 1)[-1]
        top = path.split("/")[1]
        allowed = key in TEXT_KEYS_ALLOWED and (top == "bands" or key in ("reason", "about"))
        # a rubric class or a code named as data (fatal codes, class thresholds) is a value, not a text
        named = text in catalogue() or text in RUBRIC_CLASSES or key == "version"
        assert allowed or named, f"text field in the weights: {path} = {text!r}"


def test_weights_and_catalogue_cover_the_same_codes() -> None:
    raw = _weights_json()
    assert set(raw["codes"]) == set(catalogue())
    assert set(load_weights().codes) == set(catalogue())
    raw["codes"]["no-such-code"] = raw["codes"]["whitespace"]
    with pytest.raises(ValueError, match="no-such-code"):
        Weights.from_dict(raw)
    del raw["codes"]["no-such-code"]
    del raw["codes"]["whitespace"]  # a new check without numbers yet costs by its severity
    assert Weights.from_dict(raw).codes["whitespace"].rule == load_weights().defaults["warning"]


def test_texts_reach_the_weights_from_the_catalogue() -> None:
    spec = load_weights().codes["title-rows"]
    info = catalogue()["title-rows"]
    assert (spec.title_en, spec.title_zh, spec.fix_en, spec.fix_zh, spec.dimension) == (
        info.title,
        info.title_zh,
        info.fix,
        info.fix_zh,
        info.dimension,
    )
