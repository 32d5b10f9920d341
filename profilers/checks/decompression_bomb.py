"""decompression-bomb: a compressed input (gzip stream, zip member, XLSX part) that would inflate
far past its size or the limits; refused from its declared sizes, or by the cap on the bytes
inflated so far, before it fills the disk or the memory. Fatal: nothing is read."""

from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example

CODE = "decompression-bomb"


@check(
    CODE,
    dimension="validity",
    level="file",
    needs_table=False,
    title="The file is a decompression bomb",
    description="A compressed file (gzip, zip or an XLSX workbook) would inflate far beyond its own size or "
    "the limits; it was refused before being inflated.",
    fix="Publish the table uncompressed or compressed normally; split very large tables into parts.",
    title_zh="解压炸弹",
    fix_zh="以未压缩或正常压缩（无填充）的形式发布表格；将过大的表格拆分为多个文件。",
    rubric="fatal",
)
def decompression_bomb(table: Table) -> Hit | None:
    fatal = table.structure.fatal
    if fatal is None or fatal[0] != CODE:
        return None
    return Hit(1, 1.0, [Example(value=table.source.name)], fatal[1])
