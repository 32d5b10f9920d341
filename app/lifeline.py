"""Worker processes end with the process that started them.

A worker of the parsing pool or of a catalog run's process pool waits on a pipe or a queue its
parent feeds. When the parent is killed (SIGKILL, the OOM killer), nothing tells a worker busy with
a file, and a pool's workers hold each other's ends of their shared queue open: they lived on as
orphans. :func:`die_with_parent`, called first thing in a worker, starts a thread that ends the
process once its parent is gone (it has been given to another parent), within
:data:`POLL_SECONDS`. It works whatever thread of the parent started the worker, which
``prctl(PR_SET_PDEATHSIG)`` does not (that signal follows the starting thread, not the process).
The parsing workers' parent is the fork server, which itself ends when the server does.
"""

from __future__ import annotations

import os
import threading
import time

POLL_SECONDS = 0.25
EXIT_CODE = 70
"""The exit status of a worker ended because its parent died."""


def die_with_parent(poll_seconds: float = POLL_SECONDS) -> None:
    """End this process (``os._exit``) as soon as its parent process is gone."""
    parent = os.getppid()
    if parent == 1:  # already an orphan
        os._exit(EXIT_CODE)

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(EXIT_CODE)

    threading.Thread(target=watch, name="odq-lifeline", daemon=True).start()
