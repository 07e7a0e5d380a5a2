"""Inspections of a qualified business: self-inspections by its security officer and
on-site inspections by the certifying agency, with findings, corrective actions and
their due dates, closed when done; overdue corrective actions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission, Role
from hozen.db import get_by_id, new_id
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.facilities import rules
from hozen.facilities.checklist import load_checklist
from hozen.facilities.models import Facility, Inspection, InspectionFinding
from hozen.facilities.register_schemas import FindingView, InspectionCreate, InspectionView
from hozen.facilities.registers import Errors, audit, sees_all
from hozen.facilities.scope import sees_organisation
from hozen.facilities.services import access_facility, state_today, today
from hozen.paging import DEFAULT_PAGE, page

K = rules.InspectionKind
# What the rules call a corrective action's fields, as the request names them.
FIELDS = {"actions": "action", "actions.0.due_on": "due_on"}


def _finding(row: InspectionFinding | None = None, *, severity: str = "",
             action: str | None = None, due_on=None, closed_on=None,
             control_id: str | None = None) -> rules.Finding:
    """A finding as the rules see it: one corrective action when it has one."""
    if row is not None:
        severity, action, due_on = row.severity, row.action, row.due_on
        closed_on, control_id = row.closed_on, row.control_id
    acts = (rules.CorrectiveAction(action or "", due_on, closed_on),) \
        if action and due_on else ()
    return rules.Finding(rules.Severity(severity), acts, control_id)


def _rename(errors: Errors) -> Errors:
    out = []
    for field, code in errors:
        head, _, rest = field.partition(".")
        if head == "findings":
            n, _, tail = rest.partition(".")
            field = f"findings.{n}.{FIELDS.get(tail, tail)}"
        out.append((field, code))
    return out


def _inspector_errors(actor: Actor, f: Facility, kind: str) -> Errors:
    """A self-inspection by the business's own security officer; an on-site inspection
    by an official of the certifying agency (another agency's: not found)."""
    if kind == K.ON_SITE:
        if Role.AGENCY_OFFICIAL not in actor.roles and not actor.is_system:
            return [("kind", "on_site_by_agency")]
        if not actor.is_system and actor.organisation_id != f.agency_id:
            raise NotFound("facility not found")
    elif kind == K.SELF and not (Role.COMPANY_SECURITY_OFFICER in actor.roles
                                 and actor.organisation_id == f.organisation_id):
        return [("kind", "self_inspection_by_business")]
    return []


def record_inspection(session: Session, facility_id: str, data: InspectionCreate, *,
                      actor: Actor) -> Inspection:
    actor.require(Permission.FACILITIES_INSPECT)
    f = access_facility(session, actor, facility_id)
    errors = _inspector_errors(actor, f, data.kind)
    if state_today(f) in rules.TERMINAL:
        raise Conflict(f"a facility clearance that is {state_today(f).value} is not "
                       "inspected", field="state")
    known = {c.id for c in load_checklist().controls}
    findings, halves = [], set()
    for n, x in enumerate(data.findings):
        if x.control_id is not None and x.control_id not in known:
            errors.append((f"findings.{n}.control_id", "unknown_control"))
        if (x.action is None) != (x.due_on is None):  # an action goes with its due date
            halves.add((f"findings.{n}.action", "corrective_action_required"))
            errors.append((f"findings.{n}.{'action' if x.action is None else 'due_on'}",
                           "required"))
        findings.append(_finding(severity=x.severity, action=x.action, due_on=x.due_on,
                                 control_id=x.control_id))
    errors += [e for e in _rename(rules.inspection_errors(data.kind, data.held_on, findings,
                                                           today())) if e not in halves]
    if errors:
        raise ValidationFailed(list(dict.fromkeys(errors)))
    i = Inspection(id=new_id(), facility_id=f.id, kind=data.kind, held_on=data.held_on,
                   summary=data.summary, recorded_by=actor.id)
    session.add(i)
    session.flush()
    for x in data.findings:
        session.add(InspectionFinding(id=new_id(), inspection_id=i.id, severity=x.severity,
                                      text=x.text, control_id=x.control_id, action=x.action,
                                      due_on=x.due_on))
    session.flush()
    audit(session, actor, "inspection:record", "facility", f.id, inspection=i.id,
          kind=i.kind, held_on=i.held_on.isoformat(),
          findings={s: sum(x.severity == s for x in data.findings) for s in rules.Severity})
    return i


def finding_view(row: InspectionFinding, facility_id: str) -> FindingView:
    return FindingView(id=row.id, inspection_id=row.inspection_id, facility_id=facility_id,
                       severity=row.severity, text=row.text, control_id=row.control_id,
                       action=row.action, due_on=row.due_on, closed_on=row.closed_on,
                       overdue=bool(rules.overdue_actions([_finding(row)], today())))


def _view(i: Inspection, findings: list[InspectionFinding]) -> InspectionView:
    return InspectionView(id=i.id, facility_id=i.facility_id, kind=i.kind,
                          held_on=i.held_on, summary=i.summary, recorded_at=i.recorded_at,
                          findings=[finding_view(r, i.facility_id) for r in findings])


def inspection_view(session: Session, i: Inspection) -> InspectionView:
    return _view(i, list(session.scalars(select(InspectionFinding).where(
        InspectionFinding.inspection_id == i.id).order_by(InspectionFinding.id))))


def list_inspections(session: Session, facility_id: str, *, actor: Actor,
                     cursor: str | None = None,
                     limit: int = DEFAULT_PAGE) -> tuple[list[InspectionView], str | None]:
    """A page of the facility's inspections, the latest held first, with their findings
    (read in one query a page), and the cursor of the next page."""
    f = access_facility(session, actor, facility_id)
    rows, nxt = page(session, select(Inspection).where(Inspection.facility_id == f.id),
                     [Inspection.held_on, Inspection.id], cursor=cursor, limit=limit,
                     newest_first=True)
    found: dict[str, list[InspectionFinding]] = {}
    for r in session.scalars(select(InspectionFinding).where(
            InspectionFinding.inspection_id.in_([i.id for i in rows]))
            .order_by(InspectionFinding.id)) if rows else ():
        found.setdefault(r.inspection_id, []).append(r)
    return [_view(i, found.get(i.id, [])) for i in rows], nxt


def close_finding(session: Session, finding_id: str, *, actor: Actor) -> FindingView:
    """Closed when its corrective action is done: a self-inspection's finding by the
    business, an on-site one by the certifying agency."""
    actor.require(Permission.FACILITIES_INSPECT)
    row = get_by_id(session, InspectionFinding, finding_id, for_update=True)
    i = session.get(Inspection, row.inspection_id) if row else None
    if i is None:
        raise NotFound("finding not found")
    f = access_facility(session, actor, i.facility_id, missing="finding not found")
    agency = actor.is_system or (Role.AGENCY_OFFICIAL in actor.roles
                                 and actor.organisation_id == f.agency_id)
    business = Role.COMPANY_SECURITY_OFFICER in actor.roles \
        and actor.organisation_id == f.organisation_id
    if not (agency or business and i.kind == K.SELF):
        raise NotFound("finding not found")
    if row.closed_on is not None:
        raise Conflict("the finding has already been closed", field="closed_on")
    row.closed_on = today()
    audit(session, actor, "finding:close", "facility", f.id, inspection=i.id, finding=row.id,
          severity=row.severity)
    return finding_view(row, f.id)


def overdue_findings(session: Session, *, actor: Actor, cursor: str | None = None,
                     limit: int = DEFAULT_PAGE) -> tuple[list[FindingView], str | None]:
    """A page of the open corrective actions past their due date across the facilities
    in scope (government roles: every business; a security officer: their own), oldest
    due first, and the cursor of the next page."""
    actor.require(Permission.FACILITIES_READ)
    day = today()
    q = select(InspectionFinding).where(
        InspectionFinding.closed_on.is_(None), InspectionFinding.due_on < day,
        InspectionFinding.action.is_not(None))  # a finding without an action is never late
    if not sees_all(actor):
        if not (actor.organisation_id and sees_organisation(actor, actor.organisation_id)):
            return [], None
        q = q.join(Inspection, Inspection.id == InspectionFinding.inspection_id).join(
            Facility, Facility.id == Inspection.facility_id).where(
            Facility.organisation_id == actor.organisation_id)
    rows, nxt = page(session, q, [InspectionFinding.due_on, InspectionFinding.id],
                     cursor=cursor, limit=limit)
    facility = dict(session.execute(select(Inspection.id, Inspection.facility_id).where(
        Inspection.id.in_({r.inspection_id for r in rows}))).all()) if rows else {}
    return [finding_view(r, facility[r.inspection_id]) for r in rows
            if rules.overdue_actions([_finding(r)], day)], nxt
