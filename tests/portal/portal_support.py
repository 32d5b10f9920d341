"""Helpers of the portal tests (importable from their modules; conftest holds the fixtures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.settings import Settings
from app.storage.repository import Repository


@dataclass
class Env:
    settings: Settings
    repo: Repository


def cluster_names(report: dict[str, Any], kind: str) -> list[set[str]]:
    """The clusters of ``kind`` as sets of file names (without folders)."""
    return [{k.rsplit("/", 1)[-1] for k in c["datasets"]} for c in report["clusters"] if c["kind"] == kind]
