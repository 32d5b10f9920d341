from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import invalid_values


@check(
    "invalid-phone",
    dimension="validity",
    level="cell",
    title="Invalid phone numbers",
    description="A column of phone numbers holds values that are no mainland mobile (11 digits), landline "
    "(area code and number), service number, North American or E.164 number.",
    fix="Write phone numbers in one format (11-digit mobile, or area code and number).",
    title_zh="电话号码无效",
    fix_zh="统一电话号码格式（11 位手机号，或区号加号码）。",
    rubric="substantial",
)
def invalid_phone(table: Table) -> Hit | None:
    return invalid_values(table, ("phone",), lambda s: val.valid_phone, fast=(val.common_phone,))
