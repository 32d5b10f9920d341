from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "invalid-json-line",
    dimension="validity",
    level="row",
    needs_table=False,
    title="Lines of a JSON Lines file that are not JSON",
    description="A line of a JSON Lines (NDJSON) file does not parse as JSON (cut off, two records run "
    "together, a stray log line); the other lines are read and scored.",
    fix="Write one complete JSON value per line, and nothing else (no log lines, no records cut off or run together).",
    title_zh="非 JSON 行",
    fix_zh="每行写一个完整的 JSON 值，不要夹杂日志行，也不要截断或拼接记录。",
    rubric="fatal",
)
def invalid_json_line(table: Table) -> Hit | None:
    s = table.structure
    if not s.invalid_json_line_count:
        return None
    count = s.invalid_json_line_count
    examples = [Example(row=n, value=text) for n, text in s.invalid_json_lines]
    return Hit(count, count / max(count + table.source.rows, 1), examples)
