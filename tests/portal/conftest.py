"""Fixtures of the portal tests: a store on a temporary data dir, and the shared corpus' portal
folder scored once per session as one portal (each file is one dataset)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from portal_support import Env

from app.services import portals
from app.settings import Settings
from app.storage.repository import Repository
from app.storage.store import Store


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    settings = Settings(data_dir=tmp_path / "var")
    settings.data_dir.mkdir(parents=True)
    with Store.open(settings.db_path) as store:
        yield Env(settings, Repository(store))


@pytest.fixture(scope="session")
def corpus_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("portal-corpus") / "var")
    settings.data_dir.mkdir(parents=True)
    with Store.open(settings.db_path) as store:
        yield Env(settings, Repository(store))


@pytest.fixture(scope="session")
def corpus_portal(corpus: Path, corpus_env: Env) -> dict[str, Any]:
    """The whole portals folder of the corpus as one portal."""
    return portals.score_directory(corpus_env.repo, corpus_env.settings, corpus / "portals", "corpus")
