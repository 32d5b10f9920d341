import polars as pl

from profilers.context import WIDE, Table
from profilers.registry import Hit, check
from profilers.types import Example

TRANSPOSE_ROWS = 10_000


@check(
    "duplicate-column",
    dimension="uniqueness",
    severity="warning",
    level="column",
    title="Columns that repeat another column",
    description="Two columns hold the same value in every row.",
    fix="Delete the repeated column.",
    title_zh="重复列",
    fix_zh="删除与其他列内容相同的列。",
    rubric="routine",
)
def duplicate_column(table: Table) -> Hit | None:
    frame = table.content
    used = [s.field for s in table.stats if s.real > 0]
    if len(used) < 2:
        return None
    if len(used) > WIDE and frame.height <= TRANSPOSE_ROWS:
        # Wide and short: columns become rows, and repeated rows are repeated columns.
        columns = frame.select([f"c{f}" for f in used]).transpose()
        first = columns.select(pl.struct(columns.columns).is_first_distinct()).to_series()
        twins = [used[i] for i in (~first).arg_true().to_list()]
        keys = columns.select(pl.struct(columns.columns).hash()).to_series().to_list()
        owner: dict[int, int] = {}
        for f, key in zip(used, keys, strict=True):
            owner.setdefault(key, f)
        dups = [_example(table, f, owner[keys[used.index(f)]]) for f in twins]
    else:
        dups = _by_statistics(table, frame)
    if not dups:
        return None
    return Hit(len(dups), len(dups) / len(table.labels), dups)


def _by_statistics(table: Table, frame: pl.DataFrame) -> list[Example]:
    groups: dict[tuple[object, ...], list[int]] = {}
    for s in table.stats:
        if s.real == 0:
            continue
        groups.setdefault((s.distinct, s.empty, s.missing, s.min_length, s.max_length), []).append(s.field)
    dups: list[Example] = []
    for fields in groups.values():
        if len(fields) < 2:
            continue
        # Same statistics: compare the columns by an order-sensitive fingerprint of their values.
        seen: dict[bytes, int] = {}
        for f in fields:
            key = frame.get_column(f"c{f}").hash(seed=0).to_numpy().tobytes()
            twin = seen.get(key)
            if twin is None:
                seen[key] = f
            elif frame.get_column(f"c{twin}").equals(frame.get_column(f"c{f}")):
                dups.append(_example(table, f, twin))
    return dups


def _example(table: Table, field: int, twin: int) -> Example:
    return Example(
        field=field, column=table.label(field), value=f"same as field {twin} ({table.label(twin)})"
    )
