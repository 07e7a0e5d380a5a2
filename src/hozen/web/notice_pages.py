"""Pages of mass notices: compose (with a preview of whom it reaches), send, the notices
sent, and per notice who has read it. Thin: parse the form, call one service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.access.models import Programme
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.errors import ValidationFailed, validate
from hozen.notifications import notices
from hozen.notifications.notice_rules import FACILITY_LEVELS
from hozen.registry.models import ORG_KINDS
from hozen.web.pages import redirect, render
from hozen.web.routes import field_errors, read_form

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]


def _page(request: Request, s: Session, me: Actor, *, status: int = 200,
          values: dict | None = None, errors: dict | None = None, preview=None,
          cursor: str | None = None):
    sent, nxt = notices.list_notices(s, actor=me, cursor=cursor)
    choices = list(s.execute(select(Programme.id, Programme.code, Programme.name_ja,
                                    Programme.name_en).order_by(Programme.code)))
    can_send = me.can(P.NOTICES_SEND)
    s.rollback()  # a preview writes nothing
    return render(request, "notices.html", status=status, notices=sent, next_cursor=nxt,
                  values=values or {},
                  errors=errors or {}, preview=preview, kinds=ORG_KINDS,
                  facility_levels=FACILITY_LEVELS, programmes=choices, can_send=can_send)


@router.get("/notices", dependencies=[page_requires(P.NOTICES_READ)])
def notice_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _page(request, s, me, cursor=cursor)


def _values(form: dict) -> dict:
    def many(name: str) -> list[str]:
        return [v.strip() for v in (form.get(name) or "").split(",") if v.strip()]

    return {"title": form.get("title") or "", "body": form.get("body") or "",
            "kinds": many("kinds"), "min_level": (form.get("min_level") or "").strip() or None,
            "programmes": many("programmes")}


@router.post("/notices", dependencies=[page_requires(P.NOTICES_SEND)])
async def notice_send(request: Request, s: Db, me: Me):
    """`action=preview` counts whom the notice reaches; `action=send` sends it."""
    form = await read_form(request)
    values = _values(form)
    try:
        data = validate(notices.NoticeCreate, values, whole_path=False)
        if form.get("action") == "preview":
            return _page(request, s, me, values=values,
                         preview=notices.preview(s, data, actor=me))
        sent = notices.send_notice(s, data, actor=me)
    except ValidationFailed as exc:
        s.rollback()
        errors = {}  # by form field: "programmes.1" is the programmes list's
        for name, code in field_errors(exc).items():
            errors.setdefault(name.split(".")[0], code)
        return _page(request, s, me, status=422, values=values, errors=errors)
    return redirect(f"/notices/{sent.id}")


@router.get("/notices/{notice_id}", dependencies=[page_requires(P.NOTICES_READ)])
def notice_page(request: Request, notice_id: str, s: Db, me: Me):
    notice = notices.read_notice(s, notice_id, actor=me)
    return render(request, "notice.html", notice=notice)
