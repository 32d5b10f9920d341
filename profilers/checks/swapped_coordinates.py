from profilers.context import Table
from profilers.registry import Hit, check, short
from profilers.semantic.coords import swapped_pairs
from profilers.types import MAX_EXAMPLES, Example


@check(
    "swapped-coordinates",
    dimension="validity",
    level="row",
    title="Latitude and longitude swapped",
    description="Rows whose latitude holds the longitude and whose longitude holds the latitude: a latitude "
    "beyond ±90 beside a longitude within ±90, or, in a table of one city or region, a pair that sits at "
    "the other column's centre (lat −73.98 / lon 40.75 among New York points).",
    fix="Swap the latitude and longitude of these rows back (latitude is north–south, within ±90).",
    title_zh="经纬度颠倒",
    fix_zh="将这些行的纬度和经度对调回来（纬度表示南北，范围在 ±90 以内）。",
    rubric="substantial",
)
def swapped_coordinates(table: Table) -> Hit | None:
    pair = swapped_pairs(table)
    if pair is None:
        return None
    field = int(pair.lat[1:])
    examples = [
        Example(row=int(r), field=field, column=table.label(field), value=short(f"{lat}, {lon}"))
        for r, lat, lon in pair.rows.head(MAX_EXAMPLES).iter_rows()
    ]
    n = pair.rows.height
    return Hit(n, n / max(table.rows, 1), examples)
