"""Vectorised validators: each takes a String expression (trimmed cells) and returns a Boolean
expression, True where the value is valid. Empty cells are the caller's business (they are
null-values or placeholders, never invalid values). Check-digit arithmetic runs as Polars
integer expressions over character slices: no Python per value."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from profilers.semantic.vocab import PROVINCE_PREFIXES, division_codes

# ---- dates -----------------------------------------------------------------------------------


def days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


def valid_ymd(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """A real calendar day (null components make the result null)."""
    return (month >= 1) & (month <= 12) & (day >= 1) & (day <= days_in_month(year, month))


_YMD = r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:$|[ T])"
_YMD_CN = r"^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日"
_YMD_COMPACT = r"^((?:1[89]|2[0-9])[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$"
"""Eight digits are a date only with a month and a day in range (as the type pattern has it):
20190230 is an impossible date, 20190001 a number."""
_DMY = r"^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4}|[0-9]{2})(?:$|[ T])"
_YM = r"^([0-9]{4})(?:-|/|年)([0-9]{1,2})月?$"
_TIME = r"[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"


def _grp(v: pl.Expr, pattern: str, i: int) -> pl.Expr:
    return v.str.extract(pattern, i).cast(pl.Int32, strict=False)


DATE_FAST = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
)
"""Forms tried in turn by a fast parse before the full test (``valid_date``) sees what is left:
each parse is a tenth of the cost of the full test, and most values take one of these forms."""


def parses_as_date(fmt: str) -> Callable[[pl.Expr], pl.Expr]:
    """A fast acceptance test: the value parses with ``fmt`` (chrono checks the calendar)."""

    def accept(v: pl.Expr) -> pl.Expr:
        if "%H" in fmt:
            return v.str.to_datetime(fmt, strict=False, exact=True).is_not_null()
        return v.str.to_date(fmt, strict=False, exact=True).is_not_null()

    return accept


def valid_date(v: pl.Expr, year_month: bool = True) -> pl.Expr:
    """False for a value that has the shape of a date but names no real day or time (month 13,
    30 February, 25:00); True for real dates and for values that are not dates at all (those
    are type errors, another check's business). Day-first and month-first forms (``03/04/2019``)
    are valid when either reading is a real day. ``year_month=False`` leaves ``2019-13`` alone
    (in a column not labelled as dates, year-number pairs are more often codes than months)."""
    ymd = [_grp(v, _YMD, i) for i in (1, 2, 3)]
    cn = [_grp(v, _YMD_CN, i) for i in (1, 2, 3)]
    compact = [_grp(v, _YMD_COMPACT, i) for i in (1, 2, 3)]
    a, b, y = (_grp(v, _DMY, i) for i in (1, 2, 3))
    ym_y, ym_m = _grp(v, _YM, 1), _grp(v, _YM, 2)
    hh, mm, ss = (_grp(v, _TIME, i) for i in (1, 2, 3))
    date_ok = (
        pl.when(ymd[0].is_not_null())
        .then(valid_ymd(*ymd))
        .when(cn[0].is_not_null())
        .then(valid_ymd(*cn))
        .when(compact[0].is_not_null())
        .then(valid_ymd(*compact))
        .when(y.is_not_null())
        .then(valid_ymd(y, b, a) | valid_ymd(y, a, b))
        .when(ym_y.is_not_null())
        .then(((ym_m >= 1) & (ym_m <= 12)) | (not year_month))
        .otherwise(True)
    )
    time_ok = (
        pl.when(hh.is_not_null()).then((hh <= 24) & (mm <= 59) & (ss.fill_null(0) <= 60)).otherwise(True)
    )
    return date_ok & time_ok


# ---- GB 11643 resident ID card -----------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_SHAPE = r"^[0-9]{17}[0-9Xx]$"
ID15_SHAPE = r"^[0-9]{15}$"


def id_card_check_char(v: pl.Expr) -> pl.Expr:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits of ``v``."""
    total = pl.sum_horizontal(
        [v.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(ID_WEIGHTS)]
    )
    return (total % 11).replace_strict(list(range(11)), list(ID_CHECK), return_dtype=pl.String)


def valid_id_card(v: pl.Expr) -> pl.Expr:
    """18 characters with the right check character, a real birth date (1880–2099) and a known
    province prefix; the old 15-digit form needs a real birth date (19yy) and a known prefix."""
    prefix_ok = v.str.slice(0, 2).is_in(list(PROVINCE_PREFIXES))
    year = v.str.slice(6, 4).cast(pl.Int32, strict=False)
    birth18 = valid_ymd(
        year, v.str.slice(10, 2).cast(pl.Int32, strict=False), v.str.slice(12, 2).cast(pl.Int32, strict=False)
    ) & year.is_between(1880, 2099)
    check18 = v.str.slice(17, 1).str.to_uppercase() == id_card_check_char(v)
    birth15 = valid_ymd(
        1900 + v.str.slice(6, 2).cast(pl.Int32, strict=False),
        v.str.slice(8, 2).cast(pl.Int32, strict=False),
        v.str.slice(10, 2).cast(pl.Int32, strict=False),
    )
    return (
        pl.when(v.str.contains(ID_SHAPE))
        .then(prefix_ok & birth18 & check18)
        .when(v.str.contains(ID15_SHAPE))
        .then(prefix_ok & birth15)
        .otherwise(False)
        .fill_null(False)
    )


# ---- GB 32100 unified social credit code ----------------------------------------------------------

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_SHAPE = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"


def _uscc_value(ch: pl.Expr) -> pl.Expr:
    """Value (0–30) of one GB 32100 character, from its base-36 value: the letters I, O, S, V
    and Z are not used, so each one below a letter shifts it down by one."""
    b = ch.str.to_integer(base=36, strict=False)
    return (
        b
        - (b > 18).cast(pl.Int64)
        - (b > 24).cast(pl.Int64)
        - (b > 28).cast(pl.Int64)
        - (b > 31).cast(pl.Int64)
    )


def credit_code_check_char(v: pl.Expr) -> pl.Expr:
    total = pl.sum_horizontal([_uscc_value(v.str.slice(i, 1)) * w for i, w in enumerate(USCC_WEIGHTS)])
    return ((31 - total % 31) % 31).replace_strict(list(range(31)), list(USCC_CHARS), return_dtype=pl.String)


def valid_credit_code(v: pl.Expr) -> pl.Expr:
    """18 characters of the GB 32100 alphabet, digits in positions 3–8 (the division code) and
    the right check character in position 18."""
    return (v.str.contains(USCC_SHAPE) & (v.str.slice(17, 1) == credit_code_check_char(v))).fill_null(False)


# ---- GB 11714 organisation code -------------------------------------------------------------------

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_SHAPE = r"^[0-9A-Z]{8}-?[0-9X]$"


def org_code_check_char(v: pl.Expr) -> pl.Expr:
    total = pl.sum_horizontal(
        [v.str.slice(i, 1).str.to_integer(base=36, strict=False) * w for i, w in enumerate(ORG_WEIGHTS)]
    )
    c = (11 - total % 11) % 11
    return pl.when(c == 10).then(pl.lit("X")).otherwise(c.cast(pl.String))


def valid_org_code(v: pl.Expr) -> pl.Expr:
    """Eight digits or capital letters, an optional hyphen and the GB 11714 check character."""
    return (v.str.contains(ORG_SHAPE) & (v.str.slice(-1, 1) == org_code_check_char(v))).fill_null(False)


# ---- GB/T 2260 administrative division code ---------------------------------------------------------

DIVISION_SHAPE = r"^[0-9]{6}$"


def valid_division_code(v: pl.Expr) -> pl.Expr:
    """Six digits, a province prefix that exists, and no county part under a province-level code
    (``XX00YY`` is not a code): the shape alone. ``listed_division_code`` checks membership."""
    return (
        v.str.contains(DIVISION_SHAPE)
        & v.str.slice(0, 2).is_in(list(PROVINCE_PREFIXES))
        & ~((v.str.slice(2, 2) == "00") & (v.str.slice(4, 2) != "00"))
    ).fill_null(False)


def listed_division_code(v: pl.Expr, withdrawn: bool = True) -> pl.Expr:
    """Six digits in the shipped GB/T 2260 list: the current codes and, unless ``withdrawn`` is
    False, the codes of the 2002–2014 revisions withdrawn since (they are right in historical
    records: a 2010 table of counties carries the 2010 codes)."""
    current, old = division_codes()
    codes = current | old if withdrawn else current
    return v.is_in(pl.Series(sorted(codes), dtype=pl.String).implode()).fill_null(False)


# ---- phones, e-mail, URLs, postcodes ----------------------------------------------------------------

MOBILE = r"1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-9]|8[0-9]|9[0-35-9])[0-9]{8}"
"""A mainland mobile number by the segments MIIT has assigned: 13x, 145-149, 150-153 and 155-159,
162/165-167, 17x, 18x, 190-193 and 195-199 (no 154, 160, 194 …)."""
_PHONE_ONE = (
    rf"(?:{MOBILE}"  # mainland mobile
    r"|0[1-9][0-9]{1,2}[0-9]{7,8}"  # area code + number
    r"|[2-9][0-9]{6,7}"  # local number
    r"|[48]00[0-9]{7}"  # 400/800 service numbers
    r"|1[0-9]{2}|1[0-9]{4}"  # short service numbers (110, 12345)
    r"|(?:1)?[2-9][0-9]{2}[2-9][0-9]{6}"  # NANP
    r"|\+[1-9][0-9]{6,14})"  # E.164
    r"(?:(?:转|ext\.?|x|#)[0-9]{1,6})?"
)
PHONE_SEPARATORS = r"[\s\-().（）]"
PHONE_LIST = rf"^(?:\+?86)?{_PHONE_ONE}(?:[,，;；、/]+(?:\+?86)?{_PHONE_ONE})*$"


def valid_phone(v: pl.Expr) -> pl.Expr:
    """One phone number or a list of them (separated by 、 , ; /): mainland mobile (11 digits,
    1[3-9]), a landline with or without its area code, a 400/800 number, a short service number,
    a North American number or E.164; spaces, hyphens and brackets inside a number are ignored."""
    compact = v.str.replace_all(PHONE_SEPARATORS, "").str.replace(r"^00", "+")
    # Eleven bare digits from 13-19 are a mobile number, judged by its segment (not as a North
    # American number that happens to have the same length).
    bare_mobile = v.str.contains(r"^1[3-9][0-9]{9}$") & ~v.str.contains(rf"^{MOBILE}$")
    return (compact.str.contains(PHONE_LIST) & ~bare_mobile).fill_null(False)


def common_phone(v: pl.Expr) -> pl.Expr:
    """A fast acceptance test for the common forms: a mobile number, or 0AA(A)-NNNNNNN(N)."""
    return v.str.contains(rf"^{MOBILE}$|^0[1-9][0-9]{{1,2}}-[2-9][0-9]{{6,7}}$").fill_null(False)


EMAIL = r"^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"


def plain_email(v: pl.Expr) -> pl.Expr:
    """A fast acceptance test: a plain ASCII address (no leading, trailing or double dot)."""
    return v.str.contains(
        r"^[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"
    ).fill_null(False)


def valid_email_one(v: pl.Expr) -> pl.Expr:
    """One address: name@domain.tld in ASCII; a dot may not start, end or double in the name."""
    v = v.str.strip_prefix("mailto:")
    return (v.str.contains(EMAIL) & ~v.str.contains(r"^\.|\.\.|\.@")).fill_null(False)


def valid_email(v: pl.Expr) -> pl.Expr:
    """One address, or a list of them separated by ; , or white space, each valid."""
    many = (
        v.str.replace_all(r"[;,；，\s]+", ";")
        .str.strip_chars(";")
        .str.split(";")
        .list.eval(valid_email_one(pl.element()))
        .list.all()
    )
    return pl.when(v.str.contains(r"[;,；，\s]")).then(many).otherwise(valid_email_one(v)).fill_null(False)


URL = r"^(?i:https?|ftp)://(?:[^\s/?#@:]+(?::[^\s/?#@]*)?@)?(?:[A-Za-z0-9\-\p{L}]+(?:\.[A-Za-z0-9\-\p{L}]+)+|localhost|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?(?:[/?#][^\s]*)?$"


def valid_url(v: pl.Expr) -> pl.Expr:
    """An absolute http(s) or ftp URL with a host name (or an IP literal) and no white space."""
    return v.str.contains(URL).fill_null(False)


POSTCODE_CN = r"^[0-8][0-9]{5}$"
POSTCODE_US = r"^[0-9]{5}(?:-[0-9]{4})?$"


def valid_postcode(v: pl.Expr, style: str) -> pl.Expr:
    return v.str.contains(POSTCODE_CN if style == "cn" else POSTCODE_US).fill_null(False)


# ---- the check-digit arithmetic over whole Series ----------------------------------------------------
#
# The expressions above slice one character at a time (17 string columns per code column); the
# functions below view a column of fixed-width codes as an (n × width) byte matrix and do the same
# arithmetic on it in NumPy: about 30× faster on a million codes. Both give the same verdicts
# (tests/profilers/test_semantic_validators.py compares them with a plain-Python reference).


def _byte_matrix(s: pl.Series, width: int) -> np.ndarray:
    """Values that are all exactly ``width`` ASCII characters, as an (n, width) uint8 matrix."""
    return s.cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, width)).to_numpy()


def _on_shape(s: pl.Series, shape: str, width: int, judge: Callable[[np.ndarray], np.ndarray]) -> pl.Series:
    ok = np.zeros(s.len(), dtype=bool)
    fits = s.str.contains(shape).fill_null(False).to_numpy()
    if fits.any():
        ok[fits] = judge(_byte_matrix(s.filter(pl.Series(fits)), width))
    return pl.Series(s.name, ok)


_USCC_LUT = np.full(256, 99, dtype=np.int16)
for _i, _ch in enumerate(USCC_CHARS):
    _USCC_LUT[ord(_ch)] = _i
_USCC_W = np.array(USCC_WEIGHTS, dtype=np.float32)


def _uscc_judge(m: np.ndarray) -> np.ndarray:
    vals = _USCC_LUT[m]
    # Float32 products are exact here (the largest sum is 30 × 282).
    total = (vals[:, :17].astype(np.float32) @ _USCC_W).astype(np.int64)
    return np.asarray((31 - total % 31) % 31 == vals[:, 17])


def credit_code_series(s: pl.Series) -> pl.Series:
    """``valid_credit_code`` over a whole Series."""
    return _on_shape(s, USCC_SHAPE, 18, _uscc_judge)


_ID_W = np.array(ID_WEIGHTS, dtype=np.float32)
_ID_CHECK = np.array([ord(c) for c in ID_CHECK], dtype=np.uint8)
_PREFIXES = np.zeros(100, dtype=bool)
_PREFIXES[[int(p) for p in PROVINCE_PREFIXES]] = True
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _id_judge(m: np.ndarray) -> np.ndarray:
    d = m[:, :17].astype(np.int64) - 48
    total = (d.astype(np.float32) @ _ID_W).astype(np.int64)
    last = np.where(m[:, 17] == ord("x"), ord("X"), m[:, 17])
    check = _ID_CHECK[total % 11] == last
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    dim = _DAYS[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    birth = month_ok & (day >= 1) & (day <= dim) & (year >= 1880) & (year <= 2099)
    return np.asarray(check & birth & _PREFIXES[d[:, 0] * 10 + d[:, 1]])


def id_card_series(s: pl.Series) -> pl.Series:
    """``valid_id_card`` over a whole Series (15-digit numbers through the expression)."""
    out = _on_shape(s, ID_SHAPE, 18, _id_judge)
    old = s.str.contains(ID15_SHAPE).fill_null(False)
    if old.any():
        verdict = s.to_frame("v").select(valid_id_card(pl.col("v"))).to_series()
        out = pl.Series(s.name, np.where(old.to_numpy(), verdict.to_numpy(), out.to_numpy()))
    return out
