"""``odq export DIR`` and ``odq import DIR``: the database as Parquet files, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_)


def export(
    directory: Annotated[
        Path,
        typer.Argument(
            help="A new or empty folder for the Parquet files.", metavar="DIR", show_default=False
        ),
    ],
) -> None:
    """Export every table of the database under ODQ_DATA_DIR to Parquet (one consistent snapshot)."""
    from app.settings import Settings
    from app.storage.backup import Backup, BackupError
    from app.storage.store import Store, StoreLocked

    settings = Settings()
    if not settings.db_path.is_file():
        typer.echo(f"Error: there is no database at {settings.db_path}.", err=True)
        raise typer.Exit(2)
    try:
        with Store(settings.db_path) as store:
            summary = Backup(store).export(directory)
    except StoreLocked:
        typer.echo(f"Error: {settings.db_path} is in use by a running server; stop it first.", err=True)
        raise typer.Exit(2) from None
    except BackupError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"exported {len(summary.tables)} table(s), {summary.rows:,} row(s) to {directory}")


def import_(
    directory: Annotated[
        Path, typer.Argument(help="A folder written by `odq export`.", metavar="DIR", show_default=False)
    ],
) -> None:
    """Restore an export into the (empty) database under ODQ_DATA_DIR; all or nothing."""
    from app.settings import Settings
    from app.storage.backup import BackupError, import_database
    from app.storage.store import StoreLocked

    settings = Settings()
    try:
        summary = import_database(settings.db_path, directory)
    except StoreLocked:
        typer.echo(f"Error: {settings.db_path} is in use by a running server; stop it first.", err=True)
        raise typer.Exit(2) from None
    except BackupError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"imported {len(summary.tables)} table(s), {summary.rows:,} row(s) into {settings.db_path}")
