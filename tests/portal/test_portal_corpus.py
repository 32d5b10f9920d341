"""The portal pass on the shared corpus: the expected clusters, and the controls stay apart."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from portal_support import Env, cluster_names

from app.services import portals

CPI = {f"cpi-monthly-by-province_2020Q1_{p}.csv" for p in ["base"] + [f"part{i}" for i in range(1, 9)]}
TW_YEARS = {
    f"office-calendar_ROC{r}_{y}.csv"
    for r, y in [(106, 2017), (107, 2018), (108, 2019), (109, 2020), (110, 2021)]
}
TW_2025 = {
    "office-calendar_ROC114_2025.csv",
    "office-calendar_ROC114_2025_revised.csv",
    "office-calendar_ROC114_2025_updated-20251020.csv",
}
NBS_GDP = {
    "gdp-by-province_1993-2017_dl2018_tobby-star.csv",
    "gdp-by-province_2006-2024_dl2025_renjiyi163.csv",
    "gdp-by-province_2019-2023_dl2024_eoocl.csv",
}
EVICTIONS = {f"marshal_evictions_{s}.csv" for s in ("17", "18", "19", "all")}
CONTROLS = {
    "population-by-province_2015-2024_1lmq.csv",  # same provinces and years as the GDP downloads
    "gdp-major-cities_2016-2019.xls",
    "cpi-monthly-national_2020.csv",
    "derived_cpi-food-by-province_2016-2019.csv",
    "rural-net-income-by-quintile_1978-2014.csv",  # same years and first words as the next one
    "rural-net-income-per-capita_1978-2014.csv",
    "total-population_1978-2014.csv",
    "dob_complaints.csv",
    "dob_violations.csv",
    "hpd_contacts.csv",
    "hpd_violations.csv",
    "datapackage.json",  # two of them, in two folders, describing different data
    "street-furniture-poster-boards_datastore.csv",
}


def _all_clustered(report: dict[str, Any]) -> set[str]:
    return {k.rsplit("/", 1)[-1] for c in report["clusters"] for k in c["datasets"]}


def test_expected_clusters(corpus_portal: dict[str, Any]) -> None:
    series = cluster_names(corpus_portal, "series")
    republished = cluster_names(corpus_portal, "republished")
    assert CPI in series
    assert TW_YEARS | TW_2025 in series
    assert TW_2025 in republished
    assert NBS_GDP in republished
    assert {"gdp.csv", "gdp_vintage-2013.csv"} in republished
    assert EVICTIONS in series
    assert {"manchester_2014-07.xls", "manchester_2014-09.xls"} in series
    assert {"tameside_2014-07.csv", "tameside_2014-09.csv"} in series
    assert {"ecb_violations.csv", "ecb_violations_invalid_header.csv"} in cluster_names(
        corpus_portal, "duplicate"
    )


def test_series_details(corpus_portal: dict[str, Any]) -> None:
    by_members = {
        frozenset(k.rsplit("/", 1)[-1] for k in c["datasets"]): c for c in corpus_portal["clusters"]
    }
    evictions = by_members[frozenset(EVICTIONS)]
    assert evictions["schema_drift"] is True and evictions["headers"] == 4
    cpi = by_members[frozenset(CPI)]
    assert cpi["schema_drift"] is False and cpi["split_by"] == "part"
    assert cpi["suggested_merge"] == {"add_column": "part", "columns": 5, "rows": 9 * 31, "replaces": 9}
    assert by_members[frozenset({"manchester_2014-07.xls", "manchester_2014-09.xls"})]["split_by"] == "month"


def test_controls_stay_apart(corpus_portal: dict[str, Any]) -> None:
    assert not (CONTROLS & _all_clustered(corpus_portal))
    for c in corpus_portal["clusters"]:  # no cluster spans two publishers' folders
        assert len({k.split("/", 1)[0] for k in c["datasets"]}) == 1, c


def test_portal_findings_list_their_datasets(corpus_portal: dict[str, Any]) -> None:
    codes = {f["code"]: f for f in corpus_portal["findings"]}
    assert {"split-series", "republished-dataset", "duplicate-dataset"} <= set(codes)
    split = codes["split-series"]
    assert split["level"] == "portal" and split["points_lost"] > 0
    assert {k.rsplit("/", 1)[-1] for k in split["datasets"]} >= CPI | EVICTIONS
    assert codes["duplicate-dataset"]["count"] == 2
    n = len(corpus_portal["datasets"])
    assert n == sum(
        1
        for p in (Path(__file__).parents[2] / ".." / "shared" / "corpus" / "portals").rglob("*")
        if p.is_file()
    )
    assert sum(corpus_portal["bands"].values()) == n
    assert 0 < corpus_portal["fragmentation_index"] < 1
    assert (
        corpus_portal["dimensions"]["consolidation"]["score"]
        < corpus_portal["dimensions"]["consolidation"]["datasets_mean"]
    )


@pytest.mark.parametrize(
    ("folder", "kind", "members"),
    [
        ("cn-data-stats-gov-cn", "series", CPI),
        ("cn-data-stats-gov-cn", "republished", NBS_GDP),
        ("tw-data-gov-tw", "series", TW_YEARS | TW_2025),
        ("tw-data-gov-tw", "republished", TW_2025),
        ("nyc-open-data", "series", EVICTIONS),
        ("datahub-core", "republished", {"gdp.csv", "gdp_vintage-2013.csv"}),
        ("uk-council-spend", "series", {"manchester_2014-07.xls", "manchester_2014-09.xls"}),
    ],
)
def test_each_folder_as_its_own_portal(
    corpus: Path, corpus_env: Env, corpus_portal: dict[str, Any], folder: str, kind: str, members: set[str]
) -> None:
    # corpus_portal scored every file already: these passes reuse the stored reports and signatures
    report = portals.score_directory(
        corpus_env.repo, corpus_env.settings, corpus / "portals" / folder, folder
    )
    assert members in cluster_names(report, kind)
    assert not (CONTROLS & _all_clustered(report))


def test_rerun_updates_and_keeps_history(corpus: Path, env: Env, tmp_path: Path) -> None:
    folder = tmp_path / "portal"
    folder.mkdir()
    src = corpus / "portals" / "tw-data-gov-tw"
    for name in sorted(TW_YEARS)[:3]:
        (folder / name).write_bytes((src / name).read_bytes())
    first = portals.score_directory(env.repo, env.settings, folder, "tw-small")
    assert cluster_names(first, "series") == [set(sorted(TW_YEARS)[:3])]
    # a copy with another encoding, delimiter, format and row order joins; the portal is updated
    _copy_as_xlsx(src / sorted(TW_YEARS)[0], folder / "nested" / "calendar-copy.xlsx")
    second = portals.score_directory(env.repo, env.settings, folder, "tw-small")
    assert second["id"] == first["id"] and second["run_id"] != first["run_id"]
    assert len(second["datasets"]) == 4
    assert {sorted(TW_YEARS)[0], "calendar-copy.xlsx"} in cluster_names(second, "duplicate")
    assert [s for _, s in second["history"]] == [first["score"], second["score"]]
    assert second["score"] < first["score"]
    board = portals.list_portals(env.repo)
    assert board[0]["name"] == "tw-small" and board[0]["previous_score"] == first["score"]
    assert board[0]["history"] == second["history"]
    # a file removed from the folder leaves the portal at the next run
    (folder / "nested" / "calendar-copy.xlsx").unlink()
    third = portals.score_directory(env.repo, env.settings, folder, "tw-small")
    assert len(third["datasets"]) == 3 and len(third["history"]) == 3


def _copy_as_xlsx(src: Path, dest: Path) -> None:
    rows = list(csv.reader(io.StringIO(src.read_bytes().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    random.Random(5).shuffle(body)
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in body:
        ws.append([int(v) if v.isdigit() else v for v in row])
    wb.save(dest)


def test_duplicate_dataset_whatever_the_encoding_delimiter_order_or_format(
    corpus: Path, env: Env, tmp_path: Path
) -> None:
    folder = tmp_path / "dup"
    folder.mkdir()
    src = corpus / "portals" / "tw-data-gov-tw" / "office-calendar_ROC110_2021.csv"
    (folder / "calendar.csv").write_bytes(src.read_bytes())
    _copy_as_xlsx(src, folder / "copy-a.xlsx")
    rows = list(csv.reader(io.StringIO(src.read_bytes().decode("utf-8-sig"))))
    body = rows[1:]
    random.Random(9).shuffle(body)
    with (folder / "copy-b.csv").open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh, delimiter="\t").writerows([rows[0], *body])
    report = portals.score_directory(env.repo, env.settings, folder, "dups")
    assert cluster_names(report, "duplicate") == [{"calendar.csv", "copy-a.xlsx", "copy-b.csv"}]
    dup = next(f for f in report["findings"] if f["code"] == "duplicate-dataset")
    assert dup["count"] == 3 and sorted(dup["datasets"]) == ["calendar.csv", "copy-a.xlsx", "copy-b.csv"]
