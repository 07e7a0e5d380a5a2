"""What each party may read of the assessment: the employer the outcome only, the subject
their own cases (with a denial's reasons unless declined), the window the whole file."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import WINDOW_ROLES, Permission
from hozen.audit.services import record
from hozen.clearances import rules
from hozen.clearances.models import AreaDecision, Clearance, ClearanceCase, Finding
from hozen.clearances.schemas import CaseView, EmployerCaseView, FindingView, SubjectCaseView
from hozen.clearances.services import _open, access_case


def _valid_until(session: Session, case: ClearanceCase) -> date | None:
    if case.state != rules.CaseState.GRANTED.value:
        return None
    return session.scalar(select(Clearance.valid_until).where(Clearance.case_id == case.id))


def employer_cases(session: Session, *, actor: Actor) -> list[EmployerCaseView]:
    """The employer's candidate list with outcomes only: never a finding, never why."""
    actor.require(Permission.CLEARANCES_CASE_READ_OUTCOME)
    q = select(ClearanceCase).order_by(ClearanceCase.id).limit(1000)
    if not (actor.is_system or actor.roles & WINDOW_ROLES):
        q = q.where(ClearanceCase.employer_id == actor.organisation_id)
    return [EmployerCaseView(id=c.id, person_id=c.person_id, regime=c.regime,
                             status=rules.employer_view(rules.CaseState(c.state)),
                             valid_until=_valid_until(session, c))
            for c in session.scalars(q)]


def my_cases(session: Session, *, actor: Actor) -> list[SubjectCaseView]:
    actor.require(Permission.CLEARANCES_SELF_READ)
    if not actor.person_id:
        return []
    out = []
    for c in session.scalars(select(ClearanceCase).where(
            ClearanceCase.person_id == actor.person_id).order_by(ClearanceCase.id)):
        reasons = None
        if c.state == rules.CaseState.DENIED.value and not c.declines_reasons:
            reasons = [{"area": d.area, "reasons": _open("decision", d.id, d.reasons)}
                       for d in session.scalars(select(AreaDecision).where(
                           AreaDecision.case_id == c.id, AreaDecision.favourable.is_(False)))]
        out.append(SubjectCaseView(id=c.id, regime=c.regime, state=c.state,
                                   family_consent=c.family_consent,
                                   valid_until=_valid_until(session, c),
                                   denial_reasons=reasons))
    return out


def read_case(session: Session, case_id: str, *, actor: Actor) -> CaseView:
    """The case file for the window; reading it is recorded."""
    case = access_case(session, actor, case_id, Permission.CLEARANCES_CASE_READ,
                       for_update=False)
    findings = []
    if case.investigation_id:
        for f in session.scalars(select(Finding).where(
                Finding.investigation_id == case.investigation_id).order_by(Finding.id)):
            content = _open("finding", f.id, f.content)
            findings.append(FindingView(id=f.id, area=f.area, severity=f.severity,
                                        found_on=f.found_on, recorded_by=f.recorded_by,
                                        **content))
    decisions = [{"area": d.area, "favourable": d.favourable,
                  "reasons": _open("decision", d.id, d.reasons),
                  "adjudicator_id": d.adjudicator_id}
                 for d in session.scalars(select(AreaDecision).where(
                     AreaDecision.case_id == case.id).order_by(AreaDecision.area))]
    record(session, actor=actor.audit_name, tag="clearances:case:read",
           subject_type="clearance_case", subject_id=case.id)
    return CaseView(id=case.id, person_id=case.person_id, regime=case.regime,
                    state=case.state, sponsor_id=case.sponsor_id,
                    employer_id=case.employer_id, family_consent=case.family_consent,
                    investigation_id=case.investigation_id,
                    reused_investigation=case.reused_investigation,
                    questionnaire=_open("questionnaire", case.id, case.questionnaire),
                    findings=findings, decisions=decisions, version=case.version)
