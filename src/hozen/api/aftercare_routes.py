"""/api/v1 routes for continuous evaluation, complaints, own data, burden and renewal."""

from __future__ import annotations

from fastapi import APIRouter

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.clearances import aftercare
from hozen.clearances.schemas import (
    BurdenCreate,
    ComplaintAnswer,
    ComplaintCreate,
    CorrectionCreate,
    CorrectionDecision,
    EmployerCaseView,
    EventAssessment,
    EventCreate,
)
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["clearances"],
                   responses=PROBLEM_RESPONSES)


@router.post("/reportable-events", status_code=201,
             dependencies=[requires(P.CLEARANCES_EVENT_CREATE)])
def report_event(body: EventCreate, s: Db, me: Me) -> dict:
    event = aftercare.report_event(s, body, actor=me)
    return {"id": event.id, "kind": event.kind}


@router.get("/reportable-events", dependencies=[requires(P.CLEARANCES_EVENT_ASSESS)])
def open_events(s: Db, me: Me, cursor: PageCursor = None, limit: Limit = 50) -> Page[dict]:
    """Events the window has not assessed yet, oldest first, a page at a time:
    `next_cursor` fetches the next (null on the last)."""
    rows, nxt = aftercare.open_events(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/reportable-events/{event_id}/assessment",
             dependencies=[requires(P.CLEARANCES_EVENT_ASSESS)])
def assess_event(event_id: str, body: EventAssessment, s: Db, me: Me) -> dict:
    return {"reopened_cases": aftercare.assess_event(s, event_id, body, actor=me)}


@router.post("/clearance-cases/{case_id}/complaints", status_code=201,
             dependencies=[requires(P.CLEARANCES_COMPLAINT_CREATE, deny_as=404)])
def file_complaint(case_id: str, body: ComplaintCreate, s: Db, me: Me) -> dict:
    complaint = aftercare.file_complaint(s, case_id, body, actor=me)
    return {"id": complaint.id, "status": complaint.status}


@router.get("/complaints", dependencies=[requires(P.CLEARANCES_COMPLAINT_ANSWER)])
def list_complaints(s: Db, me: Me, cursor: PageCursor = None,
                    limit: Limit = 50) -> Page[dict]:
    """Every complaint, oldest first, a page at a time."""
    rows, nxt = aftercare.list_complaints(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get("/me/complaints", dependencies=[requires(P.CLEARANCES_COMPLAINT_CREATE)])
def my_complaints(s: Db, me: Me, cursor: PageCursor = None, limit: Limit = 50) -> Page[dict]:
    """The caller's own complaints, oldest first, a page at a time."""
    rows, nxt = aftercare.list_complaints(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/complaints/{complaint_id}/answer",
             dependencies=[requires(P.CLEARANCES_COMPLAINT_ANSWER)])
def answer_complaint(complaint_id: str, body: ComplaintAnswer, s: Db, me: Me) -> dict:
    complaint = aftercare.answer_complaint(s, complaint_id, body, actor=me)
    return {"id": complaint.id, "status": complaint.status}


@router.get("/me/personal-data", dependencies=[requires(P.CLEARANCES_SELF_READ)])
def my_personal_data(s: Db, me: Me) -> dict:
    return aftercare.my_personal_data(s, actor=me)


@router.post("/me/corrections", status_code=201,
             dependencies=[requires(P.CLEARANCES_CORRECTION_CREATE)])
def request_correction(body: CorrectionCreate, s: Db, me: Me) -> dict:
    req = aftercare.request_correction(s, body, actor=me)
    return {"id": req.id, "status": req.status}


@router.get("/corrections", dependencies=[requires(P.CLEARANCES_CORRECTION_DECIDE)])
def open_corrections(s: Db, me: Me, cursor: PageCursor = None,
                     limit: Limit = 50) -> Page[dict]:
    """Correction requests awaiting the window's decision, oldest first, a page at a
    time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = aftercare.open_corrections(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/corrections/{request_id}/decision",
             dependencies=[requires(P.CLEARANCES_CORRECTION_DECIDE)])
def decide_correction(request_id: str, body: CorrectionDecision, s: Db, me: Me) -> dict:
    req = aftercare.decide_correction(s, request_id, body, actor=me)
    return {"id": req.id, "status": req.status}


@router.post("/clearance-cases/{case_id}/burden", status_code=201,
             dependencies=[requires(P.CLEARANCES_BURDEN_CREATE, deny_as=404)])
def record_burden(case_id: str, body: BurdenCreate, s: Db, me: Me) -> dict:
    row = aftercare.record_burden(s, case_id, body, actor=me)
    return {"id": row.id}


@router.post("/clearance-cases/{case_id}/renewal", status_code=201,
             dependencies=[requires(P.CLEARANCES_CANDIDATE_CREATE, deny_as=404)])
def renew_case(case_id: str, s: Db, me: Me) -> EmployerCaseView:
    case = aftercare.renew_case(s, case_id, actor=me)
    return EmployerCaseView(id=case.id, person_id=case.person_id, regime=case.regime,
                            status="in_progress")
