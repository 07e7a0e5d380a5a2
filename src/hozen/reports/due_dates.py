"""Due dates: a calendar of what ends or falls due within a horizon — clearances that
expire, facility certifications that end, designation reviews and designation terms. A
company's security officer sees its own staff, facilities and the designations it holds;
government and oversight see every organisation's. No names: a clearance is shown by
its regime, organisation and date (the person's record is one click away for those who
may open it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.clearances.models import Clearance
from hozen.designations.models import Designation, DesignationHolder, Review
from hozen.facilities.models import Facility
from hozen.facilities.registers import sees_all
from hozen.messages import N_
from hozen.registry.models import Organisation, Person
from hozen.reports.rules import month
from hozen.reports.schemas import Chart, Label, Report, Table
from hozen.reports.sql import month_of

KINDS = {"clearance": N_("Clearance expires"), "certification": N_("Certification ends"),
         "review": N_("Designation review due"), "term": N_("Designation term ends")}


def _sources(own: str | None, today: date, until: date, *, rows: bool) -> list:
    """Per kind, the query of what falls due: its date ("on") and, with `rows`, its
    organisation and reference (a month's count needs neither)."""
    c, f, d = Clearance, Facility, Designation  # columns, not entities: thousands at scale
    clearance = select(c.valid_until.label("on")).where(
        c.status == "active", c.valid_until >= today, c.valid_until <= until)
    if rows or own is not None:  # the employer is the person's
        clearance = clearance.join(Person, Person.id == c.person_id)
    if rows:
        clearance = clearance.add_columns(Person.employer_id, c.regime, c.id)
    if own is not None:
        clearance = clearance.where(Person.employer_id == own)
    certification = select(f.valid_until.label("on")).where(
        f.state.in_(("certified", "change_pending")), f.valid_until >= today,
        f.valid_until <= until)
    if rows:
        certification = certification.add_columns(f.organisation_id, f.level, f.project)
    if own is not None:
        certification = certification.where(f.organisation_id == own)
    review = select(Review.due_on.label("on")).join(d, d.id == Review.designation_id).where(
        Review.reviewed_at.is_(None), Review.due_on <= until)
    term = select(d.term_end.label("on")).where(
        d.status.in_(("in_force", "provisional")), d.term_end >= today, d.term_end <= until)
    if rows:
        review = review.add_columns(d.agency_id, d.reference)
        term = term.add_columns(d.agency_id, d.reference)
    if own is not None:
        held = select(DesignationHolder.designation_id).where(
            DesignationHolder.organisation_id == own)
        review = review.where(d.id.in_(held))
        term = term.where(d.id.in_(held))
    return [("clearance", clearance), ("certification", certification), ("review", review),
            ("term", term)]


def _monthly_table(per_month: Counter[tuple[str, str]]) -> Table:
    months = sorted({m for m, _ in per_month})
    return Table("months", N_("Per month"), [("month", N_("Month"))]
                 + [(k, label) for k, label in KINDS.items()],
                 [[m] + [per_month[(m, k)] for k in KINDS] for m in months],
                 chart=Chart("bar", "month", tuple(KINDS), N_("due")))


def due_dates(session: Session, *, actor: Actor, today: date, horizon_days: int = 180,
              tables: Collection[str] | None = None) -> Report:
    """With `tables` naming only "months", the counts per month alone (the dashboard's
    chart): counted by the database, no row of the calendar read."""
    actor.require(Permission.REPORTS_DUE_DATES_READ)
    own = None if sees_all(actor) else actor.organisation_id or ""
    until = today + timedelta(days=horizon_days)
    params = {"as_of": today, "horizon_days": horizon_days, "organisation": own}
    if tables is not None and set(tables) <= {"months"}:
        per_month: Counter[tuple[str, str]] = Counter()
        for kind, q in _sources(own, today, until, rows=False):
            at = month_of(q.subquery().c.on)
            per_month.update({(m, kind): n for m, n in session.execute(
                select(at, func.count()).group_by(at))})
        return Report("due-dates", N_("Due dates"), params, [_monthly_table(per_month)])
    found: list[tuple[date, str, str, str]] = []  # (date, kind, organisation id, reference)
    for kind, q in _sources(own, today, until, rows=True):
        for on, org, *ref in session.execute(q):
            if kind == "clearance":
                ref = [f"{ref[0]} {ref[1][:8]}"]
            found.append((on, kind, org or "", " ".join(r for r in ref if r).strip()))
    found.sort()
    names = dict(session.execute(select(Organisation.id, Organisation.name_ja).where(
        Organisation.id.in_({f[2] for f in found}))).all()) if found else {}
    calendar = Table("calendar", N_("Due dates"),
                     [("date", N_("Date")), ("kind", N_("What")),
                      ("organisation", N_("Organisation")), ("reference", N_("Reference")),
                      ("overdue", N_("Overdue"))],
                     [[d, Label(KINDS[k]), names.get(o, o), ref, d < today]
                      for d, k, o, ref in found])
    monthly = _monthly_table(Counter((month(d), k) for d, k, _, _ in found))
    per_org = Counter(names.get(o, o) for _, _, o, _ in found)
    orgs = Table("organisations", N_("Per organisation"),
                 [("organisation", N_("Organisation")), ("due", N_("Due"))],
                 [[n, c] for n, c in sorted(per_org.items())])
    return Report("due-dates", N_("Due dates"), params, [calendar, monthly, orgs])
