"""A real HTTP portal on 127.0.0.1 for the catalog tests and the catalog benchmark.

It serves the real catalog records of the shared corpus (CKAN package records from dados.gov.br,
Toronto and data.gov.uk; DCAT-US data.json from US agencies) with every resource URL rewritten to
a file it also serves from ``corpus/portals``, plus one dataset per fault:

========================  ==================================================  =================
path                      behaviour                                            expected outcome
========================  ==================================================  =================
/fault/404.csv            404                                                  download-failed
/fault/500.csv            500 (not retried)                                    download-failed
/fault/429.csv            429 with ``Retry-After: 1`` once, then the file      scored
/fault/slow.csv           answers after ``slow_seconds`` (past the timeout)    timeout
/fault/loop.csv           302 → /fault/loop2.csv → 302 → /fault/loop.csv …     too-many-redirects
/fault/to-loopback.csv    302 to http://127.0.0.2:<port>/files/… (not allowed) url-refused
/fault/to-metadata.csv    302 to http://169.254.169.254/latest/meta-data/      url-refused
/fault/page.csv           an HTML page behind a CSV link                       scored (unreadable)
/fault/big.csv            ``big_bytes`` of CSV, declared in Content-Length     too-large
/fault/big-stream.csv     the same, streamed without a length                  too-large
========================  ==================================================  =================

Files carry an ETag and Last-Modified and answer conditional requests with 304. Every request is
counted (``hits``), so tests can check what was served. Run it alone with
``python tests/catalogs/portal_server.py --datasets 2000`` (prints the base URL).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gzip
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
CATALOGS = CORPUS / "catalogs"
PORTALS = CORPUS / "portals"

DATA_SUFFIXES = (".csv", ".xls", ".xlsx", ".json")
FILE_MTIME = formatdate(1_700_000_000, usegmt=True)

# fault path → (declared format, expected outcome: "scored" or the fetch error code)
FAULTS: dict[str, tuple[str, str]] = {
    "/fault/404.csv": ("CSV", "download-failed"),
    "/fault/500.csv": ("CSV", "download-failed"),
    "/fault/429.csv": ("CSV", "scored"),
    "/fault/slow.csv": ("CSV", "timeout"),
    "/fault/loop.csv": ("CSV", "too-many-redirects"),
    "/fault/to-loopback.csv": ("CSV", "url-refused"),
    "/fault/to-metadata.csv": ("CSV", "url-refused"),
    "/fault/page.csv": ("CSV", "scored"),
    "/fault/big.csv": ("CSV", "too-large"),
    "/fault/big-stream.csv": ("CSV", "too-large"),
}

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Dataset - Open Data Portal</title>"
    b"</head>\n<body><h1>Dataset</h1><p>Please log in to download this file.</p>"
    b"<form action='/login'><input name='user'></form></body></html>\n"
)


def corpus_files() -> list[Path]:
    """The data files of corpus/portals (not the datapackage.json descriptors), sorted."""
    return sorted(
        p
        for p in PORTALS.rglob("*")
        if p.is_file() and p.suffix.lower() in DATA_SUFFIXES and p.name != "datapackage.json"
    )


def _declared(path: Path) -> str:
    return path.suffix.lstrip(".").upper()


def ckan_packages() -> list[dict[str, Any]]:
    """Real CKAN package records: dados.gov.br (two searches), Toronto, data.gov.uk (package_show)."""
    packages: list[dict[str, Any]] = []
    body = json.loads((CATALOGS / "ckan-dados-gov-br" / "package_search_q-all_rows10.json").read_text())
    packages += body["result"]["results"]
    ids = {p["id"] for p in packages}
    bolsa = json.loads((CATALOGS / "ckan-dados-gov-br" / "package_search_name-bolsa.json").read_text())
    packages += [p for p in bolsa["result"]["results"] if p["id"] not in ids]
    toronto = json.loads((CATALOGS / "ckan-toronto" / "package_search_list.json").read_text())
    packages += toronto["results"]
    for path in sorted((CATALOGS / "ckan-data-gov-uk").glob("package_show_*.json")):
        packages.append(json.loads(path.read_text())["result"])
    return packages


def brazil_800() -> list[dict[str, Any]]:
    with gzip.open(CATALOGS / "ckan-dados-gov-br" / "package_search_q-all_rows800.json.gz") as fh:
        return list(json.load(fh)["result"]["results"])


@dataclass
class Served:
    """One dataset of the fixture catalog and what a run must end with for it."""

    key: str  # the CKAN package id
    path: str | None  # the resource path on this server (None: a dataset without resources)
    expected: str  # "scored", a fetch error code, or "no-distribution"


@dataclass
class PortalState:
    packages: list[dict[str, Any]] = field(default_factory=list)
    served: list[Served] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # /files/<rel> → corpus file
    hits: Counter[str] = field(default_factory=Counter)
    times: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    slow_seconds: float = 3.0
    big_bytes: int = 3 * 1024 * 1024
    datajson: dict[str, Any] = field(default_factory=dict)
    manifest: bytes = b""
    others: dict[str, list[Served]] = field(default_factory=dict)  # datajson / manifest → served
    delay_seconds: float = 0.0  # every file answer (HEAD or GET) waits this long: requests overlap
    connections: int = 0  # TCP connections accepted
    in_flight: int = 0  # requests being answered now …
    max_in_flight: int = 0  # … and the most at any moment


class FixturePortal:
    """The portal: ``with FixturePortal.start(...) as portal: portal.ckan_url`` …"""

    def __init__(self, server: ThreadingHTTPServer, state: PortalState) -> None:
        self.server = server
        self.state = state
        self.port = int(server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"

    @property
    def ckan_url(self) -> str:
        return f"{self.base_url}/ckan/"

    @property
    def datajson_url(self) -> str:
        return f"{self.base_url}/datajson/data.json"

    @property
    def manifest_url(self) -> str:
        return f"{self.base_url}/manifest/catalog.csv"

    @property
    def served(self) -> list[Served]:
        return self.state.served

    def hits(self, path: str) -> int:
        with self.state.lock:
            return self.state.hits[path]

    @classmethod
    @contextmanager
    def start(
        cls,
        *,
        datasets: int | None = None,
        faults: bool = True,
        slow_seconds: float = 3.0,
        big_bytes: int = 3 * 1024 * 1024,
        delay_seconds: float = 0.0,
        links: str = "files",
    ) -> Iterator[FixturePortal]:
        """Serve on a free port until the block ends. ``datasets``: repeat the dados.gov.br
        records (with new ids) up to that many; default: the real records once each.
        ``links``: how datasets share file links. ``files``: each corpus file has one URL, shared
        by every dataset it is given to; ``original``: datasets share links as the original
        records do (a ``?link=N`` query per distinct original URL: the 800 dados.gov.br records
        name 431 distinct first links, and the repeats name the same ones); ``distinct``: no two
        datasets share a link (``?copy=N``). The query changes the URL, not the file served."""
        state = PortalState(slow_seconds=slow_seconds, big_bytes=big_bytes, delay_seconds=delay_seconds)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
        server.daemon_threads = True
        portal = cls(server, state)
        _build_catalog(state, datasets, faults, portal.base_url, links)
        thread = threading.Thread(target=server.serve_forever, name="fixture-portal", daemon=True)
        thread.start()
        try:
            yield portal
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def _build_catalog(
    state: PortalState, datasets: int | None, faults: bool, base_url: str, links: str = "files"
) -> None:
    if links not in ("files", "original", "distinct"):
        raise ValueError(f"links must be files, original or distinct, not {links!r}")
    originals_links: dict[str, int] = {}
    files = corpus_files()
    for f in files:
        state.files["/files/" + f.relative_to(PORTALS).as_posix()] = f
    file_paths = list(state.files)
    originals = ckan_packages() if datasets is None else brazil_800()
    count = len(originals) if datasets is None else datasets
    fault_paths = list(FAULTS) if faults else []
    for i in range(count):
        pkg = copy.deepcopy(originals[i % len(originals)])
        if datasets is not None and i >= len(originals):
            pkg["id"] = f"{pkg['id']}-r{i // len(originals)}"
            pkg["name"] = f"{pkg.get('name', 'dataset')}-r{i // len(originals)}"
        resources = pkg.get("resources") or []
        if not resources:
            state.packages.append(pkg)
            state.served.append(Served(str(pkg["id"]), None, "no-distribution"))
            continue
        if i < len(fault_paths):
            path = fault_paths[i]
            declared, expected = FAULTS[path]
        elif links == "original":  # one local URL per distinct original URL, whatever the copy
            n = originals_links.setdefault(str(resources[0].get("url")), len(originals_links))
            path = file_paths[n % len(file_paths)]
            declared, expected = _declared(state.files[path]), "scored"
        else:
            path = file_paths[(i - len(fault_paths)) % len(file_paths)]
            declared, expected = _declared(state.files[path]), "scored"
        first = dict(resources[0])
        url = base_url + path
        if path.startswith("/files/") and links == "distinct":
            url += f"?copy={i}"
        elif path.startswith("/files/") and links == "original":
            url += f"?link={n}"
        first.update({"url": url, "format": declared, "mimetype": None})
        first.pop("size", None)  # declared sizes of the originals are not these files' sizes
        pkg["resources"] = [first]
        pkg["num_resources"] = 1
        state.packages.append(pkg)
        state.served.append(Served(str(pkg["id"]), path, expected))
    _build_others(state, base_url, file_paths)


def _build_others(state: PortalState, base_url: str, file_paths: list[str]) -> None:
    """A DCAT-US data.json (CFTC and USDA records) and a manifest of Chinese portal metadata
    (德阳's first records, with the column names Chinese portals export), each with its resources
    rewritten to files served here and one fault."""
    files = iter(file_paths[::-1])  # from the other end than the CKAN catalog
    datasets = []
    served = []
    for name in ("cftc_data.json", "usda_data.json"):
        body = json.loads((CATALOGS / "dcat-us-datajson" / name).read_text())
        datasets += body["dataset"]
    for i, ds in enumerate(datasets):
        ds = copy.deepcopy(ds)
        path = "/fault/404.csv" if i == 0 else next(files)
        ds["distribution"] = [{"@type": "dcat:Distribution", "downloadURL": base_url + path, "format": "CSV"}]
        if path.endswith((".xls", ".xlsx", ".json")):
            ds["distribution"][0]["format"] = _declared(Path(path))
        datasets[i] = ds
        served.append(Served(str(ds["identifier"]), path, "download-failed" if i == 0 else "scored"))
    state.datajson = {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "dataset": datasets,
    }
    state.others["datajson"] = served

    records = json.loads((CATALOGS / "cn-open-data-portals" / "sichuan_deyang.json").read_text())[:12]
    header = [
        "标题",
        "提供单位",
        "所属领域",
        "更新频率",
        "更新时间",
        "数据量",
        "下载格式",
        "摘要",
        "下载地址",
    ]
    lines = [",".join(header)]
    served = []
    for i, rec in enumerate(records):
        path = "/fault/to-metadata.csv" if i == 0 else next(files)
        url = base_url + path
        cells = [
            rec.get("标题"),
            rec.get("资源提供方"),
            rec.get("领域名称"),
            rec.get("更新周期"),
            rec.get("更新时间"),
            rec.get("数据量"),
            Path(path).suffix.lstrip("."),
            rec.get("资源摘要"),
            url,
        ]
        lines.append(",".join('"' + str(c or "").replace('"', '""') + '"' for c in cells))
        served.append(Served(url, path, "url-refused" if i == 0 else "scored"))
    state.manifest = ("\n".join(lines) + "\n").encode("utf-8")
    state.others["manifest"] = served


def _handler(state: PortalState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FixturePortal/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def handle(self) -> None:  # once per connection
            with state.lock:
                state.connections += 1
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client hung up
                super().handle()

        def do_HEAD(self) -> None:
            self._dispatch(head=True)

        def do_GET(self) -> None:
            self._dispatch(head=False)

        # -- routing -----------------------------------------------------------------------

        def _dispatch(self, head: bool) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            with state.lock:
                state.hits[path] += 1
                state.hits[("HEAD " if head else "GET ") + path] += 1
                state.times.setdefault(path, []).append(time.monotonic())
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            self._counted = True
            try:
                self._route(path, parse_qs(parts.query), head)
            finally:
                self._answered()

        def _answered(self) -> None:
            """The request stops counting as in flight once its answer is decided (before the
            bytes go out: a client that has read them may send its next request at once)."""
            if getattr(self, "_counted", False):
                self._counted = False
                with state.lock:
                    state.in_flight -= 1

        def _route(self, path: str, query: dict[str, list[str]], head: bool) -> None:
            try:
                if path == "/robots.txt":
                    self._send(404, b"no robots.txt\n", "text/plain", head)
                elif path == "/ckan/api/3/action/package_search":
                    self._package_search(query, head)
                elif path == "/ckan/api/3/action/status_show":
                    body = {"success": True, "result": {"ckan_version": "2.10.4", "site_title": "Fixture"}}
                    self._json(body, head)
                elif path == "/datajson/data.json":
                    self._json(state.datajson, head)
                elif path == "/manifest/catalog.csv":
                    self._send(200, state.manifest, "text/csv; charset=utf-8", head)
                elif path == "/ckan/" or path == "/ckan":
                    self._send(200, HTML_PAGE, "text/html; charset=utf-8", head)
                elif path in state.files:
                    if state.delay_seconds:
                        time.sleep(state.delay_seconds)
                    self._file(state.files[path], head)
                elif path.startswith("/fault/"):
                    self._fault(path, head)
                else:
                    self._send(404, b"not found\n", "text/plain", head)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _package_search(self, query: dict[str, list[str]], head: bool) -> None:
            rows = int((query.get("rows") or ["1000"])[0])
            start = int((query.get("start") or ["0"])[0])
            rows = max(0, min(rows, 1000))
            page = state.packages[start : start + rows]
            body = {
                "help": "package_search",
                "success": True,
                "result": {"count": len(state.packages), "sort": "id asc", "results": page, "facets": {}},
            }
            self._json(body, head)

        def _file(self, file: Path, head: bool) -> None:
            data = file.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", None, True, {"ETag": etag, "Last-Modified": FILE_MTIME})
                return
            ctype = {".csv": "text/csv", ".json": "application/json", ".xls": "application/vnd.ms-excel"}.get(
                file.suffix.lower(), "application/octet-stream"
            )
            self._send(200, data, ctype, head, {"ETag": etag, "Last-Modified": FILE_MTIME})

        def _fault(self, path: str, head: bool) -> None:
            if path == "/fault/404.csv":
                self._send(404, b"<html><body>Not Found</body></html>", "text/html", head)
            elif path == "/fault/500.csv":
                self._send(500, b"Internal Server Error", "text/plain", head)
            elif path == "/fault/429.csv":
                with state.lock:
                    first = state.hits[path] == 1
                if first:
                    self._send(429, b"slow down\n", "text/plain", head, {"Retry-After": "1"})
                else:
                    self._file(PORTALS / "nyc-open-data" / "ecb_violations.csv", head)
            elif path == "/fault/slow.csv":
                time.sleep(state.slow_seconds)
                self._send(200, b"a,b\n1,2\n", "text/csv", head)
            elif path == "/fault/loop.csv":
                self._redirect("/fault/loop2.csv", head)
            elif path == "/fault/loop2.csv":
                self._redirect("/fault/loop.csv", head)
            elif path == "/fault/to-loopback.csv":
                port = self.server.server_address[1]
                self._redirect(f"http://127.0.0.2:{port}/files/nyc-open-data/ecb_violations.csv", head)
            elif path == "/fault/to-metadata.csv":
                self._redirect("http://169.254.169.254/latest/meta-data/", head)
            elif path == "/fault/page.csv":
                self._send(200, HTML_PAGE, "text/html; charset=utf-8", head)
            elif path == "/fault/big.csv":
                self._big(head, declare=True)
            elif path == "/fault/big-stream.csv":
                self._big(head, declare=False)
            else:
                self._send(404, b"not found\n", "text/plain", head)

        # -- responses -----------------------------------------------------------------------

        def _big(self, head: bool, *, declare: bool) -> None:
            header = b"date,area,count,rate,note\n"
            chunk = b"2024-01-01,district,12345,67.8,some text value\n" * 1000
            chunks = state.big_bytes // len(chunk) + 1
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            if declare:
                self.send_header("Content-Length", str(len(header) + chunks * len(chunk)))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            if head:
                return
            self.wfile.write(header)
            for _ in range(chunks):
                self.wfile.write(chunk)
            self.close_connection = True

        def _redirect(self, location: str, head: bool) -> None:
            self._send(302, b"", None, head, {"Location": location})

        def _json(self, body: Any, head: bool) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self._send(200, data, "application/json; charset=utf-8", head)

        def _send(
            self,
            status: int,
            data: bytes,
            ctype: str | None,
            head: bool,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self._answered()
            self.end_headers()
            if not head and data:
                self.wfile.write(data)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=None)
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--links", choices=("files", "original", "distinct"), default="files")
    args = parser.parse_args()
    with FixturePortal.start(datasets=args.datasets, faults=not args.no_faults, links=args.links) as portal:
        print(portal.ckan_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
