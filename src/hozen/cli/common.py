"""What the `hozen` command modules share."""

from __future__ import annotations

from typing import NoReturn

import typer


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` on standard error and exit with `code`."""
    typer.echo(message, err=True)
    raise typer.Exit(code)
