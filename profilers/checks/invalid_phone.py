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
)
def invalid_phone(table: Table) -> Hit | None:
    return invalid_values(table, ("phone",), lambda s: val.valid_phone, fast=(val.common_phone,))
