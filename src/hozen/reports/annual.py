"""The yearly report the government gives the Diet and publishes (DESIGN: accountability):
designations, renewals, changes and liftings per agency and statutory category;
assessments and their results, refusals of consent (counted, never named) and complaints;
facility certifications; incidents. Figures only: no person appears in it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import func, select
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
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for d in session.scalars(select(Designation).where(
            Designation.first_start >= start, Designation.first_start < end)):
        counts[(d.agency_id, d.regime, d.category, "designations")] += 1
    for p, d in session.execute(select(Proposal, Designation).join(
            Designation, Designation.id == Proposal.designation_id).where(
            Proposal.status == "approved", Proposal.kind.in_(list(PROPOSAL_COLUMNS)))):
        if p.decided_at is not None and p.decided_at.year == year:
            counts[(d.agency_id, d.regime, d.category, PROPOSAL_COLUMNS[p.kind])] += 1
    in_force = Counter((d.agency_id, d.regime, d.category) for d in session.scalars(
        select(Designation).where(Designation.status.in_(("in_force", "provisional")))))
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
                              N_("designations")))
    for agency, regime, cat in keys:
        name = categories.get(regime, {}).get(cat, {}).get("ja", cat)
        table.rows.append([agencies.get(agency, agency), regime, name]
                          + [counts[(agency, regime, cat, c)] for c in
                             ("designations", "renewals", "changes", "liftings")]
                          + [in_force[(agency, regime, cat)]])
    return table


def assessment_table(session: Session, year: int) -> Table:
    counts: Counter[tuple[str, str]] = Counter()
    for regime, state, decided, updated in session.execute(select(
            ClearanceCase.regime, ClearanceCase.state, ClearanceCase.decided_at,
            ClearanceCase.updated_at)):
        if state in (CaseState.GRANTED, CaseState.DENIED) and decided and decided.year == year:
            counts[(regime, state)] += 1
        elif state in (CaseState.REFUSED, CaseState.WITHDRAWN) and updated.year == year:
            counts[(regime, state)] += 1  # counted, never named
    start, end = _span(year)
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
    counts: Counter[tuple[str, str]] = Counter()
    for f, kind in session.execute(select(Facility, Organisation.kind).join(
            Organisation, Organisation.id == Facility.organisation_id).where(
            Facility.certified_on >= start, Facility.certified_on < end)):
        counts[(kind, f.level)] += 1
    held = Counter((kind, level) for level, kind in session.execute(
        select(Facility.level, Organisation.kind).join(
            Organisation, Organisation.id == Facility.organisation_id).where(
            Facility.state.in_(("certified", "change_pending")))))
    keys = sorted(set(counts) | set(held))
    return Table("certifications", N_("Facility certifications"),
                 [("sector", N_("Sector")), ("level", N_("Level")),
                  ("certified", N_("Certified this year")), ("held", N_("Held now"))],
                 [[Label(KIND_LABELS.get(k, k)), lv, counts[(k, lv)], held[(k, lv)]]
                  for k, lv in keys])


def incident_table(session: Session, year: int) -> Table:
    start, end = _span(year)
    counts: Counter[tuple[str, str, str]] = Counter(
        (i.kind, i.severity, i.status) for i in session.scalars(select(Incident).where(
            Incident.occurred_on >= start, Incident.occurred_on < end)))
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


def annual(session: Session, *, actor: Actor, year: int) -> Report:
    actor.require(Permission.REPORTS_ANNUAL_READ)
    return Report("annual", N_("Annual report"), {"year": year},
                  [designation_table(session, year), assessment_table(session, year),
                   certification_table(session, year), incident_table(session, year)])
