"""Time the report page of a large file after it is scored, against a real `odq serve`.

Scores ``bench/out/gov.csv`` (1,000,000 rows, made by ``make bench``) into a fresh data dir
with `odq score` (stored, rows kept), starts `odq serve` on a free 127.0.0.1 port and fetches
``/reports/{id}`` (cold once, then warm runs), plus the JSON of the same report and the findings
CSV. Writes its block (``web``) of ``bench/RESULTS.md``.

    .venv/bin/python bench/web_bench.py [CSV] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2

REPO = Path(__file__).resolve().parents[1]
ODQ = Path(sys.executable).parent / "odq"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_block(path: Path, name: str, text: str) -> None:
    """Replace this benchmark's block of RESULTS.md (between its BEGIN/END markers), or append it."""
    block = f"<!-- BEGIN {name} -->\n{text.rstrip()}\n<!-- END {name} -->"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(rf"<!-- BEGIN {name} -->.*?<!-- END {name} -->", re.S)
    new = pattern.sub(lambda _: block, old) if pattern.search(old) else old.rstrip() + "\n\n" + block + "\n"
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv", nargs="?", default=str(REPO / "bench" / "out" / "gov.csv"))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    parser.add_argument("--data-dir", help="keep the scored database here (reused when it holds the report)")
    args = parser.parse_args()
    source = Path(args.csv)
    if not source.is_file():
        sys.exit(f"{source} is missing: run `make bench` first (it generates the 1M-row file)")
    with tempfile.TemporaryDirectory(prefix="odq-web-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}
        env["ODQ_DATA_DIR"] = args.data_dir or str(Path(tmp) / "var")
        started = time.perf_counter()
        # The same bytes give the stored report: with --data-dir the second run does not score again.
        done = subprocess.run(
            [str(ODQ), "score", "--format", "json", str(source)], env=env, capture_output=True, check=False
        )
        scoring_s = time.perf_counter() - started
        report = json.loads(done.stdout)
        report_id = report["id"]
        port = free_port()
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [str(ODQ), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx2.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx2.TransportError:
                    time.sleep(0.1)
            with httpx2.Client(base_url=base, timeout=30) as client:

                def timed(path: str) -> tuple[float, int]:
                    t0 = time.perf_counter()
                    r = client.get(path, headers={"accept-language": "en"})
                    elapsed = time.perf_counter() - t0
                    assert r.status_code == 200, (path, r.status_code, r.text[:300])
                    return elapsed, len(r.content)

                home_s, _ = timed("/")  # what a browser fetches first (the upload form)
                cold, page_bytes = timed(f"/reports/{report_id}")
                warm = [timed(f"/reports/{report_id}")[0] for _ in range(args.runs)]
                json_s, json_bytes = timed(f"/api/v1/reports/{report_id}")
                csv_s, csv_bytes = timed(f"/reports/{report_id}/findings.csv")
                css = len(client.get("/static/odq.css").content)
                js = len(client.get("/static/odq.js").content)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    median = statistics.median(warm)
    lines = [
        "## Web UI: report page of a large file",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `.venv/bin/python bench/web_bench.py` "
        f"(2-core machine, shared). Input `{source.relative_to(REPO) if source.is_relative_to(REPO) else source}`: "
        f"{report['source']['rows']:,} rows × {report['source']['columns']} columns, "
        f"{source.stat().st_size:,} bytes; scored and stored (rows kept) by `odq score` "
        f"({scoring_s:.1f} s{'; stored report reused' if scoring_s < 15 else ''}). Load average "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared).",
        "",
        "`odq serve` on 127.0.0.1, fetched with httpx2 (time to the last byte):",
        "",
        "| request | time | bytes |",
        "|---|---:|---:|",
        f"| `GET /` first page of the fresh server process (templates compiled) | {home_s * 1000:.0f} ms | |",
        f"| `GET /reports/{{id}}` first time (rows read from DuckDB) | {cold * 1000:.0f} ms | {page_bytes:,} |",
        f"| `GET /reports/{{id}}` again, median of {args.runs} | {median * 1000:.0f} ms (max {max(warm) * 1000:.0f} ms) "
        f"| {page_bytes:,} |",
        f"| `GET /api/v1/reports/{{id}}` (the same report as JSON) | {json_s * 1000:.0f} ms | {json_bytes:,} |",
        f"| `GET /reports/{{id}}/findings.csv` | {csv_s * 1000:.0f} ms | {csv_bytes:,} |",
        f"| static: odq.css + odq.js (cached a day) | | {css + js:,} |",
        "",
        f"Target: the page renders in under 1 s after scoring — {'✅ pass' if max(cold, median) < 1 else '❌ fail'} "
        f"(cold {cold * 1000:.0f} ms). Page weight {(page_bytes + css + js) / 1024:.0f} KiB with its CSS and script; "
        "the preview is capped at 20 rows and 30 columns, examples at 5 per finding, so the page does not grow "
        "with the rows of the file.",
        "",
    ]
    write_block(Path(args.out), "web", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
