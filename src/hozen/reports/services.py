"""One entry for every report by name: the API, the pages and the command line build
reports here, so a name means the same figures at every front door."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.errors import ValidationFailed
from hozen.reports.annual import annual
from hozen.reports.burden import burden
from hozen.reports.due_dates import due_dates
from hozen.reports.schemas import FORMATS, Report, ReportQuery
from hozen.reports.timeliness import time_to_access_report, timeliness

NAMES = ("timeliness", "burden", "annual", "due-dates", "time-to-access")
PERMISSIONS = {"timeliness": Permission.REPORTS_TIMELINESS_READ,
               "burden": Permission.REPORTS_BURDEN_READ,
               "annual": Permission.REPORTS_ANNUAL_READ,
               "due-dates": Permission.REPORTS_DUE_DATES_READ,
               "time-to-access": Permission.RECIPROCITY_REPORT_READ}


def check_choice(name: str, fmt: str) -> None:
    errors = []
    if name not in NAMES:
        errors.append(("name", "unknown_report"))
    if fmt not in FORMATS:
        errors.append(("format", "unknown_format"))
    if errors:
        raise ValidationFailed(errors)


def build_report(session: Session, name: str, query: ReportQuery, *, actor: Actor,
                 today: date, tables: Collection[str] | None = None) -> Report:
    """With `tables` (keys), a report may leave out the tables not named (the dashboard
    shows a few of each report's tables)."""
    check_choice(name, "json")
    if name == "timeliness":
        return timeliness(session, actor=actor, today=today, year=query.year,
                          regime=query.regime, target_days=query.target_days,
                          tables=tables)
    if name == "burden":
        return burden(session, actor=actor, year=query.year, tables=tables)
    if name == "time-to-access":
        return time_to_access_report(session, actor=actor, year=query.year)
    if name == "annual":
        return annual(session, actor=actor, year=query.year or today.year, tables=tables)
    return due_dates(session, actor=actor, today=today, horizon_days=query.horizon_days,
                     tables=tables)


def available(actor: Actor) -> list[str]:
    """The reports of the dashboard this actor may read (time to access has its own
    page, and its figures are part of timeliness)."""
    return [n for n in NAMES[:4] if actor.can(PERMISSIONS[n])]
