from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import invalid_values


@check(
    "invalid-org-code",
    dimension="validity",
    level="cell",
    title="Invalid organisation codes",
    description="A column of organisation codes (GB 11714: eight characters and a check character) holds "
    "values with a wrong check character or the wrong shape.",
    fix="Check the nine-character codes against the GB 11714 check character, or publish the unified social "
    "credit code that replaced them.",
)
def invalid_org_code(table: Table) -> Hit | None:
    return invalid_values(table, ("org-code",), lambda s: val.valid_org_code)
