"""Background scoring of large uploads from the web form.

The form answers at once with a progress page that follows the task and moves on to the report.
Tasks live in this process only (one worker thread, so large files are scored one at a time and
the server stays responsive); the report itself is stored like any other, so a restart loses
only the progress page of a task in flight, never a stored report.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger(__name__)

State = Literal["queued", "running", "done", "failed"]
KEEP = 500
"""Tasks remembered (oldest forgotten first)."""


@dataclass
class Task:
    id: str
    name: str
    bytes: int
    state: State = "queued"
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    report_id: str | None = None
    error: str | None = None

    def elapsed(self, now: float | None = None) -> float:
        start = self.started or self.created
        end = self.finished or (now if now is not None else time.time())
        return max(0.0, end - start)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "bytes": self.bytes,
            "state": self.state,
            "elapsed": round(self.elapsed(), 1),
            "report_id": self.report_id,
            "report_url": f"/reports/{self.report_id}" if self.report_id else None,
            "error": self.error,
        }


class Tasks:
    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="odq-web-task")
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, name: str, size: int, work: Callable[[], str]) -> Task:
        """Run ``work`` (returns the report id) in the background; returns the task at once."""
        task = Task(uuid.uuid4().hex, name, size, created=time.time())
        with self._lock:
            self._tasks[task.id] = task
            while len(self._tasks) > KEEP:
                self._tasks.popitem(last=False)
        self._pool.submit(self._run, task, work)
        return task

    def _run(self, task: Task, work: Callable[[], str]) -> None:
        task.started = time.time()
        task.state = "running"
        try:
            task.report_id = work()
            task.state = "done"
        except Exception as exc:  # shown on the progress page; the server goes on
            log.exception("background scoring of %s failed", task.name)
            task.error = getattr(exc, "message", None) or type(exc).__name__
            task.state = "failed"
        finally:
            task.finished = time.time()

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
