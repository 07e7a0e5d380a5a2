"""Pages: sign-in, language, registry (people, organisations, ownership). Thin: parse the
form, call one service, render or redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hozen.accounts import mfa, throttle
from hozen.accounts import services as accounts
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import WINDOW_ROLES
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import SESSION_COOKIE, HozenRoute, actor, db, page_requires, public
from hozen.api.routes import PageCursor, Search
from hozen.api.routing import include
from hozen.config import get_settings
from hozen.errors import Conflict, Unauthenticated, ValidationFailed, validate
from hozen.notifications import services as notifications
from hozen.paging import every
from hozen.registry import ownership, search
from hozen.registry import services as registry
from hozen.registry.models import ORG_KINDS
from hozen.registry.schemas import (
    OrganisationCreate,
    OrganisationUpdate,
    OwnershipCreate,
    PersonCreate,
    PersonUpdate,
)
from hozen.web import mfa_pages
from hozen.web.i18n import LANG_COOKIE, LANGUAGES
from hozen.web.pages import check_csrf, redirect, render, safe_next

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
include(router, mfa_pages.router)  # the code step, enrolment, re-authentication
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]

# --- helpers -----------------------------------------------------------------------


async def read_form(request: Request) -> dict:
    form = await request.form()
    data = {}
    for key in form:  # a multiple choice arrives as several values: comma-joined
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        if values:
            data[key] = ",".join(values)
    check_csrf(request, data)
    return data


def blank_to_none(data: dict, fields: list[str]) -> dict:
    return {f: (data.get(f) or "").strip() or None for f in fields}


def codes(value: str | None) -> list[str]:
    return [c.strip().upper() for c in (value or "").replace("、", ",").split(",") if c.strip()]


def parse(schema: type[BaseModel], values: dict) -> BaseModel:
    """Validate form values with the API's own schema; errors name the form field."""
    return validate(schema, values, whole_path=False)


def field_errors(exc: ValidationFailed) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, code in exc.errors:
        out.setdefault(field, code)
    return out


def step_errors(exc: ValidationFailed | Conflict) -> dict[str, str]:
    """A refused step's errors by field: a conflict names the state it is in."""
    if isinstance(exc, ValidationFailed):
        return field_errors(exc)
    code = "separation_of_duties" if exc.field == "adjudicator" else "state_conflict"
    return {exc.field or "form": code}


async def form_step(request: Request, session: Session, action, *, done: str, refused):
    """Read the form (its CSRF token checked) and run one step: on success go to `done`;
    on a refusal roll back and answer `refused(form, errors)` (the page again, 422)."""
    form = await read_form(request)
    try:
        action(form)
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        return refused(form, step_errors(exc))
    return redirect(done)


# --- sign-in and language ----------------------------------------------------------


@router.get("/login", dependencies=[public("web")])
def login_page(request: Request, next: Annotated[str, Query(max_length=500)] = "/"):
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login", dependencies=[public("web")])
async def login(request: Request, s: Db):
    form = await read_form(request)
    username = form.get("username", "")[:64]
    password = form.get("password", "")[:256]
    target = safe_next(form.get("next"))
    address = throttle.client_address(request.client.host if request.client else None,
                                      request.headers.get("x-forwarded-for", ""),
                                      get_settings().trusted_proxy_set)
    # Every database step in worker threads, not on the event loop: a statement may wait
    # for a lock (on SQLite, any transaction), and Argon2 takes ~50-100 ms of CPU; either
    # would stall every other request of the process. Only the pause is awaited here.
    attempt = await run_in_threadpool(throttle.begin_attempt, s, username, address)
    if attempt.verdict.refused:  # the same answer whether or not the account exists
        await run_in_threadpool(throttle.refuse, s, attempt, username)
        page = render(request, "login.html", status=429, next=target,
                      error="login_throttled", username=username)
        page.headers["retry-after"] = str(attempt.verdict.retry_after)
        return page
    await throttle.pause(attempt.verdict.delay)
    return await run_in_threadpool(_password_step, request, s, attempt, username, password,
                                   target)


def _password_step(request: Request, s: Session, attempt, username: str, password: str,
                   target: str):
    try:
        user = accounts.authenticate(s, username, password)
    except Unauthenticated:
        return render(request, "login.html", status=401, next=target, error="login_failed",
                      username=username)
    step = mfa.second_step(s, user)
    if step is not None:  # no session before the code
        mfa.password_step_passed(s, attempt)
        return mfa_pages.pending_redirect(user.id, step, target)
    throttle.succeeded(s, attempt)
    return mfa_pages.signed_in(s, user, target, code_proved=False)


@router.post("/logout", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
async def logout(request: Request, s: Db):
    await read_form(request)
    accounts.end_session(s, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}", dependencies=[public("web")])
def switch_language(code: str, next: Annotated[str, Query(max_length=500)] = "/"):
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
def home(request: Request, s: Db, me: Me) -> HTMLResponse:
    return render(request, "home.html", me=me, unread=notifications.unread_count(s, actor=me))


# --- people ------------------------------------------------------------------------

PERSON_TEXT = ["family_name_kanji", "given_name_kanji", "family_name_kana", "given_name_kana",
               "family_name_latin", "given_name_latin", "department", "title", "employer_id",
               "birth_date"]


def _person_values(form: dict) -> dict:
    values = blank_to_none(form, PERSON_TEXT)
    values["nationalities"] = codes(form.get("nationalities"))
    values["former_nationalities"] = codes(form.get("former_nationalities"))
    return values


def _employers(s: Session, me: Me):
    """The organisations this actor may register staff for (their own, unless the window)."""
    if me.roles & WINDOW_ROLES or me.is_system:
        return registry.list_organisations(s, actor=me, limit=registry.MAX_PAGE)[0]
    if me.organisation_id and me.can(P.REGISTRY_ORGANISATION_READ):
        return [registry.access_organisation(s, me, me.organisation_id)]
    return []


@router.get("/people", dependencies=[page_requires(P.REGISTRY_PERSON_READ)])
def people(request: Request, s: Db, me: Me, q: Search = None,
           birth_date: Annotated[str | None, Query(max_length=40)] = None,
           cursor: PageCursor = None):
    errors: dict[str, str] = {}
    found, nxt = [], None
    try:
        found, nxt = search.list_people(s, actor=me, q=q, birth_date=birth_date,
                                        cursor=cursor)
    except ValidationFailed as exc:
        errors = field_errors(exc)
    return render(request, "people/list.html", status=422 if errors else 200, people=found,
                  next_cursor=nxt, q=q or "", birth_date=birth_date or "", errors=errors,
                  can_write=me.can(P.REGISTRY_PERSON_WRITE))


@router.get("/people/new", dependencies=[page_requires(P.REGISTRY_PERSON_WRITE)])
def person_new(request: Request, s: Db, me: Me):
    return render(request, "people/form.html", values={"nationalities": "JPN"}, errors={},
                  person=None, employers=_employers(s, me))


@router.post("/people/new", dependencies=[page_requires(P.REGISTRY_PERSON_WRITE)])
async def person_create(request: Request, s: Db, me: Me):
    form = await read_form(request)
    try:
        person = registry.create_person(s, parse(PersonCreate, _person_values(form)), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        return render(request, "people/form.html", status=422, values=form,
                      errors=field_errors(exc), person=None, employers=_employers(s, me))
    return redirect(f"/people/{person.id}")


@router.get("/people/{person_id}",
            dependencies=[page_requires(P.REGISTRY_PERSON_READ, deny_as=404)])
def person_view(request: Request, person_id: str, s: Db, me: Me):
    person = registry.read_person(s, person_id, actor=me)
    return render(request, "people/view.html", person=person,
                  can_write=me.can(P.REGISTRY_PERSON_WRITE))


@router.get("/people/{person_id}/edit",
            dependencies=[page_requires(P.REGISTRY_PERSON_WRITE, deny_as=404)])
def person_edit(request: Request, person_id: str, s: Db, me: Me):
    person = registry.read_person(s, person_id, actor=me)
    values = person.model_dump()
    values["nationalities"] = ", ".join(person.nationalities)
    values["former_nationalities"] = ", ".join(person.former_nationalities)
    values["birth_date"] = person.birth_date.isoformat()
    return render(request, "people/form.html", values=values, errors={}, person=person,
                  employers=_employers(s, me))


@router.post("/people/{person_id}/edit",
             dependencies=[page_requires(P.REGISTRY_PERSON_WRITE, deny_as=404)])
async def person_update(request: Request, person_id: str, s: Db, me: Me):
    form = await read_form(request)
    values = _person_values(form)
    values["version"] = form.get("version") or None
    try:
        registry.update_person(s, person_id, parse(PersonUpdate, values), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        return render(request, "people/form.html", status=422, values=form,
                      errors=field_errors(exc), person={"id": person_id},
                      employers=_employers(s, me))
    return redirect(f"/people/{person_id}")


# --- organisations and ownership ---------------------------------------------------

ORG_TEXT = ["kind", "name_ja", "name_en", "country_code", "parent_id", "corporate_number"]


@router.get("/organisations", dependencies=[page_requires(P.REGISTRY_ORGANISATION_READ)])
def organisations(request: Request, s: Db, me: Me, q: Search = None,
                  cursor: PageCursor = None):
    orgs, nxt = registry.list_organisations(s, actor=me, q=q, cursor=cursor)
    return render(request, "orgs/list.html", orgs=orgs, next_cursor=nxt, q=q or "",
                  can_write=me.can(P.REGISTRY_ORGANISATION_WRITE))


def _org_form(request, s, me, *, values, errors, org=None, status=200):
    return render(request, "orgs/form.html", status=status, values=values, errors=errors,
                  org=org, kinds=ORG_KINDS, parents=_employers(s, me))


@router.get("/organisations/new", dependencies=[page_requires(P.REGISTRY_ORGANISATION_WRITE)])
def organisation_new(request: Request, s: Db, me: Me):
    return _org_form(request, s, me, values={"country_code": "JPN"}, errors={})


@router.post("/organisations/new",
             dependencies=[page_requires(P.REGISTRY_ORGANISATION_WRITE)])
async def organisation_create(request: Request, s: Db, me: Me):
    form = await read_form(request)
    try:
        org = registry.create_organisation(
            s, parse(OrganisationCreate, blank_to_none(form, ORG_TEXT)), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        return _org_form(request, s, me, values=form, errors=field_errors(exc), status=422)
    return redirect(f"/organisations/{org.id}")


@router.get("/organisations/{org_id}",
            dependencies=[page_requires(P.REGISTRY_ORGANISATION_READ)])
def organisation_view(request: Request, org_id: str, s: Db, me: Me):
    return _org_page(request, s, me, org_id)


def _org_page(request: Request, s: Session, me: Actor, org_id: str, *,
              errors: dict | None = None, status: int = 200):
    org = registry.access_organisation(s, me, org_id)
    can_own = me.can(P.REGISTRY_OWNERSHIP_READ)
    # one organisation's owners and holdings, whole: the page draws its ownership graph
    owners = every(ownership.list_ownership, s, actor=me, owned_id=org_id) if can_own else []
    holdings = (every(ownership.list_ownership, s, actor=me, owner_organisation_id=org_id)
                if can_own else [])
    names = {o.id: o for o in registry.list_organisations(s, actor=me, limit=100)[0]}
    for edge in owners + holdings:
        for oid in (edge.owner_organisation_id, edge.owned_id):
            if oid and oid not in names:
                names[oid] = registry.access_organisation(s, me, oid)
    return render(request, "orgs/view.html", status=status, org=org, owners=owners,
                  holdings=holdings, names=names, can_own=can_own,
                  can_write=me.can(P.REGISTRY_ORGANISATION_WRITE),
                  can_own_write=me.can(P.REGISTRY_OWNERSHIP_WRITE),
                  errors=errors or {}, candidates=list(names.values()))


@router.get("/organisations/{org_id}/edit",
            dependencies=[page_requires(P.REGISTRY_ORGANISATION_WRITE)])
def organisation_edit(request: Request, org_id: str, s: Db, me: Me):
    org = registry.access_organisation(s, me, org_id)
    values = {f: getattr(org, f) or "" for f in ORG_TEXT} | {"version": org.version}
    return _org_form(request, s, me, values=values, errors={}, org=org)


@router.post("/organisations/{org_id}/edit",
             dependencies=[page_requires(P.REGISTRY_ORGANISATION_WRITE)])
async def organisation_update(request: Request, org_id: str, s: Db, me: Me):
    form = await read_form(request)
    values = blank_to_none(form, ORG_TEXT) | {"version": form.get("version") or None}
    try:
        registry.update_organisation(s, org_id, parse(OrganisationUpdate, values), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        org = registry.access_organisation(s, me, org_id)
        return _org_form(request, s, me, values=form, errors=field_errors(exc), org=org,
                         status=422)
    return redirect(f"/organisations/{org_id}")


@router.post("/organisations/{org_id}/ownership",
             dependencies=[page_requires(P.REGISTRY_OWNERSHIP_WRITE)])
async def ownership_create(request: Request, org_id: str, s: Db, me: Me):
    form = await read_form(request)
    values = blank_to_none(form, ["owner_organisation_id", "share_pct", "voting_pct"])
    values["owned_id"] = org_id
    try:
        ownership.create_ownership(s, parse(OwnershipCreate, values), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        return _org_page(request, s, me, org_id, errors=field_errors(exc), status=422)
    return redirect(f"/organisations/{org_id}")
