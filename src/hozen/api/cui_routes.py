"""/api/v1 routes of CUI authorizations: thin handlers over designations.cui."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.designations import cui
from hozen.designations.schemas import CuiGrant, CuiRefresher, CuiRevocation, CuiView
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["cui"],
                   responses=PROBLEM_RESPONSES)
ONE = "/cui-authorizations/{authorization_id}"


@router.get("/cui-authorizations", dependencies=[requires(P.CUI_AUTHORIZATION_READ)])
def list_authorizations(s: Db, me: Me, person_id: Annotated[
        str | None, Query(max_length=36, pattern=r"^[0-9a-f-]+$")] = None,
        cursor: PageCursor = None, limit: Limit = 50) -> Page[CuiView]:
    """Each authorization with whether it counts today and, if not, why. Newest grant
    first, a page at a time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = cui.list_authorizations(s, actor=me, person_id=person_id, cursor=cursor,
                                        limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/cui-authorizations", status_code=201,
             dependencies=[requires(P.CUI_AUTHORIZATION_GRANT)])
def grant(body: CuiGrant, s: Db, me: Me) -> CuiView:
    """Identity check, training and signed agreement: valid 5 years, refresher yearly."""
    return cui.view(cui.grant(s, body, actor=me))


@router.post(ONE + "/refresher", dependencies=[requires(P.CUI_AUTHORIZATION_GRANT)])
def refresher(authorization_id: str, body: CuiRefresher, s: Db, me: Me) -> CuiView:
    return cui.view(cui.refresher(s, authorization_id, body, actor=me))


@router.post(ONE + "/revocation", dependencies=[requires(P.CUI_AUTHORIZATION_GRANT)])
def revoke(authorization_id: str, body: CuiRevocation, s: Db, me: Me) -> CuiView:
    return cui.view(cui.revoke(s, authorization_id, body, actor=me))
