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
        typer.Argument(help="A new or empty folder for the export.", metavar="DIR", show_default=False),
    ],
) -> None:
    """Export the database under ODQ_DATA_DIR (every table as Parquet, one consistent snapshot) and
    its files (blobs), with a manifest of their sha256."""
    from app.settings import Settings
    from app.storage.backup import Backup, BackupError
    from app.storage.store import Store, StoreLocked

    settings = Settings()
    if not settings.db_path.is_file():
        typer.echo(f"Error: there is no database at {settings.db_path}.", err=True)
        raise typer.Exit(2)
    try:
        with Store(settings.db_path) as store:
            summary = Backup(store).export(directory, settings.blob_dir)
    except StoreLocked:
        typer.echo(f"Error: {settings.db_path} is in use by a running server; stop it first.", err=True)
        raise typer.Exit(2) from None
    except BackupError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"exported {len(summary.tables)} table(s), {summary.rows:,} row(s) and {len(summary.blobs)} file(s) "
        f"({summary.blob_bytes:,} bytes) to {directory}"
    )


def import_(
    directory: Annotated[
        Path, typer.Argument(help="A folder written by `odq export`.", metavar="DIR", show_default=False)
    ],
) -> None:
    """Restore an export into the (empty) data folder ODQ_DATA_DIR; every file is checked first,
    the tables are built by this version's migrations; all or nothing."""
    from app.settings import Settings
    from app.storage.backup import BackupError, import_database
    from app.storage.store import StoreLocked

    settings = Settings()
    try:
        summary = import_database(settings.db_path, directory, settings.blob_dir)
    except StoreLocked:
        typer.echo(f"Error: {settings.db_path} is in use by a running server; stop it first.", err=True)
        raise typer.Exit(2) from None
    except BackupError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"imported {len(summary.tables)} table(s), {summary.rows:,} row(s) and {len(summary.blobs)} file(s) "
        f"into {settings.data_dir}"
    )
