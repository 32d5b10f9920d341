"""A real `odq serve` process for the operations tests: started on a free port with its own
environment, stopped gently (SIGTERM) or killed (SIGKILL), and started again on the same data."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
ODQ = Path(sys.executable).parent / "odq"

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def odq_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without ODQ_ settings, plus the data dir and ``extra`` (ODQ_…=…)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}
    env["ODQ_DATA_DIR"] = str(data_dir)
    env["ODQ_ANONYMOUS_RATE_PER_MINUTE"] = "0"  # the tests send many requests from one address
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class Server:
    data_dir: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.port = free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(ODQ), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=odq_env(self.data_dir, **self.env),
                cwd=self.data_dir.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"odq serve exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(f"{self.base_url}/health", timeout=2.0).status_code == 200:
                    return self
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"odq serve did not come up in {START_TIMEOUT:.0f} s:\n{self.log()}")
            time.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` and reap the process; return its exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill(signal.SIGTERM)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def running(data_dir: Path, log_path: Path, **env: str) -> Iterator[Server]:
    server = Server(data_dir, log_path, env).start()
    try:
        yield server
    finally:
        server.stop()


def generated_csv(path: Path, rows: int, seed: int = 0) -> Path:
    """A plain UTF-8 CSV with ``rows`` distinct rows (a few placeholders, so findings exist)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("id,city,amount,note\n")
        for i in range(rows):
            note = "暂无" if i % 97 == 0 else f"note {seed}-{i}"
            fh.write(f"{i},city{i % 50},{(i * 7919 + seed) % 100000},{note}\n")
    return path
