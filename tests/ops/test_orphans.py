"""Worker processes die with the server: a real `odq serve` is killed (SIGKILL, no chance to clean
up) while a catalog run's process pool and the parsing workers are busy, and no process it started
is left running."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

import httpx2
from ops_support import Server, generated_csv

ADMIN = "admin-token-for-orphan-tests-0123"


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            children.setdefault(st[1], []).append(int(entry))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] != "Z"  # a zombie has ended; it only waits to be reaped


def test_no_worker_outlives_a_killed_server(tmp_path: Path) -> None:
    folder = tmp_path / "portal"
    folder.mkdir()
    for i in range(16):
        generated_csv(folder / f"table-{i:02d}.csv", rows=30_000, seed=i)
    big = generated_csv(tmp_path / "big.csv", rows=400_000, seed=99)
    server = Server(
        tmp_path / "var", tmp_path / "server.log", {"ODQ_ADMIN_TOKEN": ADMIN, "ODQ_SCORE_WORKERS": "2"}
    ).start()
    assert server.process is not None
    uploads: list[threading.Thread] = []
    try:
        r = httpx2.post(
            f"{server.base_url}/api/v1/catalogs",
            json={"source": str(folder), "kind": "dir", "executor": "process", "workers": 3},
            headers={"Authorization": f"Bearer {ADMIN}"},
            timeout=30,
        )
        assert r.status_code == 202, r.text
        for name in ("big-1.csv", "big-2.csv"):  # the parsing workers busy with a file each

            def upload(name: str = name) -> None:
                with contextlib.suppress(httpx2.TransportError):  # the server is killed under it
                    httpx2.post(
                        f"{server.base_url}/api/v1/score?wait=0",
                        files={"file": (name, big.read_bytes() + name.encode())},
                        timeout=60,
                    )

            uploads.append(threading.Thread(target=upload, daemon=True))
            uploads[-1].start()
        workers: set[int] = set()
        for _ in range(600):  # until the run's pool and the parsing pool are both at work
            workers = descendants(server.process.pid)
            pool = [p for p in workers if "spawn_main" in _cmdline(p)]
            parsing = [p for p in workers if "forkserver" in _cmdline(p)]
            if len(pool) >= 3 and len(parsing) >= 2:  # the fork server and at least one worker
                break
            time.sleep(0.1)
        assert len(pool) >= 3 and len(parsing) >= 2, {p: _cmdline(p)[:80] for p in workers}
    finally:
        server.kill()  # SIGKILL: nothing of the server runs after this
        for thread in uploads:
            thread.join(60)
    left = workers
    for _ in range(100):  # each worker notices within a poll or two
        left = {p for p in workers if alive(p)}
        if not left:
            break
        time.sleep(0.1)
    assert not left, {p: _cmdline(p)[:80] for p in left}
