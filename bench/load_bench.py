"""Load benchmark: N concurrent clients against a real `odq serve` on 127.0.0.1.

For a fixed time, each client sends a mix of requests: small real files from the shared corpus
(under 1 MB each; the same bytes many times, and CSVs with a unique line appended so they must be
scored afresh), bad inputs (not multipart, no file, a broken multipart body, binary junk, HTML
named .csv), and reads (a stored report, an unknown id, the list). An upload answered 202 (not
scored within ODQ_SCORE_WAIT_SECONDS) is followed like a client would: GET its job (every 0.1 s,
backing off to 1 s) until it is done, then GET the report. Two latencies are measured per upload:
the request (the 200 or the 202) and the time to report (until the report is in hand). Then it
checks:

- no 5xx (503 queue-full included: the clients never outrun the queue's bound);
- no lost report: every upload answered 200 or 202 ends as a report fetched back, and every report
  id is retrievable afterwards, whole;
- no duplicate: the same bytes under the same name extension map to exactly one report id;
- no DuckDB lock, write-write or transaction-conflict error, and no traceback, in the server log;
- request p99 under 2 s for the uploads (every file sent is under 1 MB).

It writes `bench/out/load/results.json` and its section of `bench/RESULTS.md` (between
`<!-- BEGIN load -->` and `<!-- END load -->`), and exits 1 when a target is missed.

    .venv/bin/python bench/load_bench.py --clients 32 --duration 45
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
OUT_ROOT = REPO / "bench" / "out"
RESULTS = REPO / "bench" / "RESULTS.md"
ODQ = Path(sys.executable).parent / "odq"
MARK = "load"
MAX_FILE = 1_000_000
EXTENSIONS = {".csv", ".xls", ".xlsx", ".json", ".txt", ".zip"}
P99_TARGET = 2.0
UPLOADS = ("file", "fresh", "junk", "html")
"""The request kinds that send a file (all under 1 MB): their latency is the p99 target's."""
JOB_TIMEOUT = 600.0
LOG_PROBLEMS = re.compile(
    r"Traceback|TransactionException|Conflict|could not set lock|lock on file|write-write|\"level\": \"error\"",
    re.IGNORECASE,
)

# Share of each request kind in the mix (weights).
MIX = {
    "file": 50,  # a corpus file, bytes as published
    "fresh": 15,  # a corpus CSV with a unique line appended: scored, not reused
    "junk": 5,  # random bytes named .csv: a report saying unreadable-file
    "html": 3,  # an HTML page named .csv
    "not-multipart": 4,  # 415
    "no-file": 4,  # 400 missing-file
    "broken-multipart": 4,  # 400 malformed-multipart
    "get-report": 8,  # a report seen earlier
    "unknown-report": 4,  # 404
    "list": 3,
}


@dataclass
class Result:
    kind: str
    status: int  # 0: transport error
    seconds: float
    report_id: str | None = None
    key: tuple[str, str] | None = None  # (sha256, name extension) of an upload
    error: str = ""
    to_report: float | None = None  # an upload: seconds until its report was in hand
    job: str | None = None  # the job of a 202
    polls: int = 0


@dataclass
class Shared:
    seen_ids: list[str] = field(default_factory=list)
    fresh_counter: int = 0


def corpus_files() -> list[Path]:
    files = sorted(
        p
        for sub in ("portals", "peer-cases")
        for p in (CORPUS / sub).rglob("*")
        if p.is_file() and p.suffix.lower() in EXTENSIONS and 0 < p.stat().st_size < MAX_FILE
    )
    if not files:
        raise SystemExit(f"no corpus files under {CORPUS}")
    return files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status(pid: int, key: str) -> int:
    """A ``VmRSS``/``VmHWM`` value of /proc/PID/status in bytes (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (parsing workers, their fork server)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += proc_status(p, "VmRSS")
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total


def start_server(
    data_dir: Path, log_path: Path, extra: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}
    env.update(ODQ_DATA_DIR=str(data_dir), ODQ_ANONYMOUS_RATE_PER_MINUTE="0", PYTHONUNBUFFERED="1")
    env.update(extra)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(ODQ), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"odq serve exited: see {log_path}")
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("odq serve did not start in 60 s")


BOUNDARY = "odq-load-boundary"


def multipart(name: str, data: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


async def one_request(
    client: httpx2.AsyncClient, kind: str, rng: random.Random, files: list[tuple[str, bytes]], shared: Shared
) -> Result:
    ctype = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    if kind == "get-report" and not shared.seen_ids:
        kind = "unknown-report"  # nothing stored yet
    name = data = None
    if kind == "file":
        name, data = rng.choice(files)
    elif kind == "fresh":
        csvs = [f for f in files if f[0].endswith(".csv")]
        name, data = rng.choice(csvs)
        shared.fresh_counter += 1
        data = data.rstrip(b"\r\n") + f"\nload-{shared.fresh_counter}-{rng.random()}\n".encode()
    elif kind == "junk":
        name, data = "junk.csv", rng.randbytes(rng.randint(1, 4096))
    elif kind == "html":
        name, data = "page.csv", b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>"
    started = time.perf_counter()
    try:
        if data is not None:
            assert name is not None
            r = await client.post("/api/v1/score", content=multipart(name, data), headers=ctype)
        elif kind == "not-multipart":
            r = await client.post(
                "/api/v1/score", content=b"a,b\n1,2\n", headers={"content-type": "text/csv"}
            )
        elif kind == "no-file":
            body = (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--{BOUNDARY}--\r\n'
            )
            r = await client.post("/api/v1/score", content=body.encode(), headers=ctype)
        elif kind == "broken-multipart":
            r = await client.post(
                "/api/v1/score", content=multipart("x.csv", b"a,b\n1,2\n")[:-8], headers=ctype
            )
        elif kind == "get-report" and shared.seen_ids:
            r = await client.get(f"/api/v1/reports/{rng.choice(shared.seen_ids)}")
        elif kind in ("get-report", "unknown-report"):
            r = await client.get(f"/api/v1/reports/{rng.getrandbits(128):032x}")
        else:
            r = await client.get("/api/v1/reports", params={"limit": 50})
    except httpx2.HTTPError as exc:
        return Result(kind, 0, time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}")
    elapsed = time.perf_counter() - started
    result = Result(kind, r.status_code, elapsed)
    if data is not None and r.status_code in (200, 202):
        assert name is not None
        result.key = (hashlib.sha256(data).hexdigest(), Path(name).suffix.lower())
        report = r.json() if r.status_code == 200 else await follow_job(client, r, result)
        if report is None:
            return result  # result.error says why: counted as lost
        result.to_report = time.perf_counter() - started
        result.report_id = report["id"]
        if report["source"]["sha256"] != result.key[0]:
            result.error = "report of other bytes"
        shared.seen_ids.append(report["id"])
    return result


async def follow_job(client: httpx2.AsyncClient, accepted: httpx2.Response, result: Result) -> Any:
    """Poll the job of a 202 until it is done and GET its report; None (with result.error) when
    the job failed, vanished or did not finish in JOB_TIMEOUT."""
    status_url = accepted.headers.get("location") or accepted.json()["status_url"]
    result.job = accepted.json().get("job_id")
    deadline = time.perf_counter() + JOB_TIMEOUT
    pause = 0.1
    try:
        while True:
            await asyncio.sleep(pause)
            pause = min(1.0, pause * 1.5)
            result.polls += 1
            job = await client.get(status_url)
            if job.status_code != 200:
                result.error = f"job poll answered {job.status_code}"
                return None
            body = job.json()
            if body["status"] == "done":
                got = await client.get(body["report_url"])
                if got.status_code != 200:
                    result.error = f"report of a done job answered {got.status_code}"
                    return None
                return got.json()
            if body["status"] == "failed":
                result.error = f"job failed: {body.get('error')}"
                return None
            if time.perf_counter() > deadline:
                result.error = "job not done in time"
                return None
    except httpx2.HTTPError as exc:
        result.error = f"polling: {type(exc).__name__}: {exc}"
        return None


async def client_loop(
    url: str, deadline: float, seed: int, files: list[tuple[str, bytes]], shared: Shared, out: list[Result]
) -> None:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX.items(), strict=True)
    async with httpx2.AsyncClient(base_url=url, timeout=120) as client:
        while time.monotonic() < deadline:
            out.append(await one_request(client, rng.choices(kinds, weights)[0], rng, files, shared))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def machine() -> dict[str, Any]:
    mem = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {
        "cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": os.getloadavg(),
    }


def verify(url: str, results: list[Result]) -> dict[str, Any]:
    ids_by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in results:
        if r.key and r.report_id:
            ids_by_key[r.key].add(r.report_id)
    duplicates = {f"{k[0][:12]}{k[1]}": sorted(v) for k, v in ids_by_key.items() if len(v) > 1}
    ids = sorted({r.report_id for r in results if r.report_id})
    # An upload answered 200 or 202 that never ended as a report in hand is lost too.
    lost: list[str] = [
        f"{r.kind} {r.status} job={r.job}: {r.error}"
        for r in results
        if r.key is not None and r.report_id is None
    ]
    with httpx2.Client(base_url=url, timeout=60) as client:
        for report_id in ids:
            got = client.get(f"/api/v1/reports/{report_id}")
            if got.status_code != 200 or got.json().get("id") != report_id:
                lost.append(report_id)
        stored = client.get("/health").json()["reports"]
        metrics = client.get("/metrics").text
    return {
        "distinct_reports_answered": len(ids),
        "reports_stored": stored,
        "lost": lost,
        "duplicates": duplicates,
        "wrong_bytes": sum(1 for r in results if r.error == "report of other bytes"),
        "metrics_5xx_lines": [line for line in metrics.splitlines() if 'status="5' in line],
    }


def render(summary: dict[str, Any]) -> str:
    m, s, v = summary["machine"], summary["stats"], summary["verify"]
    u = summary["uploads"]
    mark = summary["mark"]
    settings = ", ".join(f"`{k}={v}`" for k, v in summary["server_env"].items())
    lines = [
        f"<!-- BEGIN {mark} -->",
        f"## Load: concurrent clients against `odq serve`{' (' + settings + ')' if settings else ''}",
        "",
        f"`{summary['command']}` — {summary['clients']} clients on 127.0.0.1 for {summary['duration']:.0f} s "
        f"against one `odq serve` (one uvicorn worker, fresh data dir; peak RSS of the server process, and sampled every 0.2 s with its parsing workers), {summary['files']} corpus files under "
        f"1 MB ({summary['corpus_bytes'] / 1e6:.1f} MB in all) plus bad inputs. Machine: {m['cores']} cores, "
        f"{m['ram_gib']} GiB RAM, Python {m['python']}, {m['date']}; load average before "
        f"{' '.join(f'{x:.2f}' for x in m['load_before'])}. Clients and server share the cores."
        + (
            f" Warm: every corpus file was scored once before the timed run ({summary['warm_seconds']:.0f} s), "
            "so `file` requests reuse stored reports and only `fresh`, `junk` and `html` are scored under load."
            if summary.get("warm_seconds") is not None
            else " Cold: the first request for each corpus file scores it."
        ),
        "",
        "| requests | req/s | p50 s | p99 s | max s | 5xx | transport errors | server peak RSS MB "
        "| with workers MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['requests']:,} | {s['rps']:.1f} | {s['p50']:.3f} | {s['p99']:.3f} | {s['max']:.3f} | "
        f"{s['5xx']} | {s['transport_errors']} | {summary['peak_rss_mb']:.0f} | "
        f"{summary['peak_tree_rss_mb']:.0f} |",
        "",
        f"Uploads (files < 1 MB): {u['count']:,}, {u['accepted']:,} answered 202 and followed to their report "
        f"({u['polls']:,} job polls). Errors by status: "
        + (", ".join(f"{k}×{n}" for k, n in sorted(s["errors_by_status"].items())) or "none")
        + " (the 4xx are the bad inputs of the mix).",
        "",
        "| uploads < 1 MB | p50 s | p99 s | max s |",
        "|---|---:|---:|---:|",
        f"| request (200 or 202) | {u['request_p50']:.3f} | {u['request_p99']:.3f} | {u['request_max']:.3f} |",
        f"| time to report | {u['report_p50']:.3f} | {u['report_p99']:.3f} | {u['report_max']:.3f} |",
        "",
        "| request kind | count | statuses | p50 s | p99 s | to report p50 s | to report p99 s |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for kind, row in sorted(summary["by_kind"].items()):
        statuses = ", ".join(f"{k}×{n}" for k, n in sorted(row["statuses"].items()))
        ttr = (
            f"{row['report_p50']:.3f} | {row['report_p99']:.3f}"
            if row.get("report_p50") is not None
            else "– | –"
        )
        lines.append(
            f"| {kind} | {row['count']:,} | {statuses} | {row['p50']:.3f} | {row['p99']:.3f} | {ttr} |"
        )
    lines += [
        "",
        "| check | measured | result |",
        "|---|---|---|",
    ]
    for name, measured, ok in summary["targets"]:
        lines.append(f"| {name} | {measured} | {'✅ pass' if ok else '❌ fail'} |")
    lines += [
        "",
        f"Reports answered: {v['distinct_reports_answered']:,} distinct ids, each fetched back afterwards; "
        f"{v['reports_stored']:,} stored in all. Raw numbers: `bench/out/{mark}/results.json`; server log: "
        f"`bench/out/{mark}/server.log`.",
        f"<!-- END {mark} -->",
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str, mark: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# ODQ benchmark results\n"
    block = re.compile(rf"<!-- BEGIN {re.escape(mark)} -->.*?<!-- END {re.escape(mark)} -->\n?", re.DOTALL)
    if block.search(current):
        updated = block.sub(lambda _: text, current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(updated, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=45.0, help="seconds of load")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-results-md", action="store_true", help="do not touch bench/RESULTS.md")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="ODQ_X=V",
        help="a setting of the server (repeat)",
    )
    parser.add_argument("--mark", default=MARK, help="name of the section in bench/RESULTS.md")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="score every corpus file once before the timed run (stored reports)",
    )
    args = parser.parse_args()
    server_env = dict(item.split("=", 1) for item in args.server_env)
    if any(not k.startswith("ODQ_") for k in server_env):
        parser.error("--server-env takes ODQ_ settings")

    out_dir = OUT_ROOT / args.mark
    files = [(p.name, p.read_bytes()) for p in corpus_files()]
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    info = machine()
    proc, url = start_server(out_dir / "var", out_dir / "server.log", server_env)
    rss_samples: list[int] = []
    tree_samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss_samples.append(proc_status(proc.pid, "VmRSS"))
            tree_samples.append(tree_rss(proc.pid))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    results: list[Result] = []
    shared = Shared()
    try:
        warm_seconds = 0.0
        if args.warm:
            warm_started = time.monotonic()
            with httpx2.Client(base_url=url, timeout=300) as client:
                for name, data in files:
                    r = client.post("/api/v1/score?wait=true", files={"file": (name, data)})
                    if r.status_code == 200:
                        shared.seen_ids.append(r.json()["id"])
            warm_seconds = time.monotonic() - warm_started
        started = time.monotonic()
        deadline = started + args.duration

        async def run_all() -> None:
            await asyncio.gather(
                *(
                    client_loop(url, deadline, args.seed * 1000 + i, files, shared, results)
                    for i in range(args.clients)
                )
            )

        asyncio.run(run_all())
        wall = time.monotonic() - started
        peak = max(proc_status(proc.pid, "VmHWM"), max(rss_samples, default=0))
        checked = verify(url, results)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    log = (out_dir / "server.log").read_text(encoding="utf-8", errors="replace")
    problems = [line[:300] for line in log.splitlines() if LOG_PROBLEMS.search(line)]

    latencies = [r.seconds for r in results if r.status]
    stats: dict[str, Any] = {
        "requests": len(results),
        "rps": len(results) / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
        "5xx": sum(1 for r in results if r.status >= 500),
        "transport_errors": sum(1 for r in results if r.status == 0),
        "statuses": dict(Counter(str(r.status) for r in results)),
        "errors_by_status": dict(
            Counter(
                "transport" if r.status == 0 else str(r.status) for r in results if not 200 <= r.status < 300
            )
        ),
    }
    uploads = [r for r in results if r.kind in UPLOADS and r.status]
    upload_secs = [r.seconds for r in uploads]
    report_secs = [r.to_report for r in uploads if r.to_report is not None]
    upload_stats = {
        "count": len(uploads),
        "accepted": sum(1 for r in uploads if r.status == 202),
        "polls": sum(r.polls for r in uploads),
        "request_p50": percentile(upload_secs, 50),
        "request_p99": percentile(upload_secs, 99),
        "request_max": max(upload_secs, default=float("nan")),
        "report_p50": percentile(report_secs, 50),
        "report_p99": percentile(report_secs, 99),
        "report_max": max(report_secs, default=float("nan")),
    }
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in MIX:
        rows = [r for r in results if r.kind == kind]
        if rows:
            secs = [r.seconds for r in rows]
            ttr = [r.to_report for r in rows if r.to_report is not None]
            by_kind[kind] = {
                "count": len(rows),
                "statuses": dict(Counter(str(r.status) for r in rows)),
                "p50": percentile(secs, 50),
                "p99": percentile(secs, 99),
                "report_p50": percentile(ttr, 50) if ttr else None,
                "report_p99": percentile(ttr, 99) if ttr else None,
            }
    targets = [
        ("zero 5xx", str(stats["5xx"]), stats["5xx"] == 0 and not checked["metrics_5xx_lines"]),
        ("zero transport errors", str(stats["transport_errors"]), stats["transport_errors"] == 0),
        (
            "zero lost reports (every 200 or 202 ends as a report fetched back)",
            str(len(checked["lost"])),
            not checked["lost"],
        ),
        (
            "zero duplicated reports (same bytes → one id)",
            str(len(checked["duplicates"])),
            not checked["duplicates"] and checked["wrong_bytes"] == 0,
        ),
        ("no lock / conflict / traceback in the server log", str(len(problems)), not problems),
        (
            f"request p99 < {P99_TARGET:.0f} s (uploads < 1 MB)",
            f"{upload_stats['request_p99']:.3f} s",
            upload_stats["request_p99"] < P99_TARGET,
        ),
    ]
    command = f".venv/bin/python bench/load_bench.py --clients {args.clients} --duration {args.duration:g}"
    command += "".join(f" --server-env {k}={v}" for k, v in server_env.items())
    if args.warm:
        command += " --warm"
    if args.mark != MARK:
        command += f" --mark {args.mark}"
    summary = {
        "mark": args.mark,
        "warm_seconds": warm_seconds if args.warm else None,
        "server_env": server_env,
        "command": command,
        "clients": args.clients,
        "duration": wall,
        "files": len(files),
        "corpus_bytes": sum(len(d) for _, d in files),
        "machine": info,
        "stats": stats,
        "by_kind": by_kind,
        "uploads": upload_stats,
        "peak_rss_mb": peak / 2**20,
        "peak_tree_rss_mb": max(tree_samples, default=0) / 2**20,
        "verify": checked,
        "log_problems": problems[:50],
        "targets": targets,
        "transport_error_examples": [r.error for r in results if r.status == 0][:10],
    }
    (out_dir / "results.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    section = render(summary)
    if not args.no_results_md:
        write_section(section, args.mark)
    print(section)
    return 0 if all(ok for _, _, ok in targets) else 1


if __name__ == "__main__":
    raise SystemExit(main())
