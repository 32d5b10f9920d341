from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import invalid_values


@check(
    "invalid-url",
    dimension="validity",
    level="cell",
    title="Invalid URLs",
    description="A column of web addresses holds values without a scheme (www.example.cn), with spaces, or "
    "without a host.",
    fix="Write full URLs including the scheme (https://…).",
    title_zh="网址无效",
    fix_zh="填写包含协议的完整网址（https://…）。",
    rubric="substantial",
)
def invalid_url(table: Table) -> Hit | None:
    return invalid_values(table, ("url",), lambda s: val.valid_url)
