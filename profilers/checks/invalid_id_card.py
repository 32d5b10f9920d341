from profilers.context import Table
from profilers.registry import Hit, check
from profilers.semantic import validators as val
from profilers.semantic.run import invalid_values


@check(
    "invalid-id-card",
    dimension="validity",
    level="cell",
    title="Invalid resident ID card numbers",
    description="A column of resident ID card numbers (GB 11643) holds values with a wrong check digit, "
    "an impossible birth date, an unknown province prefix or the wrong length.",
    fix="Check the 18-digit numbers against the GB 11643 checksum and store them as text so the final digit or X survives (and consider whether personal ID numbers should be published at all).",
    title_zh="身份证号码无效",
    fix_zh="按 GB 11643 校验码核对 18 位号码，并以文本格式保存以免末位或 X 丢失（同时评估是否应公开个人身份证号码）。",
    rubric="substantial",
)
def invalid_id_card(table: Table) -> Hit | None:
    return invalid_values(table, ("id-card",), lambda s: val.valid_id_card, series=val.id_card_series)
