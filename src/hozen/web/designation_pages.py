"""Pages of designation: the register (指定管理簿) with its CSV export, a designation's
record with its consultation and decisions, reviews, items and objections, and the
oversight inspector's objections. Thin: parse the form, call one service, render or
redirect."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.accounts.permissions import Role
from hozen.api.gates import HozenRoute, actor, db, page_requires, require_fresh_reauth
from hozen.api.routes import PageCursor
from hozen.designations import items, oversight, proposals
from hozen.designations import services as designations
from hozen.designations.schemas import (
    CommentCreate,
    Decision,
    DesignationCreate,
    ItemCreate,
    ObjectionAnswer,
    ObjectionCreate,
    ProposalCreate,
    ReviewRecord,
)
from hozen.errors import Conflict, ValidationFailed, validate
from hozen.messages import DESIGNATION_STATUS_LABELS, N_
from hozen.paging import every
from hozen.pdf import table_pdf
from hozen.policy import get_policy
from hozen.registry import services as registry
from hozen.text import spreadsheet_safe
from hozen.web.i18n import translations
from hozen.web.pages import language, redirect, render
from hozen.web.routes import codes, form_step, read_form, step_errors

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]


def _orgs(s: Session, me: Actor) -> dict:
    found, _ = registry.list_organisations(s, actor=me, limit=registry.MAX_PAGE)
    return {o.id: o for o in found}


def _list_field(form: dict, name: str) -> list[str]:
    return [v for v in (form.get(name) or "").replace("、", ",").split(",") if v.strip()]


# --- the register -------------------------------------------------------------------------


def _register(request: Request, s: Session, me: Actor, *, status: int = 200,
              errors: dict | None = None, values: dict | None = None,
              cursor: str | None = None, reviews_cursor: str | None = None):
    reviews, reviews_next = (oversight.open_reviews(s, actor=me, cursor=reviews_cursor)
                             if me.can(P.DESIGNATIONS_REVIEW) else ([], None))
    rows, nxt = designations.list_designations(s, actor=me, cursor=cursor)
    return render(request, "designations/register.html", status=status,
                  rows=rows, next_cursor=nxt, orgs=_orgs(s, me),
                  categories=get_policy().designation_categories, reviews=reviews,
                  reviews_next=reviews_next,
                  errors=errors or {}, values=values or {},
                  can_propose=Role.AGENCY_OFFICIAL in me.roles,
                  experts=designations.experts(s, actor=me)
                  if Role.AGENCY_OFFICIAL in me.roles else [],
                  can_oversee=me.can(P.DESIGNATIONS_OBJECTION_ANSWER))


@router.get("/designations", dependencies=[page_requires(P.DESIGNATIONS_READ)])
def register(request: Request, s: Db, me: Me, cursor: PageCursor = None,
             reviews_cursor: PageCursor = None):
    """The register and the reviews due, each a page at a time with its own cursor."""
    return _register(request, s, me, cursor=cursor, reviews_cursor=reviews_cursor)


def _register_table(request: Request, s: Session, me: Actor) -> tuple[list[str], list[list]]:
    """The register as the reader sees it: headings and rows, in the reader's language."""
    lang = language(request)
    tr = translations(lang)
    orgs = _orgs(s, me)
    names = get_policy().designation_categories

    def org(oid: str) -> str:
        o = orgs.get(oid)
        return (o.name_ja if lang == "ja" else o.name_en) if o else oid

    headers = [tr.gettext(h) for h in (N_("Reference"), N_("Heading"), N_("Agency"),
                                       N_("Regime"), N_("Statutory category"), N_("Status"),
                                       N_("Term start"), N_("Term end"), N_("Next review"),
                                       N_("Holders"))]
    rows = [[d.reference, d.title, org(d.agency_id), d.regime,
             names[d.regime].get(d.category, {}).get(lang, d.category),
             tr.gettext(DESIGNATION_STATUS_LABELS[d.status]), d.term_start or "",
             d.term_end or "", d.next_review_on or "", "; ".join(org(h) for h in d.holders)]
            for d in every(designations.list_designations, s, actor=me)]
    return headers, rows


@router.get("/designations/register.csv", dependencies=[page_requires(P.DESIGNATIONS_READ)])
def register_csv(request: Request, s: Db, me: Me) -> Response:
    """The register for a spreadsheet (UTF-8 with BOM; no cell runs as a formula)."""
    headers, rows = _register_table(request, s, me)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[spreadsheet_safe(str(v)) for v in row] for row in rows])
    return Response(("\ufeff" + out.getvalue()).encode(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="designations.csv"',
                             "cache-control": "no-store"})


@router.get("/designations/register.pdf", dependencies=[page_requires(P.DESIGNATIONS_READ)])
def register_pdf(request: Request, s: Db, me: Me) -> Response:
    """The register (指定管理簿) as a PDF with Japanese fonts embedded."""
    headers, rows = _register_table(request, s, me)
    tr = translations(language(request))
    body = table_pdf(tr.gettext("Designation register"), headers, rows,
                     widths=(14, 26, 18, 7, 18, 14, 11, 11, 11, 22))
    return Response(body, media_type="application/pdf",
                    headers={"content-disposition": 'attachment; filename="designations.pdf"',
                             "cache-control": "no-store"})


DESIGNATION_FIELDS = ("title", "regime", "category", "reasons", "scope_kind", "scope",
                      "originator_country", "term_start", "term_end")


@router.post("/designations", dependencies=[page_requires(P.DESIGNATIONS_PROPOSE)])
async def propose(request: Request, s: Db, me: Me):
    form = await read_form(request)
    values = {k: (form.get(k) or "").strip() or None for k in DESIGNATION_FIELDS}
    values |= {"holders": _list_field(form, "holders"), "experts": _list_field(form, "experts"),
               "releasable_to": codes(form.get("releasable_to"))}
    try:
        data = validate(DesignationCreate, values, whole_path=False)
        if form.get("provisional") == "yes":  # designates at once: a high-risk action
            require_fresh_reauth(request, "/designations")
            d = proposals.designate_provisionally(s, data, actor=me)
        else:
            d = proposals.propose_designation(s, data, actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        errors = {k.split(".")[0]: v for k, v in step_errors(exc).items()}
        return _register(request, s, me, status=422, errors=errors, values=form)
    return redirect(f"/designations/{d.id}")


# --- reviews and objections (before /designations/{id}) ----------------------------------


@router.post("/designations/reviews/{review_id}",
             dependencies=[page_requires(P.DESIGNATIONS_REVIEW)])
async def review(request: Request, review_id: str, s: Db, me: Me):
    form = await read_form(request)
    values = {"still_needed": {"yes": True, "no": False}.get(form.get("still_needed")),
              "reasons": form.get("reasons") or None}
    try:
        oversight.record_review(s, review_id, validate(ReviewRecord, values), actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _register(request, s, me, status=422, errors=step_errors(exc))
    return redirect("/designations")


def _oversight(request: Request, s: Session, me: Actor, *, status: int = 200,
               errors: dict | None = None, cursor: str | None = None):
    rows, nxt = oversight.list_objections(s, actor=me, cursor=cursor)
    return render(request, "designations/objections.html", status=status, rows=rows,
                  next_cursor=nxt, errors=errors or {})


@router.get("/designations/objections",
            dependencies=[page_requires(P.DESIGNATIONS_OBJECTION_ANSWER)])
def objections(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _oversight(request, s, me, cursor=cursor)


@router.post("/designations/objections/{objection_id}/answer",
             dependencies=[page_requires(P.DESIGNATIONS_OBJECTION_ANSWER)])
async def answer(request: Request, objection_id: str, s: Db, me: Me):
    form = await read_form(request)
    try:
        oversight.answer_objection(s, objection_id, validate(
            ObjectionAnswer, {"answer": form.get("answer") or None}), actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _oversight(request, s, me, status=422, errors=step_errors(exc))
    return redirect("/designations/objections")


# --- one designation -----------------------------------------------------------------------

ONE = "/designations/{designation_id}"


def _item_titles(s: Session, me: Actor, ids) -> dict[str, str]:
    return {i: items.read_item(s, i, actor=me).title for i in dict.fromkeys(ids)}


def _record(request: Request, s: Session, me: Actor, designation_id: str, *,
            status: int = 200, errors: dict | None = None, values: dict | None = None,
            cursors: dict | None = None):
    """The record; its items, reviews and objections each a page at a time with its own
    cursor."""
    at = cursors or {}
    d = designations.read_designation(s, designation_id, actor=me)
    open_p = next((p for p in d.proposals if p.status == "open"), None)
    listed, items_next = items.list_items(s, designation_id, actor=me, cursor=at.get("items"))
    reviews, reviews_next = oversight.designation_reviews(s, designation_id, actor=me,
                                                          cursor=at.get("reviews"))
    objected, objections_next = oversight.designation_objections(
        s, designation_id, actor=me, cursor=at.get("objections"))
    # the lift-part picker offers every item: read whole only for who may propose
    may_propose = me.can(P.DESIGNATIONS_PROPOSE) and not open_p \
        and d.status in ("in_force", "provisional", "pending_disposition")
    return render(request, "designations/record.html", status=status, d=d, open_p=open_p,
                  items=listed, reviews=reviews, objections=objected,
                  next_cursors={"items": items_next, "reviews": reviews_next,
                                "objections": objections_next},
                  pick_items=every(items.list_items, s, designation_id, actor=me)
                  if may_propose else [],
                  item_titles=_item_titles(s, me, [x for p in d.proposals
                                                   for x in p.items or []]),
                  orgs=_orgs(s, me),
                  categories=get_policy().designation_categories, errors=errors or {},
                  values=values or {}, me_id=me.id,
                  is_agency=Role.AGENCY_OFFICIAL in me.roles and me.organisation_id ==
                  d.agency_id,
                  can_comment=me.can(P.DESIGNATIONS_COMMENT),
                  can_decide=me.can(P.DESIGNATIONS_DECIDE),
                  can_propose=me.can(P.DESIGNATIONS_PROPOSE),
                  can_object=me.can(P.DESIGNATIONS_OBJECT),
                  can_item=me.can(P.DESIGNATIONS_ITEM_WRITE),
                  experts=designations.experts(s, actor=me)
                  if me.can(P.DESIGNATIONS_PROPOSE) and Role.AGENCY_OFFICIAL in me.roles
                  else [], cui=get_policy().cui.categories)


@router.get(ONE, dependencies=[page_requires(P.DESIGNATIONS_READ, deny_as=404)])
def record(request: Request, designation_id: str, s: Db, me: Me,
           items_cursor: PageCursor = None, reviews_cursor: PageCursor = None,
           objections_cursor: PageCursor = None):
    return _record(request, s, me, designation_id, cursors={
        "items": items_cursor, "reviews": reviews_cursor, "objections": objections_cursor})


async def _act(request: Request, s: Session, me: Actor, designation_id: str, action):
    return await form_step(request, s, action, done=f"/designations/{designation_id}",
                           refused=lambda form, errors: _record(
                               request, s, me, designation_id, status=422, errors=errors,
                               values=form))


@router.post(ONE + "/proposals", dependencies=[page_requires(P.DESIGNATIONS_PROPOSE, deny_as=404)])
async def propose_change(request: Request, designation_id: str, s: Db, me: Me):
    def act(f):
        kind = f.get("kind") or None
        values = {"kind": kind, "reasons": f.get("reasons") or None,
                  "experts": _list_field(f, "experts")}
        given = {"term_end": f.get("term_end") or None,
                 "cabinet_reasons": f.get("cabinet_reasons") or None,
                 "category": f.get("category") or None,
                 "scope_kind": f.get("scope_kind") or None, "scope": f.get("scope") or None,
                 "holders": _list_field(f, "holders"),
                 "releasable_to": codes(f.get("releasable_to")),
                 "items": _list_field(f, "items")}
        # the page shows every kind's fields: only the chosen kind's are sent
        values |= {k: v for k, v in given.items()
                   if k in proposals.KIND_FIELDS.get(kind, ())}
        proposals.propose_change(s, designation_id, validate(ProposalCreate, values,
                                                             whole_path=False), actor=me)

    return await _act(request, s, me, designation_id, act)


@router.post(ONE + "/proposals/{proposal_id}/comments",
             dependencies=[page_requires(P.DESIGNATIONS_COMMENT, deny_as=404)])
async def comment(request: Request, designation_id: str, proposal_id: str, s: Db, me: Me):
    return await _act(request, s, me, designation_id, lambda f: proposals.comment(
        s, proposal_id, validate(CommentCreate, {"text": f.get("text") or None}), actor=me,
        designation_id=designation_id))


@router.post(ONE + "/proposals/{proposal_id}/decision",
             dependencies=[page_requires(P.DESIGNATIONS_DECIDE, deny_as=404, reauth=ONE)])
async def decide(request: Request, designation_id: str, proposal_id: str, s: Db, me: Me):
    return await _act(request, s, me, designation_id, lambda f: proposals.decide(
        s, proposal_id, validate(Decision, {
            "approve": {"yes": True, "no": False}.get(f.get("approve")),
            "reasons": f.get("reasons") or None}), actor=me, designation_id=designation_id))


@router.post(ONE + "/objections", dependencies=[page_requires(P.DESIGNATIONS_OBJECT, deny_as=404)])
async def object_to(request: Request, designation_id: str, s: Db, me: Me):
    return await _act(request, s, me, designation_id, lambda f: oversight.file_objection(
        s, designation_id, validate(ObjectionCreate, {"text": f.get("text") or None}),
        actor=me))


@router.post(ONE + "/items", dependencies=[page_requires(P.DESIGNATIONS_ITEM_WRITE, deny_as=404)])
async def add_item(request: Request, designation_id: str, s: Db, me: Me):
    def act(f):
        values = {"title": f.get("title") or None, "kind": f.get("kind") or None,
                  "designation_id": designation_id,
                  "compartments": [c.upper() for c in _list_field(f, "compartments")],
                  "releasable_to": codes(f.get("releasable_to")),
                  "controls": ["NOFORN"] if f.get("noforn") == "yes" else []}
        items.create_item(s, validate(ItemCreate, values, whole_path=False), actor=me)

    return await _act(request, s, me, designation_id, act)
