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
    title_zh="组织机构代码无效",
    fix_zh="按 GB 11714 校验码核对 9 位组织机构代码，或改为发布取代它的统一社会信用代码。",
    rubric="substantial",
)
def invalid_org_code(table: Table) -> Hit | None:
    return invalid_values(table, ("org-code",), lambda s: val.valid_org_code)
