"""Cross-dataset relations of a portal, measured from signatures (no I/O, no clock).

Given candidate pairs (from LSH banding in the store, from content-hash groups and from
name blocks), each pair is verified and classified:

- ``duplicate``: same normalised content (content hash), whatever name, format or encoding;
- ``contained``: one dataset's rows are (almost) all in another, larger one;
- ``republished``: related names that differ only by a version marker (``revised``, ``updated``,
  ``vintage-2013``, ``dl2018``) or by overlapping year ranges, a compatible header and
  overlapping keys — a revision published as a new dataset;
- ``near-duplicate``: unrelated names, row sets with estimated Jaccard ≥ NEAR_DUPLICATE;
- ``series``: related names that differ by a period, part, page or region token, with a
  compatible header (the header may drift) — one table split across datasets.

Name relations decide between a revision and a series because content alone cannot: nine CPI
sub-indices share their header and their 31 province keys exactly like two vintages of one table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from profilers.signatures import NUM_PERM, Signatures, jaccard, name_tokens

NEAR_DUPLICATE = 0.8
"""Row-set Jaccard from which two unrelated datasets are near-duplicates. The LSH threshold is
lower (ROW_LSH_THRESHOLD) so that pairs at 0.8 are found with recall ≥ 0.99."""
NEAR_DUPLICATE_SLACK = 0.06
"""A pair is accepted when its *estimated* Jaccard is at least NEAR_DUPLICATE − 0.06: with 128
permutations the estimate's standard deviation at J = 0.8 is 0.035, so without the slack half the
pairs right at the threshold would be missed (measured: recall 0.948 → see bench/RESULTS.md)."""
ROW_LSH_THRESHOLD = 0.5
CONTAINED = 0.9
"""Estimated share of the smaller dataset's rows found in the larger one."""
CONTAINED_MAX_RATIO = 20
"""Containment is estimated from the Jaccard of the two row sets; past this size ratio the
estimate (128 permutations) is too coarse to trust, so no claim is made."""
KEY_OVERLAP = 0.4
"""Key-set Jaccard a revision must keep: the 2013 GDP vintage shares 0.64 of its (country, year)
keys with the current file; unrelated files with one name (two datapackage.json) share none."""
HEADER_JACCARD = 0.2
HEADER_OVERLAP = 0.4
"""A header is compatible when its label sets have Jaccard ≥ 0.2 or when ≥ 40% of the smaller set
is inside the larger. Calibrated on the corpus: the NYC eviction extracts drift from
boro/courtindex (2017) to UNIQUE_ID/COURT_INDEX_NUMBER (2018) and share 0.25 (overlap 0.44); a
GDP download covering five of the years of another shares 0.3. Headers alone never link: the
names must be related too, and unrelated tables with related names (CPI national vs by province,
rural income by quintile vs per capita) share under 0.07."""
NAME_WINDOW = 8
"""Within a block of datasets whose names start alike, each is compared with its next 8 in
name order (never all pairs); clusters are closed transitively."""

VERSION_WORDS = frozenset(
    [
        "revised",
        "revision",
        "rev",
        "updated",
        "update",
        "upd",
        "vintage",
        "version",
        "ver",
        "final",
        "corrected",
        "correction",
        "latest",
        "new",
        "old",
        "copy",
        "dl",
        "v",
        "修正",
        "修正版",
        "更新",
        "修订",
        "最新",
        "版",
    ]
)
_YEAR_RE = re.compile(r"^(?:19|20)[0-9]{2}$")


@dataclass(slots=True)
class Member:
    """One dataset of the pass."""

    key: str
    name: str
    title: str | None
    sig: Signatures | None
    tokens: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = name_tokens(self.title or self.name)


@dataclass(slots=True)
class Relation:
    a: int
    b: int
    kind: str
    row_jaccard: float
    key_jaccard: float
    header_jaccard: float
    containment: float = 0.0
    varying: list[str] = field(default_factory=list)

    def to_dict(self, members: Sequence[Member]) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "datasets": [members[self.a].key, members[self.b].key],
            "row_jaccard": round(self.row_jaccard, 3),
            "key_jaccard": round(self.key_jaccard, 3),
            "header_jaccard": round(self.header_jaccard, 3),
            "containment": round(self.containment, 3),
            "varying": self.varying,
        }


# -- names ------------------------------------------------------------------------------------


def split_name(tokens: Sequence[str]) -> tuple[list[str], list[str]]:
    """(words, varying): version markers and the numbers right after them are dropped; numbers
    are varying tokens; the rest are words."""
    words, varying = _split(tuple(tokens))
    return list(words), list(varying)


@lru_cache(maxsize=1 << 16)
def _split(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    words: list[str] = []
    varying: list[str] = []
    skip_number = False
    for tok in tokens:
        if tok in VERSION_WORDS:
            skip_number = True
            continue
        if tok.isdigit():
            if not skip_number:
                varying.append(tok)
            skip_number = False
            continue
        skip_number = False
        words.append(tok)
    return tuple(words), tuple(varying)


def names_related(a: Sequence[str], b: Sequence[str]) -> bool:
    """Names that start alike: at least two leading words in common, or all words of the shorter."""
    wa, _ = split_name(a)
    wb, _ = split_name(b)
    p = 0
    for x, y in zip(wa, wb, strict=False):
        if x != y:
            break
        p += 1
    return p >= 2 or (p >= 1 and p == min(len(wa), len(wb)))


def block_key(tokens: Sequence[str]) -> str:
    words, _ = split_name(tokens)
    return " ".join(words[:2])


def name_difference(a: Sequence[str], b: Sequence[str]) -> tuple[list[str], list[str]]:
    """Tokens of each name not in the other (multiset difference), version markers removed."""
    wa, va = split_name(a)
    wb, vb = split_name(b)
    ca, cb = Counter(wa + va), Counter(wb + vb)
    return sorted((ca - cb).elements()), sorted((cb - ca).elements())


def _years(tokens: Iterable[str]) -> list[int]:
    return sorted(int(t) for t in tokens if _YEAR_RE.match(t))


def revision_by_name(a: Sequence[str], b: Sequence[str]) -> bool | None:
    """True: the names say "another version of the same table" (they differ only by version
    markers, or one adds qualifiers to the other, or both cover overlapping year ranges);
    False: they name different parts (a period, part, page or region); None: same name."""
    da, db = name_difference(a, b)
    if not da and not db:
        return None if list(a) == list(b) else True
    if not da or not db:
        return True
    ya, yb = _years(da), _years(db)
    return len(ya) >= 2 and len(yb) >= 2 and ya[0] <= yb[-1] and yb[0] <= ya[-1]


# -- pairs ------------------------------------------------------------------------------------


def name_pairs(members: Sequence[Member], window: int = NAME_WINDOW) -> np.ndarray:
    """Candidate pairs (k × 2 int64, i < j) from name blocks: datasets whose names share their
    first words, each paired with its next ``window`` neighbours in name order."""
    keyed = sorted((key, m.title or m.name, i) for i, m in enumerate(members) if (key := block_key(m.tokens)))
    if len(keyed) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    block = np.array([k for k, _, _ in keyed], dtype=object)
    index = np.array([i for _, _, i in keyed], dtype=np.int64)
    parts = []
    for step in range(1, window + 1):
        same = block[step:] == block[:-step]
        a, b = index[:-step][same], index[step:][same]
        parts.append(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1))
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def header_similarity(a: Sequence[str], b: Sequence[str]) -> tuple[float, float]:
    """(Jaccard, overlap coefficient) of two normalised label sets."""
    sa, sb = set(a) - {""}, set(b) - {""}
    if not sa or not sb:
        return 0.0, 0.0
    inter = len(sa & sb)
    return inter / len(sa | sb), inter / min(len(sa), len(sb))


def classify(members: Sequence[Member], pairs: Iterable[tuple[int, int]]) -> list[Relation]:
    """Verify candidate pairs and keep those that are related, with their kind."""
    out: list[Relation] = []
    for i, j in sorted(set(pairs)):
        rel = classify_pair(members[i], members[j])
        if rel is not None:
            kind, rj, kj, hj, cont, varying = rel
            out.append(Relation(i, j, kind, rj, kj, hj, cont, varying))
    return out


def classify_pair(a: Member, b: Member) -> tuple[str, float, float, float, float, list[str]] | None:
    sa, sb = a.sig, b.sig
    if sa is None or sb is None:
        return None
    rj = jaccard(sa.row_minhash, sb.row_minhash) if sa.rows and sb.rows else 0.0
    kj = jaccard(sa.key_minhash, sb.key_minhash) if sa.rows and sb.rows else 0.0
    hj, hover = header_similarity(sa.header, sb.header)
    if sa.rows and sa.content_hash == sb.content_hash:
        return "duplicate", 1.0, 1.0, hj, 1.0, []
    small, big = sorted((sa.rows, sb.rows))
    containment = 0.0
    if small and rj > 0 and big <= small * CONTAINED_MAX_RATIO:
        containment = min(1.0, rj * (sa.rows + sb.rows) / ((1 + rj) * small))
    ta, tb = a.tokens, b.tokens
    related = names_related(ta, tb)
    compatible = hj >= HEADER_JACCARD or hover >= HEADER_OVERLAP
    if related and compatible:
        verdict = revision_by_name(ta, tb)
        da, db = name_difference(ta, tb)
        if verdict is True and (kj >= KEY_OVERLAP or rj >= ROW_LSH_THRESHOLD):
            return "republished", rj, kj, hj, containment, da + db
        if verdict is False:
            if containment >= CONTAINED and small < big and rj < NEAR_DUPLICATE:
                return "contained", rj, kj, hj, containment, da + db
            if kj >= 0.9 and rj >= ROW_LSH_THRESHOLD:
                return "republished", rj, kj, hj, containment, da + db
            return "series", rj, kj, hj, containment, da + db
    if rj >= NEAR_DUPLICATE - NEAR_DUPLICATE_SLACK:
        return "near-duplicate", rj, kj, hj, containment, []
    if containment >= CONTAINED and small < big and compatible:
        return "contained", rj, kj, hj, containment, []
    if kj >= 0.9 and rj >= ROW_LSH_THRESHOLD and compatible:
        return "republished", rj, kj, hj, containment, []
    return None


# -- clusters ---------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return [sorted(g) for g in out.values() if len(g) > 1]


CLUSTER_KINDS = {
    "duplicate": ("duplicate",),
    "contained": ("contained",),
    "republished": ("republished",),
    "near-duplicate": ("near-duplicate",),
    # a series is closed over its revisions too: the three 2025 calendars are one part of the
    # yearly calendar series (and, among themselves, a republication group)
    "series": ("series", "republished", "duplicate"),
}


@dataclass(slots=True)
class Cluster:
    kind: str
    members: list[int]
    relations: list[Relation]

    def to_dict(self, members: Sequence[Member]) -> dict[str, Any]:
        keys = [members[i].key for i in self.members]
        out: dict[str, Any] = {"kind": self.kind, "datasets": keys, "size": len(keys)}
        if self.relations:
            out["row_jaccard_max"] = round(max(r.row_jaccard for r in self.relations), 3)
        if self.kind == "series":
            out.update(series_summary(members, self))
        return out


def clusters(members: Sequence[Member], relations: Sequence[Relation]) -> list[Cluster]:
    """Connected groups per kind (a series only when at least one series edge joins it)."""
    out: list[Cluster] = []
    for kind, edge_kinds in CLUSTER_KINDS.items():
        uf = _UnionFind()
        edges = [r for r in relations if r.kind in edge_kinds]
        for r in edges:
            uf.union(r.a, r.b)
        by_root: dict[int, list[Relation]] = {}
        for r in edges:
            by_root.setdefault(uf.find(r.a), []).append(r)
        for group in uf.groups():
            rels = by_root.get(uf.find(group[0]), [])
            if kind == "series" and not any(r.kind == "series" for r in rels):
                continue
            out.append(Cluster(kind, group, rels))
    out.sort(key=lambda c: (list(CLUSTER_KINDS).index(c.kind), c.members[0]))
    return out


_MONTH_RE = re.compile(r"^(?:0?[1-9]|1[0-2])$")


def series_summary(members: Sequence[Member], cluster: Cluster) -> dict[str, Any]:
    """What varies across a series, whether its header drifts, and the merged table it suggests."""
    varying = Counter(t for r in cluster.relations if r.kind == "series" for t in r.varying)
    tokens = list(varying)
    if tokens and all(_YEAR_RE.match(t) for t in tokens):
        by = "year"
    elif tokens and all(t.isdigit() for t in tokens) and any(_YEAR_RE.match(t) for t in tokens):
        by = "period"
    elif any("page" in members[i].tokens for i in cluster.members):
        by = "page"
    elif any("part" in members[i].tokens for i in cluster.members):
        by = "part"
    elif tokens and all(_MONTH_RE.match(t) for t in tokens):
        by = "month"
    elif tokens and all(t.isdigit() for t in tokens):
        by = "number"
    else:
        by = "name"
    sigs = [members[i].sig for i in cluster.members if members[i].sig is not None]
    headers = [tuple(s.header) for s in sigs if s is not None]
    drift = len(set(headers)) > 1
    union: list[str] = []
    for h in headers:
        for label in h:
            if label and label not in union:
                union.append(label)
    rows = sum(s.rows for s in sigs if s is not None)
    return {
        "split_by": by,
        "varying_tokens": sorted(tokens)[:20],
        "schema_drift": drift,
        "headers": len(set(headers)),
        "suggested_merge": {
            "add_column": by,
            "columns": len(union) + 1,
            "rows": rows,
            "replaces": len(cluster.members),
        },
    }


def fragmentation_index(n_datasets: int, groups: Sequence[Cluster]) -> float:
    """1 − (tables left after merging each series and keeping one of each duplicate or revision
    group) / datasets: 0 when every dataset stands alone, towards 1 when the portal is pieces."""
    if n_datasets <= 0:
        return 0.0
    uf = _UnionFind()
    for c in groups:
        for x in c.members[1:]:
            uf.union(c.members[0], x)
    merged = sum(len(g) - 1 for g in uf.groups())
    return round(merged / n_datasets, 4)


def valid_signature(sig: Signatures | None, hash_id: str) -> bool:
    return sig is not None and sig.hash_id == hash_id and sig.row_minhash.shape == (NUM_PERM,)
