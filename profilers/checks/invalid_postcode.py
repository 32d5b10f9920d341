from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import invalid_values


@check(
    "invalid-postcode",
    dimension="validity",
    level="cell",
    title="Invalid postcodes",
    description="A column labelled as postcodes holds values that are not six digits (mainland China) or, in "
    "a column of five-digit codes, not a ZIP code.",
    fix="Write postcodes as text in the country's format (six digits in mainland China), keeping leading zeros.",
    title_zh="邮政编码无效",
    fix_zh="邮政编码以文本格式填写（中国大陆为 6 位数字），保留开头的 0。",
    rubric="substantial",
)
def invalid_postcode(table: Table) -> Hit | None:
    return invalid_values(table, ("postcode",), lambda s: lambda v: val.valid_postcode(v, s.style or "cn"))
