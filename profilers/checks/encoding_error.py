from profilers.context import Table
from profilers.registry import Hit, check, row_examples


@check(
    "encoding-error",
    dimension="validity",
    level="row",
    needs_table=False,
    title="Bytes that do not decode in the file's encoding",
    description="Undecodable byte sequences (replaced by U+FFFD) or NUL bytes in a text file.",
    fix="Re-export the file as UTF-8 from the system of record; do not concatenate files in different encodings.",
    title_zh="编码错误",
    fix_zh="将文件保存为 UTF-8 编码，并检查无法解码的字节。",
    rubric="fatal",
)
def encoding_error(table: Table) -> Hit | None:
    s = table.structure
    count = s.encoding_errors + s.nul_bytes
    if not count:
        return None
    rows = max(table.source.rows, 1)
    parts = []
    if s.encoding_errors:
        parts.append(f"{s.encoding_errors} undecodable byte sequence(s) as {table.source.encoding}")
    if s.nul_bytes:
        parts.append(f"{s.nul_bytes} NUL byte(s)")
    examples = row_examples(s.encoding_error_rows, value="\ufffd")
    return Hit(count, min(1.0, len(s.encoding_error_rows or [1]) / rows), examples, "; ".join(parts))
