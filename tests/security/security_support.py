"""Fixtures of the security tests: an app with an administrator token and one key per portal,
hostile files written once per session, and real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hostile import GiB, write_gzip_bomb, write_xlsx, write_zip_bomb

from app.main import create_app
from app.settings import Settings

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
PORTAL_A = "portal-a"
PORTAL_B = "portal-b"


@dataclass
class Secured:
    """A running app (lifespan started) with the admin token and a key of each portal."""

    client: TestClient
    data_dir: Path
    keys: dict[str, str] = field(default_factory=dict)
    key_ids: dict[str, str] = field(default_factory=dict)

    def auth(self, portal: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[portal]}"}

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN, **overrides)


@pytest.fixture
def secured(data_dir: Path) -> Iterator[Secured]:
    with TestClient(create_app(make_settings(data_dir))) as client:
        s = Secured(client, data_dir)
        for portal in (PORTAL_A, PORTAL_B):
            r = client.post("/api/v1/keys", json={"portal": portal, "label": "tests"}, headers=s.admin)
            assert r.status_code == 201, r.text
            s.keys[portal] = r.json()["key"]
            s.key_ids[portal] = r.json()["id"]
        yield s


# -- hostile files, written once per session ---------------------------------------------------


@pytest.fixture(scope="session")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bombs")
    return {
        "gzip": write_gzip_bomb(d / "zeros.csv.gz", GiB),
        "gzip-forged-size": write_gzip_bomb(d / "zeros-small-trailer.csv.gz", GiB, declared=1000),
        "xlsx": write_xlsx(d / "bomb.xlsx", padding=GiB),
        "zip": write_zip_bomb(d / "bomb.zip", GiB),
    }


@pytest.fixture(scope="session")
def heavy_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 80 MB, 1,600,000-row CSV: scoring it needs a few CPU-seconds and a few hundred MB in any
    implementation, so small worker limits stop it (the stand-in for a pathological file)."""
    block = "".join(
        f"{i},name {i % 977},city {i % 31},{i * 7 % 10007}.{i % 100:02d},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}\n"
        for i in range(8_000)
    ).encode()
    path = tmp_path_factory.mktemp("heavy") / "heavy.csv"
    with path.open("wb") as fh:
        fh.write(b"id,name,city,amount,date\n")
        for k in range(200):
            fh.write(block.replace(b"name ", b"name %d-" % k))
    return path


# -- real HTTP servers on 127.0.0.1 --------------------------------------------------------------


class Canary(http.server.ThreadingHTTPServer):
    """A server that must never be reached: it counts every request it gets."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        self.hits: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits.append(self.path)
                body = b"secret,internal\n1,2\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__((host, 0), Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class Redirector(http.server.ThreadingHTTPServer):
    """Answers every GET with a 302 to ``target`` (and counts the requests)."""

    daemon_threads = True

    def __init__(self, host: str, target: str) -> None:
        self.hits: list[str] = []
        redirector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                redirector.hits.append(self.path)
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_HEAD = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__((host, 0), Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def serving(server: http.server.HTTPServer) -> Iterator[Any]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def canary() -> Iterator[Canary]:
    yield from serving(Canary("127.0.0.1"))


@pytest.fixture
def canary_2() -> Iterator[Canary]:
    """A canary on 127.0.0.2: loopback too, but another address than 127.0.0.1."""
    yield from serving(Canary("127.0.0.2"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
