from profilers.context import Table
from profilers.registry import Hit, check
from profilers.types import Example


@check(
    "duplicate-column",
    dimension="uniqueness",
    severity="warning",
    level="column",
    title="Columns that repeat another column",
    description="Two columns hold the same value in every row.",
    fix="Delete the repeated column.",
)
def duplicate_column(table: Table) -> Hit | None:
    frame = table.content
    groups: dict[tuple[object, ...], list[int]] = {}
    for s in table.stats:
        if s.real == 0:
            continue
        groups.setdefault((s.distinct, s.empty, s.missing, s.min_length, s.max_length), []).append(s.field)
    dups: list[Example] = []
    for fields in groups.values():
        kept: list[int] = []
        for f in fields:
            col = frame.get_column(f"c{f}")
            twin = next((k for k in kept if frame.get_column(f"c{k}").equals(col)), None)
            if twin is None:
                kept.append(f)
            else:
                dups.append(
                    Example(
                        field=f, column=table.label(f), value=f"same as field {twin} ({table.label(twin)})"
                    )
                )
    if not dups:
        return None
    return Hit(len(dups), len(dups) / len(table.labels), dups)
