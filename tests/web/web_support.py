"""Helpers of the web UI tests (imported by tests/web and its conftest): the corpus files, a
real `odq serve` on a free 127.0.0.1 port that is always stopped, and the small portal the
portal tests score."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
SHOTS = REPO / "test-output" / "web"
CHROMIUM = Path("/usr/bin/chromium")
ODQ = Path(sys.executable).parent / "odq"

# GB18030, three title lines above the header, an empty March column, notes below the data.
CPI_PART1 = CORPUS / "portals" / "cn-data-stats-gov-cn" / "cpi-monthly-by-province_2020Q1_part1.csv"


STATS = CORPUS / "portals" / "cn-data-stats-gov-cn"
TW = CORPUS / "portals" / "tw-data-gov-tw"
PORTAL_FILES = [
    STATS / "cpi-monthly-by-province_2020Q1_part1.csv",
    STATS / "cpi-monthly-by-province_2020Q1_part2.csv",
    STATS / "cpi-monthly-by-province_2020Q1_part3.csv",
    TW / "office-calendar_ROC107_2018.csv",
    TW / "office-calendar_ROC108_2019.csv",
    TW / "office-calendar_ROC114_2025.csv",
    TW / "office-calendar_ROC114_2025_revised.csv",
]
ADMIN = "test-admin-token-0123456789"


def portal_folder(root: Path) -> Path:
    """A folder holding the portal's files (two series split across files, one republished file)."""
    folder = root / "stats-portal"
    folder.mkdir(parents=True, exist_ok=True)
    for f in PORTAL_FILES:
        shutil.copy(f, folder / f.name)
    return folder


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    base_url: str
    data_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_server(root: Path, **env_extra: str) -> tuple[subprocess.Popen[bytes], Live]:
    port = free_port()
    data_dir = root / "var"
    log_path = root / f"server-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}
    env.update({"ODQ_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", "ODQ_ANONYMOUS_RATE_PER_MINUTE": "0"})
    env.update(env_extra)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ODQ), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    live = Live(f"http://127.0.0.1:{port}", data_dir, log_path)
    deadline = time.monotonic() + 45
    while True:
        if process.poll() is not None:
            pytest.fail(f"odq serve exited with {process.returncode}:\n{live.log()}")
        try:
            if httpx2.get(f"{live.base_url}/health", timeout=2.0).status_code == 200:
                return process, live
        except httpx2.TransportError:
            pass
        if time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"odq serve did not come up:\n{live.log()}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
