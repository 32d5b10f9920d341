from profilers.context import Structure, Table
from profilers.registry import Hit, check
from profilers.types import Example

MIN_ROWS = 3
MIN_CELLS = 20
"""A sheet holds data when it has at least this many filled cells over ``MIN_ROWS`` rows: a cover or
说明 sheet of a few lines does not count."""


@check(
    "unscored-sheets",
    dimension="consolidation",
    severity="warning",
    level="file",
    title="Other sheets of the workbook hold data",
    description="The workbook has more sheets with data than the one scored: the data to use is spread "
    "over sheets, and a reader who opens the file sees only the first.",
    fix="Publish one table per file, or one sheet that holds all the rows with a column saying what each "
    "sheet distinguished (year, region, indicator).",
    title_zh="工作簿的其他工作表也含有数据",
    fix_zh="每个文件只发布一张表，或把各工作表合并为一张表，并用一列标明原来按工作表区分的内容（年份、地区、指标）。",
    rubric="substantial",
    needs_table=False,
)
def unscored_sheets(table: Table) -> Hit | None:
    sheets = table.structure.sheets
    others = other_data_sheets(table.structure, table.source.sheet)
    if not others:
        return None
    total = sum(cells for *_, cells in sheets)
    unscored = sum(cells for *_, cells in others)
    outcomes = table.structure.sheet_outcomes
    examples = [
        Example(
            value=f"{name}: {rows} rows × {cols} columns"
            + (f", {outcomes[name]}" if name in outcomes else "")
        )
        for name, rows, cols, _ in others
    ]
    names = ", ".join(repr(name) for name, *_ in others[:10]) + (" …" if len(others) > 10 else "")
    scored = sum(1 for name, *_ in others if outcomes.get(name, "").startswith("scored"))
    said = f"; each scored on its own (the report's sheets), {scored} of {len(others)}" if outcomes else ""
    return Hit(
        len(others),
        unscored / max(total, 1),
        examples,
        f"scored sheet {table.source.sheet!r}; {len(others)} other sheets with data: {names}{said}",
    )


def other_data_sheets(structure: Structure, scored: str | None) -> list[tuple[str, int, int, int]]:
    """The workbook's sheets other than ``scored`` that hold data (``MIN_ROWS``, ``MIN_CELLS``), in
    order: (name, rows, columns, filled cells)."""
    return [
        (name, rows, cols, cells)
        for name, rows, cols, cells in structure.sheets
        if name != scored and rows >= MIN_ROWS and cells >= MIN_CELLS
    ]
