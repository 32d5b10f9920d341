"""Fixtures of the web UI tests: an app on a temporary data dir (TestClient), a real `odq serve`
on a free 127.0.0.1 port, and Debian's Chromium driven by Playwright (launched by path, never
downloaded). Screenshots go to test-output/web/ at the repository root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import CHROMIUM, SHOTS, Live, start_server, stop

from app.main import create_app
from app.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, anonymous_rate_per_minute=0)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`odq serve` on its own data dir; uploads over 256 KiB go through the progress page."""
    process, server = start_server(tmp_path_factory.mktemp("web-live"), ODQ_WEB_BACKGROUND_MB="0.25")
    try:
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is expected at /usr/bin/chromium (make browser installs it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield b
        finally:
            b.close()
