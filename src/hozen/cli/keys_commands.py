"""`hozen keys`: create the key file; rotate the keys with the service running."""

from __future__ import annotations

from typing import Annotated

import typer

from hozen.cli.common import fail
from hozen.config import get_settings

keys_app = typer.Typer(help="Encryption keys", no_args_is_help=True)


@keys_app.command("init")
def keys_init() -> None:
    """Create the key file (mode 0600) if it does not exist."""
    from hozen.crypto import create_key_file

    path = get_settings().key_file
    if path.exists():
        fail(f"{path} exists; not overwritten")
    create_key_file(path)
    typer.echo(f"created {path}")


@keys_app.command("rotate")
def keys_rotate(
        batch: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
        max_batches: Annotated[int | None, typer.Option(min=1)] = None,
        settle: Annotated[float, typer.Option(min=0, help="seconds for requests begun "
                                              "under the old key file to end")] = 30.0,
        keep: Annotated[bool, typer.Option("--keep/--no-keep")] = True,
        add_only: Annotated[bool, typer.Option("--add-only")] = False,
        status: Annotated[bool, typer.Option("--status")] = False) -> None:
    """Re-encrypt all personal data under a new key set and rebuild the search index
    under its index key, with the service running; run again to resume. Exit 3: stopped
    by --max-batches (or --add-only) before the end."""
    import json

    from hozen.accounts.actor import Actor
    from hozen.db import get_engine, unit_of_work
    from hozen.keyrotation import RotationError, rotate
    from hozen.keyrotation import status as rotation_status

    path = get_settings().key_file
    if status:
        with unit_of_work() as session:
            typer.echo(json.dumps(rotation_status(session, path), indent=1))
        return
    try:
        out = rotate(get_engine(), path, actor=Actor.system(), batch=batch,
                     max_batches=max_batches, settle=settle, keep=keep, add_only=add_only)
    except RotationError as exc:
        fail(f"rotation not finished: {exc}")
    if out.step != "done":
        typer.echo(f"key set {out.key_id} added; run again to continue" if out.step == "added"
                   else f"stopped after {max_batches} batches; run again to resume")
        raise typer.Exit(3)
    kept = f"; old key file kept at {out.kept}" if out.kept else ""
    typer.echo(f"rotation complete: key set {out.key_id} active, retired "
               f"{', '.join(out.retired) or 'none'}, {out.tokens_deleted} old index tokens "
               f"deleted{kept}")
