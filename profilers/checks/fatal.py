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
)
def header_only(table: Table) -> Hit | None:
    return _fatal(table, "header-only")
