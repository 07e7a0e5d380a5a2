"""After and around the decision: continuous evaluation, complaints, the subject's own
data and corrections, the burden record, and renewal."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import EMPLOYER_ROLES, WINDOW_ROLES, Permission, Role
from hozen.audit.services import record
from hozen.clearances import notices, rules
from hozen.clearances.models import (
    BurdenRecord,
    ClearanceCase,
    Complaint,
    CorrectionRequest,
    ReportableEvent,
)
from hozen.clearances.schemas import (
    BurdenCreate,
    ComplaintAnswer,
    ComplaintCreate,
    CorrectionCreate,
    CorrectionDecision,
    EventAssessment,
    EventCreate,
)
from hozen.clearances.services import (
    _audit,
    _move,
    _open,
    _seal,
    _subject_case,
    _today,
    access_case,
)
from hozen.clearances.views import my_cases
from hozen.db import get_by_id, new_id, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.paging import DEFAULT_PAGE, every, page
from hozen.registry.services import access_person, read_person

# --- continuous evaluation ------------------------------------------------------------


def report_event(session: Session, data: EventCreate, *, actor: Actor) -> ReportableEvent:
    """Filed by the subject about themself, or by an employer about its own staff."""
    actor.require(Permission.CLEARANCES_EVENT_CREATE)
    if Role.SUBJECT in actor.roles and not actor.roles & EMPLOYER_ROLES:
        if data.person_id != actor.person_id:
            raise ValidationFailed([("person_id", "person_unknown")])
    else:
        try:
            access_person(session, actor, data.person_id)
        except NotFound:
            raise ValidationFailed([("person_id", "person_unknown")]) from None
    if data.occurred_on > _today():
        raise ValidationFailed([("occurred_on", "date_in_future")])
    event = ReportableEvent(id=new_id(), person_id=data.person_id, kind=data.kind,
                            occurred_on=data.occurred_on, reported_by=actor.id)
    event.details = _seal("event", event.id, data.details)
    session.add(event)
    session.flush()
    record(session, actor=actor.audit_name, tag="clearances:event:create",
           subject_type="person", subject_id=data.person_id,
           details={"event": event.id, "kind": data.kind})
    return event


def open_events(session: Session, *, actor: Actor, cursor: str | None = None,
                limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of the events the window has not assessed yet, oldest first, and the
    cursor of the next page; reading them is recorded."""
    actor.require(Permission.CLEARANCES_EVENT_ASSESS)
    rows, nxt = page(session, select(ReportableEvent).where(ReportableEvent.adverse.is_(None)),
                     [ReportableEvent.id], cursor=cursor, limit=limit)
    if rows:
        record(session, actor=actor.audit_name, tag="clearances:event:list",
               subject_type="reportable_event", subject_id=None,
               details={"read": [e.id for e in rows]})
    return [{"id": e.id, "person_id": e.person_id, "kind": e.kind,
             "occurred_on": e.occurred_on, "reported_at": e.reported_at,
             "details": _open("event", e.id, e.details)} for e in rows], nxt


def assess_event(session: Session, event_id: str, data: EventAssessment, *,
                 actor: Actor) -> list[str]:
    """The window decides whether an event is adverse; an adverse one sends every granted
    case of the person back to adjudication. Returns the reopened case ids."""
    actor.require(Permission.CLEARANCES_EVENT_ASSESS)
    event = get_by_id(session, ReportableEvent, event_id)
    if event is None:
        raise NotFound("event not found")
    if event.adverse is not None:
        raise Conflict("the event has already been assessed", field="adverse")
    event.adverse, event.assessed_by = data.adverse, actor.id
    reopened = []
    if data.adverse:
        for case in session.scalars(select(ClearanceCase).where(
                ClearanceCase.person_id == event.person_id,
                ClearanceCase.state == rules.CaseState.GRANTED.value).with_for_update()):
            _move(case, rules.Action.REOPEN)
            _audit(session, actor, "reopen", case, event=event.id)
            reopened.append(case.id)
    record(session, actor=actor.audit_name, tag="clearances:event:assess",
           subject_type="person", subject_id=event.person_id,
           details={"event": event.id, "adverse": data.adverse, "reopened": reopened})
    return reopened


# --- complaints (苦情) -------------------------------------------------------------------


def file_complaint(session: Session, case_id: str, data: ComplaintCreate, *,
                   actor: Actor) -> Complaint:
    actor.require(Permission.CLEARANCES_COMPLAINT_CREATE)
    case = _subject_case(session, actor, case_id)
    complaint = Complaint(id=new_id(), case_id=case.id, kind=data.kind)
    complaint.content = _seal("complaint", complaint.id, {"text": data.text})
    session.add(complaint)
    session.flush()
    record(session, actor=actor.audit_name, tag="clearances:complaint:create",
           subject_type="clearance_case", subject_id=case.id,
           details={"complaint": complaint.id, "kind": data.kind})
    return complaint


def answer_complaint(session: Session, complaint_id: str, data: ComplaintAnswer, *,
                     actor: Actor) -> Complaint:
    actor.require(Permission.CLEARANCES_COMPLAINT_ANSWER)
    complaint = get_by_id(session, Complaint, complaint_id, for_update=True)
    if complaint is None:
        raise NotFound("complaint not found")
    if complaint.status == "answered":
        raise Conflict("the complaint has already been answered", field="status")
    content = _open("complaint", complaint.id, complaint.content)
    content |= {"handling": data.handling, "answer": data.answer}
    complaint.content = _seal("complaint", complaint.id, content)
    complaint.status, complaint.answered_by, complaint.answered_at = "answered", actor.id, utcnow()
    record(session, actor=actor.audit_name, tag="clearances:complaint:answer",
           subject_type="clearance_case", subject_id=complaint.case_id,
           details={"complaint": complaint.id})
    return complaint


def complaint_view(complaint: Complaint) -> dict:
    content = _open("complaint", complaint.id, complaint.content)
    return {"id": complaint.id, "case_id": complaint.case_id, "kind": complaint.kind,
            "status": complaint.status, "filed_at": complaint.filed_at,
            "answered_at": complaint.answered_at, **content}


def list_complaints(session: Session, *, actor: Actor, open_only: bool = False,
                    cursor: str | None = None,
                    limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of complaints, oldest first, and the cursor of the next page: the window
    sees every complaint; a subject sees their own."""
    if actor.can(Permission.CLEARANCES_COMPLAINT_ANSWER):
        q = select(Complaint)
    elif actor.can(Permission.CLEARANCES_COMPLAINT_CREATE) and actor.person_id:
        q = select(Complaint).join(ClearanceCase).where(
            ClearanceCase.person_id == actor.person_id)
    else:
        return [], None
    if open_only:
        q = q.where(Complaint.status == "open")
    rows, nxt = page(session, q, [Complaint.id], cursor=cursor, limit=limit)
    record(session, actor=actor.audit_name, tag="clearances:complaint:read",
           subject_type="complaint", details={"read": [c.id for c in rows]})
    return [complaint_view(c) for c in rows], nxt


# --- the subject's own data and corrections ----------------------------------------------


def my_personal_data(session: Session, *, actor: Actor) -> dict:
    """Everything held on the subject that they may see: the registry record, their
    questionnaires, their cases and the events filed about them."""
    actor.require(Permission.CLEARANCES_SELF_READ)
    if not actor.person_id:
        raise NotFound("no personal record")
    person = read_person(session, actor.person_id, actor=actor)
    questionnaires = {c.id: _open("questionnaire", c.id, c.questionnaire)
                      for c in session.scalars(select(ClearanceCase).where(
                          ClearanceCase.person_id == actor.person_id))}
    events = [{"id": e.id, "kind": e.kind, "occurred_on": e.occurred_on,
               "details": _open("event", e.id, e.details), "adverse": e.adverse}
              for e in session.scalars(select(ReportableEvent).where(
                  ReportableEvent.person_id == actor.person_id))]
    return {"person": person.model_dump(mode="json"),
            "cases": every(my_cases, session, actor=actor),
            "questionnaires": questionnaires, "events": events}


def request_correction(session: Session, data: CorrectionCreate, *,
                       actor: Actor) -> CorrectionRequest:
    actor.require(Permission.CLEARANCES_CORRECTION_CREATE)
    if not actor.person_id:
        raise NotFound("no personal record")
    req = CorrectionRequest(id=new_id(), person_id=actor.person_id)
    req.content = _seal("correction", req.id, data.model_dump())
    session.add(req)
    session.flush()
    record(session, actor=actor.audit_name, tag="clearances:correction:create",
           subject_type="person", subject_id=actor.person_id,
           details={"request": req.id, "field": data.field})
    return req


def open_corrections(session: Session, *, actor: Actor, cursor: str | None = None,
                     limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of the correction requests awaiting the window's decision, oldest first
    (a recorded read), and the cursor of the next page."""
    actor.require(Permission.CLEARANCES_CORRECTION_DECIDE)
    rows, nxt = page(session, select(CorrectionRequest).where(
        CorrectionRequest.status == "open"), [CorrectionRequest.id], cursor=cursor,
        limit=limit)
    if rows:
        record(session, actor=actor.audit_name, tag="clearances:correction:list",
               subject_type="correction_request", subject_id=None,
               details={"read": [r.id for r in rows]})
    return [{"id": r.id, "person_id": r.person_id, "filed_at": r.filed_at,
             **_open("correction", r.id, r.content)} for r in rows], nxt


def decide_correction(session: Session, request_id: str, data: CorrectionDecision, *,
                      actor: Actor) -> CorrectionRequest:
    """The window accepts or rejects, with a note; an accepted change is then made through
    the registry, where it is validated and audited like any other edit."""
    actor.require(Permission.CLEARANCES_CORRECTION_DECIDE)
    req = get_by_id(session, CorrectionRequest, request_id, for_update=True)
    if req is None:
        raise NotFound("correction request not found")
    if req.status != "open":
        raise Conflict("the request has already been decided", field="status")
    content = _open("correction", req.id, req.content) | {"note": data.note}
    req.content = _seal("correction", req.id, content)
    req.status = "accepted" if data.accepted else "rejected"
    req.decided_by, req.decided_at = actor.id, utcnow()
    record(session, actor=actor.audit_name, tag="clearances:correction:decide",
           subject_type="person", subject_id=req.person_id,
           details={"request": req.id, "status": req.status})
    return req


# --- burden (R12) and renewal -----------------------------------------------------------


def record_burden(session: Session, case_id: str, data: BurdenCreate, *,
                  actor: Actor) -> BurdenRecord:
    """Time and cost of a step. Each party records its own share."""
    case = access_case(session, actor, case_id, Permission.CLEARANCES_BURDEN_CREATE,
                       for_update=False)
    own_party = ("window" if actor.roles & WINDOW_ROLES
                 else "security_officer" if actor.roles & EMPLOYER_ROLES else "subject")
    if data.party != own_party:
        raise ValidationFailed([("party", "invalid")])
    row = BurdenRecord(id=new_id(), case_id=case.id, recorded_by=actor.id, **data.model_dump())
    session.add(row)
    session.flush()
    record(session, actor=actor.audit_name, tag="clearances:burden:create",
           subject_type="clearance_case", subject_id=case.id,
           details={"step": data.step, "party": data.party, "minutes": data.minutes,
                    "cost_yen": data.cost_yen, "allowance_yen": data.allowance_yen})
    return row


def renew_case(session: Session, case_id: str, *, actor: Actor) -> ClearanceCase:
    """A new case for the same person, regime and sponsor, its questionnaire pre-filled
    from the last one so the subject confirms or corrects rather than retypes."""
    old = access_case(session, actor, case_id, Permission.CLEARANCES_CANDIDATE_CREATE)
    if old.state != rules.CaseState.GRANTED.value:
        raise Conflict("only a granted case is renewed", field="state")
    if session.scalar(select(ClearanceCase.id).where(ClearanceCase.renewal_of == old.id)):
        raise Conflict("a renewal is already open", field="state")
    new = ClearanceCase(id=new_id(), person_id=old.person_id, regime=old.regime,
                        sponsor_id=old.sponsor_id, employer_id=old.employer_id,
                        listed_by=actor.id, state=rules.CaseState.LISTED.value,
                        renewal_of=old.id)
    answers = _open("questionnaire", old.id, old.questionnaire)
    if answers is not None:
        new.questionnaire = _seal("questionnaire", new.id, answers)
    session.add(new)
    session.flush()
    _audit(session, actor, "renew", new, renewal_of=old.id)
    notices.case_listed(session, new)
    return new
