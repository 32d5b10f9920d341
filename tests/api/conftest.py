"""Fixtures of the API and CLI tests: an app on a temporary data dir (lifespan run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import CORPUS, CPI_PART1
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def corpus_file() -> Path:
    assert CPI_PART1.is_file(), f"the shared corpus is expected at {CORPUS} (../shared/corpus from the repo)"
    return CPI_PART1


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A TestClient used as a context manager, so the lifespan (open the store, migrate) runs."""
    with TestClient(create_app(settings)) as c:
        yield c
