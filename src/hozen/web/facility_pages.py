"""Pages of facility clearance: the list of certifications (the agency proposes there),
one certification's record with its application, review, decisions and changes, and the
FOCI review of an organisation with its ownership picture. Thin: parse the form, call one
service, render or redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.accounts.permissions import Role
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.errors import Conflict, ValidationFailed, validate
from hozen.facilities import foci_service, rules
from hozen.facilities import services as facilities
from hozen.facilities.checklist import load_checklist
from hozen.facilities.schemas import (
    ChangeDecision,
    ChangeReportCreate,
    ChecklistRecord,
    FacilityApplication,
    FacilityDecision,
    FacilityPropose,
    FociDeclare,
    MitigationCreate,
)
from hozen.registry import services as registry
from hozen.web.designation_pages import _list_field
from hozen.web.pages import redirect, render
from hozen.web.register_pages import facility_register_context
from hozen.web.routes import codes, form_step, read_form, step_errors

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]
AREA_ROWS = 3  # blank rows of the application's areas


def _orgs(s: Session, me: Actor) -> dict:
    found, _ = registry.list_organisations(s, actor=me, limit=registry.MAX_PAGE)
    return {o.id: o for o in found}


# --- the list ----------------------------------------------------------------------------------


def _list(request: Request, s: Session, me: Actor, *, status: int = 200,
          errors: dict | None = None, values: dict | None = None, cursor: str | None = None):
    orgs = _orgs(s, me)
    rows, nxt = facilities.list_facilities(s, actor=me, cursor=cursor)
    return render(request, "facilities/list.html", status=status,
                  rows=rows, next_cursor=nxt, orgs=orgs,
                  certifiable=[o for o in orgs.values()
                               if o.kind in facilities.CERTIFIABLE_KINDS],
                  can_propose=me.can(P.FACILITIES_PROPOSE), system=facilities.system_area(),
                  errors=errors or {},
                  values=values or {})


@router.get("/facilities", dependencies=[page_requires(P.FACILITIES_READ)])
def facility_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _list(request, s, me, cursor=cursor)


@router.post("/facilities", dependencies=[page_requires(P.FACILITIES_PROPOSE)])
async def propose(request: Request, s: Db, me: Me):
    form = await read_form(request)
    try:
        f = facilities.propose(s, validate(FacilityPropose, {
            "organisation_id": form.get("organisation_id") or None,
            "level": form.get("level") or None,
            "project": (form.get("project") or "").strip() or None}, whole_path=False),
            actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _list(request, s, me, status=422, errors=step_errors(exc), values=form)
    return redirect(f"/facilities/{f.id}")


# --- one certification -------------------------------------------------------------------------

ONE = "/facilities/{facility_id}"


def _record(request: Request, s: Session, me: Actor, facility_id: str, *,
            status: int = 200, errors: dict | None = None, values: dict | None = None,
            cursors: dict | None = None):
    f = facilities.read_facility(s, facility_id, actor=me)
    own = Role.COMPANY_SECURITY_OFFICER in me.roles and me.organisation_id == f.organisation_id
    agency = me.can(P.FACILITIES_CERTIFY) and me.organisation_id == f.agency_id
    row = facilities.access_facility(s, me, facility_id)
    return render(
        request, "facilities/record.html", status=status, f=f, orgs=_orgs(s, me),
        officers=facilities.officer_names(s, f.organisation_id) if own else [],
        checklist=load_checklist(), crosswalk=facilities.crosswalk_view(s, facility_id,
                                                                         actor=me),
        blockers=facilities.certification_errors(s, row) if f.state == "under_review" else [],
        own=own and me.can(P.FACILITIES_APPLY), agency=agency,
        can_national_interest=me.can(P.FACILITIES_NATIONAL_INTEREST),
        in_force=f.state in rules.IN_FORCE, standing=f.state in rules.STANDING,
        area_rows=range(AREA_ROWS), errors=errors or {}, values=values or {},
        **facility_register_context(s, me, facility_id, cursors=cursors))


@router.get(ONE, dependencies=[page_requires(P.FACILITIES_READ, deny_as=404)])
def record(request: Request, facility_id: str, s: Db, me: Me,
           inspections_cursor: PageCursor = None, participants_cursor: PageCursor = None,
           spec_cursor: PageCursor = None):
    """The record; its inspections, participants and specification each a page at a time
    with its own cursor."""
    return _record(request, s, me, facility_id, cursors={
        "inspections": inspections_cursor, "participants": participants_cursor,
        "spec": spec_cursor})


async def _act(request: Request, s: Session, me: Actor, facility_id: str, action):
    return await form_step(request, s, action, done=f"/facilities/{facility_id}",
                           refused=lambda form, errors: _record(
                               request, s, me, facility_id, status=422, errors=errors,
                               values=form))


def _areas(form: dict) -> list[dict]:
    rows = []
    for i in range(AREA_ROWS):
        name = (form.get(f"area-{i}-name") or "").strip()
        if name:
            rows.append({"kind": form.get(f"area-{i}-kind") or None, "name": name,
                         "level": form.get(f"area-{i}-level") or None,
                         "separate_from_open_lab": form.get(f"area-{i}-separate") == "yes"})
    return rows


@router.post(ONE + "/application", dependencies=[page_requires(P.FACILITIES_APPLY, deny_as=404)])
async def apply(request: Request, facility_id: str, s: Db, me: Me):
    def act(f):
        values = {k: (f.get(k) or "").strip() or None for k in (
            "internal_rules", "governance", "training_plan", "security_officer_id",
            "deputy_officer_id")}
        facilities.apply(s, facility_id, validate(FacilityApplication, values | {
            "areas": _areas(f)}, whole_path=False), actor=me)
    return await _act(request, s, me, facility_id, act)


@router.post(ONE + "/review", dependencies=[page_requires(P.FACILITIES_CERTIFY, deny_as=404)])
async def start_review(request: Request, facility_id: str, s: Db, me: Me):
    return await _act(request, s, me, facility_id,
                      lambda f: facilities.start_review(s, facility_id, actor=me))


@router.post(ONE + "/checklist", dependencies=[page_requires(P.FACILITIES_CERTIFY, deny_as=404)])
async def record_checklist(request: Request, facility_id: str, s: Db, me: Me):
    def act(f):
        results = {c.id: {"met": f.get(f"met-{c.id}") == "yes",
                          "evidence": (f.get(f"evidence-{c.id}") or "").strip()}
                   for c in load_checklist().controls}
        facilities.record_checklist(s, facility_id, validate(ChecklistRecord, {
            "results": results}, whole_path=False), actor=me)
    return await _act(request, s, me, facility_id, act)


DECISIONS = {"certify": (facilities.certify, P.FACILITIES_CERTIFY),
             "refuse": (facilities.refuse, P.FACILITIES_CERTIFY),
             "suspend": (facilities.suspend, P.FACILITIES_CERTIFY),
             "reinstate": (facilities.reinstate, P.FACILITIES_CERTIFY),
             "revoke": (facilities.revoke, P.FACILITIES_CERTIFY),
             "withdraw": (facilities.withdraw, P.FACILITIES_READ),
             "national-interest": (facilities.approve_national_interest,
                                   P.FACILITIES_NATIONAL_INTEREST)}


def _decision_page(name: str, service, permission: P) -> None:
    async def handler(request: Request, facility_id: str, s: Db, me: Me):
        return await _act(request, s, me, facility_id, lambda f: service(
            s, facility_id, validate(FacilityDecision, {"reasons": f.get("reasons") or None}),
            actor=me))
    handler.__name__ = f"decide_{name.replace('-', '_')}"
    router.post(ONE + f"/{name}", dependencies=[page_requires(permission, deny_as=404)])(
        handler)


for _name, (_service, _permission) in DECISIONS.items():
    _decision_page(_name, _service, _permission)


@router.post(ONE + "/changes", dependencies=[page_requires(P.FACILITIES_APPLY, deny_as=404)])
async def report_change(request: Request, facility_id: str, s: Db, me: Me):
    return await _act(request, s, me, facility_id, lambda f: facilities.report_change(
        s, facility_id, validate(ChangeReportCreate, {
            "kinds": _list_field(f, "kinds"), "description": f.get("description") or None},
            whole_path=False), actor=me))


@router.post(ONE + "/changes/{change_id}/decision",
             dependencies=[page_requires(P.FACILITIES_CERTIFY, deny_as=404)])
async def decide_change(request: Request, facility_id: str, change_id: str, s: Db, me: Me):
    return await _act(request, s, me, facility_id, lambda f: facilities.decide_change(
        s, change_id, validate(ChangeDecision, {
            "approve": {"yes": True, "no": False}.get(f.get("approve")),
            "reasons": f.get("reasons") or None}), actor=me, facility_id=facility_id))


# --- FOCI review ------------------------------------------------------------------------------

FOCI = "/organisations/{organisation_id}/foci"


def _foci(request: Request, s: Session, me: Actor, organisation_id: str, *,
          status: int = 200, errors: dict | None = None, values: dict | None = None):
    view = foci_service.assess(s, organisation_id, actor=me)
    svg = foci_service.picture(s, organisation_id, actor=me).decode()
    # matplotlib's own SVG (names drawn as glyph paths, title escaped): shown inline so
    # the highlighted paths are part of the page
    svg = Markup(svg[svg.index("<svg"):])
    own = Role.COMPANY_SECURITY_OFFICER in me.roles and me.organisation_id == organisation_id
    return render(request, "facilities/foci.html", status=status, v=view, svg=svg,
                  org=_orgs(s, me).get(organisation_id), instruments=rules.INSTRUMENTS,
                  can_declare=own and me.can(P.FACILITIES_FOCI_DECLARE),
                  can_mitigate=me.can(P.FACILITIES_FOCI_MITIGATE),
                  errors=errors or {}, values=values or {})


@router.get(FOCI, dependencies=[page_requires(P.FACILITIES_READ, deny_as=404)])
def foci_review(request: Request, organisation_id: str, s: Db, me: Me):
    return _foci(request, s, me, organisation_id)


async def _foci_step(request: Request, s: Session, me: Actor, organisation_id: str, action):
    return await form_step(request, s, action, done=f"/organisations/{organisation_id}/foci",
                           refused=lambda form, errors: _foci(
                               request, s, me, organisation_id, status=422, errors=errors,
                               values=form))


def _board(text: str | None) -> list[list[str]]:
    """One seat per line, the holder's nationalities comma-separated."""
    return [codes(line) for line in (text or "").splitlines() if line.strip()]


@router.post(FOCI + "/declaration",
             dependencies=[page_requires(P.FACILITIES_FOCI_DECLARE, deny_as=404)])
async def declare(request: Request, organisation_id: str, s: Db, me: Me):
    return await _foci_step(request, s, me, organisation_id, lambda f: foci_service.declare(
        s, organisation_id, validate(FociDeclare, {
            "board": _board(f.get("board")),
            "foreign_debt_pct": f.get("foreign_debt_pct") or "0",
            "foreign_revenue_pct": f.get("foreign_revenue_pct") or "0"}, whole_path=False),
        actor=me))


@router.post(FOCI + "/mitigation",
             dependencies=[page_requires(P.FACILITIES_FOCI_MITIGATE, deny_as=404)])
async def mitigate(request: Request, organisation_id: str, s: Db, me: Me):
    return await _foci_step(request, s, me, organisation_id,
                            lambda f: foci_service.record_mitigation(
                                s, organisation_id, validate(MitigationCreate, {
                                    k: f.get(k) or None for k in (
                                        "instrument", "reference", "terms", "signed_on")}),
                                actor=me))
