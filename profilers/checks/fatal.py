"""The fatal outcomes of reading: nothing to profile. Each zeroes the content dimensions."""

from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


def _fatal(table: Table, code: str) -> Hit | None:
    if table.structure.fatal is None or table.structure.fatal[0] != code:
        return None
    return Hit(1, 1.0, [Example(value=table.source.name)], table.structure.fatal[1])


@check(
    "unreadable-file",
    dimension="validity",
    level="file",
    needs_table=False,
    title="The file cannot be read as a table",
    description="The bytes are not a table ODQ can read: binary, HTML, a broken workbook or an unsupported format.",
    fix="Publish the data as CSV (UTF-8), XLSX or JSON and check that the download is the file itself.",
    title_zh="文件无法读取",
    fix_zh="以开放的机器可读格式（UTF-8 编码的 CSV、XLSX、JSON）重新导出文件。",
    rubric="fatal",
)
def unreadable_file(table: Table) -> Hit | None:
    return _fatal(table, "unreadable-file")


@check(
    "empty-file",
    dimension="validity",
    level="file",
    needs_table=False,
    title="The file is empty",
    description="The file has no bytes, or only white space.",
    fix="Publish the data, or withdraw the empty distribution.",
    title_zh="空文件",
    fix_zh="发布包含数据的文件；没有数据的资源应删除。",
    rubric="fatal",
)
def empty_file(table: Table) -> Hit | None:
    return _fatal(table, "empty-file")


@check(
    "header-only",
    dimension="validity",
    level="file",
    needs_table=False,
    title="The table has a header but no data rows",
    description="Only the header row (and perhaps titles or notes) is there.",
    fix="Export the rows too, or withdraw the empty table.",
    title_zh="只有表头，没有数据",
    fix_zh="补充数据行，或在有数据之前下架该资源。",
    rubric="fatal",
)
def header_only(table: Table) -> Hit | None:
    return _fatal(table, "header-only")
