"""/api/v1 routes of suitability assessment: thin handlers over clearances.services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.clearances import roster, views
from hozen.clearances import services as clearances
from hozen.clearances.schemas import (
    Adjudication,
    CandidateCreate,
    CandidateImport,
    CaseView,
    ConsentGive,
    EmployerCaseView,
    FindingCreate,
    IntakeRequest,
    Questionnaire,
    QueueItem,
    StatusChange,
    SubjectCaseView,
    Verification,
    Workload,
    WorkQueue,
)
from hozen.errors import ValidationFailed
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["clearances"],
                   responses=PROBLEM_RESPONSES)
CASES = "/clearance-cases/{case_id}"


def _state(case) -> dict:
    return {"id": case.id, "state": case.state}


@router.post("/clearance-cases", status_code=201,
             dependencies=[requires(P.CLEARANCES_CANDIDATE_CREATE)])
def list_candidate(body: CandidateCreate, s: Db, me: Me) -> EmployerCaseView:
    case = clearances.list_candidate(s, body, actor=me)
    return EmployerCaseView(id=case.id, person_id=case.person_id, regime=case.regime,
                            status="in_progress")


CSV_MAX_BYTES = 2_000_000


async def read_csv_body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > CSV_MAX_BYTES:
            raise ValidationFailed([("file", "too_long")])
    return body


@router.post("/clearance-cases/import", status_code=201,
             dependencies=[requires(P.CLEARANCES_CANDIDATE_CREATE)],
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}}}}})
async def import_candidates(request: Request, s: Db, me: Me,
                            regime: Annotated[str, Query(max_length=8)],
                            sponsor_id: Annotated[str, Query(max_length=64)]) -> CandidateImport:
    """名簿 as CSV (UTF-8 or Shift_JIS; the template's Japanese or English headings). A
    file with any bad row lists nobody; the problem names each row and column as
    `rows.<line>.<column>`."""
    raw = await read_csv_body(request)
    cases = await run_in_threadpool(roster.import_candidates, s, raw, regime, sponsor_id,
                                    actor=me)
    return CandidateImport(listed=len(cases), cases=[
        EmployerCaseView(id=c.id, person_id=c.person_id, regime=c.regime,
                         status="in_progress") for c in cases])


@router.get("/clearance-cases", dependencies=[requires(P.CLEARANCES_CASE_READ_OUTCOME)])
def employer_cases(s: Db, me: Me, cursor: PageCursor = None,
                   limit: Limit = 50) -> Page[EmployerCaseView]:
    """The candidate list with outcomes only, oldest first, a page at a time:
    `next_cursor` fetches the next (null on the last)."""
    rows, nxt = views.employer_cases(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get("/clearance-queue", dependencies=[requires(P.CLEARANCES_CASE_READ)])
def work_queue(s: Db, me: Me) -> WorkQueue:
    """The caller's own work queues (intake, investigation, adjudication: those the
    caller's roles give), oldest submission first: the first page of each, and in
    `next_cursors` the cursor of each one's next page for GET /clearance-queue/{queue}."""
    return views.work_queue(s, actor=me)


@router.get("/clearance-queue/{queue}", dependencies=[requires(P.CLEARANCES_CASE_READ)])
def queue_page(queue: Annotated[str, Path(max_length=16)], s: Db, me: Me,
               cursor: PageCursor = None, limit: Limit = 50) -> Page[QueueItem]:
    """One of the caller's own work queues (`intake`, `investigation` or `adjudication`),
    oldest submission first, a page at a time: `next_cursor` fetches the next (null on the
    last). A queue the caller's roles do not give is refused (403)."""
    rows, nxt = views.queue_page(s, queue, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get("/clearance-workload", dependencies=[requires(P.CLEARANCES_CASE_ASSIGN)])
def workload(s: Db, me: Me) -> Workload:
    return views.workload(s, actor=me)


@router.get("/me/clearance-cases", dependencies=[requires(P.CLEARANCES_SELF_READ)])
def my_cases(s: Db, me: Me, cursor: PageCursor = None,
             limit: Limit = 50) -> Page[SubjectCaseView]:
    """The caller's own cases, oldest first, a page at a time: `next_cursor` fetches the
    next (null on the last)."""
    rows, nxt = views.my_cases(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get(CASES, dependencies=[requires(P.CLEARANCES_CASE_READ, deny_as=404)])
def read_case(case_id: str, s: Db, me: Me) -> CaseView:
    return views.read_case(s, case_id, actor=me)


@router.post(CASES + "/consent", dependencies=[requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
def give_consent(case_id: str, body: ConsentGive, s: Db, me: Me) -> dict:
    return _state(clearances.give_consent(s, case_id, body, actor=me))


@router.post(CASES + "/refusal", dependencies=[requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
def refuse_consent(case_id: str, s: Db, me: Me) -> dict:
    return _state(clearances.refuse_consent(s, case_id, actor=me))


@router.post(CASES + "/withdrawal",
             dependencies=[requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
def withdraw(case_id: str, s: Db, me: Me) -> dict:
    return _state(clearances.withdraw(s, case_id, actor=me))


@router.patch(CASES + "/questionnaire",
              dependencies=[requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
def save_questionnaire(case_id: str, body: Questionnaire, s: Db, me: Me) -> dict:
    return clearances.save_questionnaire(s, case_id, body, actor=me)


@router.post(CASES + "/submission",
             dependencies=[requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
def submit(case_id: str, s: Db, me: Me) -> dict:
    return _state(clearances.submit(s, case_id, actor=me))


@router.post(CASES + "/intake", dependencies=[requires(P.CLEARANCES_CASE_ASSIGN, deny_as=404)])
def intake(case_id: str, body: IntakeRequest, s: Db, me: Me) -> dict:
    case = clearances.intake(s, case_id, body, actor=me)
    return _state(case) | {"investigation_id": case.investigation_id,
                           "reused_investigation": case.reused_investigation}


@router.post(CASES + "/findings", status_code=201,
             dependencies=[requires(P.CLEARANCES_FINDING_WRITE, deny_as=404)])
def record_finding(case_id: str, body: FindingCreate, s: Db, me: Me) -> dict:
    finding = clearances.record_finding(s, case_id, body, actor=me)
    return {"id": finding.id, "area": finding.area, "severity": finding.severity}


@router.post(CASES + "/investigation-completion",
             dependencies=[requires(P.CLEARANCES_FINDING_WRITE, deny_as=404)])
def complete_investigation(case_id: str, s: Db, me: Me) -> dict:
    return _state(clearances.complete_investigation(s, case_id, actor=me))


@router.post(CASES + "/adjudication",
             dependencies=[requires(P.CLEARANCES_CASE_ADJUDICATE, deny_as=404, otp=True)])
def adjudicate(case_id: str, body: Adjudication, s: Db, me: Me) -> dict:
    return _state(clearances.adjudicate(s, case_id, body, actor=me))


def _change(verb: str):
    def handler(clearance_id: str, body: StatusChange, s: Db, me: Me) -> dict:
        c = clearances.change_clearance(s, clearance_id, verb, body.reason, actor=me)
        return {"id": c.id, "status": c.status}

    return handler


for _verb, _noun in (("suspend", "suspension"), ("reinstate", "reinstatement"),
                     ("revoke", "revocation")):
    router.add_api_route(f"/clearances/{{clearance_id}}/{_noun}", _change(_verb),
                         methods=["POST"], name=f"{_verb}_clearance",
                         dependencies=[requires(P.CLEARANCES_CLEARANCE_CHANGE,
                                                otp=_verb == "revoke")])


@router.get("/people/{person_id}/clearance-verification",
            dependencies=[requires(P.CLEARANCES_CLEARANCE_VERIFY)])
def verify_clearance(person_id: str, s: Db, me: Me,
                     purpose: Annotated[str, Query(min_length=3, max_length=200,
                                                   pattern=r"^[^\x00-\x1f]*$",
                                                   description="The programme or visit "
                                                   "the check is for")]) -> Verification:
    return clearances.verify_clearance(s, person_id, purpose, actor=me)
