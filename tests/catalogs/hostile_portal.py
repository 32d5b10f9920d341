"""A small real HTTP server on 127.0.0.1 whose answers a test writes: hostile catalogs, and
catalog endpoints held open until the test lets them answer (the run-quota tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Route = Callable[[dict[str, list[str]]], tuple[int, str, bytes]]


class HostileServer(ThreadingHTTPServer):
    """Serves ``routes`` (path → handler of the query) and counts the requests."""

    daemon_threads = True

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []

        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                self._answer(head=False)

            def _answer(self, head: bool) -> None:
                parts = urlsplit(self.path)
                server.hits.append(parts.path)
                route = server.routes.get(parts.path)
                status, ctype, body = route(parse_qs(parts.query)) if route else (404, "text/plain", b"no")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
