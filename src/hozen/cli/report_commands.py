"""`hozen report`: the reports at the command line (hozen.reports.cli), and the
time-to-access table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hozen.cli.common import fail
from hozen.reports.cli import register

report_app = typer.Typer(help="Reports", no_args_is_help=True)


@report_app.command("time-to-access")
def report_time_to_access(
        fmt: Annotated[str | None, typer.Option("--format", "-f",
                                                help="json, csv or pdf (default: a table)")]
        = None,
        output: Annotated[Path | None, typer.Option("--output", "-o")] = None) -> None:
    """For every foreign visitor: hours and human steps from their government's assurance
    to their first permitted access (from the audit log)."""
    from statistics import median

    if fmt is not None:  # the same figures as every other report (hozen.reports)
        from hozen.reports.cli import run

        if fmt not in ("json", "csv", "pdf"):
            fail("--format must be json, csv or pdf", 2)
        run("time-to-access", fmt, output)
        return

    from hozen.accounts.actor import Actor
    from hozen.db import unit_of_work
    from hozen.reciprocity.report import time_to_access

    with unit_of_work() as session:
        rows = time_to_access(session, actor=Actor.system())
        typer.echo("assurance                             hours   steps  first access")
        for m in rows:
            hours = "-" if m.hours is None else f"{m.hours:.2f}"
            typer.echo(f"{m.assurance_id}  {hours:>6}  {m.human_steps:>5}  "
                       f"{m.first_access_at.isoformat() if m.first_access_at else 'not yet'}")
        done = [m for m in rows if m.hours is not None]
        if done:
            typer.echo(f"{len(done)} of {len(rows)} reached access: median "
                       f"{median(m.hours for m in done):.2f} h, at most "
                       f"{max(m.human_steps for m in done)} human steps")
        else:
            typer.echo(f"none of {len(rows)} visitors has reached access yet")


register(report_app)  # hozen report timeliness|burden|annual|due-dates
