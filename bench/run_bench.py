"""Benchmark ODQ against frictionless on a large messy CSV and write bench/RESULTS.md.

Run with the project venv's Python (``make bench`` does):

    .venv/bin/python bench/run_bench.py [--rows N] [--runs K] [--skip-peers] [--timeout S]

Standard library only. What it does, in order:

1. Generates the benchmark CSV with ``../shared/bench/gen_csv.py`` (seed fixed, so the same file
   every time) into ``bench/out/gov.csv``; cached: regenerated only when the file is missing, its
   size differs from the recorded one, or the generator changed.
2. Creates (once) a separate venv ``bench/out/peers-venv`` with ``frictionless`` in it; it is never
   a dependency of the project. When the install fails the peers are skipped and that is recorded.
3. Runs ODQ and frictionless interleaved (ODQ, frictionless, ODQ, ...), K runs each, measuring
   each child's wall time (perf_counter around Popen → os.wait4) and peak RSS (``ru_maxrss`` from
   os.wait4 on the child's pid, KiB on Linux).
4. Times a cold ``odq score`` on a small corpus file (start-up cost) and checks that Great
   Expectations stays out of that path.
5. Writes ``bench/RESULTS.md`` (overwritten: it is generated) and appends a line to
   ``bench/history.csv`` so trends survive. A run with a non-default ``--rows`` writes
   ``bench/out/RESULTS-<rows>.md`` instead and leaves RESULTS.md and history.csv alone: the targets
   and the trend are about the 1,000,000-row file.

Raw outputs of every child are kept in ``bench/out/`` (git-ignored scratch).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
OUT = BENCH / "out"
SHARED = REPO / ".." / "shared"
GEN = SHARED / "bench" / "gen_csv.py"
SMALL = SHARED / "corpus" / "peer-cases" / "csvlint" / "valid.csv"
PEERS_VENV = OUT / "peers-venv"
PEERS_STAMP = PEERS_VENV / ".bench-installed"
RESULTS = BENCH / "RESULTS.md"
HISTORY = BENCH / "history.csv"
HISTORY_HEADER = [
    "date",
    "odq_median_wall_s",
    "odq_peak_rss_mb",
    "frictionless_median_wall_s",
    "rows",
    "runs",
    "commit",
]

DEFAULT_ROWS = 1_000_000
TARGET_WALL_S = 6.0
TARGET_RSS_BYTES = 1.5e9
TARGET_START_S = 1.0
STARTUP_RUNS = 5
HEAVY_MODULES = (
    "great_expectations",
    "pandas",
    "fastapi",
    "uvicorn",
    "duckdb",
    "polars",
    "pyarrow",
    "datasketch",
)

GE_IMPORT_SNIPPET = "import sys, app.services.scoring, app.cli; print('great_expectations' in sys.modules)"
# Scores the small file in-process through the real CLI entry point, then reports what got imported.
SCORE_PATH_SNIPPET = """
import contextlib, io, json, sys
heavy = sys.argv[2:]
sys.argv = ["odq", "score", "--no-store", "--format", "json", sys.argv[1]]
from app.cli import main
buf = io.StringIO()
code = 0
with contextlib.redirect_stdout(buf):
    try:
        main()
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"exit": code, "loaded": {m: m in sys.modules for m in heavy}}))
"""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rel(path: Path) -> str:
    """``path`` relative to the repo root when it is inside it (for display: never machine paths)."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return os.path.relpath(path.resolve(), REPO)


def display(path: Path) -> str:
    """Like rel() but keeps venv symlinks unresolved (``.venv/bin/python``, not the base interpreter)."""
    try:
        return str(path.absolute().relative_to(REPO))
    except ValueError:
        return os.path.relpath(path.absolute(), REPO)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mb(kib: float | None) -> float | None:
    """ru_maxrss (KiB) → MB (10^6 bytes)."""
    return None if kib is None else kib * 1024 / 1e6


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(value: float | None, spec: str = ".2f", none: str = "n/a") -> str:
    return none if value is None else format(value, spec)


# --------------------------------------------------------------------------- measuring children


def measure(cmd: list[str], stdout: Path, stderr: Path, timeout: float, cwd: Path = REPO) -> dict[str, Any]:
    """Run ``cmd`` with stdout/stderr to files; wall time and the child's own rusage via os.wait4."""
    timed_out = threading.Event()

    def kill(pid: int) -> None:
        timed_out.set()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        timer = threading.Timer(timeout, kill, (proc.pid,))
        timer.daemon = True
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen
    return {
        "wall_s": wall,
        "maxrss_kib": usage.ru_maxrss,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "exit": proc.returncode,
        "timed_out": timed_out.is_set(),
        "stdout": rel(stdout),
        "stderr": rel(stderr),
    }


def stderr_tail(path: str, lines: int = 5) -> str:
    try:
        text = (REPO / path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- inputs


def ensure_csv(rows: int) -> dict[str, Any]:
    """Generate the benchmark CSV unless a cached one of the recorded size is there."""
    name = "gov.csv" if rows == DEFAULT_ROWS else f"gov-{rows}.csv"
    path = OUT / name
    meta_path = OUT / f"{name}.meta.json"
    if not GEN.is_file():
        sys.exit(f"generator not found: {rel(GEN)} (expected next to the repo, in ../shared/bench/)")
    gen_sha = sha256_of(GEN)
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            meta = {}
    cached = (
        path.is_file()
        and meta.get("rows") == rows
        and meta.get("bytes") == path.stat().st_size
        and meta.get("generator_sha256") == gen_sha
    )
    if cached:
        log(f"using cached {rel(path)} ({path.stat().st_size:,} bytes)")
    else:
        log(f"generating {rel(path)} with {rel(GEN)} {rows} (needs numpy) ...")
        tmp = path.with_suffix(".tmp")
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(GEN), str(rows), str(tmp)], cwd=REPO, capture_output=True, text=True
        )
        if done.returncode != 0:
            tmp.unlink(missing_ok=True)
            sys.exit(f"generator failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        tmp.replace(path)
        meta = {
            "rows": rows,
            "bytes": path.stat().st_size,
            "generator_sha256": gen_sha,
            "generator_says": done.stdout.strip().split(" -> ")[0],
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "generate_s": round(time.perf_counter() - start, 1),
        }
        meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        log(f"generated in {meta['generate_s']} s: {meta['generator_says']}")
    truth: dict[str, int] = {}
    for part in str(meta.get("generator_says", "")).split(" -> ")[0].split():
        key, _, value = part.partition("=")
        if value.isdigit():
            truth[key] = int(value)
    return {
        "path": path,
        "rows": rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_of(path),
        "generator_says": str(meta.get("generator_says", "")).split(" -> ")[0],
        "truth": truth,
        "cached": cached,
    }


def ensure_peers(skip: bool) -> dict[str, Any]:
    """A separate venv with frictionless, created once; never part of the project's dependencies."""
    if skip:
        return {"status": "skipped", "reason": "--skip-peers"}
    exe = PEERS_VENV / "bin" / "frictionless"
    py = PEERS_VENV / "bin" / "python"
    install_s = None
    if not (PEERS_STAMP.is_file() and exe.is_file()):
        log(f"creating {rel(PEERS_VENV)} and installing frictionless (once) ...")
        logfile = OUT / "peers-install.log"
        start = time.perf_counter()
        with logfile.open("w", encoding="utf-8") as fh:
            ok = True
            if not py.is_file():
                ok = (
                    subprocess.run(
                        [sys.executable, "-m", "venv", str(PEERS_VENV)], stdout=fh, stderr=fh
                    ).returncode
                    == 0
                )
            if ok:
                cmd = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "frictionless"]
                ok = subprocess.run(cmd, stdout=fh, stderr=fh).returncode == 0
        install_s = round(time.perf_counter() - start, 1)
        if not ok or not exe.is_file():
            tail = stderr_tail(rel(logfile), 3)
            log(f"frictionless install FAILED; peers skipped (see {rel(logfile)})")
            return {"status": "install-failed", "reason": f"pip install frictionless failed: {tail}"}
    version = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('frictionless'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not PEERS_STAMP.is_file():
        PEERS_STAMP.write_text(version + "\n", encoding="utf-8")
    return {"status": "ok", "exe": exe, "version": version or "unknown", "install_s": install_s}


# --------------------------------------------------------------------------- reading reports


def parse_odq(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"error": f"unreadable JSON: {exc}"}
    source = report.get("source") or {}
    findings: Counter[str] = Counter()
    for f in report.get("findings") or []:
        findings[str(f.get("code"))] += int(f.get("count") or 0)
    return {
        "score": report.get("score"),
        "band": report.get("band"),
        "fatal": report.get("fatal"),
        "rows": source.get("rows"),
        "columns": source.get("columns"),
        "findings": dict(findings.most_common()),
        "check_errors": report.get("check_errors") or {},
        "column_types": {c.get("name"): c.get("type") for c in report.get("columns") or []},
    }


def parse_frictionless(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"error": f"unreadable JSON: {exc}"}
    tasks = report.get("tasks") or []
    errors: Counter[str] = Counter()
    warnings: list[str] = [str(w) for w in report.get("warnings") or []]
    for e in report.get("errors") or []:
        errors[str(e.get("type") or e.get("code") or "?")] += 1
    rows = None
    reported = None
    for task in tasks:
        for e in task.get("errors") or []:
            errors[str(e.get("type") or e.get("code") or "?")] += 1
        warnings += [str(w) for w in task.get("warnings") or []]
        stats = task.get("stats") or {}
        if stats.get("rows") is not None:
            rows = (rows or 0) + int(stats["rows"])
    top = report.get("stats") or {}
    if top.get("errors") is not None:
        reported = int(top["errors"])
    return {
        "valid": report.get("valid"),
        "rows": rows,
        "errors": dict(errors.most_common()),
        "errors_total": reported if reported is not None else sum(errors.values()),
        "warnings": warnings,
        "limited": any("limit" in w.lower() for w in warnings),
    }


def describe_odq(p: dict[str, Any] | None) -> str:
    if not p:
        return "no successful run"
    if "error" in p:
        return p["error"]
    findings = ", ".join(f"{code} {count:,}" for code, count in p["findings"].items()) or "no findings"
    fatal = f", fatal {p['fatal']}" if p.get("fatal") else ""
    rows = f"{p['rows']:,}" if isinstance(p.get("rows"), int) else "?"
    return f"score {p['score']} ({p['band']}{fatal}), {rows} rows × {p['columns']} cols; {findings}"


def describe_frictionless(p: dict[str, Any] | None) -> str:
    if not p:
        return "no successful run"
    if "error" in p:
        return p["error"]
    errors = ", ".join(f"{t} {n:,}" for t, n in p["errors"].items()) or "no errors"
    rows = f"{p['rows']:,}" if isinstance(p.get("rows"), int) else "?"
    limited = " (stopped at its error limit)" if p["limited"] else ""
    return f"valid={str(p['valid']).lower()}, {rows} rows; {errors}{limited}"


# --------------------------------------------------------------------------- start-up


def startup(odq: Path, timeout: float) -> dict[str, Any]:
    runs = []
    if not SMALL.is_file():
        return {"error": f"small corpus file not found: {rel(SMALL)}", "runs": []}
    for i in range(1, STARTUP_RUNS + 1):
        r = measure(
            [str(odq), "score", "--no-store", "--format", "json", rel(SMALL)],
            OUT / f"startup-{i}.json",
            OUT / f"startup-{i}.err",
            timeout,
        )
        runs.append(r)
        log(
            f"start-up {i}/{STARTUP_RUNS}: {r['wall_s']:.2f} s, {mb(r['maxrss_kib']):.0f} MB, exit {r['exit']}"
        )
    baseline = [
        measure([sys.executable, "-c", "pass"], OUT / "python-pass.out", OUT / "python-pass.err", timeout)[
            "wall_s"
        ]
        for _ in range(STARTUP_RUNS)
    ]
    ge_import = subprocess.run(
        [sys.executable, "-c", GE_IMPORT_SNIPPET], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    score_path = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", SCORE_PATH_SNIPPET, rel(SMALL), *HEAVY_MODULES],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    loaded: dict[str, bool] = {}
    with contextlib.suppress(ValueError, IndexError, KeyError):
        loaded = json.loads(score_path.stdout.strip().splitlines()[-1])["loaded"]
    ok = [r["wall_s"] for r in runs if r["exit"] == 0]
    return {
        "runs": runs,
        "median_wall_s": median(ok),
        "min_wall_s": min(ok, default=None),
        "max_rss_kib": max((r["maxrss_kib"] for r in runs), default=None),
        "median_cpu_s": median([r["user_s"] + r["sys_s"] for r in runs if r["exit"] == 0]),
        "python_pass_median_s": median(baseline),
        "ge_on_import": ge_import.stdout.strip() or f"error: {ge_import.stderr.strip()[-300:]}",
        "loaded_on_score": loaded,
        "top_imports": top_imports(score_path.stderr),
    }


def top_imports(importtime: str, n: int = 10) -> list[tuple[str, float]]:
    """Packages by cumulative import time (µs → s) from ``-X importtime`` output.

    A package's time is the cumulative time of each import of one of its modules by a module of
    another package (or at top level), so a package's figure includes what it imports in turn."""
    entries: list[tuple[int, str, int]] = []
    for line in importtime.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        level = (len(name) - len(name.lstrip(" ")) - 1) // 2
        entries.append((level, name.strip().split(".")[0], int(parts[1])))
    out: dict[str, float] = {}
    stack: list[str] = []
    for level, top, cumulative in reversed(entries):  # post-order reversed: parents before children
        del stack[level:]
        if level == 0 or (stack and stack[-1] != top):
            out[top] = out.get(top, 0.0) + cumulative / 1e6
        stack.append(top)
    return sorted(out.items(), key=lambda kv: kv[1], reverse=True)[:n]


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count()}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_total_bytes"] = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info.setdefault("cpu_model", platform.processor() or platform.machine() or "unknown")
    info["python"] = platform.python_version()
    info["platform"] = platform.platform()
    for pkg in ("polars", "duckdb", "odq"):
        try:
            info[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            info[pkg] = "not installed"
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    commit = git.stdout.strip() or "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    info["commit"] = commit + ("+dirty" if dirty else "")
    return info


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


# --------------------------------------------------------------------------- report


def mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("✅ pass" if ok else "❌ fail")


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r.get("ok")]
    return {
        "n": len(runs),
        "ok": len(ok),
        "median_wall_s": median([r["wall_s"] for r in ok]),
        "median_rss_kib": median([r["maxrss_kib"] for r in ok]),
        "max_rss_kib": max((r["maxrss_kib"] for r in ok), default=None),
        "median_cpu_s": median([r["user_s"] + r["sys_s"] for r in ok]),
        "last": ok[-1]["parsed"] if ok else None,
    }


BLOCK = re.compile(r"<!-- BEGIN (?P<name>[\w-]+) -->.*?<!-- END (?P=name) -->", re.S)


def kept_blocks(path: Path) -> str:
    """The sections other benchmarks (portal, catalog, load) wrote into RESULTS.md between
    ``<!-- BEGIN name -->`` and ``<!-- END name -->``: this run regenerates only its own part."""
    if not path.exists():
        return ""
    blocks = [m.group(0) for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]
    return "".join("\n" + b + "\n" for b in blocks)


def write_results(data: dict[str, Any], path: Path) -> None:
    m, f, odq, fl, st = data["machine"], data["file"], data["odq"], data["frictionless"], data["startup"]
    peers = data["peers"]
    full = f["rows"] == DEFAULT_ROWS
    lines: list[str] = []
    add = lines.append
    add("# ODQ benchmark results")
    add("")
    add(
        f"Generated {data['date']} by `make bench` (that is, `{data['command']}`). "
        "This file is overwritten on every run; the trend is in `bench/history.csv`."
    )
    add("")
    add("## Machine")
    add("")
    add("| | |")
    add("|---|---|")
    add(f"| CPUs (nproc) | {m['nproc']} (os.cpu_count {m['cpu_count']}) |")
    add(f"| CPU model | {m['cpu_model']} |")
    mem = m.get("mem_total_bytes")
    add(f"| memory (MemTotal) | {fmt(mem / 2**30 if mem else None, '.1f')} GiB |")
    add(f"| Python | {m['python']} ({m['platform']}) |")
    add(f"| polars / duckdb | {m['polars']} / {m['duckdb']} |")
    add(f"| odq | {m['odq']} at commit {m['commit']} |")
    fr_version = peers.get("version", "—") if peers["status"] == "ok" else f"not run: {peers.get('reason')}"
    add(f"| frictionless (separate venv `bench/out/peers-venv`) | {fr_version} |")
    add(f"| load average before / after | {data['load_before']} / {data['load_after']} |")
    add("")
    add("## Input")
    add("")
    add(
        f"`{rel(f['path'])}`, made by `{rel(GEN)} {f['rows']}` (seed fixed: the same file every time): "
        f"{f['rows']:,} data rows, {f['bytes']:,} bytes ({f['bytes'] / 1e6:.1f} MB), sha256 `{f['sha256'][:16]}…`. "
        f"Generator: `{f['generator_says'] or 'n/a'}`."
    )
    add("")
    add(f"## Results: median of {data['runs']} interleaved runs each")
    add("")
    busiest = max((float(r["load1"]) for r in data["order"] if r["load1"] != "n/a"), default=0.0)
    busiest = max([busiest] + [float(x) for x in data["load_before"].split()[:1] if x != "n/a"])
    if busiest > m["nproc"]:
        add(
            f"> ⚠ The machine was busy during this run (1-minute load average up to {busiest:.1f} on "
            f"{m['nproc']} CPUs), so absolute wall times are inflated; CPU seconds and the "
            "frictionless/ODQ ratio (interleaved runs) are the steadier figures."
        )
        add("")
    add("| tool | median wall s | peak RSS MB (median / max) | CPU s user+sys (median) | what it reports |")
    add("|---|---:|---:|---:|---|")
    for name, s, desc in (
        ("ODQ", odq, describe_odq(odq["last"])),
        ("frictionless", fl, describe_frictionless(fl["last"]) if fl else None),
    ):
        if s is None:
            add(f"| {name} | — | — | — | not run: {peers.get('reason')} |")
            continue
        rss = f"{fmt(mb(s['median_rss_kib']), '.0f')} / {fmt(mb(s['max_rss_kib']), '.0f')}"
        failed = f" ({s['n'] - s['ok']} of {s['n']} runs failed)" if s["ok"] < s["n"] else ""
        add(
            f"| {name} | {fmt(s['median_wall_s'])} | {rss} | {fmt(s['median_cpu_s'], '.1f')} | {desc}{failed} |"
        )
    add("")
    ratio = None
    if fl and fl["median_wall_s"] and odq["median_wall_s"]:
        ratio = fl["median_wall_s"] / odq["median_wall_s"]
        add(f"**frictionless / ODQ median wall: {ratio:.1f}×**")
    else:
        add("frictionless / ODQ median wall: n/a")
    add("")
    add("Commands (run from the repo root, stdout to `bench/out/<tool>-<n>.json`):")
    add("")
    add(f"- `{data['odq_cmd']}`")
    if fl:
        add(f"- `{data['fl_cmd']}` (exits 1 when it finds errors; that is not a failed run)")
    add("")
    add("## Targets")
    add("")
    add("| target | measured | result |")
    add("|---|---:|---|")
    if full:
        wall_ok = None if odq["median_wall_s"] is None else odq["median_wall_s"] <= TARGET_WALL_S
        rss_ok = None if odq["max_rss_kib"] is None else odq["max_rss_kib"] * 1024 <= TARGET_RSS_BYTES
        add(
            f"| ODQ ≤ {TARGET_WALL_S:g} s median wall on 1,000,000 rows ({m['nproc']}-core machine) "
            f"| {fmt(odq['median_wall_s'])} s | {mark(wall_ok)} |"
        )
        add(
            f"| ODQ ≤ {TARGET_RSS_BYTES / 1e9:g} GB peak RSS (max over runs) "
            f"| {fmt(mb(odq['max_rss_kib']), '.0f')} MB | {mark(rss_ok)} |"
        )
    else:
        add(
            f"| ODQ wall and RSS targets | — | n/a: they are for {DEFAULT_ROWS:,} rows, this run used {f['rows']:,} |"
        )
    start_ok = None if st.get("median_wall_s") is None else st["median_wall_s"] <= TARGET_START_S
    add(
        f"| small-file start about {TARGET_START_S:g} s (pass ≤ {TARGET_START_S:g} s, median of {STARTUP_RUNS}) "
        f"| {fmt(st.get('median_wall_s'))} s | {mark(start_ok)} |"
    )
    ge = st.get("loaded_on_score", {}).get("great_expectations")
    add(
        f"| Great Expectations not imported on the score path "
        f"| import: {st.get('ge_on_import')}, score: {ge} | {mark(None if ge is None else (not ge and st.get('ge_on_import') == 'False'))} |"
    )
    add("")
    add("## Start-up (small file)")
    add("")
    if "error" in st:
        add(st["error"])
    else:
        walls = ", ".join(f"{r['wall_s']:.2f}" for r in st["runs"])
        add(
            f"`{display(data['odq_exe'])} score --no-store --format json {rel(SMALL)}`, {STARTUP_RUNS} cold "
            f"processes: median {fmt(st['median_wall_s'])} s wall, best {fmt(st['min_wall_s'])} s (runs: {walls}), "
            f"median {fmt(st['median_cpu_s'])} s CPU (user+sys), peak RSS "
            f"{fmt(mb(st['max_rss_kib']), '.0f')} MB. A bare `python -c pass` takes "
            f"{fmt(st['python_pass_median_s'], '.3f')} s here."
        )
        add("")
        add(f'- `python -c "{GE_IMPORT_SNIPPET}"` prints `{st["ge_on_import"]}`.')
        loaded = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in st["loaded_on_score"].items())
        add(
            f"- Modules loaded after scoring the small file in-process through `app.cli.main`: {loaded or 'n/a'}."
        )
        tops = ", ".join(f"{name} {sec:.2f}" for name, sec in st["top_imports"])
        add(
            "- Slowest packages to import on that path (`-X importtime`, cumulative s; a package's figure "
            f"includes the packages it imports): {tops or 'n/a'}."
        )
    add("")
    add("## Faults planted by the generator vs what each tool reports")
    add("")
    truth = f["truth"]
    od = odq["last"] or {}
    fp = (fl or {}).get("last") or {}
    of, ff = od.get("findings", {}), fp.get("errors", {})
    add("| fault | planted | ODQ | frictionless |")
    add("|---|---:|---|---|")
    dups, ragged = truth.get("dups", "?"), truth.get("ragged", "?")
    add(
        f"| exact duplicate rows | {dups} | duplicate-row {of.get('duplicate-row', 0):,} "
        "| not checked by default |"
    )
    add(
        f"| ragged rows (14 or 16 fields) | {ragged} | extra-cell {of.get('extra-cell', 0):,} + missing-cell "
        f"{of.get('missing-cell', 0):,} | extra-cell {ff.get('extra-cell', 0):,} + missing-cell {ff.get('missing-cell', 0):,} |"
    )
    add(
        "| placeholders in `amount` (无, -, N/A, NULL, —, 待定) and `remark` (无) | ~2.6% / ~4.8% of rows "
        f"| placeholder-value {of.get('placeholder-value', 0):,} | — |"
    )
    types = od.get("column_types", {})
    add(
        f"| mixed date formats in `reg_date` (5 formats + blanks) | ~40% non-ISO | typed `{types.get('reg_date', '?')}`; "
        f"type-error {of.get('type-error', 0):,} | type-error {ff.get('type-error', 0):,} |"
    )
    add(
        "| malformed `org_code` (credit code cut short) | ~1% | not checked (no invalid-credit-code check yet) "
        "| — |"
    )
    add("")
    if types:
        add("ODQ's inferred column types: " + ", ".join(f"{k} `{v}`" for k, v in types.items()) + ".")
        add("")
    add("## Per-run raw numbers (in the order they ran)")
    add("")
    add("| # | tool | wall s | peak RSS MB | user s | sys s | exit | load avg (1 min) at start | output |")
    add("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in data["order"]:
        note = "" if r["ok"] else f" **failed**: {r.get('why', '')}"
        add(
            f"| {r['n']} | {r['tool']} | {r['wall_s']:.2f} | {mb(r['maxrss_kib']):.0f} | {r['user_s']:.2f} "
            f"| {r['sys_s']:.2f} | {r['exit']} | {r['load1']} | `{r['stdout']}`{note} |"
        )
    add("")
    add("## How it is measured")
    add("")
    add(
        "- The runs are **interleaved** (ODQ, frictionless, ODQ, frictionless, …) in the same invocation, so "
        "background load (another agent running tests on this 2-core machine, say) falls on both tools alike "
        "and the ratio stays fair even when the absolute times are noisy. The load average is recorded above."
    )
    add(
        "- Wall time: `time.perf_counter()` from just before `subprocess.Popen` to the return of `os.wait4` on the "
        "child's pid, so interpreter start-up and imports are included."
    )
    add(
        "- Peak RSS: `ru_maxrss` of the rusage `os.wait4` returns for that child (KiB on Linux); "
        "MB here means 10^6 bytes. CPU s is that rusage's user + system time (above wall time means "
        "more than one core was busy)."
    )
    add(
        "- The CSV is cached in `bench/out/` and read once (hashed) before the runs, so both tools read it "
        "from the page cache. frictionless runs in its own venv and is never a dependency of ODQ."
    )
    add("- Every child's stdout and stderr are kept in `bench/out/` next to the CSV.")
    add("")
    path.write_text("\n".join(lines) + kept_blocks(path), encoding="utf-8")


def append_history(data: dict[str, Any]) -> None:
    new = not HISTORY.is_file()
    odq, fl = data["odq"], data["frictionless"]
    with HISTORY.open("a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(HISTORY_HEADER)
        w.writerow(
            [
                data["date"],
                fmt(odq["median_wall_s"], ".2f", ""),
                fmt(mb(odq["max_rss_kib"]), ".0f", ""),
                fmt(fl["median_wall_s"] if fl else None, ".2f", ""),
                data["file"]["rows"],
                data["runs"],
                data["machine"]["commit"],
            ]
        )


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--rows", type=int, default=DEFAULT_ROWS, help="rows in the generated CSV (default 1000000)"
    )
    ap.add_argument("--runs", type=int, default=3, help="runs of each tool (default 3)")
    ap.add_argument("--skip-peers", action="store_true", help="do not run frictionless (quick checks)")
    ap.add_argument("--timeout", type=float, default=1800, help="kill a child after this many seconds")
    args = ap.parse_args()
    if args.rows < 1 or args.runs < 1:
        ap.error("--rows and --runs must be positive")

    odq_exe = Path(sys.prefix) / "bin" / "odq"
    if not odq_exe.is_file():
        sys.exit(
            f"{odq_exe} not found: run this with the project venv's Python (.venv/bin/python bench/run_bench.py)"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    argv = " ".join(sys.argv[1:])
    command = f"{display(Path(sys.executable))} bench/run_bench.py{' ' + argv if argv else ''}"
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    log(f"machine: {info['nproc']} CPUs, {info['cpu_model']}, commit {info['commit']}")

    f = ensure_csv(args.rows)
    peers = ensure_peers(args.skip_peers)
    csv_arg = rel(f["path"])
    odq_cmd = [display(odq_exe), "score", "--no-store", "--format", "json", csv_arg]
    fl_cmd = [display(peers["exe"]), "validate", "--json", csv_arg] if peers["status"] == "ok" else None

    load_before = loadavg()
    odq_runs: list[dict[str, Any]] = []
    fl_runs: list[dict[str, Any]] = []
    order: list[dict[str, Any]] = []
    for i in range(1, args.runs + 1):
        tools = [("ODQ", odq_cmd, "odq", parse_odq, odq_runs, {0})]
        if fl_cmd:
            tools.append(("frictionless", fl_cmd, "frictionless", parse_frictionless, fl_runs, {0, 1}))
        for tool, cmd, stem, parse, bucket, good_exits in tools:
            log(f"{tool} run {i}/{args.runs} ...")
            load1 = loadavg().split()[0]
            r = measure(cmd, OUT / f"{stem}-{i}.json", OUT / f"{stem}-{i}.err", args.timeout)
            r.update(tool=tool, n=i, load1=load1)
            r["parsed"] = parse(REPO / r["stdout"])
            r["ok"] = r["exit"] in good_exits and not r["timed_out"] and "error" not in r["parsed"]
            if not r["ok"]:
                why = "timed out" if r["timed_out"] else r["parsed"].get("error", f"exit {r['exit']}")
                r["why"] = f"{why}; stderr: {stderr_tail(r['stderr'])}"
            bucket.append(r)
            order.append(r)
            log(
                f"{tool} run {i}: {r['wall_s']:.2f} s wall, {mb(r['maxrss_kib']):.0f} MB peak RSS, "
                f"exit {r['exit']}{'' if r['ok'] else ' FAILED: ' + r['why']}"
            )
    st = startup(odq_exe, args.timeout)
    data = {
        "date": date,
        "command": command,
        "machine": info,
        "file": f,
        "peers": peers,
        "runs": args.runs,
        "odq_exe": odq_exe,
        "odq_cmd": " ".join(odq_cmd),
        "fl_cmd": " ".join(fl_cmd) if fl_cmd else None,
        "odq": summarise(odq_runs),
        "frictionless": summarise(fl_runs) if fl_cmd else None,
        "startup": st,
        "order": order,
        "load_before": load_before,
        "load_after": loadavg(),
    }
    target = RESULTS if args.rows == DEFAULT_ROWS else OUT / f"RESULTS-{args.rows}.md"
    write_results(data, target)
    (OUT / "results.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    if args.rows == DEFAULT_ROWS:
        append_history(data)
        log(f"appended to {rel(HISTORY)}")
    log(f"wrote {rel(target)}")
    o, fr = data["odq"], data["frictionless"]
    summary = f"ODQ median {fmt(o['median_wall_s'])} s, max RSS {fmt(mb(o['max_rss_kib']), '.0f')} MB"
    if fr:
        summary += f"; frictionless median {fmt(fr['median_wall_s'])} s, max RSS {fmt(mb(fr['max_rss_kib']), '.0f')} MB"
    print(summary)
    if o["ok"] == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
