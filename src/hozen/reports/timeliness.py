"""Timeliness (issue 9 item 1): per regime and phase of the suitability assessment, the
median and 90th-percentile days and the share within the policy target (default 60 days,
the US goal for initial cases); the backlog by age; trends per month; designation reviews
on time; foreign visitors' time to access.

Phases come from the case's own timestamps: consent (listed → consented), questionnaire
(consented → submitted), investigation (opened → completed, not for a reused one),
adjudication (investigation completed, or submitted when reused → decided) and end to end
(submitted → decided: the government's part, which the target measures)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.clearances.models import ClearanceCase, Investigation
from hozen.clearances.rules import CaseState
from hozen.designations.models import Review
from hozen.messages import N_
from hozen.reciprocity.report import time_to_access
from hozen.reports.phase_figures import phase_stats
from hozen.reports.phases import DECIDED
from hozen.reports.rules import (
    AGE_BANDS,
    Summary,
    band_label,
    band_limits,
    days,
    in_year,
    month,
)
from hozen.reports.schemas import Chart, Label, Report, Table
from hozen.reports.sql import epoch, month_of

PHASES = (("consent", N_("Consent stage")), ("questionnaire", N_("Questionnaire")),
          ("investigation", N_("Investigation")), ("adjudication", N_("Adjudication")),
          ("end_to_end", N_("End to end")))
WAITING = (CaseState.SUBMITTED, CaseState.INVESTIGATION, CaseState.ADJUDICATION)
STATS = [("count", N_("Cases")), ("median_days", N_("Median days")),
         ("p90_days", N_("90th percentile days")), ("within_target", N_("Within target")),
         ("share_within_target", N_("Share within target (%)"))]


def phase_days(case: ClearanceCase, inv: Investigation | None) -> dict[str, float]:
    """The days each finished phase of one case took."""
    out: dict[str, float] = {}
    if case.consented_at:
        out["consent"] = days(case.created_at, case.consented_at)
    if case.consented_at and case.submitted_at:
        out["questionnaire"] = days(case.consented_at, case.submitted_at)
    if inv is not None and not case.reused_investigation and inv.completed_on:
        out["investigation"] = days(inv.opened_at, inv.completed_on)
    decided = case.decided_at if case.state in DECIDED else None
    if decided:
        start = case.submitted_at if case.reused_investigation or inv is None else (
            inv.completed_on)
        if start:
            out["adjudication"] = days(start, decided)
        if case.submitted_at:
            out["end_to_end"] = days(case.submitted_at, decided)
    return out


def _backlog(session: Session, regime: str | None, today: date) -> dict[tuple[str, str], int]:
    """Open cases per regime and age band. A band holds the cases that waited fewer
    seconds than its limit, i.e. were submitted at or after an instant: compared as
    timestamps, so the open cases are read from an index (reports.models) alone."""
    c = ClearanceCase
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    limits = band_limits()
    # epoch(today) - floor(epoch(submitted)) < below  ⇔  submitted ≥ today - below + 1 s
    band = case(*((c.submitted_at >= midnight - timedelta(seconds=below - 1), label)
                  for label, below in limits[:-1]), else_=limits[-1][0])
    q = select(c.regime, band, func.count()).where(
        c.state.in_(WAITING), c.submitted_at.is_not(None)).group_by(c.regime, band)
    if regime:
        q = q.where(c.regime == regime)
    return {(r, b): n for r, b, n in session.execute(q)}


def _summary_row(label: str, found: Summary | None) -> list:
    s = found or Summary.of_ranks(0, 0, None, None, None)
    return [label, s.count, s.median, s.p90, s.within, s.share]


def assessment_tables(session: Session, *, regime: str | None, year: int | None,
                      target: int, today: date) -> list[Table]:
    per, trend = phase_stats(session, regime, year, target)
    backlog = _backlog(session, regime, today)
    regimes = [r for r in ("CESI", "SDS") if regime in (None, r)]
    scope = regime or "all"  # the chart shows the chosen regime, or every regime together
    phases = Table("phases", N_("Days per phase"), [("regime", N_("Regime")),
                                                     ("phase", N_("Phase"))] + STATS,
                   chart=Chart("bar", "phase", ("median_days", "p90_days"), N_("days"),
                               only=("regime", scope)))
    for r in regimes + (["all"] if regime is None else []):
        for key, label in PHASES:
            phases.rows.append([r] + _summary_row(Label(label), per.get((r, key))))
    monthly = Table("monthly", N_("Decisions per month"), [("month", N_("Month"))] + STATS,
                    chart=Chart("line", "month", ("share_within_target",), N_("%")))
    monthly.rows = [_summary_row(m, trend[(m,)]) for (m,) in sorted(trend)]
    ages = Table("backlog", N_("Open cases by days since submission"),
                 [("age", N_("Days waiting"))] + [(r, r) for r in regimes],
                 chart=Chart("bar", "age", tuple(regimes), N_("cases")))
    ages.rows = [[band_label(lo, hi)] + [backlog.get((r, band_label(lo, hi)), 0)
                                         for r in regimes] for lo, hi in AGE_BANDS]
    return [phases, monthly, ages]


def review_tables(session: Session, *, year: int | None, today: date) -> list[Table]:
    """Designation reviews (at least yearly): done on time, done late, overdue, not due;
    in all and per month of their due date."""
    keys = ("on_time", "late", "overdue", "not_due")
    status = case((Review.reviewed_at.is_not(None),
                   case((epoch(Review.reviewed_at) < epoch(Review.due_on) + 86400, "on_time"),
                        else_="late")),
                  (Review.due_on < today, "overdue"), else_="not_due")
    due_month = month_of(Review.due_on)
    q = select(due_month, status, func.count()).group_by(due_month, status)
    if year is not None:
        q = q.where(Review.due_on >= date(year, 1, 1), Review.due_on < date(year + 1, 1, 1))
    counts = dict.fromkeys(keys, 0)
    per_month: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    for m, key, n in session.execute(q):
        counts[key] += n
        per_month[m][key] += n
    labels = {"on_time": N_("Reviewed on time"), "late": N_("Reviewed late"),
              "overdue": N_("Overdue"), "not_due": N_("Not yet due")}
    total = Table("reviews", N_("Designation reviews"),
                  [("status", N_("Status")), ("reviews", N_("Reviews"))],
                  [[Label(labels[k]), v] for k, v in counts.items()],
                  chart=Chart("bar", "status", ("reviews",), N_("reviews")))
    monthly = Table("review_monthly", N_("Designation reviews per month (by due date)"),
                    [("month", N_("Month"))] + [(k, labels[k]) for k in keys],
                    [[m] + [per_month[m][k] for k in keys] for m in sorted(per_month)],
                    chart=Chart("bar", "month", ("on_time", "late", "overdue"),
                                N_("reviews")))
    return [total, monthly]


def visit_tables(session: Session, *, year: int | None, actor: Actor) -> list[Table]:
    """Foreign visitors: hours from their government's assurance to first access
    (reciprocity.report measures them from the audit log), in all and per month of the
    assurance."""
    found = [m for m in time_to_access(session, actor=actor) if in_year(m.assured_at, year)]
    hours = [m.hours for m in found if m.hours is not None]
    s = Summary.of(hours, 24)
    total = Table("visits", N_("Time to access of foreign visitors (hours)"),
                  [("assured", N_("Visitors assured")), ("reached", N_("Reached access")),
                   ("median_hours", N_("Median hours")),
                   ("p90_hours", N_("90th percentile hours")),
                   ("within_day", N_("Within 24 hours"))],
                  [[len(found), s.count, s.median, s.p90, s.within]])
    per_month: dict[str, list] = defaultdict(list)
    for m in found:
        per_month[month(m.assured_at)].append(m)
    rows = []
    for key in sorted(per_month):
        got = [m.hours for m in per_month[key] if m.hours is not None]
        ms = Summary.of(got, 24)
        rows.append([key, len(per_month[key]), ms.count, ms.median, ms.within])
    monthly = Table("visit_monthly", N_("Time to access per month (by assurance)"),
                    [("month", N_("Month")), ("assured", N_("Visitors assured")),
                     ("reached", N_("Reached access")), ("median_hours", N_("Median hours")),
                     ("within_day", N_("Within 24 hours"))], rows,
                    chart=Chart("line", "month", ("median_hours",), N_("hours")))
    return [total, monthly]


def timeliness(session: Session, *, actor: Actor, today: date, year: int | None = None,
               regime: str | None = None, target_days: int = 60,
               tables: Collection[str] | None = None) -> Report:
    """With `tables`, the review and visit tables only when one of theirs is named."""
    actor.require(Permission.REPORTS_TIMELINESS_READ)
    found = assessment_tables(session, regime=regime, year=year, target=target_days,
                              today=today)
    if tables is None or {"reviews", "review_monthly"} & set(tables):
        found += review_tables(session, year=year, today=today)
    if tables is None or {"visits", "visit_monthly"} & set(tables):
        found += visit_tables(session, year=year, actor=actor)
    return Report("timeliness", N_("Timeliness"),
                  {"year": year, "regime": regime, "target_days": target_days,
                   "as_of": today}, found)


def time_to_access_report(session: Session, *, actor: Actor, year: int | None = None
                          ) -> Report:
    """Every foreign visitor's figures (reciprocity.report), as a report: by assurance,
    never by name."""
    found = [m for m in time_to_access(session, actor=actor) if in_year(m.assured_at, year)]
    rows = Table("visitors", N_("Visitors"),
                 [("assurance_id", N_("Assurance")), ("assured_at", N_("Assured")),
                  ("first_access_at", N_("First permitted access")), ("hours", N_("Hours")),
                  ("human_steps", N_("Human steps"))],
                 [[m.assurance_id, m.assured_at.isoformat(timespec="minutes"),
                   m.first_access_at.isoformat(timespec="minutes") if m.first_access_at
                   else None, m.hours, m.human_steps] for m in found])
    return Report("time-to-access", N_("Time to access"), {"year": year},
                  [*visit_tables(session, year=year, actor=actor), rows])
