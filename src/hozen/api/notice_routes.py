"""/api/v1/notices: mass notices to security officers and who has read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Limit, PageCursor
from hozen.notifications import notices
from hozen.notifications.notices import NoticeCreate, NoticeView, Preview
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["notices"],
                   responses=PROBLEM_RESPONSES)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]


@router.post("/notices", status_code=201, dependencies=[requires(P.NOTICES_SEND)],
             responses={200: {"model": Preview, "description": "dry_run: whom it would reach"}})
def send_notice(body: NoticeCreate, s: Db, me: Me, response: Response,
                dry_run: Annotated[bool, Query()] = False) -> NoticeView | Preview:
    """Send a notice to the security officers of the chosen organisations; with
    `dry_run=true`, only count whom it would reach (200, nothing written)."""
    if dry_run:
        response.status_code = 200
        return notices.preview(s, body, actor=me)
    sent = notices.send_notice(s, body, actor=me)
    return notices.read_notice(s, sent.id, actor=me)


@router.get("/notices", dependencies=[requires(P.NOTICES_READ)])
def list_notices(s: Db, me: Me, cursor: PageCursor = None,
                 limit: Limit = 50) -> Page[NoticeView]:
    """The notices the caller may see, newest first, a page at a time: `next_cursor`
    fetches the next (null on the last)."""
    rows, nxt = notices.list_notices(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get("/notices/{notice_id}", dependencies=[requires(P.NOTICES_READ)])
def read_notice(notice_id: str, s: Db, me: Me) -> NoticeView:
    """The notice with a receipt per recipient: organisation, read or not, and when."""
    return notices.read_notice(s, notice_id, actor=me)
