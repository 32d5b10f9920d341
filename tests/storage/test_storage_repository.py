from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.storage import Repository, Store

MakeReport = Callable[..., dict[str, Any]]


def sha_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def n_rows(store: Store, table: str) -> int:
    row = store.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


# -- resources -------------------------------------------------------------------------------


def test_upsert_resource_is_one_row_per_sha_and_keeps_first_name(repo: Repository, store: Store) -> None:
    sha = sha_of("bytes")
    repo.upsert_resource(sha, 42, "csv", None, "first.csv", None)
    repo.upsert_resource(sha, 42, "csv", "gb18030", "second.csv", "blobs/ab/abcd")
    assert n_rows(store, "resources") == 1
    resource = repo.get_resource(sha)
    assert resource is not None
    assert {k: v for k, v in resource.items() if k != "created_at"} == {
        "sha256": sha,
        "bytes": 42,
        "format": "csv",
        "encoding": "gb18030",  # unknown values are filled in later
        "first_name": "first.csv",
        "blob_path": "blobs/ab/abcd",
    }
    assert repo.get_resource(sha_of("other")) is None


@pytest.mark.parametrize("bad", ["ABC", "A" * 64, "g" * 64, ""])
def test_upsert_resource_rejects_non_sha(repo: Repository, bad: str) -> None:
    with pytest.raises(ValueError, match="sha256"):
        repo.upsert_resource(bad, 1, None, None, None, None)


# -- reports ---------------------------------------------------------------------------------


def test_save_get_round_trip(repo: Repository, report_factory: MakeReport) -> None:
    report = report_factory()
    report["source"]["name"] = "x'; DROP TABLE reports; --"
    expected = json.loads(json.dumps(report))

    assert repo.save_report(report) is report
    assert repo.get_report(report["id"]) == expected
    sha = report["source"]["sha256"]
    assert repo.find_report(sha, "1") == expected
    assert repo.count_findings(report["id"]) == 2
    assert repo.get_report("no-such-id") is None


def test_findings_and_scores_are_spread_into_rows(
    repo: Repository, store: Store, report_factory: MakeReport
) -> None:
    report = report_factory(n_findings=3)
    repo.save_report(report)
    rows = (
        store.cursor()
        .execute(
            "SELECT ordinal, code, level, count, share, points_lost, examples_json FROM findings"
            " WHERE report_id = ? ORDER BY ordinal",
            [report["id"]],
        )
        .fetchall()
    )
    assert [(o, c, lv, n, s, p, json.loads(e)) for o, c, lv, n, s, p, e in rows] == [
        (i, f["code"], f["level"], f["count"], f["share"], f["points_lost"], f["examples"])
        for i, f in enumerate(report["findings"])
    ]
    assert repo.scores(report["id"]) == {
        "overall": {"score": 71.25, "weight": None, "scoring_version": "1"},
        "validity": {"score": 62.5, "weight": 0.4, "scoring_version": "1"},
        "uniqueness": {"score": 100.0, "weight": 0.3, "scoring_version": "1"},
        "timeliness": {"score": None, "weight": 0.0, "scoring_version": "1"},
    }


def test_find_report_keys_on_sha_version_and_options(repo: Repository, report_factory: MakeReport) -> None:
    sha = sha_of("same bytes")
    v1 = repo.save_report(report_factory(sha, scoring_version="1"))
    v2 = repo.save_report(report_factory(sha, scoring_version="2"))
    opt = repo.save_report(report_factory(sha, scoring_version="1"), options_key="k-schema")
    assert len({v1["id"], v2["id"], opt["id"]}) == 3
    assert repo.find_report(sha, "1") == v1
    assert repo.find_report(sha, "2") == v2
    assert repo.find_report(sha, "1", "k-schema") == opt
    assert repo.find_report(sha, "3") is None
    assert repo.find_report(sha_of("other"), "1") is None


def test_saving_the_same_sha_and_version_twice_keeps_one(
    repo: Repository, store: Store, report_factory: MakeReport
) -> None:
    sha = sha_of("twice")
    first = report_factory(sha)
    second = report_factory(sha, n_findings=5)
    assert repo.save_report(first) is first
    assert repo.save_report(second) == first  # the stored one, not the newcomer
    assert repo.get_report(second["id"]) is None
    assert n_rows(store, "reports") == 1
    assert n_rows(store, "findings") == 2
    assert n_rows(store, "scores") == 4


def test_reports_without_bytes_are_all_kept(
    repo: Repository, store: Store, report_factory: MakeReport
) -> None:
    """A failed download has no sha256; such reports are not deduplicated."""
    for _ in range(2):
        report = report_factory()
        report["source"]["sha256"] = None
        repo.save_report(report)
    assert n_rows(store, "reports") == 2


def test_a_failing_save_leaves_nothing(repo: Repository, store: Store, report_factory: MakeReport) -> None:
    report = report_factory(n_findings=3)
    report["findings"][2]["code"] = None  # NOT NULL violated by the third finding row
    with pytest.raises(Exception, match="NOT NULL"):
        repo.save_report(report)
    assert (n_rows(store, "reports"), n_rows(store, "findings"), n_rows(store, "scores")) == (0, 0, 0)
    # and the store carries on
    repo.save_report(report_factory())
    assert n_rows(store, "reports") == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("id"), "'id'"),
        (lambda r: r.pop("scoring_version"), "'scoring_version'"),
        (lambda r: r.__setitem__("score", float("nan")), "JSON"),
        (lambda r: r["dimensions"].__setitem__("overall", {"score": 1}), "reserved"),
        (lambda r: r["source"].__setitem__("sha256", "not-a-sha"), "sha256"),
    ],
    ids=["no-id", "no-version", "nan", "overall-dimension", "bad-sha"],
)
def test_invalid_reports_are_refused_before_writing(
    repo: Repository,
    store: Store,
    report_factory: MakeReport,
    change: Callable[[dict[str, Any]], Any],
    message: str,
) -> None:
    report = report_factory()
    change(report)
    with pytest.raises(ValueError, match=message):
        repo.save_report(report)
    assert n_rows(store, "reports") == 0


def test_list_reports_newest_first(repo: Repository, report_factory: MakeReport) -> None:
    old = repo.save_report(report_factory(created_at="2024-01-01T00:00:00Z"), listed=True)
    new = repo.save_report(report_factory(created_at="2025-06-01T12:00:00+08:00"), listed=True)
    mid = repo.save_report(
        report_factory(created_at="2025-06-01T05:00:00+00:00"), listed=True
    )  # `new` is 04:00 UTC
    repo.save_report(report_factory(created_at="2025-07-01T00:00:00Z"))  # unlisted: never listed
    listed = repo.list_reports()
    assert [r["id"] for r in listed] == [mid["id"], new["id"], old["id"]]
    assert listed[0] == {
        "id": mid["id"],
        "name": mid["source"]["name"],
        "url": mid["source"]["url"],
        "score": 71.25,
        "band": "good",
        "created_at": "2025-06-01T05:00:00+00:00",
    }
    assert [r["id"] for r in repo.list_reports(limit=2)] == [mid["id"], new["id"]]
    assert [r["id"] for r in repo.list_reports(limit=2, offset=2)] == [old["id"]]
    assert repo.list_reports(limit=0) == []


def test_list_reports_ties_in_saving_order(repo: Repository, report_factory: MakeReport) -> None:
    ids = [
        repo.save_report(report_factory(created_at="2025-01-01T00:00:00Z"), listed=True)["id"]
        for _ in range(5)
    ]
    assert [r["id"] for r in repo.list_reports()] == ids[::-1]


# -- concurrency -----------------------------------------------------------------------------


def test_many_threads_saving_different_reports(
    repo: Repository, store: Store, report_factory: MakeReport
) -> None:
    threads, per_thread = 8, 20
    reports = [[report_factory() for _ in range(per_thread)] for _ in range(threads)]
    start = threading.Barrier(threads)

    def work(batch: list[dict[str, Any]]) -> list[str]:
        start.wait()
        saved = []
        for report in batch:
            saved.append(repo.save_report(report)["id"])
            assert repo.get_report(report["id"]) is not None  # reads interleave with writes
        return saved

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(work, reports))

    assert results == [[r["id"] for r in batch] for batch in reports]
    assert n_rows(store, "reports") == threads * per_thread
    assert n_rows(store, "findings") == threads * per_thread * 2
    for batch in reports:
        for report in batch:
            assert repo.get_report(report["id"]) == report


def test_many_threads_saving_the_same_bytes_store_one(
    repo: Repository, store: Store, report_factory: MakeReport
) -> None:
    sha = sha_of("popular file")
    candidates = [report_factory(sha) for _ in range(16)]
    start = threading.Barrier(len(candidates))

    def work(report: dict[str, Any]) -> str:
        start.wait()
        return str(repo.save_report(report)["id"])

    with ThreadPoolExecutor(len(candidates)) as pool:
        winners = set(pool.map(work, candidates))

    assert len(winners) == 1
    assert n_rows(store, "reports") == 1
    assert n_rows(store, "findings") == 2


def test_two_stores_on_one_file_in_one_process(db_path: Path, report_factory: MakeReport) -> None:
    """Two Store objects share DuckDB's database instance but not a lock: the unique constraint
    catches the race and save_report still returns the one stored report."""
    sha = sha_of("raced")
    with Store.open(db_path) as a, Store.open(db_path) as b:
        repos = [Repository(a), Repository(b)]
        candidates = [report_factory(sha) for _ in range(16)]
        start = threading.Barrier(len(candidates))

        def work(i: int) -> str:
            start.wait()
            return str(repos[i % 2].save_report(candidates[i])["id"])

        with ThreadPoolExecutor(len(candidates)) as pool:
            winners = set(pool.map(work, range(len(candidates))))
        assert len(winners) == 1
        assert n_rows(a, "reports") == 1
        assert n_rows(a, "findings") == 2


def test_reports_persist_across_reopen(db_path: Path, report_factory: MakeReport) -> None:
    report = report_factory()
    with Store.open(db_path) as store:
        Repository(store).save_report(report)
    with Store.open(db_path) as store:
        assert Repository(store).get_report(report["id"]) == report
