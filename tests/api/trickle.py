"""A loopback HTTP server whose CSV files arrive a byte at a time until the test lets them finish:
the slow download of a hostile or overloaded host, held as long as the test needs it."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TRICKLE_EVERY = 0.2
"""Seconds between two bytes of a held download (well under ODQ_FETCH_TIMEOUT)."""


def csv_body(n: int) -> bytes:
    """A small CSV, different for each ``n`` (so each URL is its own file)."""
    lines = ["id,name,amount"] + [f"{i},item {n}-{i},{i * 7 + n}" for i in range(1, 41)]
    return ("\n".join(lines) + "\n").encode()


class Trickle(http.server.ThreadingHTTPServer):
    """``GET /slow-<n>.csv`` sends its headers, then one byte every TRICKLE_EVERY seconds until
    :attr:`release` is set, then the rest. ``started`` counts the downloads begun."""

    daemon_threads = True

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = 0
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if not self.path.startswith("/slow-"):
                    self.send_error(404)
                    return
                body = csv_body(int(self.path.removeprefix("/slow-").split(".", 1)[0]))
                with server.lock:
                    server.started += 1
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
                        server.release.wait(TRICKLE_EVERY)
                    self.wfile.write(body[sent:])
                except OSError:
                    pass  # the client left

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_started(self, n: int, tries: int = 600) -> int:
        """Wait (a bounded number of short sleeps) until ``n`` downloads have begun; their count."""
        for _ in range(tries):
            if self.started >= n:
                break
            time.sleep(0.05)
        return self.started


@contextmanager
def trickle_server() -> Iterator[Trickle]:
    server = Trickle()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
