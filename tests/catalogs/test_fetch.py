"""The guarded fetcher against a real HTTP server on 127.0.0.1 (stdlib ``http.server`` in a
thread): retries on 503 and on 429 with Retry-After, no retry on 404, a timeout on a slow answer,
a redirect loop, the size cap (declared and streamed), conditional GET (304), HEAD refused,
robots.txt, the User-Agent, and that no proxy from the environment is used.

``LocalServer`` is imported by the other fetch/SSRF test modules of this folder."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app.ingest.fetch import Fetcher, FetchError
from app.settings import Settings

CSV = b"id,name\n1,a\n2,b\n"
BIG = 2 * 1024 * 1024
Handler = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with per-path handlers and a hit counter."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[tuple[str, str]] = Counter()
        self.headers: list[dict[str, str]] = []
        server = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits[(self.command, path)] += 1
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                handler = server.routes.get(path)
                if handler is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                handler(self)

            do_GET = _handle
            do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(
    h: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> None:
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    if length:
        h.send_header("Content-Length", str(len(body)))
    else:
        h.send_header("Connection", "close")
    h.end_headers()
    if h.command != "HEAD" and body:
        h.wfile.write(body)
        h.wfile.flush()
    if not length:
        h.close_connection = True


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        fetch_allow="127.0.0.1",
        fetch_timeout=1.0,
        fetch_per_host_rps=0,
        fetch_retries=3,
    )


@pytest.fixture
def fetcher(settings: Settings) -> Iterator[Fetcher]:
    with Fetcher(settings) as f:
        f.backoff = 0.05  # keep the retry tests fast; the schedule is still exponential
        yield f


def test_download_stores_the_bytes_by_sha256(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    server.routes["/data.csv"] = lambda h: send(h, 200, CSV, {"Content-Type": "text/csv", "ETag": '"v1"'})
    got = fetcher.download(server.url("/data.csv"), tmp_path / "blobs", max_bytes=1 << 20)
    assert got.ok and got.status == 200 and got.content_type == "text/csv" and got.etag == '"v1"'
    assert got.blob is not None and got.blob.path.read_bytes() == CSV and got.blob.size == len(CSV)
    # HEAD first, then one GET
    assert server.hits[("HEAD", "/data.csv")] == 1 and server.hits[("GET", "/data.csv")] == 1


def test_user_agent_is_honest(server: LocalServer, fetcher: Fetcher, settings: Settings) -> None:
    server.routes["/ua"] = lambda h: send(h, 200, h.headers.get("User-Agent", "").encode())
    assert fetcher.get_bytes(server.url("/ua"), max_bytes=1000).decode() == settings.fetch_user_agent
    assert settings.fetch_user_agent.startswith("ODQ/")


def test_retries_503_then_succeeds(server: LocalServer, fetcher: Fetcher) -> None:
    calls = Counter[str]()

    def flaky(h: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        if calls["n"] <= 2:
            send(h, 503, b"busy")
        else:
            send(h, 200, CSV)

    server.routes["/flaky"] = flaky
    assert fetcher.get_bytes(server.url("/flaky"), max_bytes=1000) == CSV
    assert server.hits[("GET", "/flaky")] == 3


@pytest.mark.parametrize("status", [502, 504])
def test_retries_other_gateway_errors_until_the_limit(
    server: LocalServer, fetcher: Fetcher, status: int
) -> None:
    server.routes["/down"] = lambda h: send(h, status, b"down")
    with pytest.raises(FetchError) as err:
        fetcher.get_bytes(server.url("/down"), max_bytes=1000)
    assert err.value.code == "download-failed" and err.value.status == status
    assert server.hits[("GET", "/down")] == 1 + fetcher.retries  # first try + 3 retries


def test_429_honours_retry_after(server: LocalServer, fetcher: Fetcher) -> None:
    seen: list[float] = []

    def limited(h: BaseHTTPRequestHandler) -> None:
        seen.append(time.monotonic())
        if len(seen) == 1:
            send(h, 429, b"slow down", {"Retry-After": "1"})
        else:
            send(h, 200, CSV)

    server.routes["/limited"] = limited
    assert fetcher.get_bytes(server.url("/limited"), max_bytes=1000) == CSV
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 0.95  # waited what the server asked, not the 0.05 s backoff


def test_429_with_a_retry_after_too_long_fails_at_once(server: LocalServer, fetcher: Fetcher) -> None:
    server.routes["/later"] = lambda h: send(h, 429, b"", {"Retry-After": "3600"})
    started = time.monotonic()
    got = fetcher.download(server.url("/later"), fetcher.settings.blob_dir, max_bytes=1000)
    assert got.error_code == "download-failed" and got.status == 429
    assert time.monotonic() - started < 2


def test_no_retry_on_404(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    with pytest.raises(FetchError) as err:
        fetcher.get_bytes(server.url("/missing"), max_bytes=1000)
    assert err.value.code == "download-failed" and err.value.status == 404
    assert server.hits[("GET", "/missing")] == 1
    got = fetcher.download(server.url("/gone.csv"), tmp_path / "blobs", max_bytes=1000)
    assert (got.error_code, got.status, got.blob) == ("download-failed", 404, None)
    assert server.hits[("HEAD", "/gone.csv")] == 1 and server.hits[("GET", "/gone.csv")] == 0


def test_timeout_on_a_slow_response(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(2.5)
        send(h, 200, CSV)

    server.routes["/slow.csv"] = slow
    started = time.monotonic()
    got = fetcher.download(server.url("/slow.csv"), tmp_path / "blobs", max_bytes=1000)
    assert got.error_code == "timeout" and got.blob is None
    assert time.monotonic() - started < 2.2  # a read timeout is not retried
    assert server.hits[("HEAD", "/slow.csv")] == 1


def test_slow_body_past_the_deadline(server: LocalServer, settings: Settings, tmp_path: Path) -> None:
    def dribble(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        for _ in range(100):
            if h.command == "HEAD":
                return
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.05)

    server.routes["/dribble"] = dribble
    tight = settings.model_copy(update={"fetch_deadline": 1.0})
    with Fetcher(tight) as f:
        got = f.download(server.url("/dribble"), tmp_path / "blobs", max_bytes=1000)
    assert got.error_code == "timeout"
    assert list((tmp_path / "blobs").glob("**/.upload-*")) == []  # no partial blob left


def test_a_trickled_redirect_body_does_not_outlast_the_deadline(
    server: LocalServer, settings: Settings, tmp_path: Path
) -> None:
    """A redirect declaring a short body and sending it a byte at a time (each byte inside the
    read timeout): the body of a dropped response is read only briefly, then the connection is
    closed, so the redirect is followed at once and the deadline holds."""

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", "/new.csv")
        h.send_header("Content-Length", "60")
        h.end_headers()
        if h.command == "HEAD":
            return
        with contextlib.suppress(OSError):  # the client hangs up once it stops reading
            for _ in range(60):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.3)
        h.close_connection = True

    server.routes["/old.csv"] = trickle
    server.routes["/new.csv"] = lambda h: send(h, 200, CSV)
    tight = settings.model_copy(update={"fetch_deadline": 5.0})
    with Fetcher(tight) as f:
        started = time.monotonic()
        got = f.download(server.url("/old.csv"), tmp_path / "blobs", max_bytes=1000)
        took = time.monotonic() - started
    assert got.ok and got.final_url == server.url("/new.csv")
    assert took < 2.5  # reading all 60 bytes would take 18 s


def test_headers_trickled_a_byte_at_a_time_stop_at_the_deadline(settings: Settings, tmp_path: Path) -> None:
    """A server that sends its status line and headers one byte every 0.2 s never trips the read
    timeout (1 s): the fetch's deadline ends the request anyway, as a timeout, never a hang."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                    if stop.is_set():
                        break
                    conn.sendall(bytes([byte]))
                    time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/data.csv"
    tight = settings.model_copy(update={"fetch_deadline": 2.0, "fetch_retries": 0})
    try:
        with Fetcher(tight) as f:
            for call in (
                lambda: f.download(url, tmp_path / "blobs", max_bytes=1000),
                lambda: f.head(url),
            ):
                started = time.monotonic()
                got = call()
                assert got.error_code == "timeout"
                assert time.monotonic() - started < 4.5  # the deadline, plus at most one read timeout
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def test_redirect_loop(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    server.routes["/a"] = lambda h: send(h, 302, b"", {"Location": "/b"})
    server.routes["/b"] = lambda h: send(h, 302, b"", {"Location": server.url("/a")})
    got = fetcher.download(server.url("/a"), tmp_path / "blobs", max_bytes=1000)
    assert got.error_code == "too-many-redirects"
    with pytest.raises(FetchError) as err:
        fetcher.get_bytes(server.url("/a"), max_bytes=1000)
    assert err.value.code == "too-many-redirects"


def test_redirect_is_followed(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    server.routes["/old.csv"] = lambda h: send(h, 301, b"", {"Location": "/new.csv"})
    server.routes["/new.csv"] = lambda h: send(h, 200, CSV)
    got = fetcher.download(server.url("/old.csv"), tmp_path / "blobs", max_bytes=1000)
    assert got.ok and got.final_url == server.url("/new.csv") and got.blob is not None


def test_size_cap_declared(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    server.routes["/big.csv"] = lambda h: send(h, 200, b"x" * BIG)
    got = fetcher.download(server.url("/big.csv"), tmp_path / "blobs", max_bytes=BIG // 2)
    assert got.error_code == "too-large" and got.blob is None
    assert server.hits[("GET", "/big.csv")] == 0  # HEAD's Content-Length was enough


def test_size_cap_streamed_without_content_length(
    server: LocalServer, fetcher: Fetcher, tmp_path: Path
) -> None:
    server.routes["/stream.csv"] = lambda h: send(h, 200, b"y" * BIG, length=False)
    got = fetcher.download(server.url("/stream.csv"), tmp_path / "blobs", max_bytes=BIG // 2)
    assert got.error_code == "too-large" and got.blob is None
    assert server.hits[("GET", "/stream.csv")] == 1
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []
    with pytest.raises(FetchError) as err:
        fetcher.get_bytes(server.url("/stream.csv"), max_bytes=BIG // 2)
    assert err.value.code == "too-large"


def test_conditional_get_304(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    def etagged(h: BaseHTTPRequestHandler) -> None:
        if h.command == "GET" and h.headers.get("If-None-Match") == '"v7"':
            send(h, 304)
        else:
            send(h, 200, CSV, {"ETag": '"v7"', "Last-Modified": "Wed, 21 Oct 2026 07:28:00 GMT"})

    server.routes["/cond.csv"] = etagged
    first = fetcher.download(server.url("/cond.csv"), tmp_path / "blobs", max_bytes=1000)
    assert first.ok and first.blob is not None and first.etag == '"v7"'
    # unchanged (HEAD shows the same ETag): nothing is downloaded
    again = fetcher.download(server.url("/cond.csv"), tmp_path / "blobs", max_bytes=1000, etag='"v7"')
    assert again.not_modified and again.blob is None and again.ok
    assert server.hits[("GET", "/cond.csv")] == 1


def test_conditional_get_when_head_is_refused(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    def no_head(h: BaseHTTPRequestHandler) -> None:
        if h.command == "HEAD":
            send(h, 405)
        elif h.headers.get("If-Modified-Since") == "Wed, 21 Oct 2026 07:28:00 GMT":
            send(h, 304)
        else:
            send(h, 200, CSV, {"Last-Modified": "Wed, 21 Oct 2026 07:28:00 GMT"})

    server.routes["/nohead.csv"] = no_head
    first = fetcher.download(server.url("/nohead.csv"), tmp_path / "blobs", max_bytes=1000)
    assert first.ok and first.blob is not None and first.last_modified
    again = fetcher.download(
        server.url("/nohead.csv"), tmp_path / "blobs", max_bytes=1000, last_modified=first.last_modified
    )
    assert again.not_modified and again.status == 304 and again.blob is None
    link = fetcher.head(server.url("/nohead.csv"))
    assert link.ok and link.status == 200


def test_head_reports_link_status(server: LocalServer, fetcher: Fetcher) -> None:
    server.routes["/here.csv"] = lambda h: send(h, 200, CSV, {"Content-Type": "text/csv"})
    ok = fetcher.head(server.url("/here.csv"))
    assert ok.ok and ok.status == 200 and ok.content_type == "text/csv" and ok.blob is None
    broken = fetcher.head(server.url("/nowhere.csv"))
    assert (broken.error_code, broken.status) == ("download-failed", 404)
    assert server.hits[("GET", "/here.csv")] == 0


def test_get_json_and_invalid_json(server: LocalServer, fetcher: Fetcher) -> None:
    server.routes["/api"] = lambda h: send(h, 200, b'{"success": true, "q": "' + h.path.encode() + b'"}')
    server.routes["/html"] = lambda h: send(h, 200, b"<html>not json</html>")
    body = fetcher.get_json(server.url("/api"), {"rows": 10, "sort": "id asc"})
    assert body["success"] is True and "rows=10" in body["q"] and "sort=id+asc" in body["q"]
    with pytest.raises(FetchError) as err:
        fetcher.get_json(server.url("/html"))
    assert err.value.code == "invalid-response"


def test_robots_txt_is_obeyed(server: LocalServer, fetcher: Fetcher, settings: Settings) -> None:
    server.routes["/robots.txt"] = lambda h: send(h, 200, b"User-agent: *\nDisallow: /private/\n")
    server.routes["/private/data.csv"] = lambda h: send(h, 200, CSV)
    server.routes["/public.csv"] = lambda h: send(h, 200, CSV)
    got = fetcher.download(server.url("/private/data.csv"), settings.blob_dir, max_bytes=1000)
    assert got.error_code == "robots-disallowed"
    assert server.hits[("GET", "/private/data.csv")] == 0 and server.hits[("HEAD", "/private/data.csv")] == 0
    assert fetcher.get_bytes(server.url("/public.csv"), max_bytes=1000) == CSV
    assert server.hits[("GET", "/robots.txt")] == 1  # fetched once per origin
    with Fetcher(settings.model_copy(update={"fetch_robots": False})) as rude:
        assert rude.get_bytes(server.url("/private/data.csv"), max_bytes=1000) == CSV


def test_environment_proxy_is_ignored(
    server: LocalServer, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """trust_env=False: an HTTP_PROXY in the environment (here: a closed port) is not used."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    server.routes["/p.csv"] = lambda h: send(h, 200, CSV)
    with Fetcher(fetcher.settings) as f:
        assert f.get_bytes(server.url("/p.csv"), max_bytes=1000) == CSV


def test_connection_refused_is_retried_then_reported(settings: Settings, tmp_path: Path) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with Fetcher(settings) as f:
        f.backoff = 0.01
        got = f.download(f"http://127.0.0.1:{port}/x.csv", tmp_path / "blobs", max_bytes=1000)
    assert got.error_code == "download-failed" and got.status is None and "connect" in (got.error or "")


def test_per_host_rate_limit(server: LocalServer, settings: Settings) -> None:
    server.routes["/r"] = lambda h: send(h, 200, b"ok")
    with Fetcher(settings.model_copy(update={"fetch_per_host_rps": 10.0, "fetch_robots": False})) as f:
        started = time.monotonic()
        for _ in range(6):
            f.get_bytes(server.url("/r"), max_bytes=10)
        elapsed = time.monotonic() - started
    assert elapsed >= 0.45  # 6 starts at least 0.1 s apart


def test_per_host_concurrency(server: LocalServer, settings: Settings) -> None:
    active = Counter[str]()
    peak = Counter[str]()
    lock = threading.Lock()

    def busy(h: BaseHTTPRequestHandler) -> None:
        with lock:
            active["n"] += 1
            peak["n"] = max(peak["n"], active["n"])
        time.sleep(0.2)
        with lock:
            active["n"] -= 1
        send(h, 200, b"ok")

    server.routes["/busy"] = busy
    with Fetcher(settings.model_copy(update={"fetch_per_host": 2, "fetch_robots": False})) as f:
        threads = [
            threading.Thread(target=f.get_bytes, args=(server.url("/busy"),), kwargs={"max_bytes": 10})
            for _ in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.hits[("GET", "/busy")] == 6
    assert peak["n"] == 2
