"""What each party may read of the assessment: the employer the outcome only, the subject
their own cases (with a denial's reasons unless declined), the window the whole file."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import WINDOW_ROLES, Permission, Role
from hozen.accounts.services import profile
from hozen.audit.services import record
from hozen.clearances import rules
from hozen.clearances.models import (
    AreaDecision,
    Clearance,
    ClearanceCase,
    Finding,
    Investigation,
)
from hozen.clearances.schemas import (
    CaseView,
    EmployerCaseView,
    FindingView,
    InvestigatorLoad,
    QueueItem,
    SubjectCaseView,
    Workload,
    WorkQueue,
)
from hozen.clearances.services import _open, access_case
from hozen.db import utcnow
from hozen.errors import Forbidden, NotFound, ValidationFailed
from hozen.paging import DEFAULT_PAGE, page, page_kept
from hozen.policy import get_policy

GRANTED = rules.CaseState.GRANTED.value


def employer_cases(session: Session, *, actor: Actor, cursor: str | None = None,
                   limit: int = DEFAULT_PAGE) -> tuple[list[EmployerCaseView], str | None]:
    """A page of the employer's candidate list with outcomes only (never a finding, never
    why), oldest first, and the cursor of the next page."""
    actor.require(Permission.CLEARANCES_CASE_READ_OUTCOME)
    q = select(ClearanceCase)
    if not (actor.is_system or actor.roles & WINDOW_ROLES):
        q = q.where(ClearanceCase.employer_id == actor.organisation_id)
    retention = get_policy().retention
    today = utcnow().date()
    window = actor.is_system or bool(actor.roles & WINDOW_ROLES)

    def kept(c: ClearanceCase) -> bool:
        view = rules.employer_view(rules.CaseState(c.state))
        # A refusal or withdrawal closes the case when it happens (even after an earlier
        # grant was reopened); a decision when it was made.
        closed = c.updated_at if view == "not_proceeding" else c.decided_at
        # past retention the employer's copy is gone; the window keeps its own
        return window or rules.employer_retains(
            view, closed.date() if closed else None, today,
            retention["company_favourable_notice_years"],
            retention["company_other_papers_years"])

    rows, nxt = page_kept(session, q, [ClearanceCase.id], kept, cursor=cursor, limit=limit)
    until = dict(session.execute(select(Clearance.case_id, Clearance.valid_until).where(
        Clearance.case_id.in_([c.id for c in rows if c.state == GRANTED])))
        .all()) if rows else {}
    return [EmployerCaseView(id=c.id, person_id=c.person_id, regime=c.regime,
                             status=rules.employer_view(rules.CaseState(c.state)),
                             valid_until=until.get(c.id)) for c in rows], nxt


def my_cases(session: Session, *, actor: Actor, cursor: str | None = None,
             limit: int = DEFAULT_PAGE) -> tuple[list[SubjectCaseView], str | None]:
    """A page of the subject's own cases, oldest first, with a denial's reasons unless
    declined, and the cursor of the next page."""
    actor.require(Permission.CLEARANCES_SELF_READ)
    if not actor.person_id:
        return [], None
    rows, nxt = page(session, select(ClearanceCase).where(
        ClearanceCase.person_id == actor.person_id), [ClearanceCase.id], cursor=cursor,
        limit=limit)
    denied = [c.id for c in rows
              if c.state == rules.CaseState.DENIED.value and not c.declines_reasons]
    reasons: dict[str, list[dict]] = {}
    for d in session.scalars(select(AreaDecision).where(
            AreaDecision.case_id.in_(denied), AreaDecision.favourable.is_(False))
            .order_by(AreaDecision.id)) if denied else ():
        reasons.setdefault(d.case_id, []).append(
            {"area": d.area, "reasons": _open("decision", d.id, d.reasons)})
    granted = [c.id for c in rows if c.state == GRANTED]
    until = dict(session.execute(select(Clearance.case_id, Clearance.valid_until).where(
        Clearance.case_id.in_(granted))).all()) if granted else {}
    return [SubjectCaseView(id=c.id, regime=c.regime, state=c.state,
                            family_consent=c.family_consent, valid_until=until.get(c.id),
                            denial_reasons=reasons.get(c.id, []) if c.id in denied else None)
            for c in rows], nxt


def my_questionnaire(session: Session, case_id: str, *, actor: Actor) -> dict | None:
    """The subject's own saved answers, to continue where they left off."""
    case = access_case(session, actor, case_id, Permission.CLEARANCES_CONSENT_GIVE,
                       for_update=False)
    if case.person_id != actor.person_id:
        raise NotFound("case not found")
    return _open("questionnaire", case.id, case.questionnaire)


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


def _queue_item(c: ClearanceCase) -> QueueItem:
    return QueueItem(id=c.id, regime=c.regime, state=c.state, sponsor_id=c.sponsor_id,
                     submitted_at=c.submitted_at, reused_investigation=c.reused_investigation)


# Each work queue and the one role whose own work it holds, in the order they are shown.
QUEUES = {"intake": Role.WINDOW_OFFICER, "investigation": Role.INVESTIGATOR,
          "adjudication": Role.ADJUDICATOR}


def queues_of(roles) -> list[str]:
    """The work queues the roles give, in the order they are shown."""
    return [q for q, role in QUEUES.items() if role in roles]


def _queued(queue: str, actor: Actor):
    """The cases waiting in `queue` for the actor (a select of cases, not ordered)."""
    if queue == "intake":  # every submitted questionnaire waits for the window
        return select(ClearanceCase).where(
            ClearanceCase.state == rules.CaseState.SUBMITTED.value)
    if queue == "investigation":  # the investigations assigned to the actor
        return select(ClearanceCase).join(
            Investigation, Investigation.id == ClearanceCase.investigation_id).where(
            ClearanceCase.state == rules.CaseState.INVESTIGATION.value,
            Investigation.investigator_id == actor.id)
    # Nobody adjudicates a case they investigated or recorded findings on. NOT EXISTS
    # (not NOT IN) so each case is checked through an index as it is read in order.
    investigated = select(Investigation.id).where(
        Investigation.id == ClearanceCase.investigation_id,
        Investigation.investigator_id == actor.id)
    found = select(Finding.id).where(Finding.investigation_id == ClearanceCase.investigation_id,
                                     Finding.recorded_by == actor.id)
    return select(ClearanceCase).where(
        ClearanceCase.state == rules.CaseState.ADJUDICATION.value,
        ~investigated.exists(), ~found.exists())


def queue_page(session: Session, queue: str, *, actor: Actor, cursor: str | None = None,
               limit: int = DEFAULT_PAGE) -> tuple[list[QueueItem], str | None]:
    """A page of one of the caller's own work queues, oldest submission first, and the
    cursor of the next page. A queue the caller's roles do not give is refused."""
    actor.require(Permission.CLEARANCES_CASE_READ)
    if queue not in QUEUES:
        raise ValidationFailed([("queue", "invalid")])
    if queue not in queues_of(actor.roles):
        raise Forbidden("not your work queue")
    # A clearance imported from a legacy system was never submitted; reopened by an
    # adverse event, it waits for adjudication ahead of every case submitted here (and
    # that queue, short by nature, is sorted: the index keeps NULLs last on PostgreSQL).
    rows, nxt = page(session, _queued(queue, actor),
                     [ClearanceCase.submitted_at, ClearanceCase.id], cursor=cursor,
                     limit=limit, nulls_first=queue == "adjudication")
    return [_queue_item(c) for c in rows], nxt


def work_queue(session: Session, *, actor: Actor, limit: int = DEFAULT_PAGE,
               cursors: dict[str, str | None] | None = None) -> WorkQueue:
    """The caller's own work: the window officer's intake, the investigator's assigned
    investigations, the adjudicator's cases they did not investigate; of each queue the
    caller has, the page at its cursor in `cursors` (the first without one)."""
    actor.require(Permission.CLEARANCES_CASE_READ)
    queue = WorkQueue()
    for name in queues_of(actor.roles):
        items, nxt = queue_page(session, name, actor=actor,
                                cursor=(cursors or {}).get(name), limit=limit)
        setattr(queue, name, items)
        queue.next_cursors[name] = nxt
    return queue


def workload(session: Session, *, actor: Actor) -> Workload:
    """The window's picture: cases per state, open investigations per investigator, and
    how many investigations reuse spared (R2)."""
    actor.require(Permission.CLEARANCES_CASE_ASSIGN)
    by_state = dict(session.execute(select(ClearanceCase.state, func.count())
                                    .group_by(ClearanceCase.state)).all())
    open_by = dict(session.execute(
        select(Investigation.investigator_id, func.count()).join(
            ClearanceCase, ClearanceCase.investigation_id == Investigation.id)
        .where(ClearanceCase.state == rules.CaseState.INVESTIGATION.value,
               ClearanceCase.reused_investigation.is_(False))
        .group_by(Investigation.investigator_id)).all())
    investigators = [
        InvestigatorLoad(id=u.id, display_name=profile(u)["display_name"],
                         open_investigations=open_by.get(u.id, 0))
        for u in session.scalars(select(User).join(UserRole).where(
            UserRole.role == Role.INVESTIGATOR.value, User.active.is_(True)).order_by(User.id))]
    avoided = session.scalar(select(func.count()).select_from(ClearanceCase).where(
        ClearanceCase.reused_investigation.is_(True))) or 0
    return Workload(cases_by_state={s.value: by_state.get(s.value, 0) for s in rules.CaseState},
                    investigators=investigators, investigations_avoided=avoided)
