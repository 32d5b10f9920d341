"""The semantic validators against plain-Python references, with hypothesis: valid values are
generated with their check characters computed, then corrupted in one position. The Polars
expressions and the NumPy Series versions must agree with each other and with the reference."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profilers.semantic import validators as val
from profilers.semantic.vocab import PROVINCE_PREFIXES, PROVINCES, WRONG_FORMS

USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DIGITS = "0123456789"
PREFIXES = sorted(p.prefix for p in PROVINCES)


# ---- plain-Python references (the standards' own arithmetic, written out) ---------------------


def ref_id_check(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def ref_id_valid(s: str) -> bool:
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in DIGITS + "Xx":
        return False
    try:
        birth = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return s[:2] in PROVINCE_PREFIXES and 1880 <= birth.year <= 2099 and s[17].upper() == ref_id_check(s[:17])


def ref_uscc_check(body: str) -> str:
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    return USCC[(31 - sum(USCC.index(c) * w for c, w in zip(body, weights, strict=True)) % 31) % 31]


def ref_uscc_valid(s: str) -> bool:
    return len(s) == 18 and all(c in USCC for c in s) and s[2:8].isdigit() and s[17] == ref_uscc_check(s[:17])


def ref_org_check(body: str) -> str:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c = (11 - sum(int(ch, 36) * w for ch, w in zip(body, weights, strict=True)) % 11) % 11
    return "X" if c == 10 else str(c)


def by_expr(values: list[str], fn) -> list[bool]:  # type: ignore[no-untyped-def]
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(fn(pl.col("v"))).to_series().to_list()


def by_series(values: list[str], fn) -> list[bool]:  # type: ignore[no-untyped-def]
    return fn(pl.Series("v", values, dtype=pl.String)).to_list()


# ---- strategies ---------------------------------------------------------------------------------

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))


@st.composite
def id_cards(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(PREFIXES))
    rest = draw(st.text(DIGITS, min_size=4, max_size=4))
    birth = draw(birth_dates).strftime("%Y%m%d")
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    body = prefix + rest + birth + seq
    return body + ref_id_check(body)


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    head = draw(st.text(USCC, min_size=2, max_size=2))
    division = draw(st.sampled_from(PREFIXES)) + draw(st.text(DIGITS, min_size=4, max_size=4))
    tail = draw(st.text(USCC, min_size=9, max_size=9))
    body = head + division + tail
    return body + ref_uscc_check(body)


@st.composite
def corrupted(
    draw: st.DrawFn, valid: st.SearchStrategy[str], alphabet: str, digits_at: range = range(0)
) -> str:
    """A valid value with one position replaced by a different character of the alphabet."""
    s = draw(valid)
    i = draw(st.integers(0, len(s) - 1))
    choices = DIGITS if i in digits_at else alphabet
    c = draw(st.sampled_from([x for x in choices if x != s[i].upper()]))
    return s[:i] + c + s[i + 1 :]


# ---- GB 11643 ID cards ----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(id_cards(), min_size=1, max_size=30))
def test_generated_id_cards_are_valid(values: list[str]) -> None:
    assert all(ref_id_valid(v) for v in values)
    assert by_expr(values, val.valid_id_card) == [True] * len(values)
    assert by_series(values, val.id_card_series) == [True] * len(values)


@settings(max_examples=60, deadline=None)
@given(st.lists(corrupted(id_cards(), DIGITS), min_size=1, max_size=30))
def test_one_wrong_digit_makes_an_id_card_invalid(values: list[str]) -> None:
    # MOD 11-2 detects every single substitution; the check position may also become X.
    assert not any(ref_id_valid(v) for v in values)
    assert by_expr(values, val.valid_id_card) == [False] * len(values)
    assert by_series(values, val.id_card_series) == [False] * len(values)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(DIGITS + "Xx", min_size=18, max_size=18), min_size=1, max_size=40))
def test_id_card_implementations_agree_on_any_18_characters(values: list[str]) -> None:
    expected = [ref_id_valid(v) for v in values]
    assert by_expr(values, val.valid_id_card) == expected
    assert by_series(values, val.id_card_series) == expected


def test_id_card_birth_date_and_prefix() -> None:
    feb30 = "32010219850230123"
    bad_prefix = "99010519491231002"
    values = [
        "11010519491231002X",
        "11010519491231002x",
        feb30 + ref_id_check(feb30),
        bad_prefix + ref_id_check(bad_prefix),
        "110105491231002",  # old 15-digit form, born 1949-12-31
        "110105490231002",  # 15 digits, 31 February
    ]
    expected = [True, True, False, False, True, False]
    assert by_expr(values, val.valid_id_card) == expected
    assert by_series(values, val.id_card_series) == expected


# ---- GB 32100 credit codes ----------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(credit_codes(), min_size=1, max_size=30))
def test_generated_credit_codes_are_valid(values: list[str]) -> None:
    assert by_expr(values, val.valid_credit_code) == [True] * len(values)
    assert by_series(values, val.credit_code_series) == [True] * len(values)


@settings(max_examples=60, deadline=None)
@given(st.lists(corrupted(credit_codes(), USCC, digits_at=range(2, 8)), min_size=1, max_size=30))
def test_one_wrong_character_makes_a_credit_code_invalid(values: list[str]) -> None:
    # 31 is prime and no weight is a multiple of it: every single substitution is detected.
    assert not any(ref_uscc_valid(v) for v in values)
    assert by_expr(values, val.valid_credit_code) == [False] * len(values)
    assert by_series(values, val.credit_code_series) == [False] * len(values)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(USCC + "IOSVZ", min_size=17, max_size=19), min_size=1, max_size=40))
def test_credit_code_implementations_agree_on_any_string(values: list[str]) -> None:
    expected = [ref_uscc_valid(v) for v in values]
    assert by_expr(values, val.valid_credit_code) == expected
    assert by_series(values, val.credit_code_series) == expected


def test_published_credit_codes() -> None:
    assert by_series(["91350100M000100Y43", "12100000400010398P"], val.credit_code_series) == [True, True]


# ---- GB 11714 organisation codes ------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    st.text(DIGITS + "ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
    st.booleans(),
    st.integers(0, 7),
    st.integers(1, 9),
)
def test_organisation_codes(body: str, hyphen: bool, i: int, shift: int) -> None:
    code = body + ("-" if hyphen else "") + ref_org_check(body)
    assert by_expr([code], val.valid_org_code) == [True]
    # A digit changed by 1–9 changes the sum by a non-multiple of 11: detected.
    if body[i].isdigit():
        wrong = body[:i] + str((int(body[i]) + shift) % 10) + body[i + 1 :]
        if (int(body[i]) + shift) % 10 != int(body[i]):
            bad = wrong + ("-" if hyphen else "") + ref_org_check(body)
            assert by_expr([bad], val.valid_org_code) == [False]
    assert by_expr(["D2143569-X"], val.valid_org_code) == [True]


# ---- dates ----------------------------------------------------------------------------------------

FORMS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d/%m/%Y", "{y}年{m}月{d}日", "{y}/{m}/{d}", "%Y-%m-%d %H:%M:%S")


def fmt(d: dt.date, form: str) -> str:
    if "{" in form:
        return form.format(y=d.year, m=d.month, d=d.day)
    return dt.datetime(d.year, d.month, d.day, 13, 5, 9).strftime(form)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), st.sampled_from(FORMS)), min_size=1
    )
)
def test_real_dates_in_every_form_are_valid(dates: list[tuple[dt.date, str]]) -> None:
    values = [fmt(d, f) for d, f in dates]
    assert by_expr(values, val.valid_date) == [True] * len(values)


@settings(max_examples=60, deadline=None)
@given(st.integers(1900, 2099), st.integers(1, 12), st.integers(1, 40), st.sampled_from(["-", "/", "年"]))
def test_impossible_days_are_invalid(year: int, month: int, day: int, sep: str) -> None:
    try:
        dt.date(year, month, day)
        real = True
    except ValueError:
        real = False
    value = f"{year}年{month}月{day}日" if sep == "年" else f"{year}{sep}{month:02d}{sep}{day:02d}"
    assert by_expr([value], val.valid_date) == [real]


def test_impossible_months_times_and_compact_dates() -> None:
    values = ["2019-13-01", "20190230", "2019年13月", "2019-12-31 25:00", "20200229", "31/02/2019", "hello"]
    assert by_expr(values, val.valid_date) == [False, False, False, False, True, False, True]


# ---- phones, e-mail, URLs, division codes -----------------------------------------------------------

SEGMENTS = ["13", "145", "147", "150", "153", "155", "159", "162", "166", "170", "178", "18", "190", "199"]
"""Assigned mobile segments (a two-digit one takes any third digit)."""
mobiles = st.builds(
    lambda a, b: (a + b)[:11], st.sampled_from(SEGMENTS), st.text(DIGITS, min_size=9, max_size=9)
)


@settings(max_examples=50, deadline=None)
@given(mobiles, st.data())
def test_mobile_numbers_and_one_digit_dropped(number: str, data: st.DataObject) -> None:
    assert by_expr([number, f"+86 {number[:3]} {number[3:7]} {number[7:]}"], val.valid_phone) == [True, True]
    i = data.draw(st.integers(1, 10))  # a leading 4 or 8 would make a 400/800 number
    short = number[:i] + number[i + 1 :]
    assert by_expr([short], val.valid_phone) == [False]


@pytest.mark.parametrize("segment", ["140", "144", "154", "160", "161", "164", "169", "194"])
def test_mobile_numbers_outside_the_assigned_segments(segment: str) -> None:
    assert by_expr([f"{segment}12345678"], val.valid_phone) == [False]


def test_phone_forms() -> None:
    good = ["010-12345678", "(0755) 8888 9999", "400-810-8888", "12345", "(212) 555-1234", "+442071234567"]
    bad = ["1380013800", "138-0013-80a", "0", "电话"]
    assert by_expr(good, val.valid_phone) == [True] * len(good)
    assert by_expr(bad, val.valid_phone) == [False] * len(bad)


@settings(max_examples=50, deadline=None)
@given(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
    st.sampled_from(["cn", "com", "gov.cn", "org"]),
)
def test_emails(name: str, host: str, tld: str) -> None:
    address = f"{name}@{host}.{tld}"
    assert by_expr([address], val.valid_email) == [True]
    assert by_expr(
        [address.replace("@", ""), address.replace("@", "@@"), f"{name}@{host}"], val.valid_email
    ) == [
        False,
        False,
        False,
    ]


def test_urls() -> None:
    assert (
        by_expr(["https://www.gov.cn", "http://a.b/c?d=1#e", "ftp://x.org/f.csv"], val.valid_url)
        == [True] * 3
    )
    assert (
        by_expr(["www.gov.cn", "http//bad", "https://", "http://has space.cn"], val.valid_url) == [False] * 4
    )


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(PREFIXES), st.text(DIGITS, min_size=4, max_size=4))
def test_division_codes(prefix: str, rest: str) -> None:
    code = prefix + rest
    expected = not (rest[:2] == "00" and rest[2:] != "00")
    assert by_expr([code], val.valid_division_code) == [expected]
    assert by_expr(["99" + rest, code[:5]], val.valid_division_code) == [False, False]


def test_wrong_province_forms_name_an_official_one() -> None:
    assert WRONG_FORMS["广西省"] == "广西壮族自治区"
    assert WRONG_FORMS["北京省"] == "北京市"
    assert "吉林市" not in WRONG_FORMS  # a real city
    assert len(PROVINCES) == 34
