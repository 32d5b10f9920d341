"""The ``odq`` command."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

PROGRESS_BYTES = 20 * 1024 * 1024

app = typer.Typer(
    name="odq",
    help="ODQ: score open government data for the faults evaluations find (fragmented, duplicated, invalid).",
    no_args_is_help=True,
    add_completion=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"
    dqv = "dqv"  # W3C DQV JSON-LD


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: ODQ_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: ODQ_PORT or 8000].")] = None,
) -> None:
    """Serve the API (and OpenAPI docs at /docs) on the embedded DuckDB database."""
    import uvicorn

    from app.main import create_app
    from app.observability import log_config
    from app.settings import Settings

    settings = Settings()
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    # On SIGTERM/SIGINT uvicorn stops accepting connections and lets requests in flight finish
    # before the lifespan closes the database.
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        workers=1,  # DuckDB allows one writing process
        # X-Forwarded-For only from ODQ_TRUSTED_PROXIES (uvicorn would trust 127.0.0.1 by default,
        # so any local client could pick the address its rate limit is counted under).
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies),
        log_level=settings.log_level.lower(),
        log_config=log_config(settings.log_level, settings.log_json),
        access_log=False,  # odq.access writes one line per request, with its request id
        timeout_graceful_shutdown=int(max(1, settings.shutdown_seconds)),  # then the score jobs' own wait
    )


@app.command()
def score(
    path: Annotated[
        str,
        typer.Argument(
            help="The data file to score, or an http(s) URL to fetch (through the SSRF guard) and score.",
            show_default=False,
            metavar="PATH_OR_URL",
        ),
    ],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    fail_under: Annotated[
        float, typer.Option(help="Exit 1 when the score is below this (0–100).", min=0, max=100)
    ] = 0.0,
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="Keep the report in the database under ODQ_DATA_DIR.")
    ] = True,
    expectations: Annotated[
        Path | None,
        typer.Option(
            "--expectations",
            help="A Great Expectations suite (JSON, GX 1.x or 0.x) to run on the data.",
            metavar="SUITE.json",
            show_default=False,
        ),
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option(
            "--schema",
            help="A Frictionless Table Schema, or a datapackage.json describing the file, to check the data against.",
            metavar="SCHEMA.json",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score one data file. Exit 0 when the score is at least --fail-under, 1 below it, 2 on usage errors."""
    from app.ingest.fetch import is_url
    from app.settings import Settings

    settings = Settings()
    if is_url(path):
        if expectations is not None or schema is not None:
            typer.echo("Error: --expectations and --schema apply to files, not URLs (yet).", err=True)
            raise typer.Exit(2)
        report, note = _score_url(path, store, settings)
    else:
        file = Path(path)
        if not file.is_file():
            typer.echo(f"Error: {path} is not a file.", err=True)
            raise typer.Exit(2)
        rules = _declared_rules(expectations, schema, file.name)
        with _progress(file):
            report, note = _score(file, store, settings, rules)
    if format is Format.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    elif format is Format.dqv:
        from app.services.dqv import report_dqv

        sys.stdout.write(json.dumps(report_dqv(report), ensure_ascii=False, indent=2) + "\n")
    else:
        from app.services.text import render_text

        sys.stdout.write(render_text(report))
    if note:
        typer.echo(note, err=True)
    raise typer.Exit(1 if report["score"] < fail_under else 0)


def _score_url(url: str, store: bool, settings: Any) -> tuple[dict[str, Any], str]:
    """Fetch and score a URL (app.services.urls); a refused URL exits 2 with the reason."""
    from app.errors import AppError
    from app.services.urls import score_url
    from app.storage.repository import Repository
    from app.storage.store import Store, StoreLocked

    note = ""
    try:
        if store:
            try:
                db = Store.open(settings.db_path)
            except StoreLocked:
                db = None
                note = f"not stored: {settings.db_path} is in use by a running server"
            if db is not None:
                with db:
                    return score_url(url, settings, Repository(db)).report, note
        return score_url(url, settings, None).report, note
    except AppError as exc:
        typer.echo(f"Error: {exc.message} ({exc.code})", err=True)
        raise typer.Exit(2) from None


def _declared_rules(expectations: Path | None, schema: Path | None, data_name: str) -> dict[str, Any]:
    """The parsed --expectations suite and --schema (exit 2 with the reason when unusable)."""
    from app.errors import AppError
    from app.services import expectations as declared

    rules: dict[str, Any] = {}
    try:
        for option, given in (("--expectations", expectations), ("--schema", schema)):
            if given is not None and not given.is_file():
                raise AppError(f"{option}: {given} is not a file.", code="not-a-file")
        if expectations is not None:
            rules["suite"] = declared.read_suite(expectations.read_bytes())
        if schema is not None:
            rules["schema"] = declared.read_schema(schema.read_bytes(), data_name, base_dir=schema.parent)
    except AppError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    return rules


def _score(
    path: Path, store: bool, settings: Any, rules: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str]:
    from functools import partial

    from app.ingest.blobs import store_file
    from app.services.scoring import score_blob, score_file
    from app.storage.repository import Repository
    from app.storage.store import Store, StoreLocked

    report: dict[str, Any]
    note = ""
    if store:
        try:
            db = Store.open(settings.db_path)
        except StoreLocked:
            db = None
            note = f"not stored: {settings.db_path} is in use by a running server"
        if db is not None:
            with db:
                blob = store_file(path, settings.blob_dir, limit=1 << 62)  # local files: no upload limit
                repo = Repository(db)
                report = score_blob(
                    blob, path.name, repo, store_rows=settings.store_rows, **(rules or {})
                ).report
        else:
            report = _score_unstored(path, partial(score_file, **(rules or {})))
    else:
        report = _score_unstored(path, partial(score_file, **(rules or {})))
    return report, note


@contextmanager
def _progress(path: Path) -> Iterator[None]:
    """A spinner on the terminal while a large file is scored (nothing when piped)."""
    size = path.stat().st_size
    if not sys.stderr.isatty() or size < PROGRESS_BYTES:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"Scoring {path.name} ({size / 1024 / 1024:.0f} MB)…"):
        yield


def _score_unstored(path: Path, score_file: Any) -> dict[str, Any]:
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    def digest() -> str:
        # hashlib releases the GIL on large buffers: hashing overlaps with reading the table.
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()

    with ThreadPoolExecutor(max_workers=1) as pool:
        sha256 = pool.submit(digest)
        result: dict[str, Any] = score_file(path, path.name, "")
        result["source"]["sha256"] = sha256.result()
    return result


@app.command()
def migrate(
    list_: Annotated[
        bool, typer.Option("--list", help="Only list migrations and whether each is applied.")
    ] = False,
) -> None:
    """Apply pending database migrations (or list them with --list, which only reads)."""
    from app.settings import Settings
    from app.storage import migrate as migrations
    from app.storage.store import Store, StoreLocked

    settings = Settings()
    try:
        if list_:
            for st in migrations.status(settings.db_path):
                when = st.applied_at.isoformat(timespec="seconds") if st.applied_at else "pending"
                typer.echo(f"{st.version:04d}_{st.name}  {when}")
            return
        with Store(settings.db_path) as db:
            done = db.migrate()
    except StoreLocked:
        typer.echo(f"Error: {settings.db_path} is in use by another process (a running server?).", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"applied {len(done)} migration(s)" + "".join(f"\n  {m.filename}" for m in done))


# Further commands live one module per area under app/commands; each has register(app).
_COMMAND_MODULES: tuple[str, ...] = ("keys", "backup", "portals", "rescore")


def _register_commands() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(f"app.commands.{name}").register(app)


_register_commands()


def main() -> None:
    app()
