"""`hozen jobs`: the scheduled work, run from cron."""

from __future__ import annotations

from typing import Annotated

import typer

from hozen.cli.common import fail

jobs_app = typer.Typer(help="Scheduled work (run it from cron)", no_args_is_help=True)


@jobs_app.command("run")
def jobs_run(today: Annotated[str | None, typer.Option(
        help="Run as of this date (YYYY-MM-DD); default today")] = None) -> None:
    """Expire lapsed clearances, send expiry reminders, purge employer copies past
    retention, open due designation reviews and alert lapsed designations, expire facility
    certifications and remind before they end, e-mail queued notices."""
    from datetime import date, datetime

    from hozen.access import programmes
    from hozen.accounts import throttle
    from hozen.clearances.jobs import run_jobs
    from hozen.db import unit_of_work, utcnow
    from hozen.designations import jobs as designation_jobs
    from hozen.facilities import jobs as facility_jobs

    try:
        day = date.fromisoformat(today) if today else utcnow().date()
    except ValueError:
        fail("--today must be YYYY-MM-DD", 2)
    with unit_of_work() as session:
        designations = designation_jobs.run(session, day)  # first: its notices are e-mailed
        facilities = facility_jobs.run(session, day)
        follow_ups = programmes.remind_follow_ups(session, day, datetime.combine(
            day, utcnow().timetz()))
        report = run_jobs(session, day)
        pruned = throttle.prune(session)  # sign-in attempts older than their window
    typer.echo(f"expired {report.expired}, reminders {report.reminders}, "
               f"e-mails {report.emails}, employer copies purged {report.purged}")
    typer.echo(f"designation reviews opened {designations.reviews_opened}, "
               f"review reminders {designations.review_reminders}, "
               f"lapse alerts {designations.lapse_alerts}, "
               f"CUI reminders {designations.cui_reminders}")
    typer.echo(f"facility certifications expired {facilities.expired}, "
               f"expiry reminders {facilities.reminders}")
    typer.echo(f"departure follow-up reminders {follow_ups}")
    typer.echo(f"old sign-in attempts removed {pruned}")
