"""``odq catalog`` for catalog kinds: text, JSON and DQV output, and a database held by a
running server (the run still happens, in memory, and says nothing was stored)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from portal_server import FixturePortal
from runs_support import env_for, open_repo, settings_for

ODQ = Path(sys.executable).parent / "odq"


@pytest.fixture(scope="module")
def portal() -> Iterator[FixturePortal]:
    with FixturePortal.start(slow_seconds=5.0) as p:
        yield p


def odq(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}, **env_for(data_dir)}
    return subprocess.run(
        [str(ODQ), *args],
        cwd=data_dir.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_text_json_and_dqv(portal: FixturePortal, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    served = portal.state.others["datajson"]
    text = odq(data_dir, "catalog", portal.datajson_url)
    assert text.returncode == 0, text.stderr
    assert (
        f"{len(served)} datasets: {len(served) - 1} scored, 1 with a fatal finding, 0 pending" in text.stdout
    )
    assert "download-failed (404)" in text.stdout

    out = odq(data_dir, "catalog", portal.datajson_url, "--kind", "datajson", "--format", "json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["counts"]["total"] == len(served) and len(body["datasets"]) == len(served)

    dqv = odq(data_dir, "catalog", portal.datajson_url, "--format", "dqv")
    assert dqv.returncode == 0, dqv.stderr
    graph = rdflib.Graph().parse(data=dqv.stdout, format="json-ld")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    assert len(set(graph.subjects(rdflib.RDF.type, dcat.Dataset))) == len(served)


def test_a_database_held_by_a_server_is_not_written(portal: FixturePortal, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "var")
    with open_repo(settings) as repo:  # holds the DuckDB file, as a running server does
        done = odq(settings.data_dir, "catalog", portal.manifest_url, "--format", "json")
        assert done.returncode == 0, done.stderr
        assert "not stored" in done.stderr
        body = json.loads(done.stdout)
        assert body["status"] == "done" and body["counts"]["total"] == len(portal.state.others["manifest"])
        assert repo.count_reports() == 0


def test_bad_executor_is_a_usage_error(portal: FixturePortal, tmp_path: Path) -> None:
    done = odq(tmp_path / "var", "catalog", portal.datajson_url, "--executor", "threads")
    assert done.returncode == 2 and "--executor" in done.stderr
