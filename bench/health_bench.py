"""Health under load: is `/health` answered within 1 s while the server is flooded?

A real `odq serve` on 127.0.0.1 (default settings, except that 127.0.0.1 may be fetched and the
anonymous rate limit is off). First a 3,000-column CSV is scored (its report made before the
load). Then, all at once:

- 60 form uploads (`POST /upload`) of distinct 1.7 MB CSVs;
- 45 URL scorings (`POST /api/v1/score {"url"}`) of files on a loopback server that sends one
  byte every 0.2 s until the load ends;
- 3 `GET /api/v1/reports/{id}/expectations` of the 3,000-column report;

and `/health` is asked every 0.25 s for `--seconds` seconds. It prints the latencies of
`/health` (every one must be under 1 s, and none may fail), how the flood was answered (status
counts: 503 `queue-full` is the designed answer past ODQ_SCORE_QUEUE_MAX), the time of the
expectation requests, and writes its section of `bench/RESULTS.md` (between `<!-- BEGIN health -->`
and `<!-- END health -->`). Exits 1 when a `/health` answer took 1 s or more or failed.

    .venv/bin/python bench/health_bench.py --seconds 20
"""

from __future__ import annotations

import argparse
import http.server
import multiprocessing
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "health"
RESULTS = REPO / "bench" / "RESULTS.md"
ODQ = Path(sys.executable).parent / "odq"
MARK = "health"
TARGET = 1.0
FORMS, URLS, SUITES = 60, 45, 3
WIDE_COLUMNS, WIDE_ROWS = 3000, 50
FORM_BYTES = int(1.7 * 1024 * 1024)


def wide_csv(path: Path) -> None:
    rng = random.Random(3000)
    lines = [",".join(f"col{i}" for i in range(WIDE_COLUMNS))]
    for r in range(WIDE_ROWS):
        cells = []
        for i in range(WIDE_COLUMNS):
            kind = i % 3
            cells.append(
                str(rng.randint(0, 1000))
                if kind == 0
                else f"2020-01-{r % 28 + 1:02d}"
                if kind == 1
                else f"v{r % 5}"
            )
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def form_csv(n: int) -> bytes:
    rng = random.Random(n)
    lines = ["id,name,amount,date"]
    size = 0
    i = 0
    while size < FORM_BYTES:
        i += 1
        line = f"{i},name {n}-{rng.randint(0, 10**6)},{rng.randint(0, 10**5)},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
        lines.append(line)
        size += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


class Trickle(http.server.ThreadingHTTPServer):
    """Files sent one byte every 0.2 s until ``release`` is set."""

    daemon_threads = True

    def __init__(self) -> None:
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if not self.path.startswith("/slow-"):
                    self.send_error(404)
                    return
                n = self.path.removeprefix("/slow-").split(".", 1)[0]
                body = ("id,v\n" + "".join(f"{i},{n}-{i}\n" for i in range(100))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                sent = 0
                try:
                    while not server.release.is_set() and sent < len(body) - 1:
                        self.wfile.write(body[sent : sent + 1])
                        self.wfile.flush()
                        sent += 1
                        server.release.wait(0.2)
                    self.wfile.write(body[sent:])
                except OSError:
                    pass

        super().__init__(("127.0.0.1", 0), Handler)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}
    env.update(
        ODQ_DATA_DIR=str(data_dir),
        ODQ_FETCH_ALLOW="127.0.0.1",
        ODQ_FETCH_PER_HOST_RPS="0",
        ODQ_ANONYMOUS_RATE_PER_MINUTE="0",
        ODQ_LOG_LEVEL="warning",
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ODQ), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx2.get(f"{base}/health", timeout=2.0).status_code == 200:
                return process, base
        except httpx2.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"odq serve did not come up:\n{log_path.read_text(errors='replace')}")


def sample_health(base: str, seconds: float, out: Any) -> None:
    """In a process of its own (the flooding client's threads never delay it): ask /health every
    0.25 s for ``seconds``; put [(offset, seconds, status, stale)] on ``out``."""
    samples: list[tuple[float, float, str, bool]] = []
    start = time.monotonic()
    with httpx2.Client(timeout=30) as client:
        while time.monotonic() - start < seconds:
            asked = time.monotonic()
            try:
                r = client.get(f"{base}/health", headers={"Connection": "close"})
                status, stale = str(r.status_code), bool(r.json().get("reports_stale"))
            except httpx2.HTTPError as exc:
                status, stale = type(exc).__name__, False
            samples.append((asked - start, time.monotonic() - asked, status, stale))
            time.sleep(0.25)
    out.put(samples)


def call(fn: Any, *args: Any, **kwargs: Any) -> tuple[int | str, float]:
    started = time.monotonic()
    try:
        r = fn(*args, **kwargs)
        return r.status_code, time.monotonic() - started
    except httpx2.HTTPError as exc:
        return type(exc).__name__, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long /health is sampled under load")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    wide = OUT / "wide-3000.csv"
    wide_csv(wide)
    forms = [form_csv(n) for n in range(FORMS)]
    slow = Trickle()
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    process, base = start_server(OUT / "var", OUT / "server.log")
    try:
        started = time.monotonic()
        r = httpx2.post(
            f"{base}/api/v1/score?wait=true", files={"file": (wide.name, wide.read_bytes())}, timeout=600
        )
        wide_seconds = time.monotonic() - started
        r.raise_for_status()
        report_id = r.json()["id"]
        ctx = multiprocessing.get_context("spawn")
        results: Any = ctx.Queue()
        sampler = ctx.Process(target=sample_health, args=(base, args.seconds, results))
        sampler.start()
        time.sleep(1.0)  # a few answers before the flood
        pool = ThreadPoolExecutor(FORMS + URLS + SUITES)
        futures: dict[str, list[Future[tuple[int | str, float]]]] = {"form": [], "url": [], "suite": []}
        for i in range(URLS):
            url = f"http://127.0.0.1:{slow.server_address[1]}/slow-{i}.csv"
            futures["url"].append(
                pool.submit(call, httpx2.post, f"{base}/api/v1/score", json={"url": url}, timeout=600)
            )
        for i, data in enumerate(forms):
            futures["form"].append(
                pool.submit(
                    call,
                    httpx2.post,
                    f"{base}/upload",
                    files={"file": (f"f{i}.csv", data, "text/csv")},
                    timeout=600,
                )
            )
        for _ in range(SUITES):
            futures["suite"].append(
                pool.submit(call, httpx2.get, f"{base}/api/v1/reports/{report_id}/expectations", timeout=600)
            )
        samples = results.get(timeout=args.seconds + 120)
        sampler.join()
        health = [s for _, s, _, _ in samples]
        failures = [st for _, _, st, _ in samples if st != "200"]
        stale = sum(flag for _, _, _, flag in samples)
        worst_at = max(samples, key=lambda x: x[1])[0] - 1.0
        in_flight = sum(not f.done() for group in futures.values() for f in group)
        slow.release.set()
        outcomes = {k: [f.result() for f in group] for k, group in futures.items()}
        pool.shutdown()
    finally:
        slow.release.set()
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        slow.shutdown()
    worst = max(health)
    ok = worst < TARGET and not failures
    counts = {k: Counter(str(s) for s, _ in v) for k, v in outcomes.items()}
    suite_times = [t for _, t in outcomes["suite"]]
    lines = [
        f"<!-- BEGIN {MARK} -->",
        "## /health under load",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `.venv/bin/python bench/health_bench.py "
        f"--seconds {args.seconds:g}` ({os.cpu_count()}-core machine, shared; load average "
        f"{os.getloadavg()[0]:.1f} at the end; Python {platform.python_version()}). `odq serve` with default "
        "settings (127.0.0.1 fetchable, no anonymous rate limit). The 3,000-column × 50-row report was scored "
        f"first ({wide_seconds:.1f} s, suite built in the worker). Then {FORMS} form uploads of distinct "
        f"1.7 MB CSVs, {URLS} URL scorings of a loopback host sending one byte every 0.2 s and {SUITES} "
        "expectation requests of the 3,000-column report were sent at once, while a process of its own asked "
        "`/health` every 0.25 s (from 1 s before the flood); "
        f"{in_flight} of them were still in flight when /health sampling ended.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| /health answers sampled | {len(health)} ({len(failures)} failed) |",
        f"| /health median | {statistics.median(health) * 1000:.0f} ms |",
        f"| /health p95 | {sorted(health)[int(0.95 * (len(health) - 1))] * 1000:.0f} ms |",
        f"| /health max | {worst * 1000:.0f} ms ({worst_at:+.1f} s from the start of the flood) |",
        f"| /health answers of 1 s or more | {sum(h >= TARGET for h in health)} |",
        f"| /health answers with the last count (`reports_stale`) | {stale} |",
        f"| expectation requests (3,000 columns) | {', '.join(f'{t:.2f} s' for t in suite_times)} |",
        f"| form uploads answered | {dict(counts['form'])} |",
        f"| URL scorings answered | {dict(counts['url'])} |",
        f"| expectation requests answered | {dict(counts['suite'])} |",
        "",
        f"Target: every /health answer under {TARGET:g} s, none failed — {'✅ pass' if ok else '❌ fail'}. "
        "A 503 is `queue-full` with Retry-After: past ODQ_SCORE_QUEUE_MAX (64) waiting jobs an upload or URL "
        "is refused at once, by design. Server log: `bench/out/health/server.log`.",
        f"<!-- END {MARK} -->",
    ]
    section = "\n".join(lines)
    print(section)
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    begin, finish = f"<!-- BEGIN {MARK} -->", f"<!-- END {MARK} -->"
    if begin in text and finish in text:
        text = text[: text.index(begin)] + section + text[text.index(finish) + len(finish) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
