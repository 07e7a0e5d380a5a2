"""/api/v1 routes of access decisions: thin handlers over the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from hozen.access import programmes
from hozen.access import services as access
from hozen.access.batcher import batcher
from hozen.access.schemas import (
    AccessAnswer,
    AccessBatch,
    AccessRequest,
    Briefing,
    DepartureCreate,
    FollowUpCreate,
    MemberAdd,
    ProgrammeCreate,
)
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["access"],
                   responses=PROBLEM_RESPONSES)
Lang = Annotated[str, Query(pattern="^(ja|en)$")]


@router.post("/access/check", dependencies=[requires(P.ACCESS_CHECK, grouped=True)])
async def check(body: AccessRequest, request: Request, lang: Lang = "ja") -> AccessAnswer:
    """May this person see this item, here, now — and if not, every reason why not.
    The caller asks about themself, their own staff (employers) or anyone (the window
    and oversight). Every decision is audited before it is answered (checks arriving
    together share one transaction: hozen.access.batcher)."""
    return await batcher.submit(request.state.bearer, body, lang)


@router.post("/access/check-batch", dependencies=[requires(P.ACCESS_CHECK)])
def check_batch(body: AccessBatch, s: Db, me: Me, lang: Lang = "ja") -> list[AccessAnswer]:
    """Up to 1,000 decisions in one request, in order; one audit record for the batch."""
    return access.decide_many(s, body.requests, actor=me, lang=lang)


# --- programmes, briefings, departures ------------------------------------------------------


@router.get("/programmes", dependencies=[requires(P.PROGRAMMES_READ)])
def list_programmes(s: Db, me: Me, cursor: PageCursor = None,
                    limit: Limit = 50) -> Page[dict]:
    """Programmes (compartments) the caller's organisation takes part in (all of them for
    government roles), with members: an employer sees its own staff. A page at a time,
    by code."""
    rows, nxt = programmes.list_programmes(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/programmes", status_code=201, dependencies=[requires(P.PROGRAMMES_WRITE)])
def create_programme(body: ProgrammeCreate, s: Db, me: Me) -> dict:
    p = programmes.create_programme(s, body, actor=me)
    return programmes.programme_view(s, p, me)


@router.get("/programmes/{programme_id}", dependencies=[requires(P.PROGRAMMES_READ,
                                                                 deny_as=404)])
def read_programme(programme_id: str, s: Db, me: Me) -> dict:
    return programmes.programme_view(s, programmes.access_programme(s, me, programme_id), me)


@router.post("/programmes/{programme_id}/members", status_code=201,
             dependencies=[requires(P.PROGRAMMES_BRIEF, deny_as=404)])
def add_member(programme_id: str, body: MemberAdd, s: Db, me: Me) -> dict:
    """An employer taking part adds one of its own staff; need-to-know needs a briefing."""
    m = programmes.add_member(s, programme_id, body, actor=me)
    return {"id": m.id, "person_id": m.person_id, "need_to_know": False}


@router.post("/programme-members/{membership_id}/briefing",
             dependencies=[requires(P.PROGRAMMES_BRIEF, deny_as=404)])
def brief(membership_id: str, body: Briefing, s: Db, me: Me) -> dict:
    """The briefing and the signed non-disclosure acknowledgement: need-to-know begins."""
    m = programmes.brief(s, membership_id, body, actor=me)
    return {"id": m.id, "person_id": m.person_id, "need_to_know": True}


@router.post("/departures", status_code=201,
             dependencies=[requires(P.DEPARTURES_RECORD)])
def record_departure(body: DepartureCreate, s: Db, me: Me) -> dict:
    """Leaving the organisation or a programme: debriefing, continuing obligations, and the
    window's follow-up where the person handled SDS or critical technology."""
    d = programmes.record_departure(s, body, actor=me)
    return {"id": d.id, "person_id": d.person_id, "follow_up_until": d.follow_up_until}


@router.get("/follow-ups", dependencies=[requires(P.FOLLOW_UP)])
def follow_ups(s: Db, me: Me, cursor: PageCursor = None, limit: Limit = 50) -> Page[dict]:
    """Follow-ups in progress after a departure, soonest to end first, a page at a time."""
    rows, nxt = programmes.follow_ups(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/follow-ups/{departure_id}/contacts", status_code=201,
             dependencies=[requires(P.FOLLOW_UP, deny_as=404)])
def record_contact(departure_id: str, body: FollowUpCreate, s: Db, me: Me) -> dict:
    c = programmes.record_contact(s, departure_id, body, actor=me)
    return {"id": c.id, "contacted_on": c.contacted_on}


@router.get("/people/{person_id}/accessible-items",
            dependencies=[requires(P.ACCESS_CHECK, deny_as=404)])
def accessible_items(person_id: str, s: Db, me: Me, after: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """What the person may read through hozen's registered IT system, by item id; `next`
    is the cursor of the following page (null on the last). One SQL query from the same
    rules as /access/check."""
    return access.accessible(s, person_id, actor=me, after=after, limit=limit)
