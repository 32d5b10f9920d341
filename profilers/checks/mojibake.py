from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic.run import suspect_hits
from profilers.semantic.text import is_mojibake


@check(
    "mojibake",
    dimension="validity",
    level="cell",
    title="Garbled text (mojibake)",
    description="Text that was decoded with the wrong codec: UTF-8 read as GBK (鏁版嵁 for 数据), as Latin-1 "
    "(Ã© for é), 锟斤拷 sequences and U+FFFD replacement characters.",
    fix="Re-export from the source with the right encoding (UTF-8) instead of converting twice.",
    title_zh="乱码",
    fix_zh="从源数据以正确编码（UTF-8）重新导出，避免重复转码。",
    rubric="fatal",
)
def mojibake(table: Table) -> Hit | None:
    return suspect_hits(table, is_mojibake)
