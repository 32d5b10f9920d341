"""``odq catalog`` for catalog kinds (ckan, dcat, datajson, socrata, ods, manifest): a durable run
with a rich progress bar on the terminal, printed as text, JSON or DQV JSON-LD.

Unfinished runs of the same database are finished first (a run killed with SIGKILL resumes here).
When the database is held by a running server, the run still happens, in memory, and says that
nothing was stored.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer


def run_from_cli(
    source: str,
    *,
    kind: str,
    portal: str | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    metadata_only: bool,
    format: str,
    check_links: bool = True,
) -> None:
    from app.errors import AppError
    from app.jobs.executors import ExecutorUnavailable
    from app.services import catalogs
    from app.settings import Settings
    from app.storage.repository import Repository
    from app.storage.store import Store, StoreLocked

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    note = ""
    try:
        store = Store.open(settings.db_path)
    except StoreLocked:
        store = Store.open(":memory:")
        note = f"not stored: {settings.db_path} is in use by a running server (POST /api/v1/catalogs stores runs)"
    with store:
        repo = Repository(store)
        try:
            with _progress() as progress:
                same: dict[str, Any] | None = None
                for left in catalogs.resume_unfinished(repo, settings, progress=progress):
                    typer.echo(f"resumed unfinished run {left['job_id']}: {left['status']}", err=True)
                    if left["source"] == source.strip() and left["portal"] == portal:
                        same = left  # this very command was interrupted: its run is now finished
                status = same or catalogs.run_catalog(
                    repo,
                    settings,
                    source,
                    kind=kind,
                    portal=portal,
                    executor=executor,
                    workers=workers,
                    scheduler=scheduler,
                    metadata_only=metadata_only,
                    check_links=check_links,
                    progress=progress,
                )
        except ExecutorUnavailable as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
        except AppError as exc:
            typer.echo(f"Error: {exc.message}", err=True)
            raise typer.Exit(2) from None
        run_id = status["job_id"]
        if format == "json":
            out = {**status, "datasets": catalogs.run_items(repo, run_id)}
            sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")
        elif format == "dqv":
            from app.services.dqv import run_dqv

            sys.stdout.write(json.dumps(run_dqv(repo, run_id), ensure_ascii=False, indent=2) + "\n")
        else:
            sys.stdout.write(render_run(status, catalogs.run_items(repo, run_id)))
    if note:
        typer.echo(note, err=True)


def render_run(status: dict[str, Any], items: list[dict[str, Any]]) -> str:
    c = status["counts"]
    lines = [
        f"catalog {status['source']}  ({status['catalog_kind']}, executor {status['executor']})  —  {status['status']}",
        f"  {c['total']} datasets: {c['done']} scored, {c['failed']} with a fatal finding, {c['pending']} pending"
        + (f"; {status['rate_per_minute']:.0f} datasets/min" if status.get("rate_per_minute") else ""),
    ]
    scores = [i["score"] for i in items if i["score"] is not None]
    if scores and status.get("metadata_only"):  # no content read: the scores are MQA scores
        lines.append(
            f"  metadata only (no content read): mean metadata score {sum(scores) / len(scores):.1f}"
            f" over {len(scores)} datasets"
        )
    elif scores:
        lines.append(f"  mean score {sum(scores) / len(scores):.1f} over {len(scores)} scored datasets")
    failed = [i for i in items if i["error_code"]]
    if failed:
        lines.append("")
        lines.append("  datasets without usable data:")
        for item in failed[:50]:
            where = f" ({item['http_status']})" if item["http_status"] else ""
            lines.append(
                f"  - {item['error_code']}{where}  {item['title'] or item['key']}  {item['url'] or ''}"
            )
        if len(failed) > 50:
            lines.append(f"  … and {len(failed) - 50} more")
    if status.get("portal_pass"):
        p = status["portal_pass"]
        lines.append("")
        lines.append(
            f"  portal {p['portal']}: score {p['score']}, {p['datasets']} datasets"
            + (f", depth {p['depth']}" if p.get("depth") else "")
            + f" ({p['seconds']} s pass)"
        )
    lines.append(f"  job {status['job_id']}")
    return "\n".join(lines) + "\n"


@contextmanager
def _progress() -> Iterator[Callable[[dict[str, Any]], None] | None]:
    """A rich progress bar on a terminal (nothing when stderr is not one)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("scoring datasets"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("catalog", total=None)

        def update(state: dict[str, Any]) -> None:
            bar.update(task, completed=state["finished"], total=state["total"])

        yield update
