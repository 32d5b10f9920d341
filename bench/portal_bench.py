"""Benchmark of the portal pass on synthetic dataset signatures; writes its block of bench/RESULTS.md.

Run with the project venv's Python (``make bench-portal``):

    .venv/bin/python bench/portal_bench.py [--sizes 10000,100000,1000000] [--seed 1]

For each size N it makes a fresh database under ``bench/out/``, a portal of N datasets with
planted groups, and times ``app.services.portals.run_portal_pass`` (load signatures, the DuckDB
LSH banding self-join, screening and classification of candidate pairs, clustering, scoring,
storing the run). The recall of planted near-duplicates at the chosen threshold is measured
from the clusters the pass reports.

The generator works on signatures directly, as the pass does. A base dataset gets independent
random MinHash values (the MinHash of a random set is uniform). A planted near-duplicate of
Jaccard J copies each of the 128 values from its base with probability J and draws the rest
afresh: exactly the distribution of MinHash values of two sets with Jaccard J (each value agrees
with probability J, independently). Planted groups, per 100 datasets: 3 exact copies (same
content hash), 4 near-duplicates with J uniform in [0.8, 0.98] and unrelated names, and 2 series
of 5 yearly parts (shared header, disjoint rows, names differing by the year); the rest stand
alone, a tenth of them with names sharing their first words (large name blocks) to exercise
the windowed name pairs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.services import portals  # noqa: E402
from app.storage.portals import PortalStore  # noqa: E402
from app.storage.repository import Repository  # noqa: E402
from app.storage.store import Store  # noqa: E402
from profilers.portal import NEAR_DUPLICATE  # noqa: E402
from profilers.signatures import HASH_ID, NUM_PERM, Signatures  # noqa: E402

OUT = REPO / "bench" / "out"
RESULTS = REPO / "bench" / "RESULTS.md"
BLOCK = "portal"
TARGET_S = 30.0
TARGET_RECALL = 0.95


def _rand(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**32 - 1, size=(n, NUM_PERM), dtype=np.uint32)


def _like(rng: np.random.Generator, base: np.ndarray, j: float) -> np.ndarray:
    keep = rng.random(NUM_PERM) < j
    return np.where(keep, base, _rand(rng, 1)[0]).astype(np.uint32)


def generate(
    n: int, seed: int
) -> tuple[list[dict[str, Any]], list[tuple[str, Signatures]], list[tuple[str, str]]]:
    """Datasets (portal rows), their signatures (by a fake sha256) and the planted near-duplicate
    pairs (dataset keys) the pass should find."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    sigs: list[tuple[str, Signatures]] = []
    planted: list[tuple[str, str]] = []
    empty_cols = np.zeros((0, NUM_PERM), dtype=np.uint32)

    def add(name: str, row: np.ndarray, header: np.ndarray, key: np.ndarray, content: str) -> str:
        k = f"d{len(rows):07d}"
        sha = f"{len(rows):064x}"
        rows.append({"key": k, "title": None, "name": name, "sha256": sha})
        sigs.append(
            (
                sha,
                Signatures(
                    HASH_ID,
                    100,
                    5,
                    content,
                    row,
                    ["a", "b", "c", "d", "e"],
                    header,
                    [1],
                    key,
                    100,
                    empty_cols,
                ),
            )
        )
        return k

    block = 0
    while len(rows) < n:
        b = len(rows) // 100
        base_row, base_head, base_key = _rand(rng, 3)
        kind = rng.random()
        if kind < 0.03:  # an exact copy, under another name
            a = add(f"topic{b}-{block}-table.csv", base_row, base_head, base_key, f"c{len(rows)}")
            c = add(f"copy{b}-{block}-other.csv", base_row, base_head, base_key, sigs[-1][1].content_hash)
            planted.append((a, c))
        elif kind < 0.07:  # a near duplicate with an unrelated name
            j = rng.uniform(NEAR_DUPLICATE, 0.98)
            a = add(f"alpha{b}-{block}-x.csv", base_row, base_head, base_key, f"c{len(rows)}")
            c = add(
                f"beta{b}-{block}-y.csv",
                _like(rng, base_row, j),
                base_head,
                _like(rng, base_key, j),
                f"c{len(rows)}",
            )
            planted.append((a, c))
        elif kind < 0.09:  # a series of five yearly parts
            for year in range(2015, 2020):
                add(
                    f"series{b}-{block}-stats_{year}.csv",
                    _rand(rng, 1)[0],
                    base_head,
                    _rand(rng, 1)[0],
                    f"c{len(rows)}",
                )
        elif kind < 0.19:  # names in a big block, unrelated content
            add(f"population by-{block}.csv", base_row, base_head, base_key, f"c{len(rows)}")
        else:
            add(f"single{block}-{b}-data.csv", base_row, base_head, base_key, f"c{len(rows)}")
        block += 1
    return rows[:n], sigs[:n], [(a, c) for a, c in planted if int(a[1:]) < n and int(c[1:]) < n]


def run(n: int, seed: int) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"portal-bench-{n}.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    rows, sigs, planted = generate(n, seed)
    gen_s = time.perf_counter() - t0
    with Store.open(db) as store:
        repo = Repository(store)
        pstore = PortalStore(repo)
        t0 = time.perf_counter()
        pid = pstore.ensure_portal(f"synthetic-{n}", "bench", None)
        pstore.upsert_datasets(pid, rows)
        for start in range(0, len(sigs), 100_000):
            pstore.save_many(sigs[start : start + 100_000])
        load_s = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        report = portals.run_portal_pass(repo, f"synthetic-{n}")
        pass_s, pass_cpu = time.perf_counter() - t0, time.process_time() - c0
        load_avg = os.getloadavg()[0]
        t0 = time.perf_counter()  # what GET /api/v1/portals/{id}?datasets_order=worst reads
        page = portals.get_portal(repo, f"synthetic-{n}", datasets_limit=1000, datasets_order="worst")
        page_s = time.perf_counter() - t0
        assert page["datasets_total"] == n and len(page["datasets"]) == min(n, 1000)
    cluster_of: dict[str, int] = {}
    for i, c in enumerate(report["clusters"]):
        if c["kind"] in ("duplicate", "near-duplicate"):
            for k in c["datasets"]:
                cluster_of[k] = i
    found = sum(1 for a, b in planted if a in cluster_of and cluster_of.get(a) == cluster_of.get(b))
    series = [c for c in report["clusters"] if c["kind"] == "series"]
    return {
        "n": n,
        "generate_s": gen_s,
        "insert_s": load_s,
        "pass_s": pass_s,
        "pass_cpu_s": pass_cpu,
        "page_s": page_s,
        "load_avg": load_avg,
        "candidate_pairs": report["candidate_pairs"],
        "verified_pairs": report["verified_pairs"],
        "planted": len(planted),
        "recall": found / len(planted) if planted else 1.0,
        "series": len(series),
        "clusters": len(report["clusters"]),
        "score": report["score"],
    }


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kib = int(fh.readline().split()[1])
            mem = f", {kib / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores{mem}, Python {platform.python_version()}, "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )


def write_block(results: list[dict[str, Any]], command: str) -> None:
    """Replace (or append) this benchmark's block of bench/RESULTS.md. Results of sizes not run
    this time are kept from the last run of each (bench/out/portal-bench.json)."""
    store = OUT / "portal-bench.json"
    kept = {int(k): v for k, v in json.loads(store.read_text()).items()} if store.exists() else {}
    stamp = machine()
    for r in results:
        kept[r["n"]] = {**r, "machine": stamp, "command": command}
    store.write_text(json.dumps(kept, indent=1))
    results = [kept[n] for n in sorted(kept)]
    lines = [
        f"<!-- BEGIN {BLOCK} -->",
        "## Portal pass (synthetic dataset signatures)",
        "",
        f"`{command}` — {stamp}. Targets: ≤ {TARGET_S:.0f} s for 100,000 datasets, recall of planted "
        f"near-duplicates ≥ {TARGET_RECALL} at Jaccard ≥ {NEAR_DUPLICATE} (LSH threshold 0.5, 25 bands × 5 rows).",
        "",
        "| datasets | portal pass (wall) | CPU time | load avg | insert signatures | candidate pairs | verified "
        "| planted near-dups | recall | series found | report page |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ok = "" if r["n"] != 100_000 else (" ✓" if r["pass_s"] <= TARGET_S else " ✗")
        lines.append(
            f"| {r['n']:,} | {r['pass_s']:.1f} s{ok} | {r['pass_cpu_s']:.1f} s | {r['load_avg']:.1f} | "
            f"{r['insert_s']:.1f} s | {r['candidate_pairs']:,} | "
            f"{r['verified_pairs']:,} | {r['planted']:,} | {r['recall']:.3f} | {r['series']:,} | "
            + (f"{r['page_s']:.2f} s |" if "page_s" in r else "– |")
        )
    runs = sorted({(r["command"], r["machine"]) for r in results})
    if len(runs) > 1:
        lines += ["", "Rows measured by separate runs: " + "; ".join(f"`{c}` ({m})" for c, m in runs) + "."]
    lines += [
        "",
        "The pass: load the portal's datasets and signatures, one DuckDB self-join on the row band keys, "
        "name-block pairs (windowed), a vectorised screen on estimated Jaccard, classification, clusters, "
        "scores, and storing the run with its report. Report page: reading the stored report with the "
        "1,000 worst datasets (`GET /api/v1/portals/{id}?datasets_order=worst`). "
        "CPU time is the process's (all threads); the load "
        "average is the machine's when the pass ended (other work shares the 2 cores: wall time above "
        "the CPU time is waiting).",
        f"<!-- END {BLOCK} -->",
    ]
    block = "\n".join(lines) + "\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    pattern = re.compile(rf"<!-- BEGIN {BLOCK} -->.*?<!-- END {BLOCK} -->\n?", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="Print only; leave bench/RESULTS.md alone.")
    args = parser.parse_args()
    results = []
    for n in (int(x) for x in args.sizes.split(",")):
        r = run(n, args.seed)
        print(
            f"{n:>9,} datasets: pass {r['pass_s']:.1f} s (CPU {r['pass_cpu_s']:.1f} s, load {r['load_avg']:.1f}; "
            f"insert {r['insert_s']:.1f} s; report page {r['page_s']:.2f} s), "
            f"{r['candidate_pairs']:,} candidates, recall {r['recall']:.3f} of {r['planted']:,}, "
            f"{r['series']:,} series",
            flush=True,
        )
        results.append(r)
    if not args.no_write:
        write_block(results, "python bench/portal_bench.py --sizes " + args.sizes)


if __name__ == "__main__":
    main()
