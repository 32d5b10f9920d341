"""``odq rescore``: score every stored report made by other scoring rules again."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("rescore")(rescore)


def rescore() -> None:
    """Re-score every stored report made by another scoring version or other weights, from its stored
    bytes; old reports stay as history, and the portals that used them are assessed again."""
    from app.ingest.sandbox import limits_from
    from app.services.rescore import rescore_all
    from app.settings import Settings
    from app.storage.repository import Repository
    from app.storage.store import Store, StoreLocked
    from scoring import SCORING_VERSION

    settings = Settings()
    if not settings.db_path.is_file():
        typer.echo(f"Error: there is no database at {settings.db_path}.", err=True)
        raise typer.Exit(2)
    try:
        with Store(settings.db_path) as store:
            done = rescore_all(Repository(store), limits=limits_from(settings))
    except StoreLocked:
        typer.echo(f"Error: {settings.db_path} is in use by a running server; stop it first.", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"{done.stale} report(s) made by other rules; {done.rescored} re-scored under version {SCORING_VERSION}, "
        f"{len(done.kept)} kept as they were (bytes gone or declared rules not kept); "
        f"{len(done.portals)} portal(s) assessed again"
    )
