"""Pages of threat intelligence: the collections a person may see, their objects, one
object with its review and tear-line, submitting STIX; and the page where a signed-in user
issues and revokes their own API tokens (TAXII clients). Thin: parse the form, call one
service, render or redirect."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts import tokens
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.messages import N_
from hozen.paging import DEFAULT_PAGE
from hozen.registry.models import Organisation
from hozen.sharing import intel, stix, taxii, tearlines
from hozen.sharing.intel_models import StixObject, TearLine
from hozen.sharing.intel_schemas import (
    CollectionCreate,
    ReviewDecision,
    TearLineCreate,
    TokenCreate,
)
from hozen.web.pages import redirect, render
from hozen.web.routes import codes, parse, read_form, step_errors

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]
NEW_TOKEN_COOKIE = "hozen_new_token"

STATUS_LABELS = {"approved": N_("released to members"), "pending": N_("awaiting agency review"),
                 "refused": N_("refused by the agency")}
TEARLINE_LABELS = {"pending": N_("awaiting a second official"), "released": N_("released"),
                   "refused": N_("refused")}
TARGETS = (("CUI", "CUI"), ("TLP:AMBER", "TLP:AMBER"))


def _name(o: StixObject) -> str:
    return str(o.body.get("name") or o.body.get("value") or o.stix_id)[:200]


def _org_names(s: Session, ids) -> dict[str, str]:
    ids = [i for i in set(ids) if i]
    return {o.id: f"{o.name_ja} / {o.name_en}" for o in s.scalars(
        select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}


@router.get("/intel", dependencies=[page_requires(P.TAXII_READ)])
def intel_page(request: Request, s: Db, me: Me, pending_cursor: PageCursor = None,
               tearlines_cursor: PageCursor = None):
    """The lists of submissions and tear-lines awaiting review, each a page at a time."""
    return _list_page(request, s, me, cursors={"pending": pending_cursor,
                                               "tearlines": tearlines_cursor})


def _list_page(request: Request, s: Session, me: Actor, errors: dict | None = None,
               values: dict | None = None, status: int = 200, cursors: dict | None = None):
    at = cursors or {}
    r = taxii.reader(s, me)
    rows = taxii.visible_collections(s, r)
    pending, pending_next = (intel.pending(s, actor=me, cursor=at.get("pending"))
                             if me.can(P.INTEL_REVIEW) else ([], None))
    awaiting, awaiting_next = (tearlines.awaiting(s, actor=me, cursor=at.get("tearlines"))
                               if me.can(P.INTEL_TEARLINE_APPROVE) else ([], None))
    page = render(request, "intel_list.html", status=status, rows=rows, pending=pending,
                  pending_next=pending_next, awaiting_next=awaiting_next,
                  awaiting=awaiting, name=_name, can_write=me.can(P.TAXII_WRITE),
                  can_create=me.can(P.INTEL_COLLECTION_WRITE) and r.government,
                  status_labels=STATUS_LABELS, errors=errors or {},
                  values=values or {"level": "CUI"})
    s.rollback()
    return page


@router.post("/intel/collections", dependencies=[page_requires(P.INTEL_COLLECTION_WRITE)])
async def create_collection(request: Request, s: Db, me: Me):
    form = await read_form(request)
    try:
        data = parse(CollectionCreate, {
            "title": form.get("title", ""), "description": form.get("description", ""),
            "level": form.get("level", ""), "programmes": codes(form.get("programmes")),
            "releasable_to": codes(form.get("releasable_to")),
            "government_run": form.get("government_run") == "yes",
            "review_required": form.get("review_required") == "yes"})
        c = intel.create_collection(s, data, actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _list_page(request, s, me, step_errors(exc), form, 422)
    return redirect(f"/intel/collections/{c.id}")


def _after(cursor: str | None) -> tuple[str, str] | None:
    """The collection page's cursor is TAXII's `next`; one this server did not give is a
    422 naming `cursor`."""
    try:
        return taxii.decode_cursor(cursor)
    except taxii.TaxiiBadRequest:
        raise ValidationFailed([("cursor", "cursor_invalid")]) from None


def _collection_page(request: Request, s: Session, me: Actor, collection_id: str,
                     errors: dict | None = None, values: dict | None = None,
                     status: int = 200, cursor: str | None = None,
                     members_cursor: str | None = None):
    r = taxii.reader(s, me)
    after = _after(cursor)
    try:
        c = taxii.get_collection(s, r, collection_id)
        found = taxii.query_objects(s, r, c, taxii.Filters(limit=DEFAULT_PAGE, after=after))
    except NotFound:  # the agency running it manages it without reading its objects
        c = intel.managed_collection(s, collection_id, actor=me)
        found = taxii.Page([], False, None)
    manages = me.can(P.INTEL_COLLECTION_WRITE) and c.organisation_id == me.organisation_id
    members, members_next = (intel.access_list(s, c.id, actor=me, cursor=members_cursor)
                             if manages else ([], None))
    page = render(request, "intel_collection.html", status=status, c=c, rows=found.objects,
                  next_cursor=found.next, name=_name, status_labels=STATUS_LABELS, manages=manages,
                  members=members, members_next=members_next, errors=errors or {},
                  values=values or {})
    s.rollback()
    return page


@router.get("/intel/collections/{collection_id}", dependencies=[page_requires(P.TAXII_READ)])
def collection_page(collection_id: str, request: Request, s: Db, me: Me,
                    cursor: PageCursor = None, members_cursor: PageCursor = None):
    """The collection's objects as the reader may see them, oldest first, a page at a
    time; to the agency running it, its access list too, a page at a time."""
    return _collection_page(request, s, me, collection_id, cursor=cursor,
                            members_cursor=members_cursor)


@router.post("/intel/collections/{collection_id}/members",
             dependencies=[page_requires(P.INTEL_COLLECTION_WRITE)])
async def grant_member(collection_id: str, request: Request, s: Db, me: Me):
    """The agency registers a person as a handler of the collection's objects."""
    form = await read_form(request)
    try:
        intel.grant(s, collection_id, (form.get("person_id") or "").strip(), actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _collection_page(request, s, me, collection_id, step_errors(exc), form, 422)
    return redirect(f"/intel/collections/{collection_id}")


def _object_page(request: Request, s: Session, me: Actor, object_id: str,
                 errors: dict | None = None, values: dict | None = None, status: int = 200):
    r, c, o = intel.read_object(s, object_id, actor=me)
    shown = intel.submitter_shown(r, o)
    targets = []
    if me.can(P.INTEL_TEARLINE_CREATE) and r.government and \
            max(o.level_rank, taxii.access.RANKS[c.level]) >= taxii.access.CESI:
        targets = [x for x in taxii.visible_collections(s, r)
                   if taxii.access.RANKS[x.level] <= taxii.access.CUI]
    lines = list(s.scalars(select(TearLine).where(TearLine.source_id == o.id)
                           .order_by(TearLine.created_at))) if r.government else []
    page = render(
        request, "intel_object.html", status=status, c=c, o=o, name=_name(o),
        body=json.dumps(taxii.served(r, o), ensure_ascii=False, indent=2),
        submitter=_org_names(s, [o.submitter_organisation_id]).get(
            o.submitter_organisation_id or "") if shown else None,
        level=stix.rank_name(max(o.level_rank, taxii.access.RANKS[c.level])),
        can_review=me.can(P.INTEL_REVIEW) and r.government and o.status == "pending"
        and c.organisation_id == me.organisation_id,
        targets=targets, tearlines=lines, targets_kinds=TARGETS,
        can_decide=me.can(P.INTEL_TEARLINE_APPROVE), status_labels=STATUS_LABELS,
        tearline_labels=TEARLINE_LABELS, errors=errors or {}, values=values or {},
        removable=sorted(k for k in o.body if k not in stix.PROTECTED))
    s.rollback()
    return page


@router.get("/intel/objects/{object_id}", dependencies=[page_requires(P.TAXII_READ)])
def object_page(object_id: str, request: Request, s: Db, me: Me):
    return _object_page(request, s, me, object_id)


def _objects_of(text: str) -> list:
    """The objects of a pasted STIX object, bundle or TAXII envelope."""
    try:
        value = json.loads(text)
    except ValueError:
        raise ValidationFailed([("stix", "invalid")]) from None
    if isinstance(value, dict) and isinstance(value.get("objects"), list):
        return value["objects"]
    if isinstance(value, list) and value:
        return value
    if isinstance(value, dict):
        return [value]
    raise ValidationFailed([("stix", "invalid")])


def _submit_page(request: Request, s: Session, me: Actor, *, values=None, errors=None,
                 failures=None, status: int = 200):
    r = taxii.reader(s, me)
    rows = taxii.visible_collections(s, r)
    page = render(request, "intel_submit.html", status=status, rows=rows,
                  values=values or {}, errors=errors or {}, failures=failures or [],
                  government=r.government)
    s.rollback()
    return page


@router.get("/intel/submit", dependencies=[page_requires(P.TAXII_WRITE)])
def submit_page(request: Request, s: Db, me: Me):
    return _submit_page(request, s, me)


@router.post("/intel/submit", dependencies=[page_requires(P.TAXII_WRITE)])
async def submit(request: Request, s: Db, me: Me):
    """All or nothing from a page: any refused object rolls the submission back and the
    page names it (TAXII clients get per-object status instead)."""
    form = await read_form(request)
    try:
        objects = _objects_of(form.get("stix", ""))
        r = taxii.reader(s, me)
        try:
            c = taxii.get_collection(s, r, form.get("collection_id", ""))
        except NotFound:
            raise ValidationFailed([("collection_id", "collection_unknown")]) from None
        st = taxii.add_objects(s, r, c, objects, anonymous=form.get("anonymous") == "yes")
    except (ValidationFailed, Conflict, taxii.TaxiiBadRequest) as exc:
        s.rollback()
        errors = step_errors(exc) if not isinstance(exc, taxii.TaxiiBadRequest) else {
            "stix": "invalid"}
        return _submit_page(request, s, me, values=form, errors=errors, status=422)
    if st.failures:
        failures = st.failures
        s.rollback()
        return _submit_page(request, s, me, values=form, errors={"stix": "stix_invalid"},
                            failures=failures, status=422)
    return redirect(f"/intel/collections/{c.id}")


@router.post("/intel/objects/{object_id}/review", dependencies=[page_requires(P.INTEL_REVIEW)])
async def review(object_id: str, request: Request, s: Db, me: Me):
    form = await read_form(request)
    try:
        data = parse(ReviewDecision, {"approve": form.get("approve") == "yes",
                                      "reasons": form.get("reasons", "")})
        intel.review(s, object_id, data, actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _object_page(request, s, me, object_id, step_errors(exc), form, 422)
    return redirect(f"/intel/objects/{object_id}")


@router.post("/intel/objects/{object_id}/tearline",
             dependencies=[page_requires(P.INTEL_TEARLINE_CREATE)])
async def derive(object_id: str, request: Request, s: Db, me: Me):
    form = await read_form(request)
    try:
        data = parse(TearLineCreate, {
            "source_id": object_id, "collection_id": form.get("collection_id", ""),
            "target": form.get("target", ""),
            "remove": [v for v in form.get("remove", "").split(",") if v]})
        tearlines.derive(s, data, actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _object_page(request, s, me, object_id, step_errors(exc), form, 422)
    return redirect(f"/intel/objects/{object_id}")


@router.post("/intel/tearlines/{tearline_id}/decision",
             dependencies=[page_requires(P.INTEL_TEARLINE_APPROVE)])
async def decide_tearline(tearline_id: str, request: Request, s: Db, me: Me):
    form = await read_form(request)
    t = tearlines.read(s, tearline_id, actor=me)
    source = t.source_id
    try:
        data = parse(ReviewDecision, {"approve": form.get("approve") == "yes",
                                      "reasons": form.get("reasons", "")})
        tearlines.decide(s, tearline_id, data, actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _object_page(request, s, me, source, step_errors(exc), form, 422)
    return redirect(f"/intel/objects/{source}")


# --- API tokens -----------------------------------------------------------------------------


@router.get("/tokens", dependencies=[page_requires(P.TOKENS_SELF)])
def tokens_page(request: Request, s: Db, me: Me):
    return _tokens_page(request, s, me)


def _tokens_page(request: Request, s: Session, me: Actor, errors: dict | None = None,
                 values: dict | None = None, status: int = 200):
    new = request.cookies.get(NEW_TOKEN_COOKIE) if status == 200 else None
    rows = tokens.list_tokens(s, actor=me)
    page = render(request, "tokens.html", status=status, rows=rows, new_token=new,
                  errors=errors or {}, values=values or {"days": "90"},
                  taxii_url=str(request.base_url).rstrip("/") + "/taxii2/")
    if new:  # shown once: the cookie that carried it across the redirect goes
        page.delete_cookie(NEW_TOKEN_COOKIE, path="/tokens")
    s.rollback()
    return page


@router.post("/tokens", dependencies=[page_requires(P.TOKENS_SELF)])
async def issue_token(request: Request, s: Db, me: Me):
    """The clear token rides to the next page in a short-lived cookie for /tokens only
    (never in a URL), which that page shows once and deletes."""
    from hozen.config import get_settings

    form = await read_form(request)
    try:
        data = parse(TokenCreate, {"label": form.get("label", ""),
                                   "days": form.get("days") or "90"})
        _, raw = tokens.issue(s, data.label, data.days, actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _tokens_page(request, s, me, step_errors(exc), form, 422)
    response = redirect("/tokens")
    response.set_cookie(NEW_TOKEN_COOKIE, raw, max_age=120, path="/tokens", httponly=True,
                        samesite="strict", secure=get_settings().cookie_secure)
    return response


@router.post("/tokens/{token_id}/revocation", dependencies=[page_requires(P.TOKENS_SELF)])
async def revoke_token(token_id: str, request: Request, s: Db, me: Me):
    await read_form(request)
    tokens.revoke(s, token_id, actor=me)
    return redirect("/tokens")
