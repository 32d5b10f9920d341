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


def _rows(n: int, fmt: str) -> list[str]:
    return [fmt.format(i=i, j=i * 7 % 13 + 1, k=i * 37.5 + 3) for i in range(1, n + 1)]


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
    clean("whitespace"),
]

CASES: list[Case] = FAILING + PASSING
