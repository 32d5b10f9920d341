"""Catalog-run benchmark: a loopback portal scored end to end, ``--executor process`` against
``--executor inline`` in the same run, the portal pass, and ``--metadata-only`` over 10,000 records.

    .venv/bin/python bench/catalog_bench.py [--datasets 2000] [--metadata-records 10000] [--workers 2]
        [--skip-scoring | --skip-metadata] [--results bench/RESULTS.md]

The portal is the test fixture (tests/catalogs/portal_server.py) in its own process on 127.0.0.1:
the dados.gov.br CKAN records repeated with new ids, each with one resource rewritten to a real
file of the shared corpus (small files, a few of several hundred KB) or to a fault (404, 500, 429,
slow, redirect loop, refused redirects, HTML behind a CSV link, over the size cap). Each executor
scores into a fresh data dir. Writes its block of bench/RESULTS.md between
``<!-- BEGIN catalog -->`` and ``<!-- END catalog -->``; scratch goes to bench/out/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out" / "catalog"
RESULTS = BENCH / "RESULTS.md"
SERVER = ROOT / "tests" / "catalogs" / "portal_server.py"
NAME = "catalog"

sys.path.insert(0, str(ROOT))

FETCH = {
    "fetch_allow": "127.0.0.1",
    "fetch_timeout": 2.0,
    "fetch_deadline": 30.0,
    "fetch_max_mb": 2.0,
    "fetch_retries": 2,
    "fetch_per_host_rps": 0.0,  # a loopback portal of our own: no politeness delay
    "fetch_per_host": 16,
}


class Portal:
    """The fixture portal in a child process (so it does not share this process's GIL)."""

    def __init__(self, datasets: int, faults: bool = True, links: str = "files") -> None:
        args = [sys.executable, str(SERVER), "--datasets", str(datasets)]
        if not faults:
            args.append("--no-faults")
        args += ["--links", links]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise RuntimeError(f"the fixture portal did not start: {self.url!r}")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> Portal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cpu_seconds() -> tuple[float, float]:
    """CPU time (user + system) of this process and of its reaped children (the pool's workers
    are reaped when the run closes its executor; the portal's process only after the run)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def run(source: str, data_dir: Path, **kwargs: Any) -> tuple[float, dict[str, Any]]:
    from app.services.catalogs import run_catalog
    from app.settings import Settings
    from app.storage.catalogs import CatalogRuns
    from app.storage.repository import Repository
    from app.storage.store import Store

    shutil.rmtree(data_dir, ignore_errors=True)
    settings = Settings(data_dir=data_dir, **FETCH)
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    def progress(state: dict[str, Any]) -> None:
        if state["finished"] % 100 == 0:
            print(
                f"  {state['finished']}/{state['total']} after {time.perf_counter() - started:.0f} s",
                flush=True,
            )

    with Store.open(settings.db_path) as store:
        started = time.perf_counter()
        cpu_before = cpu_seconds()
        status = run_catalog(Repository(store), settings, source, kind="ckan", progress=progress, **kwargs)
        seconds = time.perf_counter() - started
        cpu_after = cpu_seconds()
        status["cpu"] = {"coordinator": cpu_after[0] - cpu_before[0], "workers": cpu_after[1] - cpu_before[1]}
        items = CatalogRuns(store).items(status["job_id"])
        status["distinct_links"] = len({i["url"] for i in items if i["url"]})
        return seconds, status


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.1f} at the end (the machine is shared)"
    return f"{cores} cores, {mem}, Python {platform.python_version()}, {platform.system()} {platform.machine()}{load}"


def write_block(text: str, results: Path = RESULTS) -> None:
    block = f"<!-- BEGIN {NAME} -->\n{text.rstrip()}\n<!-- END {NAME} -->"
    current = results.read_text(encoding="utf-8") if results.exists() else ""
    pattern = re.compile(rf"<!-- BEGIN {NAME} -->.*?<!-- END {NAME} -->", re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current)
    else:
        updated = current.rstrip() + ("\n\n" if current.strip() else "") + block + "\n"
    results.write_text(updated, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=2000)
    parser.add_argument("--metadata-records", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-scoring", action="store_true", help="only the metadata-only part")
    parser.add_argument("--skip-metadata", action="store_true", help="only the scoring part")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="the Markdown file whose catalog block is written"
    )
    args = parser.parse_args()
    if args.skip_scoring and args.skip_metadata:
        parser.error("nothing to run: --skip-scoring and --skip-metadata together")
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    lines: list[str] = []
    command = "python bench/catalog_bench.py " + " ".join(sys.argv[1:])

    md_rows: list[str] = []
    # The metadata-only runs go first, in a process that has not yet scored 4,000 files (as
    # `odq catalog --metadata-only` starts): after the scoring runs, the heap they leave makes the
    # same run about 10% slower.
    # Three forms: no request per dataset; a HEAD per distinct link, the datasets sharing the
    # corpus's 50 files as catalogs share links (dados.gov.br: 800 datasets, 431 distinct first
    # links); and a HEAD per dataset, no two sharing a link (the most requests a run can need).
    forms = (
        (False, "original", "no request per dataset"),
        (True, "original", "a HEAD per distinct link, shared as the dados.gov.br records share them"),
        (True, "distinct", "a HEAD per dataset, no two sharing a link"),
    )
    for check_links, links, label in () if args.skip_metadata else forms:
        with Portal(args.metadata_records, faults=False, links=links) as portal:
            seconds, status = run(
                portal.url,
                OUT / f"metadata-{check_links}-{links}",
                metadata_only=True,
                check_links=check_links,
            )
        if check_links:
            label += f": {status['distinct_links']:,} distinct links"
        c = status["counts"]
        mqa = (status.get("catalog") or {}).get("mqa") or {}
        md_rows.append(
            f"| `--metadata-only` ({label}) | {c['total']:,} | {seconds:.1f} s "
            f"| {c['finished'] / seconds:,.0f} | {mqa.get('score_405', '—')} / 405 ({mqa.get('band', '—')}) |"
        )
        print(f"metadata-only ({label}): {seconds:.1f} s, {c}", flush=True)

    if not args.skip_scoring:
        with Portal(args.datasets) as portal:
            timings: dict[str, tuple[float, dict[str, Any]]] = {}
            for executor in ("inline", "process"):
                workers = args.workers if executor == "process" else None
                seconds, status = run(
                    portal.url, OUT / executor, executor=executor, workers=workers, portal="bench-portal"
                )
                timings[executor] = (seconds, status)
                c = status["counts"]
                print(f"{executor}: {seconds:.1f} s, {c}", flush=True)
            for executor, (seconds, status) in timings.items():
                c = status["counts"]
                pass_s = (status.get("portal_pass") or {}).get("seconds")
                per_min = c["finished"] / seconds * 60
                cpu = status["cpu"]
                per_dataset = f"{cpu['coordinator'] / c['finished'] * 1000:.0f} ms"
                if executor == "process":
                    per_dataset += f" + {cpu['workers'] / c['finished'] * 1000:.0f} ms in the workers"
                rows.append(
                    f"| `--executor {executor}`{f' --workers {args.workers}' if executor == 'process' else ''} "
                    f"| {c['total']:,} | {c['done']:,} | {c['failed']:,} | {seconds:.1f} s | {per_min:,.0f} "
                    f"| {per_dataset} | {pass_s if pass_s is not None else '—'} s |"
                )
            speedup = timings["inline"][0] / timings["process"][0]
            lines.append(f"Process pool speed-up over inline: **{speedup:.2f}×**.")

    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = [
        "## Catalog runs (loopback portal)",
        "",
        f"`{command}` — {today}; {machine()}.",
        "",
        "The fixture portal of the tests (its own process on 127.0.0.1) serves dados.gov.br CKAN records "
        "repeated with new ids, each with one resource: real corpus files (2 KB to 577 KB) and ten "
        "faults (404, 500, 429 + Retry-After, slow past the 2 s timeout, redirect loop, redirects to "
        "127.0.0.2 and 169.254.169.254, HTML behind a CSV link, two files over the 2 MiB cap). "
        "Harvest, download, sniff, load, profile, score, store, then the portal pass (one DuckDB join).",
        "",
    ]
    if rows:
        text += [
            "| executor | datasets | scored | fatal finding | wall time | datasets/min | CPU per dataset "
            "| portal pass |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            *lines,
            "",
        ]
    if md_rows:
        text += [
            "| metadata-only run | records | wall time | records/s | catalog MQA |",
            "|---|---:|---:|---:|---|",
            *md_rows,
            "",
            "Wall time includes harvesting the CKAN API (pages of 100) and the catalog summary. Target for "
            "`--metadata-only` over 10,000 records (the dados.gov.br records repeated with new ids): ≤ 10 s. "
            "The link-checked forms: each distinct link is asked once per run; with the records' own "
            "links (the 800 originals name 431 distinct first links, and the copies name the same ones), "
            "and with no two datasets sharing a link (the most HEADs 10,000 records can need). A run with "
            "2,000 links or more sends its HEADs from a helper process with its own fetcher (the "
            "coordinator makes no request meanwhile), one batch of 1,000 ahead of the records measured.",
        ]
    text += [
        "",
        "Every request of a run goes through the coordinator's one fetcher (per-host limits hold for "
        "the whole pool; keep-alive connections); the workers read the downloaded blobs, profile and "
        "score. CPU per dataset: the coordinator's (harvest, fetch, store, portal pass; with inline "
        "also the scoring) and, for the pool, its workers' (from their start to their exit).",
    ]
    write_block("\n".join(text), args.results)
    print("\n".join(text))


if __name__ == "__main__":
    main()
