"""``odq keys``: create, list and revoke the API keys portals write with."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from app.storage.keys import KeyRepository

keys_app = typer.Typer(
    name="keys",
    help="Manage the API keys portals write with (only a hash of each key is stored).",
    no_args_is_help=True,
)


class ListFormat(StrEnum):
    text = "text"
    json = "json"


@contextmanager
def _keys() -> Iterator[KeyRepository]:
    from app.settings import Settings
    from app.storage.keys import KeyRepository
    from app.storage.store import Store, StoreLocked

    settings = Settings()
    try:
        store = Store.open(settings.db_path)
    except StoreLocked:
        typer.echo(
            f"Error: {settings.db_path} is in use by a running server; manage keys through its API "
            "(/api/v1/keys, with ODQ_ADMIN_TOKEN) or stop it first.",
            err=True,
        )
        raise typer.Exit(2) from None
    with store:
        yield KeyRepository(store)


@keys_app.command("create")
def create(
    portal: Annotated[
        str, typer.Option("--portal", help="The portal the key may write to.", show_default=False)
    ],
    label: Annotated[str | None, typer.Option(help="What the key is for (shown in lists).")] = None,
) -> None:
    """Create a key for a portal and print it once (it cannot be shown again)."""
    from app.storage.keys import valid_portal

    if not valid_portal(portal):
        typer.echo(
            f"Error: invalid portal name {portal!r} (letters, digits, '.', '_', '-'; up to 100 characters).",
            err=True,
        )
        raise typer.Exit(2)
    with _keys() as keys:
        record, key = keys.create(portal, label)
    sys.stdout.write(key + "\n")
    typer.echo(
        f"created {record.id} for portal {portal!r}. Store the key now: only its hash is kept, "
        "it cannot be shown again.",
        err=True,
    )


@keys_app.command("list")
def list_keys(
    portal: Annotated[str | None, typer.Option(help="Only this portal's keys.")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
) -> None:
    """List keys (id, portal, prefix, created, last used, revoked); never the keys themselves."""
    with _keys() as keys:
        records = keys.list(portal)
    if format is ListFormat.json:
        sys.stdout.write(json.dumps([r.to_dict() for r in records], ensure_ascii=False, indent=2) + "\n")
        return
    if not records:
        typer.echo("no keys")
        return
    for r in records:
        d = r.to_dict()
        state = f"revoked {d['revoked_at']}" if r.revoked else "active"
        typer.echo(
            f"{r.id}  {r.portal}  {r.prefix}…  created {d['created_at']}  "
            f"last used {d['last_used_at'] or 'never'}  {state}" + (f"  ({r.label})" if r.label else "")
        )


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="Id of the key (from odq keys list).", metavar="ID")],
) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    with _keys() as keys:
        record = keys.revoke(key_id)
    if record is None:
        typer.echo(f"Error: no key with id {key_id!r}.", err=True)
        raise typer.Exit(2)
    typer.echo(f"revoked {record.id} of portal {record.portal!r}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
