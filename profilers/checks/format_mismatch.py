from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "format-mismatch",
    dimension="validity",
    severity="warning",
    level="file",
    needs_table=False,
    title="The content is not the format the file name claims",
    description="The bytes were sniffed: a `.xls` that is CSV text, an HTML page saved as `.csv`, a zip named `.xlsx`.",
    fix="Name the file after its real format (or convert it to the format it claims).",
    title_zh="文件格式与声明不符",
    fix_zh="按实际格式声明，或以声明的格式发布文件。",
    rubric="routine",
)
def format_mismatch(table: Table) -> Hit | None:
    mismatch = table.structure.format_mismatch
    if mismatch is None:
        return None
    declared, detected = mismatch
    return Hit(
        1, 1.0, [Example(value=f"{declared} → {detected}")], f"named .{declared}, content is {detected}"
    )
