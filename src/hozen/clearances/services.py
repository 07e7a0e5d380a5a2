"""Suitability assessment services: candidate list, consent, questionnaire, investigation,
adjudication, clearances and the verification query. Each checks permission, moves the
case through the state machine in `rules`, and records the audit event; none commits."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.models import User
from hozen.accounts.permissions import EMPLOYER_ROLES, WINDOW_ROLES, Permission, Role
from hozen.audit.services import record
from hozen.clearances import notices, rules
from hozen.clearances.models import (
    AreaDecision,
    Clearance,
    ClearanceCase,
    Finding,
    Investigation,
    ReportableEvent,
)
from hozen.clearances.schemas import (
    Adjudication,
    CandidateCreate,
    ConsentGive,
    FindingCreate,
    IntakeRequest,
    Questionnaire,
    Verification,
)
from hozen.crypto import get_keyring
from hozen.db import get_by_id, is_id, new_id, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.policy import get_policy
from hozen.registry.models import Country, Organisation
from hozen.registry.services import access_person

# --- helpers ---------------------------------------------------------------------------


def _seal(kind: str, row_id: str, value: object) -> bytes:
    return get_keyring().encrypt(json.dumps(value, ensure_ascii=False, default=str).encode(),
                                 f"hozen:{kind}:{row_id}")


def _open(kind: str, row_id: str, blob: bytes | None):
    if blob is None:
        return None
    return json.loads(get_keyring().decrypt(blob, f"hozen:{kind}:{row_id}"))


def _audit(session: Session, actor: Actor, verb: str, case: ClearanceCase, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"clearances:case:{verb}",
           subject_type="clearance_case", subject_id=case.id,
           details={"state": case.state, **details})


def _move(case: ClearanceCase, action: rules.Action) -> None:
    try:
        case.state = rules.next_state(rules.CaseState(case.state), action).value
    except rules.TransitionError as exc:
        raise Conflict(str(exc), field="state") from None


def _case(session: Session, case_id: str, *, for_update: bool = True) -> ClearanceCase | None:
    if not is_id(case_id):
        return None
    q = select(ClearanceCase).where(ClearanceCase.id == case_id)
    return session.scalar(q.with_for_update() if for_update else q)


def access_case(session: Session, actor: Actor, case_id: str, permission: Permission,
                *, for_update: bool = True) -> ClearanceCase:
    """The case if this actor may act on it; NotFound alike for missing and forbidden."""
    if not actor.can(permission):
        raise NotFound("case not found")
    case = _case(session, case_id, for_update=for_update)
    if case is None or not _in_scope(actor, case):
        raise NotFound("case not found")
    return case


def _in_scope(actor: Actor, case: ClearanceCase) -> bool:
    if actor.is_system or actor.roles & WINDOW_ROLES:
        return True
    if actor.roles & EMPLOYER_ROLES and case.employer_id == actor.organisation_id:
        return True
    return Role.SUBJECT in actor.roles and case.person_id == actor.person_id


def _today() -> date:
    return utcnow().date()


# --- candidate list (名簿) ----------------------------------------------------------------


def list_candidate(session: Session, data: CandidateCreate, *, actor: Actor) -> ClearanceCase:
    actor.require(Permission.CLEARANCES_CANDIDATE_CREATE)
    errors = []
    try:
        person = access_person(session, actor, data.person_id, for_update=True)
    except NotFound:
        person = None
        errors.append(("person_id", "person_unknown"))
    sponsor = get_by_id(session, Organisation, data.sponsor_id)
    if sponsor is None or sponsor.kind != "government_body":
        errors.append(("sponsor_id", "sponsor_not_agency"))
    if person is not None and person.employer_id is None:
        errors.append(("person_id", "no_employer"))
    if errors:
        raise ValidationFailed(errors)
    open_states = [s.value for s in rules.OPEN_STATES]
    if session.scalar(select(ClearanceCase.id).where(
            ClearanceCase.person_id == person.id, ClearanceCase.regime == data.regime,
            ClearanceCase.state.in_(open_states))):
        raise ValidationFailed([("person_id", "case_already_open")])
    case = ClearanceCase(id=new_id(), person_id=person.id, regime=data.regime,
                         sponsor_id=sponsor.id, employer_id=person.employer_id,
                         listed_by=actor.id, state=rules.CaseState.LISTED.value)
    session.add(case)
    session.flush()
    _audit(session, actor, "list", case, regime=case.regime, sponsor=sponsor.id)
    notices.case_listed(session, case)
    return case


# --- the subject: consent, refusal, withdrawal, questionnaire ----------------------------


def _subject_case(session: Session, actor: Actor, case_id: str) -> ClearanceCase:
    case = access_case(session, actor, case_id, Permission.CLEARANCES_CONSENT_GIVE)
    if case.person_id != actor.person_id:  # only the subject acts on their own case
        raise NotFound("case not found")
    return case


def give_consent(session: Session, case_id: str, data: ConsentGive, *,
                 actor: Actor) -> ClearanceCase:
    case = _subject_case(session, actor, case_id)
    _move(case, rules.Action.CONSENT)
    case.family_consent = data.family_consent
    case.declines_reasons = data.declines_reasons
    case.consented_at = utcnow()
    _audit(session, actor, "consent", case, family_consent=data.family_consent)
    return case


def refuse_consent(session: Session, case_id: str, *, actor: Actor) -> ClearanceCase:
    case = _subject_case(session, actor, case_id)
    _move(case, rules.Action.REFUSE)
    _audit(session, actor, "refuse", case)
    notices.case_closed(session, case)
    return case


def withdraw(session: Session, case_id: str, *, actor: Actor) -> ClearanceCase:
    case = _subject_case(session, actor, case_id)
    _move(case, rules.Action.WITHDRAW)
    _audit(session, actor, "withdraw", case)
    notices.case_closed(session, case)
    return case


def _questionnaire_errors(session: Session, q: Questionnaire, case: ClearanceCase,
                          *, complete: bool) -> list[tuple[str, str]]:
    policy = get_policy().clearance
    years, gap = int(policy["history_years"]), int(policy["history_gap_days"])
    today = _today()
    errors: list[tuple[str, str]] = []
    known = set(session.scalars(select(Country.code)))
    if q.residences is not None:
        errors += rules.history_errors([rules.Period(r.start, r.end) for r in q.residences],
                                       today, years, gap, "residences", coverage=complete)
    if q.employment is not None:
        errors += rules.history_errors([rules.Period(e.start, e.end) for e in q.employment],
                                       today, years, gap, "employment", allow_overlap=True,
                                       coverage=complete)
    for i, t in enumerate(q.travel or []):
        if t.end < t.start or t.end > today:
            errors.append((f"travel.{i}", "date_in_future" if t.end > today
                           else "end_before_start"))
    for i, f in enumerate(q.family or []):
        if f.birth_date > today:
            errors.append((f"family.{i}.birth_date", "date_in_future"))
        for key in ("nationalities", "former_nationalities"):
            if set(getattr(f, key)) - known:
                errors.append((f"family.{i}.{key}", "country_unknown"))
    for section in ("residences", "travel", "foreign_accounts"):
        for i, entry in enumerate(getattr(q, section) or []):
            if entry.country_code not in known:
                errors.append((f"{section}.{i}.country_code", "country_unknown"))
    if q.family and not case.family_consent:
        errors.append(("family", "family_consent_missing"))
    if complete:
        for section in ("residences", "employment", "travel", "foreign_accounts", "areas"):
            if getattr(q, section) is None:
                errors.append((section, "required"))
        if q.areas is not None and set(q.areas) != set(rules.AREAS):
            errors.append(("areas", "all_areas_required"))
        if case.family_consent and q.family is None:
            errors.append(("family", "required"))
    return errors


def save_questionnaire(session: Session, case_id: str, data: Questionnaire, *,
                       actor: Actor) -> dict:
    """Save what the subject has entered so far (sections given replace stored ones)."""
    case = _subject_case(session, actor, case_id)
    if case.state != rules.CaseState.DRAFT.value:
        raise Conflict("the questionnaire can be changed only before submission",
                       field="state")
    errors = _questionnaire_errors(session, data, case, complete=False)
    if errors:
        raise ValidationFailed(errors)
    stored = _open("questionnaire", case.id, case.questionnaire) or {}
    stored.update(data.model_dump(mode="json", exclude_unset=True))
    case.questionnaire = _seal("questionnaire", case.id, stored)
    case.updated_at = utcnow()
    _audit(session, actor, "questionnaire-save", case,
           sections=sorted(data.model_fields_set))
    return stored


def submit(session: Session, case_id: str, *, actor: Actor) -> ClearanceCase:
    case = _subject_case(session, actor, case_id)
    if case.state != rules.CaseState.DRAFT.value:
        raise Conflict(f"cannot submit a case that is {case.state}", field="state")
    stored = _open("questionnaire", case.id, case.questionnaire) or {}
    errors = _questionnaire_errors(session, Questionnaire.model_validate(stored), case,
                                   complete=True)
    if errors:
        raise ValidationFailed(errors)
    _move(case, rules.Action.SUBMIT)
    case.submitted_at = utcnow()
    _audit(session, actor, "submit", case)
    return case


# --- the window: intake, investigation ---------------------------------------------------


def _adverse_reports(session: Session, person_id: str) -> list[tuple[date, str | None]]:
    """Adverse reports about the person and when they arrived: events the window assessed
    as adverse, and serious findings (with the investigation that made them)."""
    events = session.scalars(select(ReportableEvent.reported_at).where(
        ReportableEvent.person_id == person_id, ReportableEvent.adverse.is_(True)))
    findings = session.execute(select(Finding.found_on, Finding.investigation_id).join(
        Investigation).where(Investigation.person_id == person_id,
                             Finding.severity == "serious")).all()
    return [(at.date(), None) for at in events] + [(d, inv) for d, inv in findings]


def _reusable(session: Session, case: ClearanceCase) -> rules.PastInvestigation | None:
    """An investigation's own findings were weighed when it was adjudicated; only what
    arrived from elsewhere since it was completed stops its reuse."""
    reports = _adverse_reports(session, case.person_id)
    years = int(get_policy().clearance["investigation_reuse_years"])
    eligible = []
    for inv in session.scalars(select(Investigation).where(
            Investigation.person_id == case.person_id, Investigation.completed_on.is_not(None))):
        past = rules.PastInvestigation(inv.id, rules.Regime(inv.regime), inv.completed_on)
        dates = [d for d, source in reports if source != inv.id]
        if rules.reusable_investigation([past], rules.Regime(case.regime), _today(), dates,
                                        years):
            eligible.append(past)
    return max(eligible, key=lambda p: p.completed_on, default=None)


def intake(session: Session, case_id: str, data: IntakeRequest, *,
           actor: Actor) -> ClearanceCase:
    """Reuse an earlier investigation when the rules allow (R2); otherwise open one and
    assign the investigator."""
    case = access_case(session, actor, case_id, Permission.CLEARANCES_CASE_ASSIGN)
    if case.state != rules.CaseState.SUBMITTED.value:
        raise Conflict(f"cannot take in a case that is {case.state}", field="state")
    reuse = _reusable(session, case)
    if reuse is not None:
        _move(case, rules.Action.REUSE_INVESTIGATION)
        case.investigation_id, case.reused_investigation = reuse.id, True
        _audit(session, actor, "reuse-investigation", case, investigation=reuse.id)
        return case
    investigator = get_by_id(session, User, data.investigator_id)
    if investigator is None or Role.INVESTIGATOR not in investigator.roles:
        raise ValidationFailed([("investigator_id", "investigator_required")])
    inv = Investigation(id=new_id(), person_id=case.person_id, regime=case.regime,
                        investigator_id=investigator.id)
    session.add(inv)
    session.flush()
    _move(case, rules.Action.OPEN_INVESTIGATION)
    case.investigation_id = inv.id
    _audit(session, actor, "assign", case, investigation=inv.id, investigator=investigator.id)
    notices.case_assigned(session, case, investigator.id)
    return case


def _investigating(session: Session, actor: Actor, case_id: str) -> tuple[ClearanceCase,
                                                                           Investigation]:
    case = access_case(session, actor, case_id, Permission.CLEARANCES_FINDING_WRITE)
    inv = session.get(Investigation, case.investigation_id) if case.investigation_id else None
    if inv is None or inv.investigator_id != actor.id:
        raise NotFound("case not found")  # only the assigned investigator works on it
    if case.state != rules.CaseState.INVESTIGATION.value:
        raise Conflict(f"the case is {case.state}, not under investigation", field="state")
    return case, inv


def record_finding(session: Session, case_id: str, data: FindingCreate, *,
                   actor: Actor) -> Finding:
    case, inv = _investigating(session, actor, case_id)
    if data.found_on > _today():
        raise ValidationFailed([("found_on", "date_in_future")])
    finding = Finding(id=new_id(), investigation_id=inv.id, area=data.area,
                      severity=data.severity, found_on=data.found_on, recorded_by=actor.id)
    finding.content = _seal("finding", finding.id,
                            {"source": data.source, "summary": data.summary})
    session.add(finding)
    session.flush()
    _audit(session, actor, "finding", case, area=data.area, finding=finding.id)
    return finding


def complete_investigation(session: Session, case_id: str, *, actor: Actor) -> ClearanceCase:
    case, inv = _investigating(session, actor, case_id)
    _move(case, rules.Action.COMPLETE_INVESTIGATION)
    inv.completed_on = _today()
    _audit(session, actor, "investigation-complete", case, investigation=inv.id)
    return case


# --- adjudication and clearances ----------------------------------------------------------


def _investigators(session: Session, investigation_id: str | None) -> set[str]:
    if investigation_id is None:
        return set()
    inv = session.get(Investigation, investigation_id)
    ids = set(session.scalars(select(Finding.recorded_by).where(
        Finding.investigation_id == investigation_id)))
    return ids | ({inv.investigator_id} if inv and inv.investigator_id else set())


def adjudicate(session: Session, case_id: str, data: Adjudication, *,
               actor: Actor) -> ClearanceCase:
    """Decide every one of the seven areas; all favourable grants, any other denies."""
    case = access_case(session, actor, case_id, Permission.CLEARANCES_CASE_ADJUDICATE)
    if case.state != rules.CaseState.ADJUDICATION.value:
        raise Conflict(f"cannot adjudicate a case that is {case.state}", field="state")
    if not rules.may_adjudicate(actor.id, _investigators(session, case.investigation_id)):
        raise Conflict("nobody adjudicates a case they investigated", field="adjudicator")
    areas = [d.area for d in data.decisions]
    if sorted(areas) != sorted(rules.AREAS):
        raise ValidationFailed([("decisions", "all_areas_required")])
    session.query(AreaDecision).filter_by(case_id=case.id).delete()  # a reopened case
    for d in data.decisions:
        row = AreaDecision(id=new_id(), case_id=case.id, area=d.area, favourable=d.favourable,
                           adjudicator_id=actor.id)
        row.reasons = _seal("decision", row.id, d.reasons)
        session.add(row)
    granted = all(d.favourable for d in data.decisions)
    _move(case, rules.Action.GRANT if granted else rules.Action.DENY)
    case.decided_at = utcnow()
    until = None
    if granted:
        until = _grant(session, case).valid_until
    else:  # a reopened case that is now denied loses its clearance
        held = session.scalar(select(Clearance).where(Clearance.case_id == case.id))
        if held is not None and held.status in ("active", "suspended"):
            held.status = rules.ClearanceStatus.REVOKED.value
    _audit(session, actor, "adjudicate", case, outcome=case.state)
    notices.case_closed(session, case, until)
    return case


def _grant(session: Session, case: ClearanceCase) -> Clearance:
    today = _today()
    until = rules.valid_until(today, rules.Regime(case.regime),
                              get_policy().clearance["validity_years"])
    clearance = session.scalar(select(Clearance).where(Clearance.case_id == case.id))
    if clearance is None:
        clearance = Clearance(id=new_id(), person_id=case.person_id, case_id=case.id,
                              regime=case.regime, sponsor_id=case.sponsor_id)
        session.add(clearance)
    clearance.granted_on, clearance.valid_until = today, until
    clearance.status = rules.ClearanceStatus.ACTIVE.value
    session.flush()
    return clearance


def change_clearance(session: Session, clearance_id: str, verb: str, reason: str, *,
                     actor: Actor) -> Clearance:
    """Suspend, reinstate or revoke, with a reason kept in the audit log only."""
    actor.require(Permission.CLEARANCES_CLEARANCE_CHANGE)
    clearance = get_by_id(session, Clearance, clearance_id, for_update=True)
    if clearance is None:
        raise NotFound("clearance not found")
    try:
        new = rules.next_clearance_status(rules.ClearanceStatus(clearance.status), verb)
    except ValueError as exc:
        raise Conflict(str(exc), field="status") from None
    clearance.status = new.value
    record(session, actor=actor.audit_name, tag=f"clearances:clearance:{verb}",
           subject_type="clearance", subject_id=clearance.id,
           details={"status": new.value, "reason_length": len(reason)})
    return clearance


def verify_clearance(session: Session, person_id: str, purpose: str, *,
                     actor: Actor) -> Verification:
    """One query any agency or qualified business relies on (R1): level and validity
    only. The query and its stated purpose are audited."""
    actor.require(Permission.CLEARANCES_CLEARANCE_VERIFY)
    if not is_id(person_id):
        raise NotFound("person not found")
    rows = list(session.scalars(select(Clearance).where(Clearance.person_id == person_id)))
    today = _today()
    current = [c for c in rows if rules.is_current(rules.ClearanceStatus(c.status),
                                                   c.valid_until, today)]
    pool = current or rows
    best = max(pool, key=lambda c: (rules.REGIME_RANK[rules.Regime(c.regime)], c.valid_until),
               default=None)
    record(session, actor=actor.audit_name, tag="clearances:clearance:verify",
           subject_type="person", subject_id=person_id, details={"purpose": purpose})
    if best is None:
        return Verification(status="none", level=None, regime=None, valid_until=None)
    status = best.status
    if status == "active" and best.valid_until < today:
        status = "expired"
    return Verification(status=status, level=best.regime, regime=best.regime,
                        valid_until=best.valid_until)
