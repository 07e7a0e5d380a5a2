"""Pages of access: a person's access overview (programmes, briefings, what they may see),
the explain page of one request (each failed condition and what would satisfy it),
programmes with their members and briefings, departures and the window's follow-ups.
Thin: parse the form, call one service, render or redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from hozen.access import programmes
from hozen.access import services as access
from hozen.access.schemas import (
    AccessRequest,
    Briefing,
    DepartureCreate,
    FollowUpCreate,
    MemberAdd,
    ProgrammeCreate,
)
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.errors import NotFound, ValidationFailed, validate
from hozen.paging import every
from hozen.registry import search
from hozen.registry import services as registry
from hozen.web.pages import language, redirect, render
from hozen.web.routes import codes, form_step, read_form, step_errors

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]


def _name(p) -> str:
    return " ".join(x for x in (p.family_name_kanji or p.family_name_latin,
                                p.given_name_kanji or p.given_name_latin) if x)


# --- a person's access ------------------------------------------------------------------------

PERSON = "/people/{person_id}/access"


def _overview(request: Request, s: Session, me: Actor, person_id: str, *,
              status: int = 200, errors: dict | None = None, values: dict | None = None):
    after = request.query_params.get("after") or None
    page = access.accessible(s, person_id, actor=me, after=after)
    person = registry.read_person(s, person_id, actor=me) \
        if me.can(P.REGISTRY_PERSON_READ) else None
    memberships = [m | {"code": p["code"], "programme_id": p["id"]}
                   for p in (every(programmes.list_programmes, s, actor=me)
                             if me.can(P.PROGRAMMES_READ) else [])
                   for m in p["members"] if m["person_id"] == person_id]
    return render(request, "access/overview.html", status=status, person_id=person_id,
                  name=_name(person) if person else "", page=page, memberships=memberships,
                  errors=errors or {}, values=values or {})


@router.get(PERSON, dependencies=[page_requires(P.ACCESS_CHECK, deny_as=404)])
def overview(request: Request, person_id: str, s: Db, me: Me):
    return _overview(request, s, me, person_id)


@router.post(PERSON, dependencies=[page_requires(P.ACCESS_CHECK, deny_as=404)])
async def ask(request: Request, person_id: str, s: Db, me: Me):
    """Ask about one item: the answer is the explain page."""
    form = await read_form(request)
    item_id = (form.get("item_id") or "").strip()
    try:
        access.decide(s, validate(AccessRequest, {"person_id": person_id,
                                                  "item_id": item_id or None}), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        return _overview(request, s, me, person_id, status=422, errors=step_errors(exc),
                         values=form)
    return redirect(f"/people/{person_id}/access/{item_id}")


@router.get(PERSON + "/{item_id}", dependencies=[page_requires(P.ACCESS_CHECK, deny_as=404)])
def explain(request: Request, person_id: str, item_id: str, s: Db, me: Me):
    """Each failed condition of this request and what would satisfy it."""
    try:
        answer = access.decide(s, AccessRequest.model_construct(
            person_id=person_id, item_id=item_id, action="read", area_id=None), actor=me,
            lang=language(request))
    except ValidationFailed:
        raise NotFound("item not found") from None
    return render(request, "access/explain.html", answer=answer)


# --- programmes -------------------------------------------------------------------------------


def _programmes(request: Request, s: Session, me: Actor, *, status: int = 200,
                errors: dict | None = None, values: dict | None = None,
                cursor: str | None = None):
    found, _ = registry.list_organisations(s, actor=me, limit=registry.MAX_PAGE)
    staff = []
    if me.can(P.PROGRAMMES_BRIEF) and me.organisation_id:
        staff = [(p.id, _name(p)) for p in search.list_people(
            s, actor=me, employer_id=me.organisation_id, limit=registry.MAX_PAGE)[0]]
    rows, nxt = programmes.list_programmes(s, actor=me, cursor=cursor)
    return render(request, "access/programmes.html", status=status,
                  rows=rows, next_cursor=nxt, every_programme=every(
                      programmes.list_programmes, s, actor=me), staff=staff,
                  orgs={o.id: o for o in found}, names=dict(staff),
                  can_create=me.can(P.PROGRAMMES_WRITE), can_brief=me.can(P.PROGRAMMES_BRIEF),
                  can_depart=me.can(P.DEPARTURES_RECORD), errors=errors or {},
                  values=values or {})


@router.get("/programmes", dependencies=[page_requires(P.PROGRAMMES_READ)])
def programme_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _programmes(request, s, me, cursor=cursor)


async def _step(request: Request, s: Session, me: Actor, action, done: str = "/programmes"):
    return await form_step(request, s, action, done=done,
                           refused=lambda form, errors: _programmes(
                               request, s, me, status=422, errors=errors, values=form))


@router.post("/programmes", dependencies=[page_requires(P.PROGRAMMES_WRITE)])
async def create_programme(request: Request, s: Db, me: Me):
    return await _step(request, s, me, lambda f: programmes.create_programme(
        s, validate(ProgrammeCreate, {
            "code": (f.get("code") or "").strip().upper() or None,
            "name_ja": f.get("name_ja") or None, "name_en": f.get("name_en") or None,
            "countries": codes(f.get("countries")),
            "organisations": [o for o in (f.get("organisations") or "").split(",") if o]},
            whole_path=False), actor=me))


@router.post("/programmes/{programme_id}/members",
             dependencies=[page_requires(P.PROGRAMMES_BRIEF, deny_as=404)])
async def add_member(request: Request, programme_id: str, s: Db, me: Me):
    return await _step(request, s, me, lambda f: programmes.add_member(
        s, programme_id, validate(MemberAdd, {"person_id": f.get("person_id") or None}),
        actor=me))


@router.post("/programme-members/{membership_id}/briefing",
             dependencies=[page_requires(P.PROGRAMMES_BRIEF, deny_as=404)])
async def brief(request: Request, membership_id: str, s: Db, me: Me):
    return await _step(request, s, me, lambda f: programmes.brief(
        s, membership_id, validate(Briefing, {
            "briefed_on": f.get("briefed_on") or None,
            "nda_signed_on": f.get("nda_signed_on") or None}, whole_path=False), actor=me))


@router.post("/departures", dependencies=[page_requires(P.DEPARTURES_RECORD)])
async def record_departure(request: Request, s: Db, me: Me):
    return await _step(request, s, me, lambda f: programmes.record_departure(
        s, validate(DepartureCreate, {
            "person_id": f.get("person_id") or None,
            "programme_id": f.get("programme_id") or None,
            "departed_on": f.get("departed_on") or None,
            "obligations": f.get("obligations") or None}, whole_path=False), actor=me))


# --- the window's follow-ups --------------------------------------------------------------------


def _follow_ups(request: Request, s: Session, me: Actor, *, status: int = 200,
                errors: dict | None = None, values: dict | None = None,
                cursor: str | None = None):
    rows, nxt = programmes.follow_ups(s, actor=me, cursor=cursor)
    return render(request, "access/follow_ups.html", status=status, rows=rows,
                  next_cursor=nxt, errors=errors or {}, values=values or {})


@router.get("/follow-ups", dependencies=[page_requires(P.FOLLOW_UP)])
def follow_up_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _follow_ups(request, s, me, cursor=cursor)


@router.post("/follow-ups/{departure_id}/contacts",
             dependencies=[page_requires(P.FOLLOW_UP, deny_as=404)])
async def record_contact(request: Request, departure_id: str, s: Db, me: Me):
    return await form_step(request, s, lambda f: programmes.record_contact(
        s, departure_id, validate(FollowUpCreate, {
            "contacted_on": f.get("contacted_on") or None, "note": f.get("note") or None},
            whole_path=False), actor=me), done="/follow-ups",
        refused=lambda form, errors: _follow_ups(request, s, me, status=422, errors=errors,
                                                 values=form))


