"""The metadata-only fast path (no link checks): what it stores and summarises must be what the
general path gives, and a CKAN harvest that fails half-way must store nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.services.catalogs import (
    CatalogError,
    _catalog_summary,
    _measure_metadata,
    create_run,
    execute_run,
    run_catalog,
)
from app.storage.catalogs import CatalogRuns
from profilers.metadata import assess
from tests.catalogs.runs_support import open_repo, settings_for
from tests.conftest import CORPUS

BRAZIL = CORPUS / "catalogs" / "ckan-dados-gov-br" / "package_search_q-all_rows800.json.gz"


def test_summary_from_the_harvest_equals_the_summary_read_back(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "var")
    with open_repo(settings) as repo:
        status = run_catalog(repo, settings, str(BRAZIL), kind="ckan", metadata_only=True, check_links=False)
        assert status["counts"]["done"] == 800
        runs = CatalogRuns(repo.store)
        run = runs.get_run(status["job_id"])
        assert run is not None
        # The summary stored by the run was summed while harvesting; reading the items back
        # (what a resumed run does) gives the same numbers and the same duplicate titles.
        assert _catalog_summary(runs, run) == status["catalog"]
        assert status["catalog"]["mqa"]["datasets"] == 800
        assert status["catalog"]["findings"], "the Brazil catalog repeats titles"


def test_compact_findings_are_the_full_findings_without_examples() -> None:
    from app.catalogs import harvest

    records = list(harvest(str(BRAZIL), "ckan"))[:200]
    reference = date(2026, 11, 27)
    for n, record in enumerate(records):
        full = assess(record, reference, None)
        item = _measure_metadata(f"k{n}", record, reference)
        meta = item.outcome["metadata"]
        assert meta["findings"] == [
            {"code": f.code, "dimension": f.dimension, "count": f.count, "share": round(f.share, 6)}
            for f in full.findings
        ]
        assert meta["mqa_counts"] == {r.indicator.key: [r.met, r.units] for r in full.mqa.indicators}
        assert meta["stars"] == full.stars
        assert meta["score_405"] == round(full.mqa.score_405, 1)
        assert full.mqa.score_405 == pytest.approx(full.mqa.points / full.mqa.max_points * 405, abs=1e-9)


@pytest.fixture
def failing_ckan() -> Iterator[str]:
    """A CKAN API on 127.0.0.1 whose first page answers and whose second page is a 500."""
    packages = json.loads(
        (CORPUS / "catalogs" / "ckan-dados-gov-br" / "package_search_q-all_rows10.json").read_text()
    )["result"]["results"]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            start = int(query.get("start", ["0"])[0])
            if start == 0:
                body = {"success": True, "result": {"count": 25, "results": packages}}
                data, status = json.dumps(body).encode(), 200
            else:
                data, status = b'{"success": false, "error": {"message": "boom"}}', 500
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("check_links", [False, True])
def test_a_harvest_failing_half_way_stores_nothing(
    failing_ckan: str, tmp_path: Path, check_links: bool
) -> None:
    settings = settings_for(tmp_path / "var", fetch_retries=0)
    with open_repo(settings) as repo:
        run_id = create_run(repo, failing_ckan, kind="ckan", metadata_only=True, check_links=check_links)
        with pytest.raises(CatalogError) as err:
            execute_run(repo, settings, run_id)
        assert err.value.code == "harvest-failed"
        runs = CatalogRuns(repo.store)
        run = runs.get_run(run_id)
        assert run is not None and run["status"] == "failed" and "harvest" in (run["error"] or "")
        assert runs.counts(run_id)["harvested"] == 0  # page 1 was measured, never stored


def test_a_link_checked_run_killed_between_batches_checks_each_link_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Link-checked records are stored a batch at a time as their HEADs come back: a run that dies
    after the first batch resumes with the others, and no stored record's link is checked again."""
    from app.services import catalogs as service
    from tests.catalogs.portal_server import FixturePortal

    monkeypatch.setattr(service, "HARVEST_BATCH", 120)
    real_measure = service._Linker.measure
    calls = {"n": 0}

    def dies_on_the_second_batch(self: Any, specs: list[Any], tally: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process killed: nothing after this point runs
        return real_measure(self, specs, tally)

    settings = settings_for(tmp_path / "var", fetch_per_host_rps=0)
    with (
        FixturePortal.start(datasets=300, faults=False, links="distinct") as portal,
        open_repo(settings) as repo,
    ):
        run_id = create_run(repo, portal.ckan_url, kind="ckan", metadata_only=True, check_links=True)
        monkeypatch.setattr(service._Linker, "measure", dies_on_the_second_batch)
        with pytest.raises(KeyboardInterrupt):
            execute_run(repo, settings, run_id)
        runs = CatalogRuns(repo.store)
        assert runs.counts(run_id)["harvested"] == 120  # the first batch, stored with its results
        heads_first = sum(
            n for p, n in portal.state.hits.items() if isinstance(p, str) and p.startswith("HEAD ")
        )
        monkeypatch.setattr(service._Linker, "measure", real_measure)
        status = execute_run(repo, settings, run_id)
        assert status["status"] == "done"
        counts = runs.counts(run_id)
        assert counts["harvested"] == counts["done"] + counts["failed"] == 300
        heads = sum(n for p, n in portal.state.hits.items() if isinstance(p, str) and p.startswith("HEAD "))
        linked = sum(1 for s in portal.served if s.path)
    assert heads_first == 120
    assert heads == linked  # every dataset's link checked exactly once over both attempts
