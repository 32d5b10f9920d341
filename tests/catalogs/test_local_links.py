"""A harvested catalog never reads the server's own files.

A hostile portal (a real HTTP server on 127.0.0.1) serves one catalog of each kind that can be
fetched from a URL, whose distribution links name a secret file the test wrote (``file:///…``, an
absolute path, a relative ``../../…`` path) and a file that does not exist. A portal key starts the
run through the API, full and metadata-only: every such dataset carries ``bad-url``, the secret's
marker appears in no report, finding example, expectation suite, API answer or log line, and an
existing file and a missing one give the same answer (no existence oracle). The scheme is
compared case-insensitively (``HTTPS://../../srv`` is a URL with the host ``..``, refused, never a
folder); local sources are the operator's (the administrator's key, the CLI), and their links stay
inside the source's folder (``..`` and symlinks leaving it are ``bad-url``)."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hostile_portal import HostileServer, hostile_server
from runs_support import FETCH

from app.main import create_app
from app.services import portals
from app.services.catalogs import create_run, execute_run, run_catalog
from app.settings import Settings
from app.storage.catalogs import CatalogRuns
from app.storage.repository import Repository
from app.storage.store import Store

ADMIN = "admin-token-for-local-links"


@dataclass
class Secret:
    marker: str
    file: Path
    missing: Path

    def links(self) -> dict[str, str]:
        """Dataset id → a link to the secret (three spellings) or to a file that does not exist."""
        return {
            "file-uri": self.file.as_uri(),
            "absolute": str(self.file),
            "relative": os.path.relpath(self.file, Path.cwd()),
            "missing": str(self.missing),
        }


@pytest.fixture
def secret(tmp_path: Path) -> Secret:
    marker = f"odqsecret{uuid.uuid4().hex}"
    folder = tmp_path / "srv" / "secret"
    folder.mkdir(parents=True)
    file = folder / "passwords.csv"
    rows = [f"{marker}_user,{marker}_password,id"] + [f"{marker}_{n},{marker}_pw{n},{n}" for n in range(30)]
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return Secret(marker, file, folder / "no-such-file.csv")


def _json(body: Any) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(body).encode()


def _first_page(query: dict[str, list[str]], *keys: str) -> bool:
    return all(int((query.get(k) or ["0"])[0]) == 0 for k in keys)


def serve_catalog(server: HostileServer, kind: str, links: dict[str, str]) -> str:
    """Serve a catalog of ``kind`` naming ``links``; returns its URL."""
    if kind == "ckan":
        packages = [
            {"id": key, "name": key, "title": f"Dataset {key}", "resources": [{"url": link, "format": "CSV"}]}
            for key, link in links.items()
        ]

        def ckan(q: dict[str, list[str]]) -> tuple[int, str, bytes]:
            page = packages if _first_page(q, "start") else []
            return _json({"success": True, "result": {"count": len(packages), "results": page}})

        server.routes["/api/3/action/package_search"] = ckan
        return f"{server.base}/"
    if kind == "datajson":
        body = {
            "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
            "dataset": [
                {
                    "identifier": key,
                    "title": f"Dataset {key}",
                    "accessLevel": "public",
                    "distribution": [{"downloadURL": link, "mediaType": "text/csv", "format": "CSV"}],
                }
                for key, link in links.items()
            ],
        }
        server.routes["/data.json"] = lambda q: _json(body)
        return f"{server.base}/data.json"
    if kind == "dcat":
        lines = [
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
            "@prefix dct: <http://purl.org/dc/terms/> .",
        ]
        for key, link in links.items():
            lines.append(
                f'<{server.base}/ds/{key}> a dcat:Dataset ; dct:identifier "{key}" ; dct:title "Dataset {key}" ;'
                f' dcat:distribution [ a dcat:Distribution ; dcat:downloadURL "{link}" ; dct:format "CSV" ] .'
            )
        turtle = ("\n".join(lines) + "\n").encode()
        server.routes["/catalog.ttl"] = lambda q: (200, "text/turtle", turtle)
        return f"{server.base}/catalog.ttl"
    if kind == "manifest":
        rows = ["id,title,url,format"] + [f"{key},Dataset {key},{link},CSV" for key, link in links.items()]
        manifest = ("\n".join(rows) + "\n").encode()
        server.routes["/manifest.csv"] = lambda q: (200, "text/csv", manifest)
        return f"{server.base}/manifest.csv"
    if kind == "socrata":
        # Socrata's adapter builds each link as https://<domain>/…: a hostile domain makes a host
        # that is no host name (refused as bad-url, never resolved, never a path).
        results = [
            {
                "resource": {"id": f"abcd-{n:04d}", "name": f"Dataset {key}", "type": "dataset"},
                "metadata": {"domain": domain},
                "classification": {},
            }
            for n, (key, domain) in enumerate(
                {"dots": "..", "slash": "/" + str(Path(links["absolute"]).parent).lstrip("/")}.items()
            )
        ]

        def socrata(q: dict[str, list[str]]) -> tuple[int, str, bytes]:
            page = results if _first_page(q, "offset") else []
            return _json({"results": page, "resultSetSize": len(results)})

        server.routes["/api/catalog/v1"] = socrata
        return f"{server.base}/api/catalog/v1"
    if kind == "ods":
        # OpenDataSoft links are built on the portal's own origin: a hostile dataset id can only
        # point back at the portal, never at a file.
        datasets = [
            {"dataset_id": f"../../..{links['absolute']}", "metas": {"default": {"title": "Traversal"}}},
            {
                "dataset_id": "plain",
                "metas": {"default": {"title": "Plain"}},
                "attachments": [{"id": links["file-uri"]}],
            },
        ]

        def ods(q: dict[str, list[str]]) -> tuple[int, str, bytes]:
            page = datasets if _first_page(q, "offset") else []
            return _json({"total_count": len(datasets), "results": page})

        server.routes["/api/explore/v2.1/catalog/datasets"] = ods
        return f"{server.base}/"
    raise AssertionError(kind)


def settings_for(data_dir: Path, **extra: Any) -> Settings:
    return Settings(data_dir=data_dir, admin_token=ADMIN, **{**FETCH, **extra})


@contextmanager
def app_with_key(tmp_path: Path, **extra: Any) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with TestClient(create_app(settings_for(tmp_path / "var", **extra))) as client:
        r = client.post(
            "/api/v1/keys", json={"portal": "hostile", "label": "t"}, headers={"X-API-Key": ADMIN}
        )
        assert r.status_code == 201, r.text
        yield client, {"X-API-Key": r.json()["key"]}


def wait_done(client: TestClient, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/jobs/{job_id}").json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def everything_readable(client: TestClient, job_id: str) -> tuple[list[dict[str, Any]], str]:
    """The datasets of a run and the text of every answer anyone can read about it: the job, its
    datasets, its DQV, every report (JSON, DQV, web page) and every report's expectation suite,
    the portal, the report list."""
    texts = [client.get(f"/api/v1/jobs/{job_id}").text]
    datasets = client.get(f"/api/v1/jobs/{job_id}/datasets").json()["datasets"]
    texts.append(json.dumps(datasets))
    texts.append(client.get(f"/api/v1/jobs/{job_id}", headers={"Accept": "application/ld+json"}).text)
    for item in datasets:
        report_id = item.get("report_id")
        if report_id:
            for path in (
                f"/api/v1/reports/{report_id}",
                f"/api/v1/reports/{report_id}/expectations",
                f"/reports/{report_id}",
                f"/reports/{report_id}/dqv.jsonld",
            ):
                texts.append(client.get(path).text)
    texts.append(client.get("/api/v1/portals/hostile").text)
    texts.append(client.get("/api/v1/reports").text)
    return datasets, "\n".join(texts)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return (
        "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records)
        + caplog.text
    )


URL_KINDS = ("ckan", "dcat", "datajson", "manifest", "socrata", "ods")


@pytest.mark.parametrize("metadata_only", [False, True], ids=["full", "metadata-only"])
@pytest.mark.parametrize("kind", URL_KINDS)
def test_a_hostile_catalog_never_reads_local_files(
    tmp_path: Path,
    secret: Secret,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    metadata_only: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    with hostile_server() as server, app_with_key(tmp_path) as (client, key):
        source = serve_catalog(server, kind, secret.links())
        r = client.post(
            "/api/v1/catalogs",
            json={"source": source, "kind": kind, "portal": "hostile", "metadata_only": metadata_only},
            headers=key,
        )
        assert r.status_code == 202, r.text
        status = wait_done(client, r.json()["job_id"])
        assert status["status"] == "done", status
        datasets, readable = everything_readable(client, status["job_id"])
    assert secret.marker not in readable
    assert secret.marker not in logged(caplog)
    blobs = tmp_path / "var" / "blobs"
    for blob in (p for p in blobs.rglob("*") if p.is_file()):
        assert secret.marker.encode() not in blob.read_bytes(), blob
    assert datasets
    by_key = {d["key"]: d for d in datasets}
    if kind == "ods":  # links on the portal's own origin: fetched from it (404 here), nothing local
        assert all(d["error_code"] != "bad-url" for d in datasets)
        assert {p for p in server.hits if "/exports/" in p or "/attachments/" in p}
        return
    assert all(d["error_code"] == "bad-url" and d["status"] == "failed" for d in datasets), datasets
    if kind != "socrata":
        assert set(by_key) == set(secret.links())
        # No existence oracle: the secret and a missing file look exactly alike.
        shape = {k: (d["status"], d["error_code"], d["score"], d["band"]) for k, d in by_key.items()}
        assert len(set(shape.values())) == 1, shape


def test_metadata_only_without_link_checks_names_bad_links(tmp_path: Path, secret: Secret) -> None:
    """No link is opened or requested at all, and the dataset still says its link is bad-url."""
    with hostile_server() as server, app_with_key(tmp_path) as (client, _key):
        source = serve_catalog(server, "ckan", secret.links())
        settings = client.app.state.settings  # type: ignore[attr-defined]
        run_id = create_run(
            client.app.state.repo,  # type: ignore[attr-defined]
            source,
            kind="ckan",
            metadata_only=True,
            check_links=False,
        )
        execute_run(client.app.state.repo, settings, run_id)  # type: ignore[attr-defined]
        datasets, readable = everything_readable(client, run_id)
    assert secret.marker not in readable
    assert {d["key"]: d["error_code"] for d in datasets} == dict.fromkeys(secret.links(), "bad-url")


@pytest.mark.parametrize(
    "source",
    [
        "HTTPS://../../../../{secret_dir}",
        "Https://../{secret_dir}",
        "hTtP://..{secret_dir}",
        "file://{secret_dir}",
        "{secret_dir}",
        "../../../../../../../..{secret_dir}",
        "https://localhost/catalog",
        "https://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_a_portal_key_cannot_name_a_local_source(tmp_path: Path, secret: Secret, source: str) -> None:
    """Neither through the API nor through the portal page's form: 400 ``invalid-source``, no
    run recorded, nothing read."""
    given = source.format(secret_dir=secret.file.parent)
    with app_with_key(tmp_path) as (client, key):
        r = client.post(
            "/api/v1/catalogs", json={"source": given, "kind": "auto", "portal": "hostile"}, headers=key
        )
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "invalid-source"
        folder = tmp_path / "portal"
        folder.mkdir()
        (folder / "a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
        settings = client.app.state.settings  # type: ignore[attr-defined]
        portals.score_directory(client.app.state.repo, settings, folder, "hostile")  # type: ignore[attr-defined]
        portal_id = client.get("/api/v1/portals").json()["portals"][0]["id"]
        web = client.post(
            f"/portals/{portal_id}/runs",
            data={"key": key["X-API-Key"], "source": given},
            follow_redirects=False,
        )
        assert web.status_code == 400, web.text
        runs = CatalogRuns(client.app.state.store)  # type: ignore[attr-defined]
        assert runs.unfinished_runs() == [] and runs.runs_by_status() == {}
    assert secret.marker not in r.text + web.text


def test_a_capital_scheme_url_is_fetched_as_a_url(tmp_path: Path, secret: Secret) -> None:
    """The scheme is case-insensitive both ways: ``HTTP://127.0.0.1…`` is harvested over HTTP."""
    with hostile_server() as server, app_with_key(tmp_path) as (client, key):
        source = serve_catalog(server, "datajson", {"only": f"{server.base}/data.csv"})
        server.routes["/data.csv"] = lambda q: (200, "text/csv", b"a,b\n1,2\n3,4\n")
        r = client.post(
            "/api/v1/catalogs",
            json={"source": source.replace("http://", "HTTP://"), "kind": "datajson", "portal": "hostile"},
            headers=key,
        )
        assert r.status_code == 202, r.text
        status = wait_done(client, r.json()["job_id"])
        datasets = client.get(f"/api/v1/jobs/{status['job_id']}/datasets").json()["datasets"]
    assert status["status"] == "done" and [d["status"] for d in datasets] == ["done"]
    assert "/data.json" in server.hits and "/data.csv" in server.hits


# -- local sources: the operator's, confined to their folder -----------------------------------


@pytest.fixture
def local_source(tmp_path: Path, secret: Secret) -> Path:
    """A folder with a good file, a symlink to the secret, and a manifest naming the good file,
    the symlink, ``../`` out of the folder, the secret's absolute path and a file: URI."""
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "good.csv").write_text("city,population\nLisbon,545000\nPorto,232000\n", encoding="utf-8")
    (folder / "leak.csv").symlink_to(secret.file)
    rel = os.path.relpath(secret.file, folder)
    (folder / "catalog.csv").write_text(
        "id,title,url,format\n"
        "good,Good,good.csv,CSV\n"
        "symlink,Symlink,leak.csv,CSV\n"
        f"dotdot,Dot dot,{rel},CSV\n"
        f"absolute,Absolute,{secret.file},CSV\n"
        f"uri,URI,{secret.file.as_uri()},CSV\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize("as_manifest", [True, False], ids=["manifest", "folder"])
def test_a_local_source_is_confined_to_its_folder(
    tmp_path: Path, secret: Secret, local_source: Path, as_manifest: bool
) -> None:
    source = str(local_source / "catalog.csv") if as_manifest else str(local_source)
    kind = "manifest" if as_manifest else "dir"
    with app_with_key(tmp_path) as (client, key):
        refused = client.post(
            "/api/v1/catalogs", json={"source": source, "kind": kind, "portal": "hostile"}, headers=key
        )
        assert refused.status_code == 400 and refused.json()["code"] == "invalid-source"
        r = client.post(
            "/api/v1/catalogs",
            json={"source": source, "kind": kind, "portal": "hostile"},
            headers={"X-API-Key": ADMIN},
        )
        assert r.status_code == 202, r.text
        status = wait_done(client, r.json()["job_id"])
        datasets, readable = everything_readable(client, status["job_id"])
    assert status["status"] == "done"
    codes = {d["key"]: d["error_code"] for d in datasets}
    if as_manifest:
        assert codes == {
            "good": None,
            "symlink": "bad-url",
            "dotdot": "bad-url",
            "absolute": "bad-url",
            "uri": "bad-url",
        }
    else:
        assert codes["good.csv"] is None and codes["leak.csv"] == "bad-url"
    assert secret.marker not in readable
    good = next(d for d in datasets if d["key"] in ("good", "good.csv"))
    assert good["status"] == "done" and good["report_id"]


def test_a_local_file_is_copied_under_the_download_cap(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "big.csv").write_bytes(b"a,b\n" + b"1,2\n" * 300_000)  # 1.2 MB, over the 1 MiB cap
    (folder / "small.csv").write_bytes(b"a,b\n1,2\n")
    settings = settings_for(tmp_path / "var")
    settings.data_dir.mkdir(parents=True)
    with Store.open(settings.db_path) as store:
        status = run_catalog(Repository(store), settings, str(folder), kind="dir")
        items = {i["key"]: i for i in CatalogRuns(store).items(status["job_id"])}
    assert items["big.csv"]["error_code"] == "too-large" and items["big.csv"]["status"] == "failed"
    assert items["small.csv"]["status"] == "done"
    stored = sum(p.stat().st_size for p in settings.blob_dir.rglob("*") if p.is_file())
    assert stored < 1024 * 1024  # the big file was never copied whole
