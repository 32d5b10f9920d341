"""The catalog-level findings of a catalog run (``duplicate-title``, the catalog's MQA value) are in
the portal report of the portal it fed: listed with their datasets, and scored in the metadata
dimension; a later pass of the portal keeps those of the latest catalog run."""

from __future__ import annotations

import json
from pathlib import Path

from portal_support import Env

from app.services import portals
from app.services.catalogs import run_catalog
from app.services.dqv import portal_dqv
from scoring import load_weights

PHILADELPHIA = "catalogs/dcat-us-datajson/philadelphia_data.json"
SAME_TITLE = "peer-cases/datagov-harvester/dcatus_same_title.json"


def _run(env: Env, corpus: Path, path: str, portal: str) -> dict:  # type: ignore[type-arg]
    return run_catalog(
        env.repo, env.settings, str(corpus / path), portal=portal, metadata_only=True, check_links=False
    )


def test_duplicate_titles_of_the_catalog_run_are_portal_findings(corpus: Path, env: Env) -> None:
    status = _run(env, corpus, PHILADELPHIA, "philadelphia")
    assert status["status"] == "done"
    report = portals.get_portal(env.repo, "philadelphia")
    assert report["datasets_total"] == 402

    catalog = report["catalog"]
    assert catalog["run_id"] == status["job_id"]
    assert catalog["findings"] == status["catalog"]["findings"]
    assert catalog["mqa"] == status["catalog"]["mqa"] and catalog["mqa"]["datasets"] == 402
    assert report["mqa"]["score"] == catalog["mqa"]["score_405"]

    dup = [f for f in report["findings"] if f["code"] == "duplicate-title"]
    assert len(dup) == 1
    f = dup[0]
    keys = {d["id"] for d in report["datasets"]}
    titles = {d["id"]: d["title"] for d in report["datasets"]}
    assert len(f["datasets"]) == 2 and set(f["datasets"]) <= keys
    assert {titles[k] for k in f["datasets"]} == {"Philadelphia Basemaps"}
    assert f["groups"] == [catalog["findings"][0]["datasets"]]  # catalog order
    assert (f["dimension"], f["level"], f["count"], f["source"]) == ("metadata", "portal", 2, "catalog")
    assert f["share"] == round(2 / 402, 6)
    assert "duplicate-title" in report["dimensions"]["metadata"]["findings"]

    # the DQV export carries the catalog's MQA score
    graph = json.dumps(portal_dqv(report))
    assert "pv:scoring" in graph

    # a pass run again (no catalog run given) keeps the latest catalog run's findings
    again = portals.run_portal_pass(env.repo, "philadelphia")
    assert again["catalog"]["run_id"] == status["job_id"]
    assert [g["datasets"] for g in again["findings"] if g["code"] == "duplicate-title"] == [f["datasets"]]


def test_duplicate_titles_cost_metadata_points(corpus: Path, env: Env) -> None:
    """Two datasets, one title: the whole portal shares it (share 1), so the metadata dimension loses
    the code's cap (``cap × min(1, share ÷ saturation)``) below the datasets' mean."""
    status = _run(env, corpus, SAME_TITLE, "cftc")
    report = portals.get_portal(env.repo, "cftc")
    dup = next(f for f in report["findings"] if f["code"] == "duplicate-title")
    assert sorted(dup["datasets"]) == ["cftc-dc1", "cftc-dc2"] and dup["share"] == 1.0
    rule = load_weights().codes["duplicate-title"].rule
    metadata = report["dimensions"]["metadata"]
    expected = max(0.0, metadata["datasets_mean"] - rule.cap)
    assert rule.cap > 0 and abs(metadata["score"] - expected) <= 0.01
    assert dup["points_lost"] > 0
    assert report["catalog"]["run_id"] == status["job_id"]


def test_a_portal_no_catalog_run_fed_has_no_catalog_section(corpus: Path, env: Env) -> None:
    folder = corpus / "portals" / "tw-data-gov-tw"
    report = portals.score_directory(env.repo, env.settings, folder, "tw")
    assert report["catalog"] is None and "mqa" not in report
    assert not [f for f in report["findings"] if f.get("source") == "catalog"]
    assert portals.get_portal(env.repo, "tw")["catalog"] is None
