"""One guarded HTTP client for every URL that comes from outside (catalog APIs, download links,
``odq score URL``, ``POST /api/v1/score`` with ``url``).

The SSRF guard:

- only ``http``/``https`` URLs with a host; numeric host spellings (``2130706433``, ``0177.0.0.1``,
  ``0x7f.1``, ``127.1``) are read the way ``inet_aton`` reads them, never handed to a resolver;
- the host is resolved once, *every* address must be public (not loopback, private, link-local,
  CGNAT, multicast, reserved, IPv6 unique-local, or an IPv4 address embedded in an IPv6 one:
  mapped, compatible, NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4, Teredo), unless
  ``ODQ_FETCH_ALLOW`` lets the host or the address through;
- the socket connects to the address that was checked (the check lives in the connection
  backend, so there is no second DNS lookup to race), and each redirect is checked again;
- ``trust_env=False``: no proxy or netrc from the environment.

Connections are kept alive and reused per origin (scheme, host, port): a pooled connection is
one the guarded backend opened to a checked address, so reuse never reaches an unchecked one.
HEAD answers and small bodies nobody reads (redirects, retried 429/503, error pages) are read to
their end so their connection goes back to the pool instead of being closed.

Politeness: a per-host semaphore and request rate, retries with backoff only on connection
errors, 429 (honouring ``Retry-After``), 502, 503 and 504, an honest User-Agent, robots.txt.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import ipaddress
import re
import socket
import ssl
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore2
import httpx2

from app.errors import PayloadTooLarge
from app.ingest.blobs import Blob, BlobWriter
from app.settings import Settings
from profilers import jsontext

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 120.0  # a Retry-After longer than this is not waited for: the request fails
HEAD_FALLBACK = frozenset({400, 403, 405, 406, 501})  # servers that refuse HEAD but serve GET

_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class FetchError(Exception):
    """A request that did not give a usable answer. ``code``: ``bad-url``, ``url-refused`` (SSRF
    guard), ``robots-disallowed``, ``download-failed`` (HTTP error status or network error, with
    ``status`` when the server answered), ``too-large``, ``timeout``, ``too-many-redirects``,
    ``invalid-response`` (e.g. JSON expected)."""

    def __init__(self, code: str, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.url = url
        self.message = message


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int | None
    content_type: str | None
    etag: str | None
    last_modified: str | None
    blob: Blob | None
    not_modified: bool = False
    error_code: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None


class _Refused(Exception):
    """Raised inside the connection backend when an address fails the guard."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- address policy -----------------------------------------------------------------------------


def parse_numeric_host(host: str) -> Address | None:
    """The address a numeric host spelling means, read like ``inet_aton`` (and browsers) read it:
    ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``, ``[::1]``. None for a name."""
    h = host.strip().rstrip(".")
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    if "%" in h:  # IPv6 zone id
        h = h.split("%", 1)[0]
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(h)
    parts = h.split(".")
    if not 1 <= len(parts) <= 4 or any(p == "" for p in parts):
        return None
    nums: list[int] = []
    for p in parts:
        low = p.lower()
        try:
            if low.startswith("0x"):
                nums.append(int(low[2:] or "0", 16))
            elif len(low) > 1 and low.startswith("0"):
                nums.append(int(low, 8))
            else:
                if not low.isdigit():
                    return None
                nums.append(int(low, 10))
        except ValueError:
            return None
    # a.b.c.d; a.b.c (c is 16 bits); a.b (b is 24 bits); a (32 bits)
    *head, last = nums
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(nums)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (5 - len(nums)) + last
    if value > 0xFFFFFFFF:
        return None
    return ipaddress.IPv4Address(value)


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    out: list[ipaddress.IPv4Address] = []
    if addr.ipv4_mapped is not None:
        out.append(addr.ipv4_mapped)
    if addr.sixtofour is not None:
        out.append(addr.sixtofour)
    if addr.teredo is not None:
        out.extend(addr.teredo)
    if addr in _NAT64_WELL_KNOWN or addr in _IPV4_COMPATIBLE:
        out.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return out


def refusal(addr: Address) -> str | None:
    """Why ``addr`` must not be fetched from, or None when it is a public address."""
    if addr.is_loopback:  # ::1 also sits in ::/96 (IPv4-compatible): name it for what it is
        return "a loopback address"
    if addr.is_unspecified:
        return "the unspecified address"
    if isinstance(addr, ipaddress.IPv6Address):
        if addr in _NAT64_LOCAL:
            return "a local-use NAT64 address"
        for inner in _embedded_ipv4(addr):
            why = refusal(inner)
            if why:
                return f"an IPv6 address embedding {inner}, {why}"
    checks = (
        (addr.is_loopback, "a loopback address"),
        (addr.is_link_local, "a link-local address"),
        (isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT, "a carrier-grade NAT address"),
        (addr.is_private, "a private address"),
        (addr.is_multicast, "a multicast address"),
        (addr.is_unspecified, "the unspecified address"),
        (addr.is_reserved, "a reserved address"),
        (not addr.is_global, "not a public address"),
    )
    for bad, why in checks:
        if bad:
            return why
    return None


class Allowlist:
    """``ODQ_FETCH_ALLOW``: host names (matched as written in the URL, case-insensitive) and
    addresses or CIDRs (matched against the resolved addresses)."""

    def __init__(self, spec: str) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in (s.strip() for s in spec.split(",")):
            if not item:
                continue
            try:
                self.networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                self.hosts.add(item.lower().rstrip("."))

    def host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def address(self, addr: Address) -> bool:
        return any(addr.version == n.version and addr in n for n in self.networks)


def _system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        ip = str(info[4][0])
        if ip not in seen:
            seen.append(ip)
    return seen


class Guard:
    """Resolve a host once and check every address; returns the addresses to connect to."""

    def __init__(self, allow: Allowlist, resolver: Resolver | None = None) -> None:
        self.allow = allow
        self.resolver = resolver or _system_resolver

    def addresses(self, host: str) -> list[Address]:
        numeric = parse_numeric_host(host)
        if numeric is not None:
            addrs: list[Address] = [numeric]
        else:
            try:
                found = self.resolver(host)
            except (OSError, UnicodeError) as exc:
                raise FetchError("host-not-found", f"{host} could not be resolved: {exc}") from exc
            if not found:
                raise FetchError("host-not-found", f"{host} did not resolve to any address")
            addrs = []
            for ip in found:
                parsed = parse_numeric_host(ip)
                if parsed is None:
                    raise _Refused(f"{host} resolved to {ip!r}, which is not an address")
                addrs.append(parsed)
        if self.allow.host(host):
            return addrs
        for addr in addrs:
            if self.allow.address(addr):
                continue
            why = refusal(addr)
            if why:
                raise _Refused(f"{host} is {addr}: {why}")
        return addrs


_DEADLINE = threading.local()
"""The monotonic time the current thread's fetch must end by (set by ``Fetcher._send``): read
timeouts bound each wait for a byte, so without it a server trickling a status line or headers
a byte at a time would hold the request for ever."""


class _DeadlineStream(httpcore2.NetworkStream):
    """A connection whose reads give up at the fetch's deadline (``_DEADLINE``)."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        at = getattr(_DEADLINE, "at", None)
        if at is not None:
            left = at - time.monotonic()
            if left <= 0:
                raise httpcore2.ReadTimeout("the fetch's deadline passed while reading")
            timeout = left if timeout is None else min(timeout, left)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore2.SyncBackend):
    """Connects only to addresses the guard accepted, resolving each host exactly once."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        addrs = self.guard.addresses(host)
        last: Exception | None = None
        for addr in addrs:
            try:
                stream = super().connect_tcp(str(addr), port, timeout, local_address, socket_options)
                return _DeadlineStream(stream)
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL, the scheme compared case-insensitively (``HTTPS://``
    is a URL, never a local path). The one test of "URL or local path" the API, the web routes,
    the CLI and the catalog layer share; :func:`check_url` then says whether it may be fetched."""
    try:
        return urlsplit(text.strip()).scheme in ("http", "https")  # urlsplit lower-cases the scheme
    except ValueError:
        return False


# Special-use domain names (RFC 6761, 6762, 7686, 8375, 9476, and the private-use .internal): never
# in the public DNS, or resolved to loopback or the local network. Refused before any lookup.
SPECIAL_USE_NAMES = frozenset({"localhost"})
SPECIAL_USE_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "home.arpa",
    "invalid",
    "test",
    "example",
    "onion",
    "alt",
    "lan",
    "intranet",
    "corp",
    "home",
    "private",
    "localdomain",
)
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def special_use(host: str) -> bool:
    """Whether ``host`` is (or is under) a special-use or private-use name: ``localhost``,
    ``localhost.``, ``x.localhost``, ``*.internal``, ``*.local``, ``*.home.arpa``, ``*.onion`` …"""
    name = host.lower().rstrip(".")
    return name in SPECIAL_USE_NAMES or any(
        name == suffix or name.endswith("." + suffix) for suffix in SPECIAL_USE_SUFFIXES
    )


def _host_problem(host: str) -> str | None:
    """Why ``host`` (as ``urlsplit`` gives it) is not a host name or address, or None."""
    if parse_numeric_host(host) is not None:
        return None
    name = host[:-1] if host.endswith(".") else host
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return "not a valid international host name"
    if not ascii_name or len(ascii_name) > 253:
        return "not a host name"
    if not all(_LABEL.match(label) for label in ascii_name.lower().split(".")):
        return "not a host name (empty label, or a character a host name cannot have)"
    return None


def check_url(url: str, allow: Allowlist | None = None) -> tuple[str, str]:
    """Syntax part of the guard: an absolute http(s) URL whose host is an address or a valid
    host name that is not a special-use name (``localhost``, ``*.internal`` …: refused before any
    lookup, unless ``allow`` names it). Returns (scheme, host)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        _ = parts.port  # raises on a bad port
    except ValueError as exc:
        raise FetchError("bad-url", f"Not a valid URL: {url!r} ({exc})", url=url) from exc
    if parts.scheme not in ("http", "https"):
        raise FetchError("bad-url", f"Only http and https URLs can be fetched, not {url!r}.", url=url)
    if not host:
        raise FetchError("bad-url", f"The URL {url!r} has no host.", url=url)
    if parts.username or parts.password:
        raise FetchError("bad-url", "URLs with a user name or password are not fetched.", url=url)
    problem = _host_problem(host)
    if problem is not None:
        raise FetchError("bad-url", f"The host of {url!r} is {problem}.", url=url)
    if special_use(host) and not (allow is not None and allow.host(host)):
        raise FetchError(
            "url-refused",
            f"Refused to fetch {url}: {host} is a special-use name (local or private network, "
            "never a public host).",
            url=url,
        )
    return parts.scheme, host


# -- politeness -------------------------------------------------------------------------------


class _HostGate:
    """Per-host concurrency (a semaphore) and a minimum interval between request starts."""

    def __init__(self, per_host: int, rps: float) -> None:
        self.per_host = per_host
        self.interval = 1.0 / rps if rps > 0 else 0.0
        self._lock = threading.Lock()
        self._sems: dict[str, threading.BoundedSemaphore] = {}
        self._next: dict[str, float] = {}

    def acquire(self, host: str) -> Callable[[], None]:
        """Wait for a slot of ``host`` (and for its next start time); returns the release,
        called once the response has been read or closed."""
        with self._lock:
            sem = self._sems.setdefault(host, threading.BoundedSemaphore(self.per_host))
        sem.acquire()
        if self.interval:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next.get(host, 0.0))
                self._next[host] = start + self.interval
            if start > now:
                time.sleep(start - now)
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                sem.release()

        return release


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    return None


# -- the client -------------------------------------------------------------------------------

DRAIN_BYTES = 64 * 1024  # a dropped response body up to this size is read, keeping its connection


DRAIN_SECONDS = 0.5
"""Longest a dropped body is read for: past it the connection is closed instead. The read timeout
bounds each wait for a byte, not the whole body, so a server that trickles a "short" body one
byte at a time would otherwise hold the request for as long as it likes."""


def _finish(resp: httpx2.Response) -> None:
    """Read a short body to its end (a HEAD answer has none) so the connection is reusable;
    within DRAIN_SECONDS, else the connection is closed (``resp.close``) rather than reused."""
    started = time.monotonic()
    with contextlib.suppress(httpx2.HTTPError, httpx2.StreamError):
        for _chunk in resp.iter_raw():
            if time.monotonic() - started > DRAIN_SECONDS:
                resp.close()
                return


def _drain(resp: httpx2.Response) -> None:
    """Close a response the caller does not want (a redirect, a retried 429/503): a small
    declared body is read first, so its keep-alive connection goes back to the pool instead of
    being closed; anything else (no length, a large body) closes the connection."""
    if not (resp.is_stream_consumed or resp.is_closed):
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) <= DRAIN_BYTES:
            _finish(resp)
    resp.close()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the CA bundle is the slow part)."""
    return httpx2.create_ssl_context(trust_env=False)


class Fetcher:
    """One httpx2 client behind the SSRF guard. Thread-safe; use as a context manager."""

    def __init__(self, settings: Settings, *, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.guard = Guard(Allowlist(settings.fetch_allow), resolver)
        self.max_bytes_default = int(settings.fetch_max_mb * 1024 * 1024)
        self.retries = settings.fetch_retries
        self.backoff = 0.5
        self.deadline = settings.fetch_deadline
        self._gate = _HostGate(settings.fetch_per_host, settings.fetch_per_host_rps)
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_lock = threading.Lock()
        transport = httpx2.HTTPTransport(trust_env=False, verify=_ssl_context(), retries=0)
        # The pool httpx2 built uses the system resolver; swap in one whose backend connects only
        # to checked addresses (same pool settings otherwise).
        transport._pool = httpcore2.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(self.guard),
        )
        self.client = httpx2.Client(
            transport=transport,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx2.Timeout(settings.fetch_timeout),
            headers={"User-Agent": settings.fetch_user_agent},
        )

    # context manager
    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    # -- public API ---------------------------------------------------------------------------

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document (catalog APIs). Raises FetchError."""
        if params:
            # merged with the URL's own query (a CKAN URL may carry q=…), not replacing it
            url = str(httpx2.URL(url).copy_merge_params({k: v for k, v in params.items() if v is not None}))
        body = self.get_bytes(url, max_bytes=self.max_bytes_default, accept="application/json")
        try:
            return jsontext.loads(body)
        except ValueError as exc:
            raise FetchError("invalid-response", f"{url} did not return JSON: {exc}", url=url) from exc

    def get_bytes(self, url: str, *, max_bytes: int, accept: str | None = None) -> bytes:
        """GET a whole (small) body into memory. Raises FetchError."""
        headers = {"Accept": accept} if accept else {}
        started = time.monotonic()
        with self._open("GET", url, headers, started) as (resp, _final):
            if resp.status_code >= 400:
                raise FetchError(
                    "download-failed",
                    f"{url} answered HTTP {resp.status_code}",
                    status=resp.status_code,
                    url=url,
                )
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError("too-large", f"{url} is {declared} bytes, over {max_bytes}", url=url)
            buf = bytearray()
            try:
                for chunk in resp.iter_bytes():
                    buf += chunk
                    if len(buf) > max_bytes:
                        raise FetchError("too-large", f"{url} is larger than {max_bytes} bytes", url=url)
                    self._check_deadline(started, url)
            except httpx2.TimeoutException as exc:
                raise FetchError(
                    "timeout", f"{url}: no data for {self.settings.fetch_timeout:g} s", url=url
                ) from exc
            except httpx2.TransportError as exc:
                raise FetchError("download-failed", f"{url}: {exc}", url=url) from exc
            return bytes(buf)

    def download(
        self,
        url: str,
        blob_dir: Path,
        *,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """HEAD, then a conditional GET streamed into the blob store. Never raises for HTTP or
        network errors: they are recorded in ``error_code``/``error`` (and ``status``)."""
        result = FetchResult(url, url, None, None, None, None, None)
        started = time.monotonic()
        try:
            head = self._head(url, started)
            if head is not None:
                resp, final = head
                result.final_url = final
                result.status = resp.status_code
                self._take_headers(result, resp)
                if resp.status_code >= 400 and resp.status_code not in HEAD_FALLBACK:
                    result.error_code = "download-failed"
                    result.error = f"HTTP {resp.status_code}"
                    return result
                if resp.status_code < 300:
                    size = resp.headers.get("content-length")
                    if size and size.isdigit() and int(size) > max_bytes:
                        result.error_code = "too-large"
                        result.error = f"{int(size)} bytes declared, over the limit of {max_bytes}"
                        return result
                    if (etag and result.etag == etag) or (
                        last_modified and not etag and result.last_modified == last_modified
                    ):
                        result.not_modified = True
                        return result
            headers: dict[str, str] = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            with self._open("GET", url, headers, started) as (resp, final):
                result.final_url = final
                result.status = resp.status_code
                self._take_headers(result, resp)
                if resp.status_code == 304:
                    result.not_modified = True
                    return result
                if resp.status_code >= 400:
                    result.error_code = "download-failed"
                    result.error = f"HTTP {resp.status_code}"
                    return result
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    result.error_code = "too-large"
                    result.error = f"{int(declared)} bytes declared, over the limit of {max_bytes}"
                    return result
                writer = BlobWriter(blob_dir, max_bytes)
                try:
                    for chunk in resp.iter_bytes():
                        writer.write(chunk)
                        self._check_deadline(started, url)
                except PayloadTooLarge:
                    result.error_code = "too-large"
                    result.error = f"larger than the limit of {max_bytes} bytes"
                    return result
                except BaseException:
                    writer.abort()
                    raise
                result.blob = writer.commit()
        except FetchError as exc:
            result.error_code = exc.code
            result.error = exc.message
            if exc.status is not None:
                result.status = exc.status
        except httpx2.TimeoutException:
            result.error_code = "timeout"
            result.error = f"no data for {self.settings.fetch_timeout:g} s"
        except httpx2.TransportError as exc:
            result.error_code = "download-failed"
            result.error = f"{type(exc).__name__}: {exc}"
        return result

    def head(self, url: str) -> FetchResult:
        """Link status without downloading: HEAD (through redirects), or a GET whose body is not
        read when the server refuses HEAD. Never raises for HTTP or network errors."""
        result = FetchResult(url, url, None, None, None, None, None)
        started = time.monotonic()
        try:
            got = self._head(url, started)
            if got is None:
                with self._open("GET", url, {}, started) as (resp, final):
                    result.final_url, result.status = final, resp.status_code
                    self._take_headers(result, resp)
            else:
                resp, result.final_url = got
                result.status = resp.status_code
                self._take_headers(result, resp)
            if result.status is not None and result.status >= 400:
                result.error_code = "download-failed"
                result.error = f"HTTP {result.status}"
        except FetchError as exc:
            result.error_code, result.error = exc.code, exc.message
            result.status = exc.status if exc.status is not None else result.status
        except httpx2.TimeoutException:
            result.error_code, result.error = "timeout", f"no answer within {self.settings.fetch_timeout:g} s"
        except httpx2.TransportError as exc:
            result.error_code, result.error = "download-failed", f"{type(exc).__name__}: {exc}"
        return result

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    def _take_headers(result: FetchResult, resp: httpx2.Response) -> None:
        result.content_type = resp.headers.get("content-type") or result.content_type
        result.etag = resp.headers.get("etag") or result.etag
        result.last_modified = resp.headers.get("last-modified") or result.last_modified

    def _check_deadline(self, started: float, url: str) -> None:
        if time.monotonic() - started > self.deadline:
            raise FetchError("timeout", f"{url} took longer than {self.deadline:g} s in all", url=url)

    def _head(self, url: str, started: float) -> tuple[httpx2.Response, str] | None:
        """HEAD (through redirects); None when the server does not do HEAD usefully."""
        with self._open("HEAD", url, {}, started) as (resp, final):
            if resp.status_code in HEAD_FALLBACK:
                return None
            return resp, final

    @contextlib.contextmanager
    def _open(
        self, method: str, url: str, headers: dict[str, str], started: float
    ) -> Iterator[tuple[httpx2.Response, str]]:
        """Send ``method`` following redirects by hand (each hop checked), with retries; yields
        the final streamed response (closed on exit) and its URL."""
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            _, host = check_url(current, self.guard.allow)
            if parse_numeric_host(host) is not None:
                # numeric spellings (0177.0.0.1, 2130706433 …) are judged here, before the URL
                # parser sees them; names are judged when the connection is made
                try:
                    self.guard.addresses(host)
                except _Refused as exc:
                    raise FetchError(
                        "url-refused", f"Refused to fetch {current}: {exc.message}", url=url
                    ) from exc
            self._check_robots(current)
            resp, release = self._send(method, current, headers, started)
            if method == "HEAD":
                _finish(resp)  # no body: read to its end so the connection goes back to the pool
            if resp.status_code in (301, 302, 303, 307, 308) and "location" in resp.headers:
                target = urljoin(current, resp.headers["location"])
                _drain(resp)
                release()
                if method != "HEAD" and resp.status_code == 303:
                    method = "GET"
                current = target
                continue
            try:
                yield resp, current
            finally:
                _drain(resp)
                release()  # the host's slot is held until the body is read or dropped
            return
        raise FetchError("too-many-redirects", f"{url} redirected more than {MAX_REDIRECTS} times", url=url)

    def _send(
        self, method: str, url: str, headers: dict[str, str], started: float
    ) -> tuple[httpx2.Response, Callable[[], None]]:
        """One request with retries; returns the streamed response and the release of the
        host's slot (the caller releases it after closing the response)."""
        host = urlsplit(url).hostname or ""
        attempt = 0
        while True:
            self._check_deadline(started, url)
            wait: float | None = None
            release = self._gate.acquire(host)
            _DEADLINE.at = started + self.deadline  # every read of this request stops by then
            try:
                try:
                    request = self.client.build_request(method, url, headers=headers)
                    resp = self.client.send(request, stream=True)
                except BaseException:
                    release()
                    raise
            except _Refused as exc:
                raise FetchError("url-refused", f"Refused to fetch {url}: {exc.message}", url=url) from exc
            except (httpx2.InvalidURL, httpx2.UnsupportedProtocol) as exc:
                raise FetchError("bad-url", f"Not a valid URL: {url!r} ({exc})", url=url) from exc
            except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:
                if attempt >= self.retries:
                    code = "timeout" if isinstance(exc, httpx2.ConnectTimeout) else "download-failed"
                    raise FetchError(code, f"{url}: could not connect ({exc})", url=url) from exc
                wait = self.backoff * 2**attempt
            except httpx2.TimeoutException as exc:
                raise FetchError(
                    "timeout", f"{url}: no answer within {self.settings.fetch_timeout:g} s", url=url
                ) from exc
            except httpx2.TransportError as exc:
                raise FetchError("download-failed", f"{url}: {type(exc).__name__}: {exc}", url=url) from exc
            else:
                if resp.status_code not in RETRY_STATUSES or attempt >= self.retries:
                    return resp, release
                after = _retry_after(resp.headers.get("retry-after"))
                _drain(resp)
                release()
                if after is not None and after > MAX_RETRY_AFTER:
                    raise FetchError(
                        "download-failed",
                        f"{url} answered HTTP {resp.status_code} and asks to wait {after:.0f} s",
                        status=resp.status_code,
                        url=url,
                    )
                wait = after if after is not None else self.backoff * 2**attempt
            attempt += 1
            if time.monotonic() - started + wait > self.deadline:
                raise FetchError(
                    "timeout", f"{url}: retries would pass the {self.deadline:g} s deadline", url=url
                )
            time.sleep(wait)

    def _check_robots(self, url: str) -> None:
        if not self.settings.fetch_robots:
            return
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            known = origin in self._robots
            parser = self._robots.get(origin)
        if not known:
            parser = self._load_robots(origin)
            with self._robots_lock:
                self._robots[origin] = parser
        if parser is not None and not parser.can_fetch(self.settings.fetch_user_agent, url):
            raise FetchError("robots-disallowed", f"robots.txt of {origin} disallows {url}", url=url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """robots.txt of ``origin`` (fetched through the guard, no redirects to other hosts);
        None (everything allowed) when there is none or it cannot be read."""
        robots_url = origin + "/robots.txt"
        try:
            resp, release = self._send("GET", robots_url, {}, time.monotonic())
        except FetchError as exc:
            if exc.code == "url-refused":
                raise
            return None
        try:
            if resp.status_code != 200:
                return None
            body = resp.read()[: 512 * 1024]
        except httpx2.HTTPError:
            return None
        finally:
            _drain(resp)
            release()
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return parser
