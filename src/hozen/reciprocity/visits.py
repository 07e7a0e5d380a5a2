"""Visit requests of partner nationals: one-time or recurring (up to the policy's length),
for a programme, at a host organisation's approved area, naming each visitor's personnel
assurance. The programme's agency and the host's security officer approve; where the
agreement and the programme pre-authorise the visitors' countries (NTIB-like) and every
check passes, the request is approved at once — no human step beyond the request. An
approved visit makes its visitors, for its dates, cleared through their assurance,
briefed members and handlers of the programme's items at the host."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session

from hozen.access.models import Programme
from hozen.access.rules import RANKS
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission, Role
from hozen.accounts.services import users_with_role
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, split_set, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.facilities.models import ApprovedArea, Facility
from hozen.facilities.rules import IN_FORCE
from hozen.facilities.services import state_today
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page
from hozen.reciprocity import assurances, rules
from hozen.reciprocity.models import Agreement, ForeignAssurance, Visitor, VisitRequest
from hozen.reciprocity.schemas import VisitCreate, VisitDecision, VisitorView, VisitView
from hozen.reciprocity.services import as_rule, today
from hozen.registry import services as registry
from hozen.registry.models import PersonNationality

GOVERNMENT = frozenset({Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL,
                        Role.OVERSIGHT_INSPECTOR, Role.AUDITOR, Role.SYSTEM_ADMIN})



def _audit(session: Session, actor: Actor, verb: str, v: VisitRequest, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"reciprocity:visit:{verb}",
           subject_type="visit_request", subject_id=v.id,
           details={"programme": v.programme_id, "host": v.host_organisation_id} | details)


def _area_errors(session: Session, data: VisitCreate) -> list:
    area = get_by_id(session, ApprovedArea, data.area_id)
    f = session.get(Facility, area.facility_id) if area else None
    if area is None or f is None or f.organisation_id != data.host_organisation_id:
        return [("area_id", "area_unknown")]
    if area.withdrawn_on is not None or state_today(f) not in IN_FORCE:
        return [("area_id", "area_not_approved")]
    return []


def _visitor_errors(session: Session, actor: Actor, n: int, assurance_id: str,
                    data: VisitCreate, programme: Programme
                    ) -> tuple[list, list[str], ForeignAssurance | None]:
    """(errors, reasons the fast path does not apply, the assurance)."""
    field = f"visitors.{n}"
    try:
        a = assurances.read(session, assurance_id, actor=actor)
    except NotFound:
        return [(field, "assurance_unknown")], [], None
    if a.kind != "personnel":
        return [(field, "not_a_personnel_assurance")], [], a
    errors = []
    if assurances.recognised(session, a, max(data.starts_on, today())) is None:
        errors.append((field, "foreign_clearance_not_recognised"))
    elif a.valid_until < data.ends_on:
        errors.append((field, "assurance_ends_before_visit"))
    nationality = assurances.nationalities(session, a.person_id)
    agreement = as_rule(session.get(Agreement, a.agreement_id))
    return errors, _fast_path_reasons(agreement, today(), programme, nationality,
                                      not errors), a


def _fast_path_reasons(agreement: rules.Agreement, on: date, programme: Programme,
                       nationality: frozenset[str], assurance_ok: bool) -> list[str]:
    """Why the visitor cannot come on the fast path (empty: they can, under one of
    their nationalities)."""
    outcomes = [rules.fast_path(agreement, on, split_set(programme.countries), n, assurance_ok)
                for n in sorted(nationality)]
    if not outcomes or any(not o for o in outcomes):
        return [] if outcomes else ["country_not_preauthorised"]
    return sorted({code for o in outcomes for _f, code in o})


def request_visit(session: Session, data: VisitCreate, *, actor: Actor) -> VisitRequest:
    """A partner government's liaison requests, for visitors under its assurances."""
    actor.require(Permission.RECIPROCITY_VISIT_REQUEST)
    programme = get_by_id(session, Programme, data.programme_id)
    errors = []
    if programme is None:
        errors.append(("programme_id", "programme_unknown"))
    elif data.host_organisation_id not in split_set(programme.organisations):
        errors.append(("host_organisation_id", "host_not_in_programme"))
    errors += _area_errors(session, data)
    limits = rules.load_reciprocity()
    errors += [({"start": "starts_on", "end": "ends_on"}.get(f, f), code)
               for f, code in rules.visit_errors(
                   data.kind, data.starts_on, data.ends_on, today(),
                   limits.recurring_max_days, limits.one_time_max_days)]
    if len(set(data.visitors)) != len(data.visitors):
        errors.append(("visitors", "duplicate"))
    checked = [] if programme is None else [
        _visitor_errors(session, actor, n, a, data, programme)
        for n, a in enumerate(data.visitors)]
    errors += [e for errs, _fast, _a in checked for e in errs]
    if errors:
        raise ValidationFailed(list(dict.fromkeys(errors)))
    fast = sorted({code for _e, reasons, _a in checked for code in reasons})
    v = VisitRequest(id=new_id(), kind=data.kind, programme_id=programme.id,
                     host_organisation_id=data.host_organisation_id, area_id=data.area_id,
                     starts_on=data.starts_on, ends_on=data.ends_on, purpose=data.purpose,
                     requested_by=actor.id, fast_path=not fast,
                     fast_path_reasons=",".join(fast),
                     status="approved" if not fast else "submitted")
    session.add(v)
    session.flush()
    session.add_all(Visitor(id=new_id(), visit_id=v.id, person_id=a.person_id,
                            assurance_id=a.id) for _e, _f, a in checked)
    if v.fast_path:
        v.decided_at = utcnow()
    _audit(session, actor, "request", v, visitors=len(checked), fast_path=v.fast_path,
           fast_path_reasons=fast)
    _tell(session, v, programme, "visit_approved" if v.fast_path else "visit_requested")
    return v


def _tell(session: Session, v: VisitRequest, programme: Programme, kind: str) -> None:
    users = users_with_role(session, [programme.agency_id], Role.AGENCY_OFFICIAL) + \
        users_with_role(session, [v.host_organisation_id], Role.COMPANY_SECURITY_OFFICER)
    for user_id in users:
        notify(session, user_id, kind, {"programme": programme.code,
                                        "starts_on": v.starts_on.isoformat(),
                                        "ends_on": v.ends_on.isoformat()},
               f"{kind}:{v.id}:{user_id}")


def _sides(actor: Actor, v: VisitRequest, programme: Programme) -> tuple[bool, bool]:
    agency = Role.AGENCY_OFFICIAL in actor.roles and actor.organisation_id == programme.agency_id
    host = Role.COMPANY_SECURITY_OFFICER in actor.roles and \
        actor.organisation_id == v.host_organisation_id
    return agency, host


def decide(session: Session, visit_id: str, data: VisitDecision, *,
           actor: Actor) -> VisitRequest:
    """The agency's or the host's decision: a refusal by either refuses; approval by both
    approves."""
    actor.require(Permission.RECIPROCITY_VISIT_DECIDE)
    v = read(session, visit_id, actor=actor, for_update=True)
    programme = session.get(Programme, v.programme_id)
    agency, host = _sides(actor, v, programme)
    if not (agency or host):
        raise NotFound("visit not found")
    if v.status != "submitted":
        raise Conflict(f"the visit request is {v.status}", field="status")
    if not data.approve and not data.reasons.strip():
        raise ValidationFailed([("reasons", "required")])
    now = utcnow()
    if agency:
        if v.agency_decided_by is not None:
            raise Conflict("the agency has already decided", field="status")
        v.agency_decided_by, v.agency_decided_at = actor.id, now
    else:
        if v.host_decided_by is not None:
            raise Conflict("the host has already decided", field="status")
        v.host_decided_by, v.host_decided_at = actor.id, now
    if not data.approve:
        v.status, v.reasons, v.decided_at = "refused", data.reasons, now
    elif v.agency_decided_by and v.host_decided_by:
        v.status, v.decided_at = "approved", now
    _audit(session, actor, "approve" if data.approve else "refuse", v,
           side="agency" if agency else "host", status=v.status)
    if v.status != "submitted":
        _tell(session, v, programme, f"visit_{v.status}")
    return v


def _scope(session: Session, actor: Actor):
    """SQL condition for the visits an actor sees: government all; a host its own; a
    liaison those with a visitor under their government's agreement (deny by default)."""
    if actor.is_system or actor.roles & GOVERNMENT:
        return true()
    conds = []
    if Role.COMPANY_SECURITY_OFFICER in actor.roles and actor.organisation_id:
        conds.append(VisitRequest.host_organisation_id == actor.organisation_id)
    if country := assurances.liaison_country(session, actor):
        conds.append(VisitRequest.id.in_(
            select(Visitor.visit_id).join(ForeignAssurance,
                                          ForeignAssurance.id == Visitor.assurance_id)
            .join(Agreement, Agreement.id == ForeignAssurance.agreement_id)
            .where(Agreement.partner == country)))
    return or_(*conds) if conds else false()


def read(session: Session, visit_id: str, *, actor: Actor,
         for_update: bool = False) -> VisitRequest:
    actor.require(Permission.RECIPROCITY_VISIT_READ)
    v = get_by_id(session, VisitRequest, visit_id, for_update=for_update)
    if v is None or session.scalar(select(VisitRequest.id).where(
            VisitRequest.id == v.id, _scope(session, actor))) is None:
        raise NotFound("visit not found")
    return v


def list_visits(session: Session, *, actor: Actor, cursor: str | None = None,
                limit: int = DEFAULT_PAGE) -> tuple[list[VisitRequest], str | None]:
    """A page of the requests in the actor's scope, newest first (ids are time-ordered),
    and the cursor of the next page."""
    actor.require(Permission.RECIPROCITY_VISIT_READ)
    return page(session, select(VisitRequest).where(_scope(session, actor)),
                [VisitRequest.id], cursor=cursor, limit=limit, newest_first=True)


def view(session: Session, v: VisitRequest, *, actor: Actor) -> VisitView:
    return views(session, [v], actor=actor)[0]


def views(session: Session, rows: list[VisitRequest], *, actor: Actor) -> list[VisitView]:
    """The requests with their visitors named (Latin letters, as their assurances give
    them): whoever sees a visit — the requesting liaison, the programme's agency, the
    host's security officer, government and oversight — needs to know who comes. Read in
    a fixed number of queries however many requests, and recorded as one read."""
    ids = [v.id for v in rows]
    visitors: dict[str, list[tuple[Visitor, ForeignAssurance]]] = {}
    for x, a in session.execute(select(Visitor, ForeignAssurance).join(
            ForeignAssurance, ForeignAssurance.id == Visitor.assurance_id)
            .where(Visitor.visit_id.in_(ids)).order_by(Visitor.id)):
        visitors.setdefault(x.visit_id, []).append((x, a))
    people = sorted({x.person_id for pairs in visitors.values() for x, _ in pairs})
    nationality: dict[str, set[str]] = {}
    for person_id, code in session.execute(select(
            PersonNationality.person_id, PersonNationality.country_code).where(
            PersonNationality.person_id.in_(people),
            PersonNationality.status == "current")):
        nationality.setdefault(person_id, set()).add(code)
    names = registry.records_for(session, people, actor=actor, purpose="visit")
    codes = dict(session.execute(select(Programme.id, Programme.code).where(
        Programme.id.in_({v.programme_id for v in rows}))).all())

    def latin(person_id: str) -> str | None:
        p = names.get(person_id)
        return " ".join(n for n in (p.family_name_latin, p.given_name_latin) if n) \
            if p else None

    return [VisitView(
        id=v.id, kind=v.kind, programme_id=v.programme_id, programme_code=codes[v.programme_id],
        host_organisation_id=v.host_organisation_id, area_id=v.area_id,
        starts_on=v.starts_on, ends_on=v.ends_on, purpose=v.purpose, status=v.status,
        fast_path=v.fast_path, fast_path_reasons=sorted(split_set(v.fast_path_reasons)),
        agency_decided=v.agency_decided_by is not None,
        host_decided=v.host_decided_by is not None, reasons=v.reasons,
        requested_at=v.requested_at, decided_at=v.decided_at,
        visitors=[VisitorView(person_id=x.person_id, assurance_id=a.id,
                              nationality=",".join(sorted(nationality.get(x.person_id, ()))),
                              partner_level=a.partner_level, level=a.level,
                              name_latin=latin(x.person_id))
                  for x, a in visitors.get(v.id, [])])
        for v in rows]


# --- what the access decision reads ----------------------------------------------------------

@dataclass(frozen=True)
class OnVisit:
    """A partner national's standing on a day of an approved visit."""

    visit_id: str
    programme_code: str
    area_id: str
    ends_on: date
    level: str | None  # the clearance their assurance counts as; None: not recognised
    until: date  # the last day it counts: the visit's end or the assurance's, if earlier


def on_visit(session: Session, person_id: str, on: date) -> OnVisit | None:
    """The approved visit covering `on` with this person as a visitor (the one whose
    assurance counts highest, when several), or None."""
    best = None
    for v, x in session.execute(select(VisitRequest, Visitor).join(
            Visitor, and_(Visitor.visit_id == VisitRequest.id,
                          Visitor.person_id == person_id)).where(
            VisitRequest.status == "approved", VisitRequest.starts_on <= on,
            VisitRequest.ends_on >= on)):
        a = session.get(ForeignAssurance, x.assurance_id)
        level = assurances.recognised(session, a, on)
        code = session.get(Programme, v.programme_id).code
        here = OnVisit(v.id, code, v.area_id, v.ends_on, level, min(v.ends_on, a.valid_until))
        if best is None or _rank(level) > _rank(best.level):
            best = here
    return best


def facility_level(session: Session, organisation_id: str | None, on: date) -> str | None:
    """The level a partner company's facility clearance assurance counts as on `on`."""
    if organisation_id is None:
        return None
    levels = [assurances.recognised(session, a, on) for a in session.scalars(
        select(ForeignAssurance).where(ForeignAssurance.kind == "facility",
                                       ForeignAssurance.organisation_id == organisation_id))]
    return max((lv for lv in levels if lv), key=_rank, default=None)


def _rank(level: str | None) -> int:
    return RANKS[level] if level else 0
