"""The yearly report the government gives the Diet and publishes (DESIGN: accountability):
designations, renewals, changes and liftings per agency and statutory category;
assessments and their results, refusals of consent (counted, never named) and complaints;
facility certifications; incidents. Figures only: no person appears in it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.clearances.models import ClearanceCase, Complaint
from hozen.clearances.rules import CaseState
from hozen.designations.models import Designation, Proposal
from hozen.facilities.models import Facility, Incident
from hozen.messages import INCIDENT_KIND_LABELS, INCIDENT_SEVERITY_LABELS, KIND_LABELS, N_
from hozen.policy import get_policy
from hozen.registry.models import Organisation
from hozen.reports.schemas import Chart, Label, Report, Table

# Which approved proposals count as what, in the report's columns.
PROPOSAL_COLUMNS = {"renew": "renewals", "change": "changes", "downgrade": "changes",
                    "lift": "liftings", "lift_part": "liftings"}


def _span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def designation_table(session: Session, year: int) -> Table:
    start, end = _span(year)
    d = Designation
    kinds = (d.agency_id, d.regime, d.category)
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for *key, n in session.execute(select(*kinds, func.count()).where(
            d.first_start >= start, d.first_start < end).group_by(*kinds)):
        counts[(*key, "designations")] += n
    for *key, kind, n in session.execute(select(*kinds, Proposal.kind, func.count()).join(
            d, d.id == Proposal.designation_id).where(
            Proposal.status == "approved", Proposal.kind.in_(list(PROPOSAL_COLUMNS)),
            Proposal.decided_at >= _at(start), Proposal.decided_at < _at(end))
            .group_by(*kinds, Proposal.kind)):
        counts[(*key, PROPOSAL_COLUMNS[kind])] += n
    in_force = Counter({tuple(key): n for *key, n in session.execute(
        select(*kinds, func.count()).where(d.status.in_(("in_force", "provisional")))
        .group_by(*kinds))})
    keys = sorted({k[:3] for k in counts} | set(in_force))
    agencies = _names(session, {k[0] for k in keys})
    categories = get_policy().designation_categories
    table = Table("designations", N_("Designations per agency and category"),
                  [("agency", N_("Agency")), ("regime", N_("Regime")),
                   ("category", N_("Statutory category")),
                   ("designations", N_("New designations")), ("renewals", N_("Renewals")),
                   ("changes", N_("Changes")), ("liftings", N_("Liftings")),
                   ("in_force", N_("In force now"))],
                  chart=Chart("bar", "category", ("designations", "liftings"),
                              N_("designations"), combine=True))  # per category
    for agency, regime, cat in keys:
        name = categories.get(regime, {}).get(cat, {}).get("ja", cat)
        table.rows.append([agencies.get(agency, agency), regime, name]
                          + [counts[(agency, regime, cat, c)] for c in
                             ("designations", "renewals", "changes", "liftings")]
                          + [in_force[(agency, regime, cat)]])
    return table


def assessment_table(session: Session, year: int) -> Table:
    start, end = _span(year)
    c = ClearanceCase
    decided = and_(c.state.in_((CaseState.GRANTED, CaseState.DENIED)),
                   c.decided_at >= _at(start), c.decided_at < _at(end))
    ended = and_(c.state.in_((CaseState.REFUSED, CaseState.WITHDRAWN)),  # counted, never named
                 c.updated_at >= _at(start), c.updated_at < _at(end))
    counts: Counter[tuple[str, str]] = Counter()
    for cond in (decided, ended):  # each read from an index of its own (reports.models)
        counts.update({(regime, state): n for regime, state, n in session.execute(
            select(c.regime, c.state, func.count()).where(cond).group_by(c.regime, c.state))})
    filed = Counter(dict(session.execute(
        select(ClearanceCase.regime, func.count()).select_from(Complaint)
        .join(ClearanceCase, ClearanceCase.id == Complaint.case_id)
        .where(Complaint.filed_at >= _at(start), Complaint.filed_at < _at(end))
        .group_by(ClearanceCase.regime)).all()))
    answered = Counter(dict(session.execute(
        select(ClearanceCase.regime, func.count()).select_from(Complaint)
        .join(ClearanceCase, ClearanceCase.id == Complaint.case_id)
        .where(Complaint.answered_at >= _at(start), Complaint.answered_at < _at(end))
        .group_by(ClearanceCase.regime)).all()))
    table = Table("assessments", N_("Suitability assessments"),
                  [("regime", N_("Regime")), ("granted", N_("Favourable")),
                   ("denied", N_("Unfavourable")), ("refused", N_("Consent refused")),
                   ("withdrawn", N_("Withdrawn")), ("complaints", N_("Complaints filed")),
                   ("answered", N_("Complaints answered"))],
                  chart=Chart("bar", "regime", ("granted", "denied", "refused"),
                              N_("cases")),
                  note=N_("Refusals are counted, never named."))
    for regime in ("CESI", "SDS"):
        table.rows.append([regime] + [counts[(regime, s)] for s in
                                      ("granted", "denied", "refused", "withdrawn")]
                          + [filed[regime], answered[regime]])
    return table


def certification_table(session: Session, year: int) -> Table:
    start, end = _span(year)
    f, kind = Facility, Organisation.kind
    q = select(kind, f.level, func.count()).join(Organisation, Organisation.id == f.organisation_id)
    counts = Counter({(k, lv): n for k, lv, n in session.execute(q.where(
        f.certified_on >= start, f.certified_on < end).group_by(kind, f.level))})
    held = Counter({(k, lv): n for k, lv, n in session.execute(q.where(
        f.state.in_(("certified", "change_pending"))).group_by(kind, f.level))})
    keys = sorted(set(counts) | set(held))
    return Table("certifications", N_("Facility certifications"),
                 [("sector", N_("Sector")), ("level", N_("Level")),
                  ("certified", N_("Certified this year")), ("held", N_("Held now"))],
                 [[Label(KIND_LABELS.get(k, k)), lv, counts[(k, lv)], held[(k, lv)]]
                  for k, lv in keys])


def incident_table(session: Session, year: int) -> Table:
    start, end = _span(year)
    i = Incident
    counts = Counter({(k, sv, st): n for k, sv, st, n in session.execute(
        select(i.kind, i.severity, i.status, func.count()).where(
            i.occurred_on >= start, i.occurred_on < end).group_by(i.kind, i.severity, i.status))})
    keys = sorted({k[:2] for k in counts})
    return Table("incidents", N_("Incidents"),
                 [("kind", N_("Kind")), ("severity", N_("Severity")),
                  ("reported", N_("Reported")), ("closed", N_("Closed"))],
                 [[Label(INCIDENT_KIND_LABELS[k]), Label(INCIDENT_SEVERITY_LABELS[sv]),
                   counts[(k, sv, "open")] + counts[(k, sv, "closed")],
                   counts[(k, sv, "closed")]] for k, sv in keys],
                 chart=Chart("bar", "kind", ("reported", "closed"), N_("incidents")))


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    return dict(session.execute(select(Organisation.id, Organisation.name_ja).where(
        Organisation.id.in_(list(ids)))).all()) if ids else {}


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def annual(session: Session, *, actor: Actor, year: int,
           tables: Collection[str] | None = None) -> Report:
    """With `tables`, only the tables named."""
    actor.require(Permission.REPORTS_ANNUAL_READ)
    makers = {"designations": designation_table, "assessments": assessment_table,
              "certifications": certification_table, "incidents": incident_table}
    return Report("annual", N_("Annual report"), {"year": year},
                  [make(session, year) for key, make in makers.items()
                   if tables is None or key in tables])
