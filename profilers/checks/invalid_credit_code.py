from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import invalid_values


@check(
    "invalid-credit-code",
    dimension="validity",
    level="cell",
    title="Invalid unified social credit codes",
    description="A column of unified social credit codes (GB 32100) holds values with a wrong check "
    "character, letters outside the code's alphabet (I, O, S, V, Z) or the wrong length.",
    fix="Check the 18-character codes against the GB 32100 check character.",
    title_zh="统一社会信用代码无效",
    fix_zh="按 GB 32100 校验规则核对 18 位代码。",
    rubric="substantial",
)
def invalid_credit_code(table: Table) -> Hit | None:
    return invalid_values(
        table, ("credit-code",), lambda s: val.valid_credit_code, series=val.credit_code_series
    )
