from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import invalid_values


@check(
    "invalid-email",
    dimension="validity",
    level="cell",
    title="Invalid email addresses",
    description="A column of email addresses holds values that are not name@domain.tld.",
    fix="Correct the malformed addresses (name@domain).",
    title_zh="电子邮箱无效",
    fix_zh="更正格式错误的邮箱地址（name@domain）。",
    rubric="substantial",
)
def invalid_email(table: Table) -> Hit | None:
    return invalid_values(table, ("email",), lambda s: val.valid_email, fast=(val.plain_email,))
