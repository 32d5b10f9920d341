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
    fix="Check the numbers against the GB 11643 check digit and store them as text so the final X survives.",
)
def invalid_id_card(table: Table) -> Hit | None:
    return invalid_values(table, ("id-card",), lambda s: val.valid_id_card, series=val.id_card_series)
