"""The CUI authorization page: the employer's officer records identity check, training
and agreement for its staff, refresher trainings and revocations; the window and
oversight read every authorization. Thin: parse the form, call one service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.designations import cui
from hozen.designations.schemas import CuiGrant, CuiRefresher, CuiRevocation
from hozen.errors import validate
from hozen.web.clearance_pages import _staff
from hozen.web.pages import render
from hozen.web.routes import form_step

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]
PAGE = "/cui-authorizations"


def _page(request: Request, s: Session, me: Actor, *, status: int = 200,
          errors: dict | None = None, values: dict | None = None, cursor: str | None = None):
    staff = _staff(s, me) if me.can(P.CUI_AUTHORIZATION_GRANT) else {}
    rows, nxt = cui.list_authorizations(s, actor=me, cursor=cursor)
    return render(request, "designations/cui.html", status=status,
                  rows=rows, next_cursor=nxt, staff=staff,
                  can_grant=me.can(P.CUI_AUTHORIZATION_GRANT), errors=errors or {},
                  values=values or {},
                  documents=CuiGrant.model_fields["identity_document"].annotation.__args__)


@router.get(PAGE, dependencies=[page_requires(P.CUI_AUTHORIZATION_READ)])
def authorizations(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _page(request, s, me, cursor=cursor)


async def _act(request: Request, s: Session, me: Actor, action, row: str | None = None):
    """Run one step; on a refusal show the page again, the errors at the form that was
    sent: the grant form, or the row's own refresher ("rt-") or revocation ("rv-") form."""
    def refused(form: dict, errors: dict):
        if row is None:
            return _page(request, s, me, status=422, errors=errors, values=form)
        return _page(request, s, me, status=422, errors={row: next(iter(errors.values()))})

    return await form_step(request, s, action, done=PAGE, refused=refused)


@router.post(PAGE, dependencies=[page_requires(P.CUI_AUTHORIZATION_GRANT)])
async def grant(request: Request, s: Db, me: Me):
    keys = ("person_id", "identity_document", "identity_checked_on", "trained_on",
            "agreement_signed_on")
    return await _act(request, s, me, lambda f: cui.grant(
        s, validate(CuiGrant, {k: f.get(k) or None for k in keys}, whole_path=False),
        actor=me))


@router.post(PAGE + "/{authorization_id}/refresher",
             dependencies=[page_requires(P.CUI_AUTHORIZATION_GRANT)])
async def refresher(request: Request, authorization_id: str, s: Db, me: Me):
    return await _act(request, s, me, lambda f: cui.refresher(
        s, authorization_id, validate(CuiRefresher, {"trained_on": f.get("trained_on") or None}),
        actor=me), row=f"rt-{authorization_id}")


@router.post(PAGE + "/{authorization_id}/revocation",
             dependencies=[page_requires(P.CUI_AUTHORIZATION_GRANT)])
async def revoke(request: Request, authorization_id: str, s: Db, me: Me):
    return await _act(request, s, me, lambda f: cui.revoke(
        s, authorization_id, validate(CuiRevocation, {"reason": f.get("reason") or None}),
        actor=me), row=f"rv-{authorization_id}")
