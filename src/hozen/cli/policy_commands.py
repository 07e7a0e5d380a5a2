"""`hozen policy`: the access policy, exported for review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

policy_app = typer.Typer(help="The access policy", no_args_is_help=True)


@policy_app.command("export-cedar")
def policy_export_cedar(directory: Annotated[Path, typer.Argument(
        help="Where to write hozen.cedar and hozen.cedarschema")] = Path("cedar")) -> None:
    """Write the access decision as a Cedar policy set and schema, for review in Cedar's
    own tools (the test suite checks hozen's decisions against it)."""
    from hozen.access import cedar

    for path in cedar.export(directory):
        typer.echo(str(path))
