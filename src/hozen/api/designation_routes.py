"""/api/v1 routes of designation, items and markings: thin handlers over the services."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.designations import items, oversight, proposals
from hozen.designations import services as designations
from hozen.designations.markings import label_xml
from hozen.designations.schemas import (
    BannerCheck,
    CommentCreate,
    Decision,
    DesignationCreate,
    DesignationDetail,
    DesignationView,
    ItemCreate,
    ItemView,
    ObjectionAnswer,
    ObjectionCreate,
    ProposalCreate,
    ReviewRecord,
)
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["designations"],
                   responses=PROBLEM_RESPONSES)
ONE = "/designations/{designation_id}"
PROPOSAL = "/designation-proposals/{proposal_id}"


@router.get("/designations", dependencies=[requires(P.DESIGNATIONS_READ)])
def register(s: Db, me: Me, cursor: PageCursor = None,
             limit: Limit = 50) -> Page[DesignationView]:
    """The designation register (指定管理簿) as the caller may see it, in the order of the
    reference, a page at a time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = designations.list_designations(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/designations", status_code=201, dependencies=[requires(P.DESIGNATIONS_PROPOSE)])
def propose(body: DesignationCreate, s: Db, me: Me) -> DesignationView:
    """Propose a designation; it takes effect when a second official approves it."""
    return designations.view(s, proposals.propose_designation(s, body, actor=me))


@router.post("/designations/provisional", status_code=201,
             dependencies=[requires(P.DESIGNATIONS_PROVISIONAL, otp=True)])
def provisional(body: DesignationCreate, s: Db, me: Me) -> DesignationView:
    """Designate a breakthrough technology at once, to be confirmed within 90 days."""
    return designations.view(s, proposals.designate_provisionally(s, body, actor=me))


@router.get(ONE, dependencies=[requires(P.DESIGNATIONS_READ, deny_as=404)])
def read(designation_id: str, s: Db, me: Me) -> DesignationDetail:
    return designations.read_designation(s, designation_id, actor=me)


@router.post(ONE + "/proposals", status_code=201,
             dependencies=[requires(P.DESIGNATIONS_PROPOSE, deny_as=404)])
def propose_change(designation_id: str, body: ProposalCreate, s: Db, me: Me) -> dict:
    p = proposals.propose_change(s, designation_id, body, actor=me)
    return {"id": p.id, "kind": p.kind, "status": p.status}


@router.post(PROPOSAL + "/comments", status_code=201,
             dependencies=[requires(P.DESIGNATIONS_COMMENT, deny_as=404)])
def comment(proposal_id: str, body: CommentCreate, s: Db, me: Me) -> dict:
    return {"id": proposals.comment(s, proposal_id, body, actor=me).id}


@router.post(PROPOSAL + "/decision",
             dependencies=[requires(P.DESIGNATIONS_DECIDE, otp=True)])
def decide(proposal_id: str, body: Decision, s: Db, me: Me) -> dict:
    p = proposals.decide(s, proposal_id, body, actor=me)
    return {"id": p.id, "status": p.status}


@router.get("/designation-reviews", dependencies=[requires(P.DESIGNATIONS_REVIEW)])
def open_reviews(s: Db, me: Me, cursor: PageCursor = None, limit: Limit = 50) -> Page[dict]:
    """The caller's agency's reviews awaiting a record, oldest due first, a page at a
    time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = oversight.open_reviews(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/designation-reviews/{review_id}", dependencies=[requires(P.DESIGNATIONS_REVIEW)])
def record_review(review_id: str, body: ReviewRecord, s: Db, me: Me) -> dict:
    r = oversight.record_review(s, review_id, body, actor=me)
    return {"id": r.id, "still_needed": r.still_needed}


@router.post(ONE + "/objections", status_code=201,
             dependencies=[requires(P.DESIGNATIONS_OBJECT, deny_as=404)])
def object_to(designation_id: str, body: ObjectionCreate, s: Db, me: Me) -> dict:
    return {"id": oversight.file_objection(s, designation_id, body, actor=me).id}


@router.get("/designation-objections",
            dependencies=[requires(P.DESIGNATIONS_OBJECTION_ANSWER)])
def objections(s: Db, me: Me, cursor: PageCursor = None, limit: Limit = 50) -> Page[dict]:
    """Every objection, in the order filed, a page at a time."""
    rows, nxt = oversight.list_objections(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/designation-objections/{objection_id}/answer",
             dependencies=[requires(P.DESIGNATIONS_OBJECTION_ANSWER)])
def answer(objection_id: str, body: ObjectionAnswer, s: Db, me: Me) -> dict:
    o = oversight.answer_objection(s, objection_id, body, actor=me)
    return {"id": o.id, "answered_at": o.answered_at}


@router.get(ONE + "/items", dependencies=[requires(P.DESIGNATIONS_READ, deny_as=404)])
def designation_items(designation_id: str, s: Db, me: Me, cursor: PageCursor = None,
                      limit: Limit = 50) -> Page[ItemView]:
    """The designation's items in id order, a page at a time."""
    rows, nxt = items.list_items(s, designation_id, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get(ONE + "/reviews", dependencies=[requires(P.DESIGNATIONS_READ, deny_as=404)])
def designation_reviews(designation_id: str, s: Db, me: Me, cursor: PageCursor = None,
                        limit: Limit = 50) -> Page[dict]:
    """The designation's reviews by due date (government roles; others an empty list), a
    page at a time."""
    rows, nxt = oversight.designation_reviews(s, designation_id, actor=me, cursor=cursor,
                                              limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get(ONE + "/objections", dependencies=[requires(P.DESIGNATIONS_READ, deny_as=404)])
def designation_objections(designation_id: str, s: Db, me: Me, cursor: PageCursor = None,
                           limit: Limit = 50) -> Page[dict]:
    """The designation's objections in the order filed (government roles every one,
    others their own), a page at a time."""
    rows, nxt = oversight.designation_objections(s, designation_id, actor=me,
                                                 cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/items", status_code=201, dependencies=[requires(P.DESIGNATIONS_ITEM_WRITE)])
def create_item(body: ItemCreate, s: Db, me: Me) -> ItemView:
    return items.item_view(s, items.create_item(s, body, actor=me))


@router.get("/items/{item_id}", dependencies=[requires(P.DESIGNATIONS_READ, deny_as=404)])
def read_item(item_id: str, s: Db, me: Me) -> ItemView:
    """The item's derived level, banner and portion markings and confidentiality label."""
    return items.read_item(s, item_id, actor=me)


@router.get("/items/{item_id}/label.xml",
            dependencies=[requires(P.DESIGNATIONS_READ, deny_as=404)],
            response_class=Response,
            responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}}},
                       204: {"description": "The item carries no label"}})
def item_label_xml(item_id: str, s: Db, me: Me) -> Response:
    """The confidentiality label as XML (in the spirit of NATO ADatP-4774)."""
    view = items.read_item(s, item_id, actor=me)
    body = label_xml(view.label) if view.label else ""
    return Response(body, media_type="application/xml", status_code=200 if body else 204)


@router.post("/markings/check", dependencies=[requires(P.DESIGNATIONS_READ)])
def check_banner(body: BannerCheck) -> dict:
    """Parse a banner brought in from outside; a malformed one is refused with the
    position of its first error."""
    return items.check_banner(body.banner)
