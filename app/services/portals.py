"""Use-cases of portals: add datasets, run the portal pass (cross-dataset duplicates, revisions,
split series; portal scores and rank), score a folder as a portal, list and read portals.

Contract (used by the catalog runs and the web pages):

- ``add_datasets(repo, portal, entries)`` — upsert ``DatasetEntry`` rows into a portal (created
  when new); reports not yet stored are stored.
- ``run_portal_pass(repo, portal, catalog=None)`` → the portal report (DESIGN §8 + clusters +
  history); each pass is kept, so a portal's score has a history. ``catalog``: the catalog-level
  summary of the catalog run that fed the portal (``{"mqa", "findings", "run_id", "source"}``);
  without it, that of the latest finished catalog run of the portal is used, if any. Its findings
  (``duplicate-title`` …) become portal findings listing their datasets, scored in their dimension.
- ``score_directory(repo, settings, folder, portal)`` → every file under ``folder`` (nested folders
  too) scored as one dataset, then the pass.
- Depth: a report says how deeply the portal was assessed (``depth``: ``metadata-only``,
  ``links-checked`` or ``content`` with ``read`` of ``datasets``). A dataset a metadata-only run
  downloaded nothing for is not read: no content dimension (not 0), its MQA score as ``metadata``,
  and ``low-capacity`` marked ``declared`` when its catalog declares ≤ MIN_ROWS records.
- ``list_portals(repo, depth=None)`` → leaderboard rows, ranked among the portals of one depth; ``get_portal(repo, id_or_name, datasets_limit=None,
  datasets_offset=0, datasets_order="key")`` → the latest report with a page of its datasets
  (``datasets_total`` counts them all; order ``key`` = by id, ``worst`` = lowest score first).
- ``store_signatures(repo, sha256, sigs)`` — the writer side of signatures computed elsewhere
  (``profilers.signatures.signatures_of(table)`` in a worker process; plain data, picklable).
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np

from app.errors import BadRequest, NotFound
from app.storage.portals import PortalStore
from app.storage.repository import Repository
from profilers.checks.low_capacity import MIN_ROWS
from profilers.context import Table
from profilers.portal import (
    NEAR_DUPLICATE,
    Cluster,
    Member,
    Relation,
    classify,
    clusters,
    fragmentation_index,
    name_pairs,
)
from profilers.signatures import HASH_ID, NUM_PERM, Signatures, signatures_of
from scoring import SCORING_VERSION, describe_code, scoring_digest
from scoring.portal import PORTAL_DIMENSIONS, DatasetScore, PortalFinding, score_portal

log = logging.getLogger(__name__)

PREFILTER_ROW = 0.3
PREFILTER_HEADER = 0.12
"""Candidate pairs are first screened on their estimated row and header Jaccard (vectorised);
only pairs above either (or with equal content) are classified one by one."""

KIND_CODES = {
    "duplicate": "duplicate-dataset",
    "contained": "contained-dataset",
    "republished": "republished-dataset",
    "near-duplicate": "near-duplicate-dataset",
    "series": "split-series",
}
SEVERITY = {
    "duplicate-dataset": "error",
    "contained-dataset": "warning",
    "republished-dataset": "warning",
    "near-duplicate-dataset": "warning",
    "split-series": "warning",
    "duplicate-metadata": "info",
    "low-capacity": "info",
}
MAX_GROUPS = 50
"""Groups listed per portal finding (the count stays exact; every cluster is in ``clusters``)."""
DEPTHS = ("metadata-only", "links-checked", "content")
"""How deeply a portal was assessed: its catalog metadata only; metadata and the status of its
links; the content of N of its M datasets (read and scored)."""
UNREAD = ("metadata-only", "links-checked")
"""A dataset's ``metadata.depth`` when its catalog run downloaded nothing (metadata-only)."""
DATASET_ORDERS = ("key", "worst")
"""Orders of a portal report's datasets list: ``key`` (dataset id, the default) and ``worst``
(lowest score first; datasets with nothing scored first of all, then by id)."""


@dataclass
class DatasetEntry:
    key: str
    """Stable id within the portal (relative path for a folder; catalog id for a catalog)."""
    title: str | None
    name: str
    """File name or URL, for display."""
    report: dict[str, Any] | None
    """The dataset's scored report (app.services.scoring), None if nothing could be scored."""
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    extra_findings: list[dict[str, Any]] = field(default_factory=list)


# -- signatures -------------------------------------------------------------------------------


def store_signatures(repo: Repository, sha256: str, sigs: Signatures | None) -> None:
    """Keep a resource's signatures (computed here or in a worker process) for portal passes."""
    if sigs is not None:
        PortalStore(repo).save_signatures(sha256, sigs)


def keep_signatures(repo: Repository, sha256: str, table: Table) -> None:
    """Compute and keep the signatures of a loaded table (the scoring service calls this)."""
    try:
        sigs = signatures_of(table)
    except Exception:  # a signature failure must never fail the scoring of the file
        log.exception("signatures of %s failed", sha256)
        return
    store_signatures(repo, sha256, sigs)


_UNSIGNABLE: set[str] = set()
"""Blobs whose signatures could not be recomputed in this process's life (unreadable, or past a
worker's limit): not parsed again at every pass."""


def _ensure_signatures(repo: Repository, pstore: PortalStore, shas: Iterable[str]) -> dict[str, Signatures]:
    """Current signatures of ``shas``; missing or stale ones are recomputed from the kept blob,
    in a parsing worker under its limits (as the file was scored), never in this process."""
    shas = set(shas)
    found = {k: v for k, v in pstore.load_signatures(shas).items() if v.hash_id == HASH_ID}
    for sha in sorted(shas - set(found) - _UNSIGNABLE):
        resource = repo.get_resource(sha)
        path = Path(resource["blob_path"]) if resource and resource.get("blob_path") else None
        if resource is None or path is None or not path.is_file():
            continue
        sigs = _recompute_signatures(path, resource.get("first_name") or path.name, sha)
        if sigs is None:
            _UNSIGNABLE.add(sha)
            continue
        pstore.save_signatures(sha, sigs)
        found[sha] = sigs
    return found


def _recompute_signatures(path: Path, name: str, sha: str) -> Signatures | None:
    import tempfile

    from app.ingest.sandbox import limits_from, score_isolated
    from app.settings import Settings

    limits = limits_from(Settings())
    if limits is None:  # parsing not isolated (ODQ_ISOLATE_PARSING=false): here, as scoring does
        from app.ingest.load import load_table

        with tempfile.TemporaryDirectory(prefix="odq-sig-") as work:
            return signatures_of(load_table(path, name, sha, Path(work)))
    done = score_isolated(path, name, sha, limits, signatures=True)
    if done.limit is not None or done.report.get("fatal"):
        return None
    return cast(Signatures | None, done.signatures)


# -- datasets ---------------------------------------------------------------------------------


def add_datasets(
    repo: Repository,
    portal: str,
    entries: Iterable[DatasetEntry],
    kind: str | None = None,
    source: str | None = None,
) -> None:
    """Add or update datasets of ``portal`` (created when new)."""
    from app.services.scoring import _options_key

    pstore = PortalStore(repo)
    pid = pstore.ensure_portal(portal, kind, source)
    rows = []
    for e in entries:
        report = e.report
        if report is not None and report.get("id") and repo.get_report(str(report["id"])) is None:
            report = repo.save_report(report, _options_key(e.name))
        src = (report or {}).get("source") or {}
        rows.append(
            {
                "key": e.key,
                "title": e.title,
                "name": e.name,
                "url": e.url,
                "sha256": src.get("sha256") or None,
                "report_id": (report or {}).get("id"),
                "score": (report or {}).get("score"),
                "band": (report or {}).get("band"),
                "metadata": e.metadata,
                "extra_findings": e.extra_findings,
            }
        )
    pstore.upsert_datasets(pid, rows)


def score_directory(repo: Repository, settings: Any, folder: Path, portal: str) -> dict[str, Any]:
    """Score every file under ``folder`` (nested folders allowed; hidden files skipped) as one
    dataset of ``portal``, drop datasets whose file is gone, and run the portal pass."""
    from app.ingest.blobs import store_file
    from app.services.scoring import score_blob

    folder = Path(folder)
    if not folder.is_dir():
        raise NotFound(f"{folder} is not a folder.", code="folder-not-found")
    entries = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        blob = store_file(path, settings.blob_dir, limit=1 << 62)
        scored = score_blob(blob, path.name, repo, store_rows=settings.store_rows)
        entries.append(DatasetEntry(key=rel, title=None, name=path.name, report=scored.report))
    add_datasets(repo, portal, entries, kind="dir", source=folder.name)
    pstore = PortalStore(repo)
    portal_row = pstore.find_portal(portal)
    assert portal_row is not None
    pstore.remove_datasets_except(portal_row["id"], [e.key for e in entries])
    return run_portal_pass(repo, portal)


# -- the pass ---------------------------------------------------------------------------------


def _candidates(
    members: Sequence[Member], band_pairs: Iterable[tuple[str, str]], sha_of: Sequence[str | None]
) -> np.ndarray:
    """Candidate pairs (k × 2, i < j, unique): shared LSH band keys, equal content, name blocks."""
    by_sha: dict[str, list[int]] = {}
    for i, sha in enumerate(sha_of):
        if sha:
            by_sha.setdefault(sha, []).append(i)
    pairs: list[tuple[int, int]] = []
    for a, b in band_pairs:
        for i in by_sha.get(a, ()):
            for j in by_sha.get(b, ()):
                pairs.append((min(i, j), max(i, j)))
    # the same content (same bytes, or the same rows in another file): chain each group
    by_content: dict[str, list[int]] = {}
    for i, m in enumerate(members):
        if m.sig is not None and m.sig.rows:
            by_content.setdefault(m.sig.content_hash, []).append(i)
    for group in by_content.values():
        pairs.extend((group[k], group[k + 1]) for k in range(len(group) - 1))
    found = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    allp = np.concatenate([found, name_pairs(members)])
    if not allp.size:
        return allp
    n = max(1, len(members))
    codes = np.unique(allp[:, 0] * n + allp[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def _prefilter(members: Sequence[Member], pairs: np.ndarray) -> list[tuple[int, int]]:
    """Vectorised screen of candidate pairs on estimated row and header Jaccard."""
    has = np.array([m.sig is not None for m in members], dtype=bool)
    if not pairs.size:
        return []
    idx = pairs[has[pairs[:, 0]] & has[pairs[:, 1]]]
    if not idx.size:
        return []
    empty = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    rows = np.vstack([m.sig.row_minhash if m.sig is not None else empty for m in members])
    heads = np.vstack([m.sig.header_minhash if m.sig is not None else empty for m in members])
    content = np.array([m.sig.content_hash if m.sig is not None else "" for m in members], dtype=object)
    keep = np.zeros(len(idx), dtype=bool)
    for start in range(0, len(idx), 200_000):  # bounded memory: 200k pairs × 128 values at a time
        part = idx[start : start + 200_000]
        rj = (rows[part[:, 0]] == rows[part[:, 1]]).mean(axis=1)
        hj = (heads[part[:, 0]] == heads[part[:, 1]]).mean(axis=1)
        same = content[part[:, 0]] == content[part[:, 1]]
        keep[start : start + len(part)] = same | (rj >= PREFILTER_ROW) | (hj >= PREFILTER_HEADER)
    return [(int(a), int(b)) for a, b in idx[keep]]


def _norm_title(title: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", title).casefold())


def _finding(
    code: str, count: int, share: float, groups: list[list[str]], message: str = ""
) -> dict[str, Any]:
    described = describe_code(code)
    involved = sorted({k for g in groups for k in g})
    return {
        "code": code,
        "dimension": described["dimension"],
        "severity": SEVERITY.get(code, "warning"),
        "level": "portal",
        "title": described["title_en"],
        "title_zh": described["title_zh"],
        "message": message,
        "count": count,
        "share": round(share, 6),
        "points_lost": 0.0,
        "fix": described["fix_en"],
        "fix_zh": described["fix_zh"],
        "examples": [
            {"row": None, "field": None, "column": None, "value": " ↔ ".join(g[:4])} for g in groups[:5]
        ],
        "datasets": involved,
        "groups": groups[:MAX_GROUPS],
        "truncated": len(groups) > MAX_GROUPS,
    }


def portal_findings(
    members: Sequence[Member], groups: Sequence[Cluster], datasets: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Portal-level findings from the clusters, titles and dataset reports."""
    n = max(1, len(members))
    out: list[dict[str, Any]] = []
    for kind, code in KIND_CODES.items():
        mine = [c for c in groups if c.kind == kind]
        if not mine:
            continue
        keys = [[members[i].key for i in c.members] for c in mine]
        involved = sum(len(c.members) for c in mine)
        redundant = involved - len(mine)
        message = f"{len(mine)} group(s), {involved} datasets; merging would leave {len(mine)}"
        out.append(_finding(code, involved, redundant / n, keys, message))
    # the same title on datasets whose content differs (a dataset whose content was not read has
    # no content to differ: its repeated title is the catalog's ``duplicate-title``)
    titles: dict[str, list[int]] = {}
    unread = {d["key"] for d in datasets if not is_read(d)}
    for i, m in enumerate(members):
        if m.title and _norm_title(m.title) and m.key not in unread:
            titles.setdefault(_norm_title(m.title), []).append(i)
    same = []
    for idx in titles.values():
        contents = {_content(members[i]) for i in idx}
        if len(idx) > 1 and len(contents) > 1:
            same.append([members[i].key for i in idx])
    if same:
        involved = sum(len(g) for g in same)
        out.append(_finding("duplicate-metadata", involved, (involved - len(same)) / n, same))
    measured = [d["key"] for d in datasets if _has_code(d.get("report"), "low-capacity")]
    declared = [d["key"] for d in datasets if declared_low_capacity(d) is not None]
    low = sorted({*measured, *declared})
    if low:
        f = _finding("low-capacity", len(low), len(low) / n, [[k] for k in low])
        f["message"] = (
            f"share of datasets with {MIN_ROWS} records or fewer ({len(measured)} measured in their "
            f"content, {len(declared)} declared by the catalog); scored in each dataset, not again here"
        )
        f["scored"] = False
        f["declared"] = declared
        f["measured"] = measured
        out.append(f)
    return out


def is_read(d: dict[str, Any]) -> bool:
    """Whether a portal dataset's content was assessed (False: a metadata-only run asked for no
    download, so its content dimensions are not assessed)."""
    return d.get("report") is not None or (d.get("metadata") or {}).get("depth") not in UNREAD


def declared_low_capacity(d: dict[str, Any]) -> dict[str, Any] | None:
    """The ``low-capacity`` finding (marked ``declared``) of a dataset whose content was not read
    and whose catalog declares MIN_ROWS records or fewer: the threshold and share of the content
    check (``profilers/checks/low_capacity.py``), from the declared count."""
    rows = (d.get("metadata") or {}).get("declared_rows")
    if is_read(d) or not isinstance(rows, int) or rows > MIN_ROWS:
        return None
    share = (MIN_ROWS + 1 - rows) / (MIN_ROWS + 1)
    return {
        "code": "low-capacity",
        "dimension": "consolidation",
        "severity": "warning",
        "count": 1,
        "share": round(share, 6),
        "declared": True,
        "message": f"{rows} records declared by the catalog",
    }


def portal_depth(datasets: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How deeply the portal was assessed: ``content`` when any dataset's content was read
    (``read`` of ``datasets``: those with a report that is not fatal), else ``links-checked``
    when a metadata-only run checked links, else ``metadata-only``."""
    read = sum(1 for d in datasets if d.get("report") is not None and not (d["report"] or {}).get("fatal"))
    if any(is_read(d) for d in datasets):
        level = "content"
    elif any((d.get("metadata") or {}).get("depth") == "links-checked" for d in datasets):
        level = "links-checked"
    else:
        level = "metadata-only"
    declared = sum(1 for d in datasets if isinstance((d.get("metadata") or {}).get("declared_rows"), int))
    return {"level": level, "read": read, "datasets": len(datasets), "declared_counts": declared}


def catalog_findings(catalog: dict[str, Any] | None, members: Sequence[Member]) -> list[dict[str, Any]]:
    """The catalog-level findings of a catalog run (``duplicate-title``: one per repeated title,
    each with its ``datasets``) as portal findings, one per code: ``groups`` the datasets of each
    finding (those still in the portal), ``count`` the datasets involved, ``share`` of the portal."""
    if not catalog:
        return []
    keys = {m.key for m in members}
    by_code: dict[str, list[list[str]]] = {}
    for f in catalog.get("findings") or []:
        if not isinstance(f, dict) or not f.get("code"):
            continue
        given = [str(k) for k in f.get("datasets") or []]
        group = [k for k in given if k in keys]
        if group and len(group) >= min(2, len(given)):
            by_code.setdefault(str(f["code"]), []).append(group)
    n = max(1, len(members))
    out = []
    for code, groups in by_code.items():
        involved = sum(len(g) for g in groups)
        message = f"{len(groups)} group(s), {involved} datasets (catalog run {catalog.get('run_id') or '-'})"
        finding = _finding(code, involved, min(1.0, involved / n), groups, message)
        finding["source"] = "catalog"
        out.append(finding)
    return out


def _catalog_section(catalog: dict[str, Any] | None) -> dict[str, Any]:
    """The report's ``catalog`` (the catalog run's MQA value and its catalog-level findings, each
    listing its datasets) and ``mqa`` (the MQA score and dimension points, as the DQV export
    reads them); nothing when no catalog run fed the portal."""
    if not catalog:
        return {"catalog": None}
    mqa = catalog.get("mqa") if isinstance(catalog.get("mqa"), dict) else None
    out: dict[str, Any] = {
        "catalog": {
            "run_id": catalog.get("run_id"),
            "source": catalog.get("source"),
            "finished_at": catalog.get("finished_at"),
            "mqa": mqa,
            "findings": list(catalog.get("findings") or []),
        }
    }
    if mqa:
        out["mqa"] = {
            "score": mqa.get("score_405"),
            "band": mqa.get("band"),
            "dimensions": {k: (v or {}).get("points") for k, v in (mqa.get("dimensions") or {}).items()},
        }
    return out


def _content(m: Member) -> str:
    return m.sig.content_hash if m.sig is not None else m.key


def _has_code(report: dict[str, Any] | None, code: str) -> bool:
    return bool(report) and any(f.get("code") == code for f in (report or {}).get("findings") or [])


def add_report(
    repo: Repository, portal: str, report: dict[str, Any], name: str, url: str | None = None
) -> None:
    """One scored file into ``portal`` (keyed by its URL, else its name), then the portal pass:
    what scoring an upload or a URL into a portal does."""
    key = url or name
    add_datasets(repo, portal, [DatasetEntry(key=key, title=None, name=key, report=report, url=url)])
    run_portal_pass(repo, portal)


def run_portal_pass(repo: Repository, portal: str, catalog: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compare the portal's datasets (LSH candidates, verified), cluster them, score the portal
    (with the catalog-level findings of ``catalog``, or of the portal's latest catalog run), store
    the run (its history) and return the portal report (every dataset in it)."""
    pstore = PortalStore(repo)
    row = pstore.find_portal(portal)
    if row is None:
        raise NotFound(f"No portal {portal!r}.", code="portal-not-found")
    pid = row["id"]
    if catalog is None:
        catalog = pstore.latest_catalog_summary(row["name"])
    datasets = pstore.datasets(pid)
    shas = [d["sha256"] for d in datasets]
    sigs = _ensure_signatures(repo, pstore, {s for s in shas if s})
    members = [
        Member(d["key"], d["name"], d["title"], sigs.get(d["sha256"]) if d["sha256"] else None)
        for d in datasets
    ]
    band_pairs = pstore.band_pairs(pid, HASH_ID)
    candidates = _candidates(members, band_pairs, shas)
    screened = _prefilter(members, candidates)
    relations = classify(members, screened)
    groups = clusters(members, relations)
    findings = portal_findings(members, groups, datasets)
    findings += catalog_findings(catalog, members)
    report = _portal_report(row, datasets, members, relations, groups, findings)
    report.update(_catalog_section(catalog))
    report["candidate_pairs"] = len(candidates)
    report["verified_pairs"] = len(screened)
    report["stale_signatures"] = sum(1 for s in set(shas) if s and s not in sigs)
    pstore.save_run(pid, report, report["clusters"])
    return _with_standing(pstore, row["id"], report)


def _portal_report(
    row: dict[str, Any],
    datasets: Sequence[dict[str, Any]],
    members: Sequence[Member],
    relations: Sequence[Relation],
    groups: Sequence[Cluster],
    findings: list[dict[str, Any]],
) -> dict[str, Any]:
    declared = {d["key"]: declared_low_capacity(d) for d in datasets}
    scored = []
    for d in datasets:
        read = is_read(d)
        mqa = (d["metadata"] or {}).get("mqa_score")
        low = declared[d["key"]]
        scored.append(
            DatasetScore(
                score=(d["report"] or {}).get("score") if d["report"] else None,
                dimensions={
                    k: v.get("score") for k, v in ((d["report"] or {}).get("dimensions") or {}).items()
                },
                extra=[*d["extra_findings"], *([low] if low is not None else [])],
                read=read,
                metadata_score=float(mqa) if not read and isinstance(mqa, int | float) else None,
                declared=("consolidation",)
                if not read and isinstance((d["metadata"] or {}).get("declared_rows"), int)
                else (),
            )
        )
    depth = portal_depth(datasets)
    scoring_findings = [
        PortalFinding(f["code"], f["dimension"], f["count"], f["share"])
        for f in findings
        if f.get("scored", True) and f.get("dimension")
    ]
    # a pass over datasets none of which was read measures no cross-dataset content relation
    card = score_portal(
        scored, scoring_findings, measured=PORTAL_DIMENSIONS if depth["level"] == "content" else ()
    )
    lost = {(f.code, f.dimension): f.points_lost for f in card.findings}
    for f in findings:
        f["points_lost"] = lost.get((f["code"], f["dimension"]), 0.0)
    findings.sort(key=lambda f: (-f["points_lost"], f["code"]))
    in_cluster: dict[str, list[str]] = {}
    for c in groups:
        for i in c.members:
            in_cluster.setdefault(members[i].key, []).append(KIND_CODES[c.kind])
    now = datetime.now(UTC)
    return {
        "id": row["id"],
        "run_id": uuid.uuid4().hex,
        "kind": "portal",
        "scoring_version": SCORING_VERSION,
        "scoring_digest": scoring_digest(),
        "created_at": now.isoformat(timespec="seconds"),
        "portal": {"id": row["id"], "name": row["name"], "kind": row["kind"], "source": row["source"]},
        "score": card.score,
        "band": card.band,
        "dimensions": card.dimensions,
        "bands": card.bands,
        "fragmentation_index": fragmentation_index(len(members), groups),
        "depth": depth,
        "low_capacity_share": round(
            sum(1 for d in datasets if _has_code(d["report"], "low-capacity") or declared[d["key"]])
            / max(1, len(datasets)),
            4,
        ),
        "indicators": _indicators(datasets, declared),
        "findings": findings,
        "clusters": [c.to_dict(members) for c in groups],
        "datasets": [
            {
                "id": d["key"],
                "title": d["title"],
                "name": d["name"],
                "url": d["url"],
                "sha256": d["sha256"],
                "report_id": d["report_id"],
                "score": d["score"],
                "band": d["band"],
                "findings": [
                    {"code": f["code"], "count": f.get("count"), "points_lost": f.get("points_lost")}
                    for f in ((d["report"] or {}).get("findings") or [])
                ]
                + [
                    {"code": f.get("code"), "count": f.get("count"), "points_lost": None}
                    for f in d["extra_findings"]
                ]
                + (
                    [{"code": "low-capacity", "count": 1, "points_lost": None, "declared": True}]
                    if declared[d["key"]]
                    else []
                ),
                "declared_rows": (d["metadata"] or {}).get("declared_rows"),
                "read": is_read(d),
                "portal_findings": sorted(set(in_cluster.get(d["key"], []))),
            }
            for d in datasets
        ],
        "datasets_total": len(datasets),
        "datasets_page": {"offset": 0, "limit": None, "order": "key"},
        "thresholds": {"near_duplicate": NEAR_DUPLICATE, "hash_id": HASH_ID},
        "relations": len(relations),
    }


def _indicators(
    datasets: Sequence[dict[str, Any]], declared: dict[str, dict[str, Any] | None]
) -> dict[str, Any]:
    """Portal indicators with their formulas; capacity is ``measured`` (the content check) where
    the content was read and ``declared`` (the catalog's record count) where it was not."""
    n = len(datasets)
    measured = sum(1 for d in datasets if _has_code(d["report"], "low-capacity"))
    stated = sum(1 for v in declared.values() if v)
    return {
        "low_capacity_share": {
            "value": round((measured + stated) / n, 4) if n else None,
            "datasets": measured + stated,
            "measured": measured,
            "declared": stated,
            "of": n,
            "formula": f"datasets with {MIN_ROWS} records or fewer (measured in the content where it was "
            "read, declared by the catalog where it was not) ÷ datasets of the portal",
        }
    }


# -- reading ----------------------------------------------------------------------------------


def list_portals(repo: Repository, depth: str | None = None) -> list[dict[str, Any]]:
    """Leaderboard: id, name, score, band, datasets, depth, rank, previous_score, history[(at,
    score)]. Like is ranked with like: ``rank`` counts among the portals assessed at the same
    depth (DEPTHS); ``depth`` keeps only those portals."""
    if depth is not None and depth not in DEPTHS:
        raise BadRequest(f"depth must be one of {', '.join(DEPTHS)}, not {depth!r}.", code="invalid-depth")
    pstore = PortalStore(repo)
    rows = pstore.leaderboard(depth)
    for r in rows:
        r["history"] = pstore.history(r["id"])
    return rows


def get_portal(
    repo: Repository,
    portal_id_or_name: str,
    datasets_limit: int | None = None,
    datasets_offset: int = 0,
    datasets_order: str = "key",
) -> dict[str, Any]:
    """The latest stored report of a portal, with its current rank and score history, and a page
    of its datasets (``datasets_limit`` None: all of them) in ``datasets_order`` (DATASET_ORDERS);
    ``datasets_total`` counts them all, ``datasets_page`` says which page this is."""
    if datasets_order not in DATASET_ORDERS:
        raise BadRequest(
            f"datasets_order must be one of {', '.join(DATASET_ORDERS)}, not {datasets_order!r}.",
            code="invalid-order",
        )
    pstore = PortalStore(repo)
    row = pstore.find_portal(portal_id_or_name)
    report = pstore.latest_run(row["id"]) if row else None
    if row is None or report is None:
        raise NotFound(f"No scored portal {portal_id_or_name!r}.", code="portal-not-found")
    offset = max(0, datasets_offset)
    if "datasets" in report:  # a run stored before migration 0008: every dataset in the report
        listed = list(report["datasets"])
        total = len(listed)
        if datasets_order == "worst":
            listed.sort(key=lambda d: (d.get("score") is not None, d.get("score") or 0.0, str(d.get("id"))))
        end = None if datasets_limit is None else offset + datasets_limit
        report["datasets"] = listed[offset:end]
    else:
        total = int(report.get("datasets_total") or 0)
        report["datasets"] = pstore.run_datasets(report["run_id"], datasets_limit, offset, datasets_order)
    report["datasets_total"] = total
    report["datasets_page"] = {"offset": offset, "limit": datasets_limit, "order": datasets_order}
    report.setdefault("catalog", None)
    return _with_standing(pstore, row["id"], report)


def _with_standing(pstore: PortalStore, portal_id: str, report: dict[str, Any]) -> dict[str, Any]:
    """The report with the portal's current rank among the portals assessed at its depth and its
    score history."""
    board = {r["id"]: r for r in pstore.leaderboard()}
    mine = board.get(portal_id, {})
    report["rank"] = mine.get("rank")
    report["portals_ranked"] = sum(1 for r in board.values() if r["depth"] == mine.get("depth"))
    report["previous_score"] = mine.get("previous_score")
    report["history"] = pstore.history(portal_id)
    return report
