"""Durable catalog runs against a real HTTP portal on 127.0.0.1 (tests/catalogs/portal_server.py):
every dataset ends with a score or a named finding, the counts match what was served, an
unchanged resource is not downloaded or scored again, and a run killed with SIGKILL halfway
finishes on restart with each dataset scored exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from portal_server import FAULTS, FixturePortal
from runs_support import env_for, open_repo, outcomes, settings_for

from app.services.catalogs import job_status, resume_unfinished, run_catalog
from app.storage.catalogs import CatalogRuns

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def portal() -> FixturePortal:
    with FixturePortal.start(slow_seconds=5.0) as p:
        yield p


def test_every_dataset_ends_with_a_score_or_a_named_finding(portal: FixturePortal, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "var")
    with open_repo(settings) as repo:
        status = run_catalog(repo, settings, portal.ckan_url, kind="auto")
        run_id = status["job_id"]
        items = {i["key"]: i for i in CatalogRuns(repo.store).items(run_id)}

        # What was served is what was run: one item per package, none missing, none extra.
        assert status["status"] == "done"
        assert status["catalog_kind"] == "ckan"
        assert sorted(items) == sorted(s.key for s in portal.served)
        counts = status["counts"]
        assert counts["total"] == counts["harvested"] == len(portal.served) == 25
        assert counts["pending"] == 0
        assert counts["done"] + counts["failed"] == len(portal.served)

        for served in portal.served:
            item = items[served.key]
            report = repo.get_report(item["report_id"]) if item["report_id"] else None
            codes = {f["code"] for f in report["findings"]} if report else set()
            if served.expected == "scored":
                assert report is not None, served
                assert "download-failed" not in codes, (served, codes)
                assert report["source"]["url"] == portal.base_url + served.path
            elif served.expected == "no-distribution":
                assert item["error_code"] == "no-distribution" and report is None, item
            else:  # a fetch fault: a stored report, score 0, with the named finding and the cause
                assert item["status"] == "failed", (served, item)
                assert item["error_code"] == served.expected, (served, item["error_code"])
                assert report is not None and report["score"] == 0, served
                assert "download-failed" in codes, (served, codes)
                failed = next(f for f in report["findings"] if f["code"] == "download-failed")
                assert (
                    served.expected in failed["examples"][0]["value"] or served.expected == "download-failed"
                )
                assert report["source"]["error_code"] == served.expected

        by_path = {s.path: items[s.key] for s in portal.served if s.path}
        assert by_path["/fault/404.csv"]["http_status"] == 404
        assert by_path["/fault/500.csv"]["http_status"] == 500
        assert portal.hits("/fault/500.csv") == 1  # the HEAD answered 500: not retried, no GET
        # 429 then Retry-After: 1 honoured, then the file: scored like the file itself.
        times = portal.state.times["/fault/429.csv"]
        assert len(times) >= 2 and times[1] - times[0] >= 0.9
        # The HTML page behind a CSV link is a scored report naming the defect, not a crash.
        page = repo.get_report(by_path["/fault/page.csv"]["report_id"])
        assert {"unreadable-file", "format-mismatch"} & {f["code"] for f in page["findings"]}
        # Refused redirects never reached their target.
        target = "/files/nyc-open-data/ecb_violations.csv"  # where /fault/to-loopback.csv points
        assert target not in {s.path for s in portal.served}
        assert portal.hits(target) == 0
        # Every real file was served (HEAD + GET) at least once.
        for served in portal.served:
            if served.expected == "scored" and served.path and served.path.startswith("/files/"):
                assert portal.hits(served.path) >= 1, served


def test_an_unchanged_resource_is_not_downloaded_or_scored_again(
    portal: FixturePortal, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path / "var")
    with open_repo(settings) as repo:
        first = run_catalog(repo, settings, portal.ckan_url, kind="ckan")["job_id"]
        scored_reports = {r["id"] for r in _all_reports(repo) if r["score"] > 0}
        total = repo.count_reports()
        path = next(s.path for s in portal.served if s.expected == "scored" and s.path.startswith("/files/"))
        before = portal.hits(path)
        second = run_catalog(repo, settings, portal.ckan_url, kind="ckan")["job_id"]
        # No file is scored again; only the broken links are checked again (a new failure report each).
        broken = sum(1 for s in portal.served if s.expected not in ("scored", "no-distribution"))
        assert repo.count_reports() == total + broken
        assert {r["id"] for r in _all_reports(repo) if r["score"] > 0} == scored_reports
        assert outcomes(repo, first) == outcomes(repo, second)
        one = {i["key"]: i["report_id"] for i in CatalogRuns(repo.store).items(first)}
        two = {i["key"]: i["report_id"] for i in CatalogRuns(repo.store).items(second)}
        scored = [s.key for s in portal.served if s.expected == "scored"]
        assert all(one[k] == two[k] for k in scored)
        # The second run asked (HEAD, ETag unchanged) but did not download the body again.
        assert portal.hits(path) - before == 1


KILLED_RUN = textwrap.dedent(
    """
    import sys
    from app.services.catalogs import run_catalog
    from app.settings import Settings
    from app.storage.repository import Repository
    from app.storage.store import Store

    settings = Settings()
    with Store.open(settings.db_path) as store:
        def progress(state):
            print("finished", state["finished"], state["total"], flush=True)
        run_catalog(Repository(store), settings, sys.argv[1], kind="ckan", progress=progress)
    print("complete", flush=True)
    """
)


def test_a_run_killed_halfway_finishes_on_restart_scoring_each_dataset_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    with FixturePortal.start(datasets=60, faults=True, slow_seconds=5.0) as portal:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}, **env_for(data_dir)}
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_RUN, portal.ckan_url],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        seen = 0
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if line.startswith("finished"):
                seen = int(line.split()[1])
                if seen >= 25:
                    break
            assert time.monotonic() < deadline, "the run did not get halfway"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        assert 25 <= seen < 60

        settings = settings_for(data_dir)
        with open_repo(settings) as repo:
            runs = CatalogRuns(repo.store)
            (run,) = runs.unfinished_runs()
            left = runs.counts(run["id"])
            assert left["pending"] > 0 and left["done"] + left["failed"] >= 20  # some stored, some not
            resumed = resume_unfinished(repo, settings)
            assert [r["job_id"] for r in resumed] == [run["id"]]
            status = job_status(repo, run["id"])
            assert status["status"] == "done"
            assert status["counts"]["total"] == status["counts"]["harvested"] == 60
            assert status["counts"]["pending"] == 0
            items = runs.items(run["id"])
            assert sorted(i["key"] for i in items) == sorted(s.key for s in portal.served)
            # Scored exactly once: each item stored once, and every stored report belongs to an item.
            assert Counter(i["attempts"] for i in items) == Counter({1: 60})
            referenced = {i["report_id"] for i in items if i["report_id"]}
            stored = {r["id"] for r in _all_reports(repo)}
            assert stored == referenced
            expected = {s.key: s.expected for s in portal.served}
            for item in items:
                want = expected[item["key"]]
                if want == "scored":
                    assert item["report_id"] and item["error_code"] in (None, "unreadable-file"), item
                else:
                    assert item["error_code"] == want, item
            assert set(FAULTS) <= {s.path for s in portal.served}


def test_odq_catalog_killed_halfway_with_a_process_pool_finishes_when_run_again(tmp_path: Path) -> None:
    """The real command, its worker processes killed with it (the whole process group), then the
    same command again: the interrupted run is resumed and finished, each dataset once."""
    data_dir = tmp_path / "var"
    odq = Path(sys.executable).parent / "odq"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}, **env_for(data_dir)}
    with FixturePortal.start(datasets=60, faults=True, slow_seconds=5.0) as portal:
        args = [
            str(odq),
            "catalog",
            portal.ckan_url,
            "--kind",
            "ckan",
            "--executor",
            "process",
            "--workers",
            "2",
        ]
        proc = subprocess.Popen(
            args,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

        def files_served() -> int:
            with portal.state.lock:
                return sum(n for p, n in portal.state.hits.items() if p.startswith("/files/"))

        deadline = time.monotonic() + 120
        while files_served() < 40:  # HEAD + GET per file: about 20 datasets downloaded
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the run did not get halfway"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL

        again = subprocess.run(
            [*args, "--format", "json"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert again.returncode == 0, again.stderr
        assert "resumed unfinished run" in again.stderr
        out = json.loads(again.stdout)
        assert out["status"] == "done"
        assert out["counts"]["total"] == out["counts"]["harvested"] == 60
        assert out["counts"]["pending"] == 0
        datasets = out["datasets"]
        assert sorted(d["key"] for d in datasets) == sorted(s.key for s in portal.served)
        assert Counter(d["attempts"] for d in datasets) == Counter({1: 60})

    settings = settings_for(data_dir)
    with open_repo(settings) as repo:
        runs = CatalogRuns(repo.store)
        assert runs.unfinished_runs() == []
        referenced = {d["report_id"] for d in datasets if d["report_id"]}
        assert {r["id"] for r in _all_reports(repo)} == referenced  # no orphan, no double


@pytest.mark.parametrize("kind", ["datajson", "manifest"])
def test_other_catalog_kinds_end_every_dataset_the_same_way(
    portal: FixturePortal, tmp_path: Path, kind: str
) -> None:
    """A DCAT-US data.json of US agencies and a manifest of Chinese portal metadata (标题, 提供单位,
    下载地址 …), served by the same portal: detected, harvested, every dataset scored or named."""
    url = {"datajson": portal.datajson_url, "manifest": portal.manifest_url}[kind]
    served = portal.state.others[kind]
    settings = settings_for(tmp_path / "var")
    with open_repo(settings) as repo:
        status = run_catalog(repo, settings, url)
        assert status["status"] == "done" and status["catalog_kind"] == kind
        assert status["counts"]["total"] == len(served) and status["counts"]["pending"] == 0
        items = CatalogRuns(repo.store).items(status["job_id"])
        by_url = {i["url"]: i for i in items}
        for s in served:
            item = by_url[portal.base_url + s.path]
            if s.expected == "scored":
                assert item["report_id"] and item["error_code"] in (None, "unreadable-file"), item
            else:
                assert item["error_code"] == s.expected, item
        # Metadata was measured for every dataset, whatever happened to its data.
        assert all("mqa_counts" in i["outcome"]["metadata"] for i in items)
        assert status["catalog"]["mqa"]["datasets"] == len(served)


def test_metadata_only_checks_links_without_downloading(portal: FixturePortal, tmp_path: Path) -> None:
    def gets() -> int:
        with portal.state.lock:
            return sum(
                n for p, n in portal.state.hits.items() if p.startswith(("GET /files/", "GET /fault/"))
            )

    settings = settings_for(tmp_path / "var")
    with open_repo(settings) as repo:
        before = gets()
        status = run_catalog(repo, settings, portal.ckan_url, kind="ckan", metadata_only=True)
        assert gets() == before  # HEAD only: no data downloaded
        assert status["counts"]["total"] == len(portal.served) and status["counts"]["pending"] == 0
        assert repo.count_reports() == 0
        items = {i["key"]: i for i in CatalogRuns(repo.store).items(status["job_id"])}
        by_path = {s.path: items[s.key] for s in portal.served}
        assert (by_path["/fault/404.csv"]["error_code"], by_path["/fault/404.csv"]["http_status"]) == (
            "download-failed",
            404,
        )
        assert by_path["/fault/to-metadata.csv"]["error_code"] == "url-refused"
        ok = [items[s.key] for s in portal.served if s.expected == "scored" and s.path.startswith("/files/")]
        assert all(i["http_status"] == 200 and i["error_code"] is None for i in ok)
        assert all(0 <= i["score"] <= 100 for i in items.values())  # the metadata score
        assert status["catalog"]["mqa"]["datasets"] == len(portal.served)

        quick = run_catalog(
            repo, settings, portal.ckan_url, kind="ckan", metadata_only=True, check_links=False
        )
        assert quick["counts"]["done"] == len(portal.served)
        fast = {i["key"]: i for i in CatalogRuns(repo.store).items(quick["job_id"])}
        # Without link checks the link indicators are not measured, the others agree.
        assert {k: i["outcome"]["metadata"]["mqa_counts"]["keyword_usage"] for k, i in fast.items()} == {
            k: i["outcome"]["metadata"]["mqa_counts"]["keyword_usage"] for k, i in items.items()
        }


def _all_reports(repo: Any) -> list[dict[str, Any]]:
    """Every stored report (a catalog run's reports are unlisted, like uploads)."""
    rows = repo.store.cursor().execute("SELECT id, score FROM reports").fetchall()
    return [{"id": i, "score": s} for i, s in rows]
