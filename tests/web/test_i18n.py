"""Every label exists in both languages; the language is chosen from the switch, the cookie and
Accept-Language, in that order; every finding code has titles and fixes in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.web.i18n import DIMENSION_FAULTS, DIMENSIONS, LABELS, LEVELS, SEVERITIES, parse_accept_language
from scoring import load_weights
from scoring.model import DIMENSIONS as SCORED_DIMENSIONS

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("table", [LABELS, DIMENSIONS, DIMENSION_FAULTS, SEVERITIES, LEVELS])
def test_every_label_has_both_languages(table: dict[str, tuple[str, str]]) -> None:
    for key, (en, zh) in table.items():
        assert en.strip() and zh.strip(), key
        assert en.count("{") == zh.count("{"), key  # same placeholders
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", zh)), key


def test_every_dimension_of_the_scoring_has_a_name() -> None:
    assert set(SCORED_DIMENSIONS) <= set(DIMENSIONS)
    assert set(SCORED_DIMENSIONS) <= set(DIMENSION_FAULTS)


def test_every_label_the_templates_use_exists() -> None:
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*'([a-z0-9_.]+)'[,)]""", template.read_text(encoding="utf-8")))
    assert used, "no t('…') calls found"
    assert sorted(used - set(LABELS)) == []


def test_templates_hold_no_untranslated_chinese() -> None:
    """Chinese text belongs in i18n.LABELS, except in explicit zh/en choices."""
    for template in TEMPLATES.glob("*.html"):
        for line in template.read_text(encoding="utf-8").splitlines():
            if HAN.search(line):
                assert "lang == 'zh'" in line, (template.name, line)


def test_every_weighted_code_has_titles_and_fixes_in_both_languages() -> None:
    for code, spec in load_weights().codes.items():
        assert spec.title_en and spec.title_zh and spec.fix_en and spec.fix_zh, code
        assert HAN.search(spec.title_zh), code


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9", "en"),
        ("en;q=0.5, zh-TW;q=0.8", "zh"),
        ("fr-FR, en;q=0.3, zh;q=0.2", "en"),
        ("zh;q=0, en;q=0.1", "en"),
        ("de-DE", None),
        ("", None),
        (None, None),
        ("zh-Hant-TW", "zh"),
        ("en;q=abc, zh;q=0.1", "zh"),
    ],
)
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert parse_accept_language(header) == expected
