"""`hozen report <name> --format csv|pdf|json`: every report at the command line, written
to a file or standard output, with a progress bar on standard error for long runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

Format = Annotated[Literal["json", "csv", "pdf"], typer.Option("--format", "-f")]
Output = Annotated[Path | None, typer.Option("--output", "-o",
                                             help="Write here (default: standard output)")]
Year = Annotated[int | None, typer.Option(min=2000, max=2100)]


def run(name: str, fmt: str, output: Path | None, **query) -> None:
    """Build one report as the system actor (a local operator) and write it."""
    from hozen.accounts.actor import Actor
    from hozen.config import get_settings
    from hozen.db import unit_of_work, utcnow
    from hozen.errors import DomainError, validate
    from hozen.reports.exports import export
    from hozen.reports.schemas import ReportQuery
    from hozen.reports.services import build_report
    from hozen.web.i18n import translations

    if fmt == "pdf" and output is None and sys.stdout.isatty():
        typer.echo("a PDF goes to a file: add --output FILE", err=True)
        raise typer.Exit(2)
    gettext = translations(get_settings().language).gettext
    try:
        with unit_of_work() as session:
            with typer.progressbar(length=1, label=f"{name}: querying", file=sys.stderr,
                                   show_eta=False) as bar:
                report = build_report(session, name, validate(ReportQuery, query),
                                      actor=Actor.system(), today=utcnow().date())
                bar.update(1)
            session.rollback()
        steps = len(report.tables) if fmt == "pdf" else 1
        with typer.progressbar(length=steps, label=f"{name}: writing {fmt}",
                               file=sys.stderr) as bar:
            body = export(report, fmt, gettext, tick=lambda: bar.update(1))
            if fmt != "pdf":
                bar.update(1)
    except DomainError as exc:
        typer.echo(f"error: {exc.field}: {exc.message}", err=True)
        raise typer.Exit(2) from None
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        output.write_bytes(body)
        typer.echo(f"wrote {output} ({len(body)} bytes)", err=True)


def register(app: typer.Typer) -> None:
    """Add one command per report to `hozen report`."""

    @app.command("timeliness")
    def timeliness(fmt: Format = "json", output: Output = None, year: Year = None,
                   regime: Annotated[str | None, typer.Option()] = None,
                   target_days: Annotated[int, typer.Option(min=1, max=3650)] = 60) -> None:
        """Days per regime and phase, share within the target, backlog, trends."""
        run("timeliness", fmt, output, year=year, regime=regime, target_days=target_days)

    @app.command("burden")
    def burden(fmt: Format = "json", output: Output = None, year: Year = None) -> None:
        """Hours, fees and allowances per organisation, sector and year (R12)."""
        run("burden", fmt, output, year=year)

    @app.command("annual")
    def annual(fmt: Format = "json", output: Output = None, year: Year = None) -> None:
        """The yearly report to the Diet (default: this year)."""
        run("annual", fmt, output, year=year)

    @app.command("due-dates")
    def due_dates(fmt: Format = "json", output: Output = None,
                  horizon_days: Annotated[int, typer.Option(min=1, max=3650)] = 180) -> None:
        """Clearances, certifications, reviews and terms falling due."""
        run("due-dates", fmt, output, horizon_days=horizon_days)

    @app.command("rebuild-summaries")
    def rebuild_summaries() -> None:
        """Count every case's phases and every burden record and allowance again into
        the dashboard's summaries (they are kept in step as cases change; this repairs
        them after writes that bypassed the app)."""
        from hozen.db import unit_of_work
        from hozen.reports import burden_totals, summaries

        with unit_of_work() as session:
            rows = summaries.rebuild(session.connection())
            totals = burden_totals.rebuild(session.connection())
        typer.echo(f"phase counts rebuilt: {rows} rows; burden totals rebuilt: {totals} rows")
