from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example

UNICODE = ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "ascii")


@check(
    "legacy-encoding",
    dimension="validity",
    severity="info",
    level="file",
    needs_table=False,
    title="Text that is not UTF-8",
    description="The file decodes, but in a legacy codec (GB18030, Big5, cp1252 …). Tools that assume UTF-8 "
    "(csvlint, frictionless, most spreadsheet imports) fail or garble it.",
    fix="Export text files as UTF-8.",
    title_zh="文本不是 UTF-8 编码",
    fix_zh="以 UTF-8 编码导出文本文件。",
    rubric="routine",
)
def legacy_encoding(table: Table) -> Hit | None:
    encoding = (table.source.encoding or "").split(" ")[0]
    if not encoding or encoding in UNICODE or table.structure.fatal:
        return None
    return Hit(1, 1.0, [Example(value=encoding)], f"decoded as {encoding}")
