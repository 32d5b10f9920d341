from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from app.storage import Store, StoreLocked
from app.storage.migrate import status

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a second process with this (the venv's) interpreter."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
    )


def test_open_creates_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "odq.duckdb"
    with Store.open(path) as store:
        assert path.exists()
        assert store.path == path


def test_close_is_idempotent_and_context_manager_closes(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.cursor().execute("SELECT 1")
    assert store.closed
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.cursor()


def test_in_memory_store() -> None:
    with Store.open(":memory:") as store:
        assert store.cursor().execute("SELECT count(*) FROM reports").fetchone() == (0,)


def test_one_cursor_per_thread(store: Store) -> None:
    cursors: list[object] = []
    all_there = threading.Barrier(4)

    def grab() -> None:
        assert store.cursor() is store.cursor()
        cursors.append(store.cursor())
        all_there.wait()  # keep every thread (and its cursor) alive until all have one

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for t in threads:
        t.start()
    grab()
    for t in threads:
        t.join()
    assert len({id(c) for c in cursors}) == 4


def test_transaction_commits_and_rolls_back(store: Store) -> None:
    with store.transaction() as cur:
        cur.execute("CREATE TABLE t (x INTEGER)")
        cur.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ZeroDivisionError), store.transaction() as cur:
        cur.execute("INSERT INTO t VALUES (2)")
        1 / 0  # noqa: B018
    with pytest.raises(duckdb.ConstraintException), store.transaction() as cur:
        cur.execute("INSERT INTO t VALUES (3)")
        cur.execute("INSERT INTO resources (id, bytes, created_at) VALUES (NULL, 1, now())")
    assert store.cursor().execute("SELECT list(x ORDER BY x) FROM t").fetchone() == ([1],)
    # the thread's cursor is usable again after a rollback
    with store.transaction() as cur:
        cur.execute("INSERT INTO t VALUES (4)")
    assert store.cursor().execute("SELECT list(x ORDER BY x) FROM t").fetchone() == ([1, 4],)


def test_transaction_is_not_reentrant(store: Store) -> None:
    with store.transaction(), pytest.raises(RuntimeError, match="reentrant"), store.transaction():
        pass


def test_writes_are_serialised(store: Store) -> None:
    """While one thread is inside a transaction, another thread's transaction waits."""
    entered = threading.Event()
    order: list[str] = []

    def slow() -> None:
        with store.transaction():
            entered.set()
            time.sleep(0.2)
            order.append("slow done")

    t = threading.Thread(target=slow)
    t.start()
    entered.wait(5)
    with store.transaction():
        order.append("second")
    t.join()
    assert order == ["slow done", "second"]


# -- a second process ------------------------------------------------------------------------


def test_duckdb_lock_error_shape(db_path: Path) -> None:
    """What DuckDB itself raises in a second process (the StoreLocked translation relies on it)."""
    with Store.open(db_path):
        proc = run_python(
            "import sys, duckdb\n"
            "try:\n"
            "    duckdb.connect(sys.argv[1])\n"
            "except duckdb.IOException as e:\n"
            "    print(type(e).__name__, e)\n",
            str(db_path),
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("IOException IO Error: Could not set lock on file")
    assert "Conflicting lock is held" in proc.stdout


SECOND_PROCESS = """
import sys
from app.storage import Store, StoreLocked
from app.storage.migrate import status
path = sys.argv[1]
for what, call in [("open", lambda: Store.open(path)), ("status", lambda: status(path))]:
    try:
        call()
        print(what, "opened")
    except StoreLocked as exc:
        print(what, "StoreLocked", exc.path == __import__("pathlib").Path(path))
"""


def test_second_process_gets_store_locked(db_path: Path) -> None:
    with Store.open(db_path):
        proc = run_python(SECOND_PROCESS, str(db_path))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines() == ["open StoreLocked True", "status StoreLocked True"]
    # once the holder closes, the second process gets in
    proc = run_python(SECOND_PROCESS, str(db_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["open opened", "status opened"]


HOLDER = "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"


def test_store_locked_in_this_process_when_another_holds_it(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLocked) as excinfo:
            Store.open(db_path)
        assert excinfo.value.path == db_path
        assert "lock" in str(excinfo.value)
        with pytest.raises(StoreLocked):
            status(db_path)
    finally:
        holder.communicate("", timeout=30)
    with Store.open(db_path):
        pass
