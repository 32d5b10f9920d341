"""A failing and a passing case for every registered check.

Each case is a tiny file, named after the defect it shows, with the status the check must give
and, for a failing case, the exact count and the (row, field) of every example it keeps (rows
as a spreadsheet shows them: title and header rows count). ``test_check_cases.py`` runs them and
fails when a registered check has no failing or no passing case here.
"""

from __future__ import annotations

from dataclasses import dataclass

Position = tuple[int | None, int | None]


@dataclass(frozen=True, slots=True)
class Case:
    code: str
    name: str
    """File name: what the file shows (its extension matters to format-mismatch)."""
    data: bytes
    status: str = "fail"
    """fail | pass | not-applicable"""
    count: int | None = None
    examples: tuple[Position, ...] | None = None
    """Exact (row, field) of the examples kept, in order."""
    values: tuple[str | None, ...] | None = None
    """Exact values of the examples, in order (when they matter)."""
    why: str = ""

    @property
    def id(self) -> str:
        return f"{self.code}:{self.status}:{self.name}"


def csv(*lines: str, encoding: str = "utf-8", end: str = "\n") -> bytes:
    return (end.join(lines) + end).encode(encoding)


# A clean table: 12 rows (more than low-capacity's 10), 4 columns with data, distinct values,
# no padding, no placeholders, no zeros. Most checks pass on it.
CLEAN = csv(
    "id,name,city,amount",
    "1,Alice,Beijing,120.5",
    "2,Bob,Shanghai,98.25",
    "3,Carol,Guangzhou,77.1",
    "4,Dan,Shenzhen,310.75",
    "5,Erin,Chengdu,45.5",
    "6,Frank,Wuhan,61.2",
    "7,Grace,Xi'an,83.9",
    "8,Heidi,Nanjing,150.3",
    "9,Ivan,Hangzhou,99.99",
    "10,Judy,Tianjin,12.4",
    "11,Mallory,Suzhou,56.7",
    "12,Niaj,Chongqing,201.6",
)
CLEAN_NAME = "clean-table.csv"


def clean(code: str, why: str = "a clean table") -> Case:
    return Case(code, CLEAN_NAME, CLEAN, status="pass", why=why)


def _gzip_declaring(data: bytes, size: int | None) -> bytes:
    """``data`` gzipped; with ``size`` its trailer declares that many inflated bytes instead."""
    import gzip

    packed = bytearray(gzip.compress(data, mtime=0))
    if size is not None:
        packed[-4:] = size.to_bytes(4, "little")
    return bytes(packed)


def _rows(n: int, fmt: str) -> list[str]:
    return [fmt.format(i=i, j=i * 7 % 13 + 1, k=i * 37.5 + 3) for i in range(1, n + 1)]


# ---- codes with check characters, computed here so the cases stay readable ----------------------

_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def id18(body: str) -> str:
    """A GB 11643 number: 17 digits and their check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def uscc(body: str) -> str:
    """A GB 32100 unified social credit code: 17 characters and their check character."""
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(_USCC.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + _USCC[(31 - total % 31) % 31]


def org9(body: str) -> str:
    """A GB 11714 organisation code: 8 characters, a hyphen and the check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c = (11 - sum(int(ch, 36) * w for ch, w in zip(body, weights, strict=True)) % 11) % 11
    return f"{body}-{'X' if c == 10 else c}"


FEB30 = id18("32010219850230123")
"""A number with the right check digit and a birth date of 30 February."""


FAILING: list[Case] = [
    Case(
        "blank-header",
        "blank-header.csv",
        csv("id,,city", "1,a,北京", "2,b,上海", "3,c,广州"),
        count=1,
        examples=((1, 2),),
    ),
    Case(
        "blank-row",
        "blank-rows.csv",
        csv("id,name,amount", "1,a,10", ",,", "2,b,20", "", "3,c,30"),
        count=2,
        examples=((3, None), (5, None)),
        why="a row of commas and an empty line both count as blank rows, at their own row numbers",
    ),
    Case(
        "constant-column",
        "constant-column.csv",
        csv("id,year,amount", *_rows(12, "{i},2020,{k}")),
        count=1,
        examples=((2, 2),),
        values=("2020",),
    ),
    Case(
        "duplicate-column",
        "duplicate-column.csv",
        csv("id,amount,amount_copy,city", "1,10,10,a", "2,25,25,b", "3,7,7,c", "4,13,13,d"),
        count=1,
        examples=((None, 3),),
    ),
    Case(
        "duplicate-header",
        "duplicate-headers.csv",
        csv("id,name,Name,name", "1,a,b,c", "2,d,e,f"),
        count=2,
        examples=((1, 3), (1, 4)),
        why="labels are compared case-insensitively; the first occurrence is not a duplicate",
    ),
    Case(
        "duplicate-row",
        "duplicate-rows.csv",
        csv("id,name", "1,a", "2,b", "1,a", "3,c", "2,b"),
        count=2,
        examples=((4, None), (6, None)),
    ),
    Case(
        "empty-column",
        "empty-column.csv",
        csv("id,note,name,remark", "1,,a,无", "2,,b,-", "3,,c,"),
        count=2,
        examples=((None, 2), (None, 4)),
        why="a column of empty cells and placeholders holds no data",
    ),
    Case("empty-file", "empty.csv", b"", count=1, examples=((None, None),)),
    Case(
        "empty-file",
        "whitespace-only.csv",
        b"\r\n  \n\t\n",
        count=1,
        examples=((None, None),),
    ),
    Case(
        "encoding-error",
        "invalid-utf8-row-3.csv",
        csv("编号,名称", "1,北京", "2,上海", "3,广州").replace("2,上".encode(), b"2,\xff\xe4\xb8\x8a"),
        count=1,
        examples=((3, None),),
        why="one stray byte in a UTF-8 file: still UTF-8, with the error at its record",
    ),
    Case(
        "extra-cell",
        "extra-cells.csv",
        csv("a,b", "1,2", "3,4,5,6", "7,8"),
        count=2,
        examples=((3, 3), (3, 4)),
        values=("5", "6"),
    ),
    Case(
        "footer-notes",
        "footer-notes.csv",
        csv(
            "地区,2020年,2021年",
            "北京市,36102.6,40269.6",
            "天津市,14083.7,15695.0",
            "河北省,36206.9,40391.3",
            "山西省,17651.9,22590.2",
            "注：2021年为初步核算数。,,",
            "数据来源：国家统计局,,",
        ),
        count=2,
        examples=((6, 1), (7, 1)),
    ),
    Case(
        "format-mismatch",
        "csv-text-named.xls",
        CLEAN,
        count=1,
        values=("xls → csv",),
        why="the Manchester case: CSV text saved with an .xls name",
    ),
    Case(
        "header-only",
        "header-only.csv",
        csv("id,name,amount"),
        count=1,
    ),
    Case(
        "legacy-encoding",
        "gb18030.csv",
        csv("地区,2019年,2020年", "北京市,35371.3,36102.6", "天津市,14104.3,14083.7", encoding="gb18030"),
        count=1,
        values=("gb18030",),
    ),
    Case(
        "low-capacity",
        "ten-rows.csv",
        csv("id,name,amount", *_rows(10, "{i},n{i},{k}")),
        count=1,
        why="ten data rows or fewer is a fragment",
    ),
    Case(
        "low-capacity",
        "four-rows-by-two-years.csv",
        csv("项目,2022年,2023年", "食品,10,11", "衣着,5,6", "居住,7,8", "交通,3,4"),
        count=1,
        why="a wide table of 4 rows × 2 years is 8 observations: still a fragment",
    ),
    Case(
        "missing-cell",
        "missing-cells.csv",
        csv("a,b,c", "1,2,3", "4", "5,6"),
        count=3,
        examples=((3, 2), (3, 3), (4, 3)),
    ),
    Case(
        "multi-row-header",
        "two-row-header.csv",
        csv(
            "地区,2019年,,2020年,",
            ",上半年,下半年,上半年,下半年",
            "北京市,1.5,2.5,3.5,4.5",
            "天津市,1.1,2.1,3.1,4.1",
            "河北省,1.2,2.2,3.2,4.2",
            "山西省,1.3,2.3,3.3,4.3",
        ),
        count=2,
        examples=((1, None), (2, None)),
    ),
    Case(
        "narrow-table",
        "two-columns.csv",
        csv("year,value", *_rows(12, "{i},{k}")),
        count=1,
    ),
    Case(
        "narrow-table",
        "three-columns-one-empty.csv",
        csv("year,value,note", *_rows(12, "{i},{k},")),
        count=1,
        why="an empty column does not count as a column with data",
    ),
    Case(
        "near-duplicate-row",
        "near-duplicate-rows.csv",
        csv("name,city,note", "Alice Smith,Beijing,x", "ALICE  SMITH,beijing,x", "Bob,Shanghai,y"),
        count=1,
        examples=((3, None),),
    ),
    Case(
        "near-duplicate-row",
        "near-duplicate-rows-new-id.csv",
        csv(
            "id,name,phone,email,city",
            "1,Alice Smith,13800000001,a@x.cn,Beijing",
            "2,Bob Li,13800000002,b@x.cn,Shanghai",
            "3,Carol Wu,13800000003,c@x.cn,Beijing",
            "4,Dan Xu,13800000004,d@x.cn,Shanghai",
            "5,Alice Smith,13800000001,a@x.cn,Beijing",
        ),
        count=1,
        examples=((6, None),),
    ),
    Case(
        "null-values",
        "null-values.csv",
        csv("id,name,phone", "1,a,123", "2,b,", "3,c,N/A", "4,d,456"),
        count=2,
        examples=((3, 3), (4, 3)),
    ),
    Case(
        "placeholder-value",
        "placeholder-values.csv",
        csv("id,name,phone", "1,张三,13800000000", "2,李四,暂无", "3,王五,-", "4,赵六,13900000000"),
        count=2,
        examples=((3, 3), (4, 3)),
        values=("暂无", "-"),
    ),
    Case(
        "sentinel-row",
        "sentinel-rows.csv",
        csv(
            "地区,2019年,2020年,2021年",
            "北京市,35371.3,36102.6,40269.6",
            "天津市,14104.3,14083.7,15695.0",
            "河北省,0,0,0",
            "山西省,17026.7,17651.9,22590.2",
            "内蒙古自治区,17212.5,17359.8,20514.2",
            "辽宁省,24909.5,25115.0,27584.1",
        ),
        count=1,
        examples=((4, None),),
        why="a row of zeros in a table of real values: a placeholder written as a number",
    ),
    Case(
        "title-rows",
        "title-rows.csv",
        csv(
            "2021年财政预算执行情况,,",
            "单位：万元,,",
            "项目,预算数,执行数",
            "一般公共预算收入,1200.5,1187.2",
            "政府性基金收入,300.2,280.9",
            "国有资本经营收入,50.1,49.9",
        ),
        count=2,
        examples=((1, 1), (2, 1)),
    ),
    Case(
        "type-error",
        "type-errors.csv",
        csv("id,name,amount", *_rows(5, "{i},n{i},{j}"), "6,n6,十二", *_rows(4, "{i}0,m{i},{j}")),
        count=1,
        examples=((7, 3),),
        values=("十二",),
    ),
    Case(
        "unclosed-quote",
        "unclosed-quote.csv",
        csv("id,name,city", '1,"Foo,Bar', "2,Baz,Qux"),
        count=1,
        examples=((2, None),),
    ),
    Case(
        "decompression-bomb",
        "forged-size.csv.gz",
        _gzip_declaring(b"id,name\n1,a\n2,b\n", 0xFFFF_FFFF),
        count=1,
        why="a gzip stream whose trailer declares 4 GiB from a few dozen bytes: refused before inflating",
    ),
    Case(
        "unreadable-file",
        "login-page.csv",
        b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>\n",
        count=1,
    ),
    Case(
        "unreadable-file",
        "report.pdf",
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        count=1,
    ),
    Case(
        "whitespace",
        "whitespace.csv",
        csv("id, name", "1, Alice", "2,Bob ", "3,Carol"),
        count=3,
        examples=((1, 2), (2, 2), (3, 2)),
        values=(" name", " Alice", "Bob "),
        why="padded labels and padded values",
    ),
    # ---- semantic column types (profilers/semantic) ---------------------------------------------
    Case(
        "invalid-id-card",
        "id-card-bad-check-digit.csv",
        csv(
            "姓名,身份证号码",
            "张三,11010519491231002X",
            f"李四,{id18('44030619900101123')}",
            "王五,110105194912310021",
            f"赵六,{id18('51010219781104561')}",
            f"钱七,{FEB30}",
            f"孙八,{id18('33010620011231004')}",
        ),
        count=2,
        examples=((4, 2), (6, 2)),
        why="a wrong check digit, and a right one on a birth date of 30 February",
    ),
    Case(
        "invalid-credit-code",
        "uscc-bad-checksum.csv",
        csv(
            "单位名称,统一社会信用代码",
            "某某科技有限公司,91350100M000100Y43",
            "某某事业单位,12100000400010398P",
            "某某商行,91350100M000100Y44",
            f"某某合作社,{uscc('93440300MA5DAB12C')}",
            "某某工作室,9135010OM000100Y43",
        ),
        count=2,
        examples=((4, 2), (6, 2)),
        values=("91350100M000100Y44", "9135010OM000100Y43"),
        why="a wrong check character, and the letter O, which the code's alphabet leaves out",
    ),
    Case(
        "invalid-org-code",
        "org-code-bad-check.csv",
        csv(
            "单位,组织机构代码",
            "甲,D2143569-X",
            f"乙,{org9('12345678')}",
            "丙,D2143569-1",
            f"丁,{org9('MA5DAB12')}",
        ),
        count=1,
        examples=((4, 2),),
    ),
    Case(
        "invalid-division-code",
        "division-code-unknown-prefix.csv",
        csv(
            "行政区划代码,名称",
            "110105,朝阳区",
            "440306,宝安区",
            "990101,某区",
            "320102,玄武区",
            "110015,某县",
        ),
        count=2,
        examples=((4, 1), (6, 1)),
        why="99 is no province; 110015 puts a county under a province-level code",
    ),
    Case(
        "invalid-phone",
        "phone-wrong-length.csv",
        csv(
            "单位,联系电话",
            "甲,13800138000",
            "乙,010-12345678",
            "丙,1380013800",
            "丁,0755-88889999",
            "戊,138-0013-80a",
        ),
        count=2,
        examples=((4, 2), (6, 2)),
    ),
    Case(
        "invalid-email",
        "email-malformed.csv",
        csv("name,email", "a,a@b.cn", "b,x.y@gov.cn", "c,zhang@gov", "d,li@@gov.cn", "e,wang@stats.gov.cn"),
        count=2,
        examples=((4, 2), (5, 2)),
    ),
    Case(
        "invalid-url",
        "url-without-scheme.csv",
        csv(
            "name,website",
            "a,https://www.gov.cn",
            "b,www.beijing.gov.cn",
            "c,http://data.stats.gov.cn/x?y=1",
            "d,http//bad",
        ),
        count=2,
        examples=((3, 2), (5, 2)),
    ),
    Case(
        "invalid-postcode",
        "postcode-five-digits.csv",
        csv("单位,邮编", "甲,100000", "乙,518000", "丙,10000", "丁,200001", "戊,51800O"),
        count=2,
        examples=((4, 2), (6, 2)),
    ),
    Case(
        "invalid-date",
        "impossible-dates.csv",
        csv(
            "id,日期,amount",
            *_rows(6, "{i},2019-0{j}-1{i},{k}"),
            "7,2019-02-30,5",
            "8,2019-13-01,6",
            "9,2020-02-29,7",
        ),
        count=2,
        examples=((8, 2), (9, 2)),
        values=("2019-02-30", "2019-13-01"),
        why="30 February and month 13; 29 February 2020 is real",
    ),
    Case(
        "full-width-digits",
        "full-width-amount.csv",
        csv("id,name,amount", *_rows(6, "{i},n{i},{k}"), "7,n7,１２３", "8,n8,45.5"),
        count=1,
        examples=((8, 3),),
        values=("１２３",),
    ),
    Case(
        "mojibake",
        "utf8-read-as-gbk.csv",
        csv("id,name", "1,数据来源", "2,鏁版嵁鏉ユ簮", "3,cafÃ©", "4,咖啡馆"),
        count=2,
        examples=((3, 2), (4, 2)),
    ),
    Case(
        "control-characters",
        "control-characters.csv",
        csv("id,name", "1,abc\x01def", "2,plain", "3,zero\u200bwidth", "4,ok"),
        count=2,
        examples=((2, 2), (4, 2)),
    ),
    Case(
        "stray-html",
        "html-in-cells.csv",
        csv("id,note", "1,first line<br>second line", "2,R&D", "3,&nbsp;padded", "4,a < b"),
        count=2,
        examples=((2, 2), (4, 2)),
    ),
    Case(
        "out-of-range",
        "negative-count-share-above-100.csv",
        csv("区县,人数,占比", "甲,120,12.5", "乙,-5,30", "丙,88,57.5", "丁,64,120", "戊,45,8"),
        count=2,
        examples=((3, 2), (5, 3)),
        values=("-5", "120"),
    ),
    Case(
        "out-of-range",
        "percent-strings-above-100.csv",
        csv("区县,就业率,增长率", "甲,45%,-3%", "乙,120%,150%", "丙,-5%,5%", "丁,99.5%,1%", "戊,0.5%,2%"),
        count=2,
        examples=((3, 2), (4, 2)),
        values=("120%", "-5%"),
        why="an employment rate written as text lies within 0–100 %; a growth rate (增长率) may not",
    ),
    Case(
        "out-of-range",
        "amount-with-lost-decimal-point.csv",
        csv(
            "项目,金额",
            *[f"p{i},{100 + (i * 37) % 50}.5" for i in range(17)],
            "p17,1205000",
            *[f"p{i},{90 + i}.25" for i in range(18, 40)],
        ),
        count=1,
        examples=((19, 2),),
        values=("1205000",),
        why="one amount ten thousand times the others, far beyond a gap: an implausible outlier",
    ),
    Case(
        "date-as-serial-number",
        "excel-serial-dates.csv",
        csv("编号,登记日期,金额", "1,43831,12.5", "2,43832,13", "3,43900.5,9", "4,44000,8", "5,44100,7"),
        count=5,
        examples=((2, 2), (3, 2), (4, 2), (5, 2), (6, 2)),
        values=("43831", "43832", "43900.5", "44000", "44100"),
        why="43831 is 2020-01-01 in Excel's day count; the fraction is the time of day",
    ),
    Case(
        "date-as-serial-number",
        "serials-among-real-dates.csv",
        csv("编号,受理", *[f"{i},2020-01-{i:02d}" for i in range(1, 11)], "11,43850", "12,2020-01-21"),
        count=1,
        examples=((12, 2),),
        values=("43850",),
        why="a date column whose cell lost its date format on export: no label needed among real dates",
    ),
    Case(
        "swapped-coordinates",
        "beijing-lat-116.csv",
        csv(
            "站点,纬度,经度",
            *[f"s{i},39.9{i},116.4{i}" for i in range(10)],
            "x,116.41,39.92",
            "y,39.95,116.38",
        ),
        count=1,
        examples=((12, 2),),
        values=("116.41, 39.92",),
        why="a latitude beyond 90 beside a longitude within 90: reported once, not also as out-of-range",
    ),
    Case(
        "swapped-coordinates",
        "new-york-pair-at-the-other-centre.csv",
        csv("name,lat,lon", *[f"s{i},40.7{i},-73.9{i}" for i in range(12)], "x,-73.95,40.71"),
        count=1,
        examples=((14, 2),),
        values=("-73.95, 40.71",),
        why="both values within ±90, but the pair sits exactly at the other column's centre",
    ),
    Case(
        "invalid-region-name",
        "guangxi-sheng.csv",
        csv(
            "省份,人口",
            "北京市,2185",
            "广西省,5047",
            "广东省,12706",
            "内蒙古自治区,2401",
            "浙江省,6577",
            "湖东省,100",
        ),
        count=2,
        examples=((3, 1), (7, 1)),
        values=("广西省", "湖东省"),
        why="广西 is an autonomous region (广西壮族自治区); 湖东省 does not exist",
    ),
    Case(
        "mixed-region-names",
        "official-and-short-names.csv",
        csv(
            "地区,人口", "北京市,2185", "天津市,1373", "河北省,7420", "山西省,3481", "广东,12706", "浙江,6577"
        ),
        count=2,
        examples=((6, 1), (7, 1)),
    ),
    Case(
        "period-formatted-as-number",
        "october-as-2016.1.csv",
        csv(
            "地区,2016.09,2016.1,2016.11",
            "北京,101.2,103.5,102.9",
            "天津,100.9,102.3,101.6",
            "河北,102.5,103.3,102.2",
        ),
        count=1,
        examples=((1, 3),),
        values=("2016.1",),
        why="the derived CPI file: October stored as the number 2016.1 beside 2016.09 and 2016.11",
    ),
    Case(
        "mixed-boolean-codes",
        "yes-no-three-ways.csv",
        csv("单位,是否公开", "甲,是", "乙,否", "丙,是", "丁,Y", "戊,是", "己,1"),
        count=2,
        examples=((5, 2), (7, 2)),
        values=("Y", "1"),
    ),
    Case(
        "sentinel-row",
        "nines-rows.csv",
        csv(
            "地区,2019年,2020年,2021年",
            "北京市,35371.3,36102.6,40269.6",
            "天津市,14104.3,14083.7,15695.0",
            "河北省,9999,9999,9999",
            "山西省,17026.7,17651.9,22590.2",
            "内蒙古自治区,17212.5,17359.8,20514.2",
            "辽宁省,24909.5,25115.0,27584.1",
        ),
        count=1,
        examples=((4, None),),
        values=("9999",),
        why="9999 written for unknown values across a whole row",
    ),
    Case(
        "mixed-units",
        "wan-and-yi.csv",
        csv("项目,金额", "甲,1200", "乙,3500", "丙,12万", "丁,800", "戊,2.5亿"),
        count=2,
        examples=((4, 2), (6, 2)),
        values=("12万", "2.5亿"),
    ),
    Case(
        "invalid-json-line",
        "events.jsonl",
        csv('{"id": 1, "v": "a"}', '{"id": 2, "v": "b"', '{"id": 3, "v": "c"}', "", 'log: {"id": 4}'),
        count=2,
        examples=((2, None), (5, None)),
        values=('{"id": 2, "v": "b"', 'log: {"id": 4}'),
        why="a record cut off and a stray log line; lines 1 and 3 are read (line 4 is blank)",
    ),
    Case(
        "unclosed-quote",
        "stray-quotes.csv",
        csv(
            "id,item,size,qty", "1,bolt,M1,2", '2,"valve,M2,4', "3,nut,M3,6", '4,"washer,M4,8', "5,pin,M5,10"
        ),
        count=2,
        examples=((3, None), (5, None)),
        why="two stray quotes would join lines 3-5 into one record; each line is as wide as a record",
    ),
]


PASSING: list[Case] = [
    clean("blank-header"),
    Case(
        "blank-row",
        "zero-is-not-blank.csv",
        csv("id,name,amount", "1,a,10", ",,0", "2,b,20"),
        status="pass",
        why="a row holding only 0 has a value",
    ),
    Case("blank-row", "empty.csv", b"", status="not-applicable", why="no table to look at"),
    clean("constant-column"),
    Case(
        "constant-column",
        "same-year-short-table.csv",
        csv("id,year,amount", "1,2020,5", "2,2020,7", "3,2020,9", "4,2020,11"),
        status="pass",
        why="below ten rows a repeated value is normal",
    ),
    clean("duplicate-column"),
    Case(
        "duplicate-column",
        "columns-differ-in-one-row.csv",
        csv("id,amount,budget", "1,10,10", "2,25,25", "3,7,8", "4,13,13"),
        status="pass",
    ),
    clean("duplicate-header"),
    clean("duplicate-row"),
    Case(
        "duplicate-row",
        "rows-differ-in-one-cell.csv",
        csv("id,name,amount", "1,a,10", "1,a,11", "2,b,10"),
        status="pass",
    ),
    clean("empty-column"),
    clean("empty-file"),
    clean("encoding-error"),
    Case(
        "encoding-error",
        "gb18030-decodes.csv",
        csv("地区,2020年", "北京市,36102.6", "天津市,14083.7", encoding="gb18030"),
        status="pass",
        why="a legacy codec that decodes cleanly has no encoding error",
    ),
    clean("extra-cell"),
    clean("footer-notes"),
    Case(
        "footer-notes",
        "last-row-starts-with-zhu.csv",
        csv("企业类型,户数", "新设登记,1203", "变更登记,877", "注销登记,356"),
        status="pass",
        why="注销 (deregistered) is data: a row with a number, not a 注： note",
    ),
    clean("format-mismatch"),
    Case(
        "format-mismatch",
        "tab-separated.csv",
        b"id\tname\tcity\n1\ta\tx\n2\tb\ty\n",
        status="pass",
        why="a TSV named .csv is the same family of text tables",
    ),
    clean("header-only"),
    clean("legacy-encoding"),
    Case(
        "legacy-encoding",
        "utf8-bom.csv",
        b"\xef\xbb\xbf" + csv("地区,2020年", "北京市,36102.6"),
        status="pass",
        why="UTF-8 with a BOM is Unicode",
    ),
    clean("low-capacity"),
    Case(
        "low-capacity",
        "eleven-rows.csv",
        csv("id,name,amount", *_rows(11, "{i},n{i},{k}")),
        status="pass",
    ),
    Case(
        "low-capacity",
        "six-indicators-by-46-years.csv",
        csv(
            "指标（万人）," + ",".join(f"{y}年" for y in range(1978, 2024)),
            *[f"指标{i}," + ",".join(str(100 + i + y) for y in range(46)) for i in range(6)],
        ),
        status="pass",
        why="a wide table: 6 rows × 46 years is 276 observations, not a fragment",
    ),
    clean("missing-cell"),
    clean("multi-row-header"),
    clean("narrow-table"),
    clean("near-duplicate-row"),
    Case(
        "near-duplicate-row",
        "exact-duplicate-rows.csv",
        csv("name,city", "Alice,Beijing", "Alice,Beijing", "Bob,Shanghai"),
        status="pass",
        why="an exact repeat is a duplicate-row, not a near duplicate",
    ),
    clean("null-values"),
    clean("placeholder-value"),
    Case(
        "placeholder-value",
        "na-is-namibia.csv",
        csv("code,country", "CN,China", "NA,Namibia", "GB,United Kingdom"),
        status="pass",
        why="NA is Namibia's ISO code, not a placeholder",
    ),
    clean("sentinel-row"),
    Case(
        "sentinel-row",
        "zeros-are-common.csv",
        csv("site,visits,complaints", *_rows(10, "s{i},{k},{j}"), "s11,30,0", "s12,41,0", "s13,52,0"),
        status="pass",
        why="zeros are a plain count in a column where they are common",
    ),
    clean("title-rows"),
    clean("type-error"),
    Case(
        "type-error",
        "house-numbers.csv",
        csv(
            "id,house_number,street", *_rows(8, "{i},{j}{i},Main St"), "9,7-07,Queens Blvd", "10,12-3,Elm St"
        ),
        status="pass",
        why="Queens-style house numbers (7-07) are codes, not broken integers (hpd_violations)",
    ),
    Case(
        "type-error",
        "decimals-in-whole-number-column.csv",
        csv("hour,kwh", *_rows(9, "{i},{j}"), "10,75.4", "11,77.1"),
        status="pass",
        why="a number column that is mostly whole numbers: 75.4 is a valid number (elec00.csv)",
    ),
    Case("type-error", "login-page.csv", b"<html><body>x</body></html>\n", status="not-applicable"),
    clean("unclosed-quote"),
    Case(
        "unclosed-quote",
        "closed-multiline-quote.csv",
        csv("id,note", '1,"line one', 'line two"', "2,plain"),
        status="pass",
        why="a quoted field spanning two lines that closes",
    ),
    clean("unreadable-file"),
    clean("decompression-bomb"),
    Case(
        "decompression-bomb",
        "table.csv.gz",
        _gzip_declaring(b"id,name\n1,a\n2,b\n", None),
        status="pass",
        why="an ordinary gzipped CSV is inflated and read",
    ),
    clean("whitespace"),
    clean("invalid-id-card"),
    Case(
        "invalid-id-card",
        "id-cards-valid.csv",
        csv(
            "姓名,身份证号码",
            "张三,11010519491231002X",
            "李四,11010519491231002x",
            f"王五,{id18('44030619900101123')}",
            "赵六,110105491231002",
        ),
        status="pass",
        why="a lower-case x is still X; a 15-digit number of the old form with a real birth date is valid",
    ),
    clean("invalid-credit-code"),
    Case(
        "invalid-credit-code",
        "uscc-valid.csv",
        csv(
            "单位名称,统一社会信用代码",
            "甲,91350100M000100Y43",
            "乙,12100000400010398P",
            f"丙,{uscc('93440300MA5DAB12C')}",
        ),
        status="pass",
    ),
    clean("invalid-org-code"),
    Case(
        "invalid-org-code",
        "org-codes-valid.csv",
        csv(
            "单位,组织机构代码",
            "甲,D2143569-X",
            f"乙,{org9('12345678')}",
            f"丙,{org9('MA5DAB12').replace('-', '')}",
        ),
        status="pass",
        why="the hyphen before the check character is optional",
    ),
    clean("invalid-division-code"),
    Case(
        "invalid-division-code",
        "six-digit-amounts-are-not-codes.csv",
        csv("id,amount", *_rows(8, "{i},99{j}0{i}")),
        status="pass",
        why="six-digit numbers without a division-code label are amounts, not codes",
    ),
    clean("invalid-phone"),
    Case(
        "invalid-phone",
        "phones-valid.csv",
        csv(
            "单位,电话",
            "甲,13800138000",
            "乙,010-12345678",
            "丙,(0755) 8888 9999",
            "丁,+86 138 0013 8000",
            "戊,400-810-8888",
            "己,13800138000、010-12345678",
        ),
        status="pass",
        why="spaces, brackets, +86 and lists of numbers are fine",
    ),
    clean("invalid-email"),
    Case(
        "invalid-email",
        "emails-valid.csv",
        csv(
            "name,email", "a,a@b.cn", "b,first.last@stats.gov.cn", "c,mailto:x@y.org", '"d","a@b.cn; c@d.cn"'
        ),
        status="pass",
    ),
    clean("invalid-url"),
    Case(
        "invalid-url",
        "urls-valid.csv",
        csv(
            "name,link",
            "a,https://www.gov.cn",
            "b,http://data.stats.gov.cn/easyquery.htm?cn=E0103",
            "c,ftp://ftp.example.org/data.csv",
        ),
        status="pass",
    ),
    clean("invalid-postcode"),
    Case(
        "invalid-postcode",
        "us-zip-codes.csv",
        csv("address,zip", "a,10001", "b,11201-1234", "c,07302", "d,94105"),
        status="pass",
        why="a column of five-digit codes is judged as ZIP codes, not Chinese postcodes",
    ),
    clean("invalid-date"),
    Case(
        "invalid-date",
        "day-first-and-compact-dates.csv",
        csv(
            "id,date",
            "1,31/12/2019",
            "2,20200229",
            "3,2019年1月2日",
            "4,2019/1/2",
            "5,03/04/2019",
            "6,2019-12-31 23:59",
        ),
        status="pass",
        why="day-first, compact and Chinese forms, and a leap day, are real dates",
    ),
    Case(
        "invalid-date",
        "case-numbers-like-year-month.csv",
        csv("案号,当事人", *[f"2019-{i:02d},p{i}" for i in range(1, 16)]),
        status="pass",
        why="2019-13 in a column not labelled as dates is a case number, not month 13",
    ),
    clean("full-width-digits"),
    Case(
        "full-width-digits",
        "full-width-in-running-text.csv",
        csv("id,title", "1,第１章 总则", "2,第２章 附则", "3,plain"),
        status="pass",
        why="full-width digits inside running Chinese text are typography",
    ),
    clean("mojibake"),
    Case(
        "mojibake",
        "rare-characters-in-names.csv",
        csv("id,name", "1,王璐璐", "2,李楠", "3,陈婧", "4,浩瀚"),
        status="pass",
        why="names may hold one or two of the characters mojibake is made of",
    ),
    clean("control-characters"),
    Case(
        "control-characters",
        "multi-line-cell.csv",
        csv("id,address", '1,"line one\nline two"', "2,plain\tvalue", "3,ok"),
        status="pass",
        why="line breaks and tabs inside a quoted cell are not control-character defects",
    ),
    clean("stray-html"),
    Case(
        "stray-html",
        "ampersands-and-comparisons.csv",
        csv("id,note", "1,R&D", "2,a < b", "3,AT&T"),
        status="pass",
    ),
    clean("out-of-range"),
    Case(
        "out-of-range",
        "negative-growth-rates.csv",
        csv("地区,增长率,纬度,经度", "甲,-3.5,39.9,116.4", "乙,2.1,31.2,121.5", "丙,-0.4,23.1,113.3"),
        status="pass",
        why="a growth rate may be negative; latitudes and longitudes in range",
    ),
    Case(
        "out-of-range",
        "growth-and-completion-rates-in-percent.csv",
        csv("区县,增长率,完成率,占比", "甲,-3%,105%,12%", "乙,150%,98%,30.5%", "丙,5%,120%,57.5%"),
        status="pass",
        why="growth (增长率) and plan completion (完成率) may leave 0–100 %; the shares stay inside",
    ),
    Case(
        "out-of-range",
        "heavy-tailed-spending-with-a-total-row.csv",
        csv(
            "编号,项目,金额",
            *[f"{i},p{i},{round(30 * 1.35**i, 2)}" for i in range(1, 41)],
            f"99999,合计,{round(sum(30 * 1.35**i for i in range(1, 41)), 2)}",
        ),
        status="pass",
        why="amounts spread over orders of magnitude thin out gradually; a 合计 row is a sum; ids are not measures",
    ),
    clean("date-as-serial-number"),
    Case(
        "date-as-serial-number",
        "five-digit-amounts.csv",
        csv(
            "编号,金额,邮编",
            "1,43831,100000",
            "2,43832,200000",
            "3,43900,300000",
            "4,44000,400000",
            "5,44100,510000",
        ),
        status="pass",
        why="five-digit numbers without a date label are amounts, not dates",
    ),
    Case(
        "date-as-serial-number",
        "durations-under-a-time-label.csv",
        csv("编号,处理时间", "1,43831", "2,43832", "3,43900", "4,44000", "5,44100"),
        status="pass",
        why="numbers under 时间/time are more often durations (seconds) than serial dates",
    ),
    clean("swapped-coordinates"),
    Case(
        "swapped-coordinates",
        "world-wide-points.csv",
        csv(
            "city,latitude,longitude",
            "Khartoum,15.5,32.56",
            "Cairo,30.04,31.24",
            "Juba,4.85,31.58",
            "Addis Ababa,9.03,38.74",
            "Nairobi,-1.29,36.82",
            "Beijing,39.9,116.4",
            "New York,40.71,-74.01",
            "Sydney,-33.87,151.21",
            "Lima,-12.05,-77.04",
            "Reykjavik,64.15,-21.94",
            "Tokyo,35.68,139.69",
            "Sao Paulo,-23.55,-46.63",
        ),
        status="pass",
        why="in a world-wide table a point near the other column's centre proves nothing",
    ),
    clean("invalid-region-name"),
    Case(
        "invalid-region-name",
        "short-names-and-total.csv",
        csv("省份,指数", "全国,101.2", "浙江,104.6", "广东,104.4", "广西,103.2", "内蒙古,103.3"),
        status="pass",
        why="official short names (广西, 内蒙古) and a 全国 total row are valid",
    ),
    clean("mixed-region-names"),
    Case(
        "mixed-region-names",
        "official-names-and-total.csv",
        csv("地区,人口", "全国,141175", "北京市,2185", "广西壮族自治区,5047", "河北省,7420"),
        status="pass",
    ),
    clean("period-formatted-as-number"),
    Case(
        "period-formatted-as-number",
        "unpadded-periods-only.csv",
        csv("地区,2016.1,2016.2,2016.3", "北京,1.1,1.2,1.3", "天津,2.1,2.2,2.3"),
        status="pass",
        why="without a zero-padded neighbour, 2016.1 may be a quarter: not flagged",
    ),
    clean("mixed-boolean-codes"),
    Case(
        "mixed-boolean-codes",
        "office-calendar-0-and-2.csv",
        csv("西元日期,是否放假", "20210101,2", "20210104,0", "20210105,0", "20210109,2"),
        status="pass",
        why="data.gov.tw codes holidays 2 and work days 0: not a yes/no coding, and one coding anyway",
    ),
    Case(
        "mixed-boolean-codes",
        "one-coding.csv",
        csv("单位,是否公开", "甲,是", "乙,否", "丙,是"),
        status="pass",
    ),
    clean("mixed-units"),
    Case(
        "mixed-units",
        "one-unit-throughout.csv",
        csv("项目,金额", "甲,12万", "乙,3.5万", "丙,800万", "丁,7万"),
        status="pass",
        why="one multiplier in every cell is consistent (it belongs in the label, but it is not mixed)",
    ),
    clean("invalid-json-line"),
    Case(
        "invalid-json-line",
        "events-ok.jsonl",
        csv('{"id": 1, "v": "a"}', "", '{"id": 2, "v": "b"}', '"a bare string is JSON too"'),
        status="pass",
        why="every non-blank line is a JSON value",
    ),
]


# ---- the layout checks of scoring v2: totals, measure, formats, misplaced, placeholders, cells ----

FAILING += [
    Case(
        "totals-in-rows",
        "gdp-with-national-total.csv",
        csv(
            "地区,地区生产总值（亿元）",
            "全国,1000",
            "北京市,400",
            "天津市,350",
            "河北省,250",
            "其中：石家庄市,90",
        ),
        count=2,
        examples=((2, 1), (6, 1)),
        values=("全国", "其中：石家庄市"),
        why="a national total and an 'of which' row listed with the provinces",
    ),
    Case(
        "totals-in-rows",
        "unlabelled-sum-row.csv",
        csv("item,q1,q2", "bolts,10,20", "nuts,5,7", "pins,1,3", ",16,30"),
        count=1,
        examples=((5, None),),
        why="no label, but the last row is the sum of the others in every numeric column",
    ),
    Case(
        "missing-measure",
        "gdp-periods-only.csv",
        csv("地区,2023年,2022年,2021年", "北京市,43760.7,41610.9,41045.6", "天津市,16737.3,16311.3,15685.1"),
        count=1,
        values=("2023年, 2022年, 2021年",),
        why="the 指标 line was stripped: bare years over numbers",
    ),
    Case(
        "missing-measure",
        "population-without-unit.csv",
        csv(",乡村人口,城镇人口", "1978年,79014,17245", "1979年,79047,18495"),
        count=1,
        why="the quantity is named, its unit (万人) is not",
    ),
    Case(
        "multi-value-cells",
        "two-job-titles.csv",
        csv(
            "姓名,职务",
            "张三,主任",
            "李四,副主任",
            "王五,主任\u3000党支部书记",
            "赵六,科员",
            "钱七,党支部书记",
            "孙八,副主任、党支部书记",
        ),
        count=2,
        examples=((4, 2), (7, 2)),
        why="two titles the column also holds alone, joined by a full-width space and by 、",
    ),
]

PASSING += [
    clean("totals-in-rows"),
    Case(
        "totals-in-rows",
        "details-only.csv",
        csv("地区,地区生产总值（亿元）", "北京市,400", "天津市,350", "河北省,250", "总计局,12"),
        status="pass",
        why="a label that only contains 总计 is not a total row",
    ),
    Case(
        "totals-in-rows",
        "suppliers-and-schools.csv",
        csv(
            "supplier,amount",
            "Total Gas & Power Ltd,1200",
            "All Saints Primary School,300",
            "Acme Ltd,450",
            "Bolt Supplies,120",
        ),
        status="pass",
        why="a company and a school whose names start like a total",
    ),
    clean("missing-measure"),
    Case(
        "missing-measure",
        "periods-under-an-indicator-line.csv",
        csv(
            "指标：地区生产总值(亿元)",
            "地区,2023年,2022年,2021年",
            "北京市,43760.7,41610.9,41045.6",
            "天津市,16737.3,16311.3,15685.1",
        ),
        status="pass",
        why="the title line names the indicator and its unit",
    ),
    Case(
        "missing-measure",
        "unit-in-label.csv",
        csv("年份,年末总人口（万人）", "1978,96259", "1979,97542"),
        status="pass",
    ),
    clean("multi-value-cells"),
    Case(
        "multi-value-cells",
        "addresses-with-commas.csv",
        csv(
            "名称,备注",
            "甲,位于城区，靠近车站，交通便利，周边配套设施齐全并且有大型商场和医院",
            "乙,位于郊区，环境优美，空气清新，适合居住并且周边有公园和湖泊可供游玩",
            "丙,无",
        ),
        status="pass",
        why="prose with punctuation, not joined values",
    ),
]


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook with these sheets, built with openpyxl."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _yearly(year: int, rows: int) -> list[list[object]]:
    return [["地区", "年份", "常住人口（万人）"]] + [[f"区{i}", year, 100 + i] for i in range(rows)]


FAILING += [
    Case(
        "mixed-formats",
        "dates-and-amounts-written-several-ways.csv",
        csv(
            "id,date,amount",
            "1,2023-10-07,1200",
            '2,2023-10-08,"1,300"',
            "3,07/10/2023,1400",
            '4,2023年10月9日,"1,500"',
            "5,2023-10-10,1600",
            "6,2023-1-11,1700",
        ),
        count=4,
        examples=((4, 2), (5, 2), (3, 3), (5, 3)),
        why="2023-1-11 is the main format unpadded; two other date writings, and thousands separators in two amounts",
    ),
    Case(
        "misplaced-values",
        "dates-in-a-yes-column.csv",
        csv(
            "id,name,active",
            *[f"{i},n{i},{'Y' if i % 3 else ''}" for i in range(1, 5)],
            "5,n5,2023-01-05",
            *[f"{i},n{i},{'Y' if i % 3 else ''}" for i in range(6, 30)],
        ),
        count=1,
        examples=((6, 3),),
        values=("2023-01-05",),
        why="a date in a Y/blank column",
    ),
    Case(
        "placeholder-rows",
        "codes-still-being-defined.csv",
        csv(
            "代码,名称,类别",
            "101,钢铁,制造业",
            "102,水泥,制造业",
            "103,煤炭,采矿业",
            "990,待定义,待定义",
            "991,待定义,待定义",
        ),
        count=2,
        examples=((5, None), (6, None)),
        why="a block of rows whose name says the entry is still being defined",
    ),
    Case(
        "placeholder-rows",
        "years-without-values.csv",
        csv(",乡村人口,城镇人口", "1978年,79014,17245", "1979年,79047,18495", "1980年,,", "1981年,,"),
        count=2,
        examples=((4, None), (5, None)),
        why="period rows with every value empty stand for records of the series",
    ),
    Case(
        "unscored-sheets",
        "six-yearly-sheets.xlsx",
        xlsx({str(y): _yearly(y, 12) for y in range(2018, 2024)}),
        count=5,
        why="the first sheet is scored, five more of the same size are not",
    ),
    Case(
        "mixed-units",
        "units-by-row.csv",
        csv(
            "指标,单位,2023年",
            "发电量,亿千瓦小时,100",
            "原煤,万吨,200",
            "原油,万吨,300",
            "天然气,亿立方米,40",
        ),
        count=2,
        examples=((2, 2), (5, 2)),
        values=("亿千瓦小时", "亿立方米"),
        why="a unit column whose unit changes by row: the column cannot be summed",
    ),
]

PASSING += [
    clean("mixed-formats"),
    Case(
        "mixed-formats",
        "one-date-format-unpadded.csv",
        csv(
            "id,date,amount",
            "1,2023-10-07,1200",
            "2,2023-1-8,1300",
            "3,2023-10-9,999",
            '4,2023-11-01,"1,000"',
        ),
        status="pass",
        why="2023-1-8 and 2023-10-07 are one format; small amounts show no separator either way; one odd amount",
    ),
    clean("misplaced-values"),
    Case(
        "misplaced-values",
        "free-text-column.csv",
        csv("id,note", "1,Y", "2,N", "3,checked on 2023-01-05", "4,Y", "5,see the 2022 report"),
        status="pass",
        why="a column with long text in 40 % of its cells is not a coded column",
    ),
    Case(
        "misplaced-values",
        "remarks-column.csv",
        csv(
            "id,备注",
            *[f"{i},已核实" if i % 2 else f"{i},正常" for i in range(1, 30)],
            "30,2023年补录，原始凭证另行归档",
        ),
        status="pass",
        why="a remark column holds free text: a long remark is not a misplaced value",
    ),
    clean("placeholder-rows"),
    Case(
        "placeholder-rows",
        "sparse-but-real.csv",
        csv("name,phone,email", "甲,010-1234,", "乙,,", "丙,,c@example.org"),
        status="pass",
        why="a record with only its name filled is a sparse record, not a placeholder row",
    ),
    Case(
        "unscored-sheets",
        "cover-and-data.xlsx",
        xlsx({"说明": [["本表数据来源：统计局"], ["更新时间：2024年1月"]], "数据": _yearly(2023, 12)}),
        status="pass",
        why="a cover sheet of two lines holds no data",
    ),
    Case("unscored-sheets", CLEAN_NAME, CLEAN, status="pass", why="a CSV has no other sheets"),
    Case(
        "mixed-units",
        "department-unit-column.csv",
        csv("id,Unit,count", "1,MAN.,3", "2,ERT,4", "3,MAN.,5", "4,BKLYN,6"),
        status="pass",
        why="a 'Unit' column of department names is not a unit of measurement",
    ),
]
FAILING += [
    Case(
        "misplaced-values",
        "words-among-house-numbers.csv",
        csv(
            "id,house_number,street", *[f"{i},{100 + i},Main St" for i in range(1, 25)], "25,CERTAIN,Main St"
        ),
        count=1,
        examples=((26, 2),),
        values=("CERTAIN",),
        why="a word in a column of house numbers (the marshal evictions layout)",
    ),
    Case(
        "mixed-formats",
        "lot-numbers-padded-and-not.csv",
        csv("block,lot", *[f"{i:05d},{i * 7:05d}" for i in range(1, 25)], "00031,0043", "00032,0"),
        count=2,
        examples=((26, 2), (27, 2)),
        values=("0043", "0"),
        why="zero-padded 5-digit lots, two written without the padding (the DOB violations layout)",
    ),
]
PASSING += [
    Case(
        "misplaced-values",
        "unknown-among-house-numbers.csv",
        csv("id,house_number", *[f"{i},{100 + i}" for i in range(1, 25)], "25,UNKNOWN"),
        status="pass",
        why="UNKNOWN stands for no value: a placeholder, not a misplaced value",
    ),
    Case(
        "mixed-formats",
        "unpadded-counts.csv",
        csv("id,count", *[f"{i},{i * 7}" for i in range(1, 25)]),
        status="pass",
        why="numbers of several lengths without leading zeros are not padded codes",
    ),
]
# quoted-lines and range-values (the calibration work): layouts of terrible_csv.txt and jobs.xml
FAILING += [
    Case(
        "quoted-lines",
        "every-line-quoted.csv",
        csv(
            '"region,authority,new_cases,closed_cases"',
            '"North East,NORTHUMBERLAND,3,6"',
            '"North East,GATESHEAD,0,1"',
            '"North West,BOLTON,4,2"',
        ),
        count=3,
        examples=((2, 1), (3, 1), (4, 1)),
        why="each line, header included, is one quoted field: a reader sees one column of joined values",
    ),
    Case(
        "range-values",
        "salary-ranges.csv",
        csv(
            "job,grade,salary",
            'Communications Officer,PO3,"£31,754 - £34,549 per annum"',
            'Business Support Clerk,S3,"£16,054 - £17,161 per annum (pro-rata)"',
            'Print Technician,S4,"£17,161 - £19,126"',
            'Accountant,PO7,"£41,616 to £44,299 per annum"',
        ),
        count=4,
        examples=((2, 3), (3, 3), (4, 3), (5, 3)),
        why="a salary column holding ranges with currency and words, not one number",
    ),
]
PASSING += [
    clean("quoted-lines"),
    Case(
        "quoted-lines",
        "one-column-of-names.csv",
        csv("name", '"Smith, John"', '"Doe, Jane"', '"Roe, Richard"'),
        status="pass",
        why="a single column whose values hold one comma: names, not wrapped lines",
    ),
    clean("range-values"),
    Case(
        "range-values",
        "age-bands-and-periods.csv",
        csv(
            "age_band,period,people",
            "0 - 4,2019 - 2020,120",
            "5 - 9,2019 - 2020,130",
            "10 - 14,2019 - 2020,110",
        ),
        status="pass",
        why="age bands and periods are category labels, not amounts: no currency, magnitude or thousands separator",
    ),
    Case(
        "range-values",
        "iso-dates-and-codes.csv",
        csv(
            "date,code,amount",
            "2012-10-03,43A-24B,1000",
            "2012-10-04,12B-11C,2000",
            "2012-10-05,77D-10E,3000",
        ),
        status="pass",
        why="hyphens without spaces join dates and codes, not ranges",
    ),
]
CASES: list[Case] = FAILING + PASSING
