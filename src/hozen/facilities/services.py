"""Facility clearance services: the agency proposes a business (or a research project),
its security officer applies, the agency reviews against the checklist and certifies for
a period; changes are reported first and take effect once approved; suspension,
reinstatement, revocation and withdrawal. Each checks permission and scope, applies the
pure rules, records the audit event; none commits."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.models import User
from hozen.accounts.permissions import Permission, Role
from hozen.accounts.services import profile, users_with_role
from hozen.audit.services import record
from hozen.db import get_by_id, is_id, new_id, utcnow
from hozen.designations.services import GOVERNMENT_ROLES
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.facilities import checklist, foci_service, rules
from hozen.facilities.checklist import load_checklist
from hozen.facilities.models import (
    ApprovedArea,
    ChangeReport,
    Facility,
    Inspection,
    InspectionFinding,
)
from hozen.facilities.rules import FacilityAction as A
from hozen.facilities.rules import FacilityState as S
from hozen.facilities.schemas import (
    AreaView,
    ChangeDecision,
    ChangeReportCreate,
    ChangeView,
    ChecklistRecord,
    FacilityApplication,
    FacilityDecision,
    FacilityPropose,
    FacilityView,
)
from hozen.facilities.scope import sees_organisation
from hozen.messages import FACILITY_STATE_LABELS
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page
from hozen.policy import get_policy
from hozen.registry.models import Organisation

CERTIFIABLE_KINDS = ("company", "university", "research_institute")
PROJECT_KINDS = ("university", "research_institute")


def today() -> date:
    return utcnow().date()


def _years() -> int:
    return int(get_policy().facilities["certification_years"])


def system_area() -> rules.Area:
    """hozen's own deployment: an approved IT system at the configured level (access
    through its pages, API and TAXII happens there)."""
    return rules.Area("it_system", str(get_policy().facilities["system_area_level"]))


def _audit(session: Session, actor: Actor, verb: str, f: Facility, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"facilities:facility:{verb}",
           subject_type="facility", subject_id=f.id,
           details={"state": f.state, "organisation": f.organisation_id, **details})


# --- who sees what ---------------------------------------------------------------------------


def access_facility(session: Session, actor: Actor, facility_id: str, *,
                    for_update: bool = False, missing: str = "facility not found") -> Facility:
    """The facility if the actor may see it; otherwise NotFound with `missing`, the same
    words a caller uses for a row of its own that does not exist (no existence leak)."""
    if not actor.can(Permission.FACILITIES_READ) or not is_id(facility_id):
        raise NotFound(missing)
    f = get_by_id(session, Facility, facility_id, for_update=for_update)
    if f is None or not sees_organisation(actor, f.organisation_id):
        raise NotFound(missing)
    return f


def state_today(f: Facility, on: date | None = None) -> S:
    """A certification past its end is expired even before the job records it."""
    state = S(f.state)
    if state in rules.STANDING and f.valid_until and (on or today()) > f.valid_until:
        return S.EXPIRED
    return state


def _step(session: Session, actor: Actor, f: Facility, action: A, **details) -> None:
    state = state_today(f)
    if errors := rules.transition_errors(state, action):
        raise Conflict(f"cannot {action.value} a facility that is {state.value}",
                       field=errors[0][0])
    f.state = rules.next_state(state, action).value
    _audit(session, actor, action.value, f, **details)


def _parts(session: Session, ids: list[str]
           ) -> tuple[dict[str, list[ApprovedArea]], dict[str, list[ChangeReport]]]:
    """The approved areas and change reports of these facilities, in two queries."""
    areas: dict[str, list[ApprovedArea]] = {}
    for a in session.scalars(select(ApprovedArea).where(ApprovedArea.facility_id.in_(ids))
                             .order_by(ApprovedArea.name)):
        areas.setdefault(a.facility_id, []).append(a)
    changes: dict[str, list[ChangeReport]] = {}
    for c in session.scalars(select(ChangeReport).where(ChangeReport.facility_id.in_(ids))
                             .order_by(ChangeReport.reported_at)):
        changes.setdefault(c.facility_id, []).append(c)
    return areas, changes


def view(session: Session, f: Facility, parts: tuple[dict, dict] | None = None
         ) -> FacilityView:
    found_areas, found_changes = parts or _parts(session, [f.id])
    areas = [AreaView(id=a.id, kind=a.kind, name=a.name, level=a.level,
                      separate_from_open_lab=a.separate_from_open_lab,
                      withdrawn_on=a.withdrawn_on) for a in found_areas.get(f.id, [])]
    changes = [ChangeView(id=c.id, kinds=c.kinds.split(","), description=c.description,
                          status=c.status, reported_at=c.reported_at, reasons=c.reasons)
               for c in found_changes.get(f.id, [])]
    return FacilityView(
        id=f.id, organisation_id=f.organisation_id, project=f.project, level=f.level,
        state=state_today(f).value, agency_id=f.agency_id, internal_rules=f.internal_rules,
        governance=f.governance, training_plan=f.training_plan,
        security_officer_id=f.security_officer_id, deputy_officer_id=f.deputy_officer_id,
        checklist=json.loads(f.checklist), certified_on=f.certified_on,
        valid_until=f.valid_until, decision_reasons=f.decision_reasons,
        national_interest_on=f.national_interest_on, areas=areas, changes=changes,
        version=f.version)


def list_facilities(session: Session, *, actor: Actor, cursor: str | None = None,
                    limit: int = DEFAULT_PAGE) -> tuple[list[FacilityView], str | None]:
    """A page of the certifications in the actor's scope, newest proposal first (ids are
    time-ordered), and the cursor of the next page."""
    actor.require(Permission.FACILITIES_READ)
    q = select(Facility)
    if not (actor.is_system or actor.roles & GOVERNMENT_ROLES):
        q = q.where(Facility.organisation_id == actor.organisation_id)
    rows, nxt = page(session, q, [Facility.id], cursor=cursor, limit=limit, newest_first=True)
    parts = _parts(session, [f.id for f in rows])
    return [view(session, f, parts) for f in rows], nxt


def read_facility(session: Session, facility_id: str, *, actor: Actor) -> FacilityView:
    return view(session, access_facility(session, actor, facility_id))


# --- the flow ----------------------------------------------------------------------------------


def _officers(session: Session, organisation_id: str) -> set[str]:
    return set(users_with_role(session, [organisation_id], Role.COMPANY_SECURITY_OFFICER))


def officer_names(session: Session, organisation_id: str) -> list[tuple[str, str]]:
    """The organisation's security officers, (user id, display name), for the officer and
    deputy pickers of its application."""
    users = session.scalars(select(User).where(User.id.in_(_officers(session,
                                                                     organisation_id))))
    return sorted(((u.id, profile(u)["display_name"]) for u in users), key=lambda u: u[1])


def _tell(session: Session, f: Facility, kind: str = "facility_update", *,
          to_agency: bool = False) -> None:
    """The business's security officers hear of each step (and the agency, when asked)."""
    org = session.get(Organisation, f.organisation_id)
    people = _officers(session, f.organisation_id)
    if to_agency:
        people |= set(users_with_role(session, [f.agency_id], Role.AGENCY_OFFICIAL))
    for user_id in sorted(people):
        notify(session, user_id, kind,
               {"organisation": org.name_ja, "facility_id": f.id,
                "state_label": FACILITY_STATE_LABELS[f.state]},
               f"{kind}:{f.id}:{f.state}:{utcnow().isoformat()}:{user_id}")


def propose(session: Session, data: FacilityPropose, *, actor: Actor) -> Facility:
    actor.require(Permission.FACILITIES_PROPOSE)
    agency = get_by_id(session, Organisation, actor.organisation_id)
    if agency is None or agency.kind != "government_body":
        raise ValidationFailed([("agency", "designating_agency_required")])
    org = get_by_id(session, Organisation, data.organisation_id)
    if org is None:
        raise ValidationFailed([("organisation_id", "organisation_unknown")])
    errors = []
    if org.kind not in CERTIFIABLE_KINDS:
        errors.append(("organisation_id", "not_certifiable"))
    if org.kind in PROJECT_KINDS and data.project is None:
        errors.append(("project", "project_required"))
    if errors:
        raise ValidationFailed(errors)
    live = [s.value for s in S if s not in rules.TERMINAL]
    if session.scalar(select(Facility.id).where(
            Facility.organisation_id == org.id, Facility.state.in_(live),
            (Facility.project == data.project) if data.project is not None
            else Facility.project.is_(None))):
        raise Conflict("this business (or project) already has a certification in progress "
                       "or in force", field="organisation_id")
    f = Facility(id=new_id(), organisation_id=org.id, project=data.project,
                 level=data.level, state=rules.next_state(None, A.PROPOSE).value,
                 agency_id=agency.id, proposed_by=actor.id)
    session.add(f)
    session.flush()
    _audit(session, actor, "propose", f, level=f.level)
    _tell(session, f)
    return f


def _areas(data: FacilityApplication) -> list[rules.Area]:
    return [rules.Area(a.kind, a.level, a.separate_from_open_lab) for a in data.areas]


def apply(session: Session, facility_id: str, data: FacilityApplication, *,
          actor: Actor) -> Facility:
    """The business's security officer applies: internal rules, governance, the officer
    and deputy (its own security officers), the training plan and the areas."""
    actor.require(Permission.FACILITIES_APPLY)
    f = access_facility(session, actor, facility_id, for_update=True)
    if errors := rules.transition_errors(state_today(f), A.APPLY):
        raise Conflict(f"cannot apply: the facility is {f.state}", field=errors[0][0])
    officers = _officers(session, f.organisation_id)
    # the rule names the roles; the request names the fields that carry them
    errors = [(f"{field}_id", code) for field, code in
              rules.officer_errors(data.security_officer_id, data.deputy_officer_id)]
    errors += [(field, "officer_unknown") for field in ("security_officer_id",
                                                        "deputy_officer_id")
               if getattr(data, field) not in officers]
    errors += rules.area_errors(_areas(data), f.level, get_policy().levels,
                                research_project=f.project is not None)
    if errors:
        raise ValidationFailed(list(dict.fromkeys(errors)))
    f.internal_rules, f.governance, f.training_plan = (data.internal_rules, data.governance,
                                                       data.training_plan)
    f.security_officer_id, f.deputy_officer_id = data.security_officer_id, \
        data.deputy_officer_id
    f.applied_at = utcnow()
    for a in data.areas:
        session.add(ApprovedArea(id=new_id(), facility_id=f.id, kind=a.kind, name=a.name,
                                 level=a.level,
                                 separate_from_open_lab=a.separate_from_open_lab))
    _step(session, actor, f, A.APPLY, areas=len(data.areas))
    _tell(session, f, to_agency=True)
    return f


def _agency_side(actor: Actor, f: Facility, missing: str = "facility not found") -> None:
    """Only the proposing agency's officials review and decide."""
    actor.require(Permission.FACILITIES_CERTIFY)
    if not actor.is_system and actor.organisation_id != f.agency_id:
        raise NotFound(missing)


def start_review(session: Session, facility_id: str, *, actor: Actor) -> Facility:
    f = access_facility(session, actor, facility_id, for_update=True)
    _agency_side(actor, f)
    f.reviewer_id = actor.id
    _step(session, actor, f, A.START_REVIEW)
    return f


def record_checklist(session: Session, facility_id: str, data: ChecklistRecord, *,
                     actor: Actor) -> Facility:
    """The reviewer records controls met (with evidence), merged into what is there."""
    f = access_facility(session, actor, facility_id, for_update=True)
    _agency_side(actor, f)
    if state_today(f) is not S.UNDER_REVIEW:
        raise Conflict("the checklist is recorded during the review", field="state")
    known = {c.id for c in load_checklist().controls}
    errors = [(f"results.{k}", "unknown_control") for k in data.results if k not in known]
    if errors:
        raise ValidationFailed(errors)
    results = json.loads(f.checklist)
    results |= {k: v.model_dump() for k, v in data.results.items()}
    f.checklist = json.dumps(results, ensure_ascii=False, sort_keys=True)
    _audit(session, actor, "checklist", f, controls=sorted(data.results))
    return f


def _findings(session: Session, f: Facility) -> list[rules.Finding]:
    rows = session.scalars(select(InspectionFinding).join(Inspection).where(
        Inspection.facility_id == f.id))
    return [rules.Finding(rules.Severity(r.severity),
                          (rules.CorrectiveAction(r.action or "", r.due_on, r.closed_on),)
                          if r.due_on else (), r.control_id) for r in rows]


def certification_errors(session: Session, f: Facility) -> list[tuple[str, str]]:
    """Everything that still bars certifying `f`: the checklist, officers, areas, training
    plan, open critical findings and unmitigated FOCI."""
    areas = [rules.Area(a.kind, a.level, a.separate_from_open_lab)
             for a in session.scalars(select(ApprovedArea).where(
                 ApprovedArea.facility_id == f.id, ApprovedArea.withdrawn_on.is_(None)))]
    app = rules.Application(f.level, f.security_officer_id, f.deputy_officer_id,
                            f.internal_rules, f.training_plan, tuple(areas),
                            research_project=f.project is not None)
    results = {k: bool(v.get("met")) for k, v in json.loads(f.checklist).items()}
    return rules.certification_errors(app, results, load_checklist().controls,
                                      foci_service.gate_for(session, f),
                                      get_policy().levels, _findings(session, f))


def certify(session: Session, facility_id: str, data: FacilityDecision, *,
            actor: Actor) -> Facility:
    f = access_facility(session, actor, facility_id, for_update=True)
    _agency_side(actor, f)
    if errors := rules.transition_errors(state_today(f), A.CERTIFY):
        raise Conflict(f"cannot certify a facility that is {f.state}", field=errors[0][0])
    if errors := certification_errors(session, f):
        raise ValidationFailed(errors)
    day = today()
    f.certified_on, f.valid_until = day, rules.valid_until(day, _years())
    f.decided_by, f.decision_reasons = actor.id, data.reasons
    _step(session, actor, f, A.CERTIFY, valid_until=f.valid_until.isoformat())
    _tell(session, f)
    return f


def _decide(session: Session, facility_id: str, action: A, data: FacilityDecision, *,
            actor: Actor) -> Facility:
    f = access_facility(session, actor, facility_id, for_update=True)
    _agency_side(actor, f)
    f.decided_by, f.decision_reasons = actor.id, data.reasons
    if action is A.REINSTATE and (errors := rules.reinstatement_errors(_findings(session, f))):
        raise ValidationFailed(errors)
    _step(session, actor, f, action)
    if action in (A.SUSPEND, A.REVOKE):
        _void_changes(session, f, action)
    _tell(session, f)
    return f


def refuse(session: Session, facility_id: str, data: FacilityDecision, *,
           actor: Actor) -> Facility:
    return _decide(session, facility_id, A.REFUSE, data, actor=actor)


def suspend(session: Session, facility_id: str, data: FacilityDecision, *,
            actor: Actor) -> Facility:
    return _decide(session, facility_id, A.SUSPEND, data, actor=actor)


def reinstate(session: Session, facility_id: str, data: FacilityDecision, *,
              actor: Actor) -> Facility:
    return _decide(session, facility_id, A.REINSTATE, data, actor=actor)


def revoke(session: Session, facility_id: str, data: FacilityDecision, *,
           actor: Actor) -> Facility:
    return _decide(session, facility_id, A.REVOKE, data, actor=actor)


def withdraw(session: Session, facility_id: str, data: FacilityDecision, *,
             actor: Actor) -> Facility:
    """The agency, or the business's own security officer, withdraws."""
    f = access_facility(session, actor, facility_id, for_update=True)
    if not (actor.can(Permission.FACILITIES_APPLY) or actor.organisation_id == f.agency_id
            and actor.can(Permission.FACILITIES_CERTIFY)):
        raise NotFound("facility not found")
    f.decision_reasons = data.reasons
    _step(session, actor, f, A.WITHDRAW)
    _void_changes(session, f, A.WITHDRAW)
    _tell(session, f, to_agency=True)
    return f


def approve_national_interest(session: Session, facility_id: str, data: FacilityDecision,
                              *, actor: Actor) -> Facility:
    """A case-by-case national-interest approval for SDS access of a mitigated business."""
    actor.require(Permission.FACILITIES_NATIONAL_INTEREST)
    f = access_facility(session, actor, facility_id, for_update=True)
    if f.level != "SDS" or state_today(f) not in rules.IN_FORCE:
        raise Conflict("only an SDS certification in force takes a national-interest "
                       "approval", field="state")
    f.national_interest_on, f.national_interest_by = today(), actor.id
    f.national_interest_reasons = data.reasons
    _audit(session, actor, "national-interest", f)
    return f


# --- changes -------------------------------------------------------------------------------


def report_change(session: Session, facility_id: str, data: ChangeReportCreate, *,
                  actor: Actor) -> ChangeReport:
    """Reported before it is made; it reopens review and takes effect only once the
    agency approves it."""
    actor.require(Permission.FACILITIES_APPLY)
    f = access_facility(session, actor, facility_id, for_update=True)
    if errors := rules.change_report_errors(data.kinds):
        raise ValidationFailed(errors)
    _step(session, actor, f, A.REPORT_CHANGE, kinds=sorted(set(data.kinds)))
    c = ChangeReport(id=new_id(), facility_id=f.id, kinds=",".join(sorted(set(data.kinds))),
                     description=data.description, reported_by=actor.id)
    session.add(c)
    session.flush()
    _tell(session, f, "facility_change", to_agency=True)
    return c


def decide_change(session: Session, change_id: str, data: ChangeDecision, *,
                  actor: Actor, facility_id: str | None = None) -> ChangeReport:
    c = get_by_id(session, ChangeReport, change_id, for_update=True) \
        if is_id(change_id) else None
    if c is None or facility_id not in (None, c.facility_id):
        raise NotFound("change report not found")
    f = access_facility(session, actor, c.facility_id, for_update=True,
                        missing="change report not found")
    _agency_side(actor, f, "change report not found")
    if c.status != rules.ChangeStatus.PENDING:
        raise Conflict("the change report has already been decided", field="status")
    action = A.APPROVE_CHANGE if data.approve else A.REJECT_CHANGE
    # a new owner: FOCI is assessed again before the change takes effect
    if action is A.APPROVE_CHANGE and "owner" in c.kinds.split(",") and (
            errors := [e for e in foci_service.gate_for(session, f).gate(f.level)
                       if e[1] != "national_interest_required"]):
        raise ValidationFailed(errors)
    c.status = rules.change_outcome(action).value
    c.decided_by, c.decided_at, c.reasons = actor.id, utcnow(), data.reasons
    _step(session, actor, f, action, change=c.id)
    _tell(session, f)
    return c


def _void_changes(session: Session, f: Facility, action: A) -> None:
    for c in session.scalars(select(ChangeReport).where(
            ChangeReport.facility_id == f.id,
            ChangeReport.status == rules.ChangeStatus.PENDING.value)):
        c.status = rules.change_outcome(action).value


def crosswalk_view(session: Session, facility_id: str, *, actor: Actor) -> dict:
    """Per regime, its controls and which have evidence: evidence entered once counts for
    every regime its control serves (R13)."""
    f = access_facility(session, actor, facility_id)
    entries = json.loads(f.checklist)
    evidence = {k: v.get("evidence") or v.get("met") for k, v in entries.items()}
    controls = load_checklist().controls
    coverage = checklist.crosswalk(controls, evidence)
    return {"regimes": {r: {"controls": list(c.controls), "evidenced": list(c.evidenced),
                            "missing": list(c.missing), "complete": c.complete}
                        for r, c in coverage.items()},
            "shared": [c.id for c in checklist.shared_controls(controls)
                       if c.id in evidence and evidence[c.id]]}
