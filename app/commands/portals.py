"""``odq catalog`` (score a whole portal; ``--kind dir``: a folder of files) and ``odq portals``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer


class Kind(StrEnum):
    auto = "auto"
    dir = "dir"
    ckan = "ckan"
    dcat = "dcat"
    datajson = "datajson"
    socrata = "socrata"
    ods = "ods"
    manifest = "manifest"


class Format(StrEnum):
    text = "text"
    json = "json"
    dqv = "dqv"  # W3C DQV JSON-LD


def _run_dir(source: str, portal: str, repo: Any, settings: Any) -> dict[str, Any]:
    from app.services.portals import score_directory

    return score_directory(repo, settings, Path(source), portal)


HANDLERS: dict[Kind, Callable[[str, str, Any, Any], dict[str, Any]]] = {Kind.dir: _run_dir}
"""What runs each --kind: (source, portal, repo, settings) → the portal report. Catalog kinds
(ckan, dcat, …) are added here when their harvesting service is wired."""


def _resolve_kind(kind: Kind, source: str) -> Kind:
    if kind is Kind.auto and Path(source).is_dir():
        return Kind.dir
    return kind


def catalog(
    source: Annotated[
        str,
        typer.Argument(
            help="A folder of files (each file one dataset) or a catalog URL/file.", metavar="SOURCE"
        ),
    ],
    kind: Annotated[Kind, typer.Option("--kind", help="What SOURCE is; auto: a folder is dir.")] = Kind.auto,
    portal: Annotated[
        str | None,
        typer.Option("--portal", help="Portal name the datasets belong to [default: the folder name]."),
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    executor: Annotated[
        str, typer.Option("--executor", help="Where datasets are scored: inline, process (a pool) or dask.")
    ] = "inline",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes (default: one per CPU, at most ODQ_CATALOG_WORKERS; never above ODQ_CATALOG_WORKERS_MAX).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786) for --executor dask."),
    ] = None,
    metadata_only: Annotated[
        bool, typer.Option("--metadata-only", help="Score metadata and link status; download no data.")
    ] = False,
    link_check: Annotated[
        bool,
        typer.Option(
            "--link-check/--no-link-check",
            help="With --metadata-only: HEAD each dataset's link (--no-link-check: no request per dataset).",
        ),
    ] = True,
) -> None:
    """Score a whole portal: every dataset, then cross-dataset duplicates, revisions and split series,
    portal scores and rank. Re-running updates the portal and keeps its score history."""
    from app.settings import Settings
    from app.storage.repository import Repository
    from app.storage.store import Store, StoreLocked

    resolved = _resolve_kind(kind, source)
    if resolved is not Kind.dir:  # catalog kinds: a durable run (app.services.catalogs)
        if executor not in ("inline", "process", "dask"):
            typer.echo(f"Error: --executor must be inline, process or dask, not {executor!r}.", err=True)
            raise typer.Exit(2)
        from app.jobs.cli import run_from_cli

        run_from_cli(
            source,
            kind=resolved.value,
            portal=portal,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            metadata_only=metadata_only,
            check_links=link_check,
            format=format.value,
        )
        return
    handler = HANDLERS.get(resolved)
    if handler is None:
        typer.echo(f"Error: --kind {resolved.value} is not available in this build.", err=True)
        raise typer.Exit(2)
    if resolved is Kind.dir and not Path(source).is_dir():
        typer.echo(f"Error: {source} is not a folder.", err=True)
        raise typer.Exit(2)
    name = portal or Path(source.rstrip("/")).name or "portal"
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = Store.open(settings.db_path)
    except StoreLocked:
        typer.echo(f"Error: {settings.db_path} is in use by a running server.", err=True)
        raise typer.Exit(2) from None
    with store:
        report = handler(source, name, Repository(store), settings)
    if format is Format.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    elif format is Format.dqv:
        from app.services.dqv import portal_dqv

        sys.stdout.write(json.dumps(portal_dqv(report), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_portal(report))


class Depth(StrEnum):
    metadata_only = "metadata-only"
    links_checked = "links-checked"
    content = "content"


def portals(
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    depth: Annotated[
        Depth | None,
        typer.Option("--depth", help="Only the portals assessed at this depth.", show_default=False),
    ] = None,
) -> None:
    """Rank the scored portals like with like: by depth of assessment (content, links checked,
    metadata only), then latest score (band, datasets, change since the previous run)."""
    from app.services.portals import list_portals
    from app.settings import Settings
    from app.storage.repository import Repository
    from app.storage.store import Store, StoreLocked

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = Store.open(settings.db_path)
    except StoreLocked:
        typer.echo(
            f"Error: {settings.db_path} is in use by a running server; use GET /api/v1/portals.", err=True
        )
        raise typer.Exit(2) from None
    with store:
        rows = list_portals(Repository(store), None if depth is None else depth.value)
    if format is Format.json:
        sys.stdout.write(json.dumps({"portals": rows}, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        sys.stdout.write("no scored portals yet (odq catalog FOLDER --kind dir --portal NAME)\n")
        return
    shown = None
    for r in rows:
        if r["depth"] != shown:  # one ranking per depth: like is ranked with like
            shown = r["depth"]
            sys.stdout.write(
                f"{'' if r is rows[0] else chr(10)}depth {shown}\n"
                f"{'rank':>4}  {'score':>6}  {'band':<10}  {'datasets':>8}  {'change':>7}  portal\n"
            )
        change = "" if r["previous_score"] is None else f"{r['score'] - r['previous_score']:+.1f}"
        sys.stdout.write(
            f"{r['rank']:>4}  {r['score']:>6.1f}  {r['band']:<10}  {r['datasets']:>8}  {change:>7}  {r['name']}\n"
        )


def _depth_line(report: dict[str, Any]) -> str:
    depth = report.get("depth") or {}
    level = depth.get("level") or "content"
    line = f"  depth {level}"
    if level == "content":
        line += f": content of {depth.get('read', '?')} of {depth.get('datasets', '?')} datasets read"
    else:
        line += ": content dimensions not assessed"
    low = (report.get("indicators") or {}).get("low_capacity_share") or {}
    if low.get("value") is not None:
        line += (
            f"; low-capacity {low['value'] * 100:.1f}% ({low.get('measured', 0)} measured, "
            f"{low.get('declared', 0)} declared)"
        )
    return line


def render_portal(report: dict[str, Any]) -> str:
    """A readable summary of a portal report."""
    p = report["portal"]
    out = [
        f"portal {p['name']}  —  score {report['score']:.1f}/100  {report['band']}  "
        f"(rank {report.get('rank')} of {report.get('portals_ranked')})",
        _depth_line(report),
        f"  {len(report['datasets'])} datasets; bands "
        + ", ".join(f"{k} {v}" for k, v in report["bands"].items())
        + f"; fragmentation index {report['fragmentation_index']:.2f}",
        "",
        "  dimension        score  datasets mean",
    ]
    for key, d in report["dimensions"].items():
        out.append(f"  {key:<15} {d['score']:>6.1f}  {d['datasets_mean']:>13.1f}")
    out.append("")
    out.append(f"  {len(report['findings'])} portal finding(s):")
    for f in report["findings"]:
        out.append(
            f"  - {f['code']} [{f['dimension']}] ×{f['count']} ({f['share'] * 100:.1f}%), −{f['points_lost']:.1f} pts"
        )
        for g in f.get("groups", [])[:5]:
            out.append(f"      {' ↔ '.join(g[:6])}{' …' if len(g) > 6 else ''}")
    out.append("")
    out.append(f"  {len(report['clusters'])} cluster(s):")
    for c in report["clusters"]:
        extra = ""
        if c["kind"] == "series":
            extra = f" split by {c['split_by']}" + (", schema drift" if c["schema_drift"] else "")
            merge = c["suggested_merge"]
            extra += f"; merge into one table of {merge['rows']} rows (replaces {merge['replaces']})"
        out.append(f"  - {c['kind']} ×{c['size']}{extra}")
    history = report.get("history") or []
    if len(history) > 1:
        out.append("")
        out.append("  history: " + ", ".join(f"{at[:10]} {s:.1f}" for at, s in history[-6:]))
    return "\n".join(out) + "\n"


def register(app: typer.Typer) -> None:
    app.command("catalog")(catalog)
    app.command("portals")(portals)
