"""`hozen demo`, `hozen import` and `hozen generate`: data put into the database in bulk
(demonstration, a legacy system's files, synthetic)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hozen.cli.common import fail
from hozen.config import get_settings

demo_app = typer.Typer(help="Demonstration data", no_args_is_help=True)


@demo_app.command("load")
def demo_load(if_empty: Annotated[bool, typer.Option("--if-empty")] = False) -> None:
    """Load the demonstration data set (agencies, companies, people, one user per role)."""
    from hozen.db import unit_of_work
    from hozen.demo import DEMO_PASSWORD, enrol_second_factors, is_empty, load

    with unit_of_work() as session:
        if if_empty and not is_empty(session):
            typer.echo("database not empty; demo data not loaded")
            return
        users = load(session)
        # a second factor for every role but the subject's (development: see `demo code`)
        enrolled = enrol_second_factors(session) if get_settings().is_development else []
    typer.echo(f"demo data loaded; every demo user's password is {DEMO_PASSWORD!r}")
    for username, role in users:
        typer.echo(f"  {username:<22} {role}")
    if enrolled:
        typer.echo("sign-in codes: hozen demo code USER (every demo user but 'subject')")


@demo_app.command("code")
def demo_code(username: str) -> None:
    """Development only: print a demo user's current sign-in code (what their
    authenticator app would show)."""
    from hozen.accounts.mfa import current_code
    from hozen.db import unit_of_work
    from hozen.errors import ValidationFailed

    if not get_settings().is_development:
        fail("demo codes are for development only (HOZEN_ENV=development)", 2)
    try:
        with unit_of_work() as session:
            typer.echo(current_code(session, username))
    except ValidationFailed:
        fail(f"{username} has no second factor enrolled", 2)


def import_file(
        path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                             help="A CSV file (UTF-8) from a legacy system")],
        kind: Annotated[str, typer.Option(
            help="What the file holds: people, organisations or clearances")] = "people",
        batch: Annotated[int, typer.Option(min=1, help="Rows per transaction")] = 10_000,
        rejects: Annotated[Path | None, typer.Option(
            help="Write the rejected rows' report here (default: FILE.rejects.csv)")] = None,
) -> None:
    """Import people, organisations (with ownership) or clearances from a legacy system's
    CSV file: every row checked, batches written whole or not at all, the rejected rows
    reported by line and column. Running the same file again resumes after its last
    committed batch; a finished file imports nothing twice."""
    from hozen.accounts.actor import Actor
    from hozen.clearances.bulk import CLEARANCES
    from hozen.db import get_engine
    from hozen.errors import ValidationFailed
    from hozen.registry import bulk, importing
    from hozen.registry.bulk_orgs import ORGANISATIONS

    importers = {i.kind: i for i in (bulk.PEOPLE, ORGANISATIONS, CLEARANCES)}
    if kind not in importers:
        fail("--kind must be one of: " + ", ".join(importers), 2)
    with open(path, "rb") as fh:
        total = max(sum(1 for _ in fh) - 1, 0)
    engine = get_engine()
    try:
        with typer.progressbar(length=total, label="importing", file=sys.stderr) as bar:
            result = importing.run_import(engine, path, importers[kind],
                                          actor=Actor.system("import"), batch=batch,
                                          progress=bar.update)
    except ValidationFailed as exc:
        fail("the file was refused: " + ", ".join(f"{f} {c}" for f, c in exc.errors), 2)
    if result.already_done:
        typer.echo(f"already imported (job {result.job_id}): nothing written")
    elif result.resumed_at_row:
        typer.echo(f"resumed after row {result.resumed_at_row}")
    report = rejects or path.with_name(path.name + ".rejects.csv")
    if result.rejected:
        report.write_text(importing.rejects_csv(engine, result.job_id), encoding="utf-8")
    typer.echo(f"rows {result.rows}, imported {result.imported}, rejected {result.rejected}"
               + (f" (report: {report})" if result.rejected else ""))


def generate(
        people: Annotated[int, typer.Option(min=0, help="People to create")] = 1_000,
        orgs: Annotated[int, typer.Option(min=10, help="Organisations to create")] = 100,
        items: Annotated[int, typer.Option(min=0, help="Information items to create")] = 1_000,
        seed: Annotated[int, typer.Option(help="The same seed gives the same data")] = 1,
        as_of: Annotated[str | None, typer.Option(
            help="The day the data describe (YYYY-MM-DD); default today")] = None,
        batch: Annotated[int, typer.Option(
            min=1, help="People (in whole blocks of 1,000) or items per transaction")] = 5_000,
) -> None:
    """Fill an EMPTY database with a realistic synthetic data set (organisations and
    their ownership, certifications, programmes, designations and items, people with
    cases, clearances and visits), streamed batch by batch. The same seed, sizes and
    --as-of give the same data, ids included. A database holding any organisation,
    person or user is refused: nothing is ever mixed in or overwritten (an interrupted
    run keeps the batches it committed: generate again into a fresh database)."""
    from datetime import date

    from hozen.accounts.actor import Actor
    from hozen.db import get_engine
    from hozen.errors import DomainError
    from hozen.synth.run import generate as run

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail("--as-of: expected YYYY-MM-DD", 2)
    try:
        with typer.progressbar(length=people + items, label="generating",
                               file=sys.stderr) as bar:
            summary = run(get_engine(), people=people, orgs=orgs, items=items, seed=seed,
                          as_of=day, batch=batch, actor=Actor.system("generate"),
                          progress=bar.update)
    except DomainError as exc:
        fail(f"refused: {exc.field}: {exc.message}", 2)
    typer.echo(f"generated (seed {seed}, as of {summary.as_of}) in {summary.batches} "
               "batches:")
    for table, n in sorted(summary.counts.items()):
        typer.echo(f"  {table:<24} {n:>10,}")
