"""Due dates: a calendar of what ends or falls due within a horizon — clearances that
expire, facility certifications that end, designation reviews and designation terms. A
company's security officer sees its own staff, facilities and the designations it holds;
government and oversight see every organisation's. No names: a clearance is shown by
its regime, organisation and date (the person's record is one click away for those who
may open it)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select
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

KINDS = {"clearance": N_("Clearance expires"), "certification": N_("Certification ends"),
         "review": N_("Designation review due"), "term": N_("Designation term ends")}


def due_dates(session: Session, *, actor: Actor, today: date,
              horizon_days: int = 180) -> Report:
    actor.require(Permission.REPORTS_DUE_DATES_READ)
    own = None if sees_all(actor) else actor.organisation_id or ""
    until = today + timedelta(days=horizon_days)
    found: list[tuple[date, str, str, str]] = []  # (date, kind, organisation id, reference)
    q = select(Clearance.valid_until, Person.employer_id, Clearance.regime, Clearance.id).join(
        Person, Person.id == Clearance.person_id).where(
        Clearance.status == "active", Clearance.valid_until >= today,
        Clearance.valid_until <= until)
    if own is not None:
        q = q.where(Person.employer_id == own)
    found += [(d, "clearance", org or "", f"{regime} {cid[:8]}") for d, org, regime, cid
              in session.execute(q)]
    q = select(Facility).where(Facility.state.in_(("certified", "change_pending")),
                               Facility.valid_until >= today, Facility.valid_until <= until)
    if own is not None:
        q = q.where(Facility.organisation_id == own)
    found += [(f.valid_until, "certification", f.organisation_id,
               f"{f.level} {f.project or ''}".strip()) for f in session.scalars(q)]
    held = select(DesignationHolder.designation_id).where(
        DesignationHolder.organisation_id == own)
    d = Designation  # columns, not entities: thousands of rows at scale
    q = select(Review.due_on, d.agency_id, d.reference).join(
        Designation, Designation.id == Review.designation_id).where(
        Review.reviewed_at.is_(None), Review.due_on <= until)
    t = select(d.term_end, d.agency_id, d.reference).where(
        d.status.in_(("in_force", "provisional")), d.term_end >= today, d.term_end <= until)
    if own is not None:
        q = q.where(Designation.id.in_(held))
        t = t.where(Designation.id.in_(held))
    found += [(due, "review", agency, ref) for due, agency, ref in session.execute(q)]
    found += [(end, "term", agency, ref) for end, agency, ref in session.execute(t)]
    found.sort()
    names = dict(session.execute(select(Organisation.id, Organisation.name_ja).where(
        Organisation.id.in_({f[2] for f in found}))).all()) if found else {}
    calendar = Table("calendar", N_("Due dates"),
                     [("date", N_("Date")), ("kind", N_("What")),
                      ("organisation", N_("Organisation")), ("reference", N_("Reference")),
                      ("overdue", N_("Overdue"))],
                     [[d, Label(KINDS[k]), names.get(o, o), ref, d < today]
                      for d, k, o, ref in found])
    per_month: Counter[tuple[str, str]] = Counter((month(d), k) for d, k, _, _ in found)
    months = sorted({m for m, _ in per_month})
    monthly = Table("months", N_("Per month"), [("month", N_("Month"))]
                    + [(k, label) for k, label in KINDS.items()],
                    [[m] + [per_month[(m, k)] for k in KINDS] for m in months],
                    chart=Chart("bar", "month", tuple(KINDS), N_("due")))
    per_org = Counter(names.get(o, o) for _, _, o, _ in found)
    orgs = Table("organisations", N_("Per organisation"),
                 [("organisation", N_("Organisation")), ("due", N_("Due"))],
                 [[n, c] for n, c in sorted(per_org.items())])
    return Report("due-dates", N_("Due dates"),
                  {"as_of": today, "horizon_days": horizon_days, "organisation": own},
                  [calendar, monthly, orgs])
