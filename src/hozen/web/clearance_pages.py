"""Pages of suitability assessment, one group per role: the employer's officer
(candidate list, CSV upload, events, renewal), the window (intake, assignment, workload,
complaints, events, corrections), the investigator and adjudicator (queues, case view).
The subject's pages and every user's inbox are in web.subject_pages, included here. Thin:
parse the form, call one service, render or redirect."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.api.routing import include
from hozen.clearances import aftercare, roster, rules, views
from hozen.clearances import services as clearances
from hozen.clearances.schemas import (
    Adjudication,
    CandidateCreate,
    ComplaintAnswer,
    CorrectionDecision,
    EventAssessment,
    EventCreate,
    FindingCreate,
    IntakeRequest,
)
from hozen.errors import Conflict, ValidationFailed, validate
from hozen.messages import EMPLOYER_STATUS_LABELS, N_
from hozen.paging import every
from hozen.registry import search
from hozen.registry import services as registry
from hozen.text import spreadsheet_safe
from hozen.web import subject_pages
from hozen.web.i18n import translations
from hozen.web.pages import check_csrf, language, redirect, render
from hozen.web.routes import field_errors, form_step, read_form, step_errors

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]

CSV_MAX_BYTES = 2_000_000


# --- the employer's officer: candidate list, CSV upload, events ---------------------------


def _staff(s: Session, me: Actor) -> dict:
    """The officer's own staff by id (one recorded read of the list)."""
    if not me.organisation_id:
        return {}
    found, _ = search.list_people(s, actor=me, employer_id=me.organisation_id,
                                  limit=registry.MAX_PAGE)
    return {p.id: p for p in found}


def _agencies(s: Session, me: Actor) -> list:
    orgs, _ = registry.list_organisations(s, actor=me, kind="government_body",
                                          limit=registry.MAX_PAGE)
    return orgs


def _candidates_page(request: Request, s: Session, me: Actor, *, status: int = 200,
                     errors: dict | None = None, csv_errors: list | None = None,
                     values: dict | None = None, listed: int | None = None,
                     cursor: str | None = None):
    cases, nxt = views.employer_cases(s, actor=me, cursor=cursor)
    return render(request, "clearances/candidates.html", status=status,
                  cases=cases, next_cursor=nxt, staff=_staff(s, me),
                  agencies=_agencies(s, me), errors=errors or {}, csv_errors=csv_errors or [],
                  values=values or {}, listed=listed,
                  event_kinds=EventCreate.model_fields["kind"].annotation.__args__)


@router.get("/candidates", dependencies=[page_requires(P.CLEARANCES_CANDIDATE_CREATE)])
def candidates(request: Request, s: Db, me: Me, listed: int | None = None,
               cursor: PageCursor = None):
    return _candidates_page(request, s, me, listed=listed, cursor=cursor)


@router.get("/candidates/template.csv",
            dependencies=[page_requires(P.CLEARANCES_CANDIDATE_CREATE)])
def candidates_template() -> Response:
    # With a BOM, so that a spreadsheet opens the Japanese headings correctly.
    return Response(("\ufeff" + roster.TEMPLATE).encode(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="candidates.csv"'})


@router.get("/candidates/export.csv",
            dependencies=[page_requires(P.CLEARANCES_CANDIDATE_CREATE)])
def candidates_export(request: Request, s: Db, me: Me) -> Response:
    """The candidate list as the officer sees it: names, regime, outcome, end date."""
    staff = _staff(s, me)
    lang = language(request)
    tr = translations(lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([tr.gettext(h) for h in (N_("Name"), N_("Regime"), N_("Status"),
                                              N_("Valid until"))])
    for c in every(views.employer_cases, s, actor=me):
        p = staff.get(c.person_id)
        name = " ".join(filter(None, [p.family_name_kanji or p.family_name_latin,
                                      p.given_name_kanji or p.given_name_latin])) if p else ""
        writer.writerow([spreadsheet_safe(name), c.regime,
                         tr.gettext(EMPLOYER_STATUS_LABELS[c.status]),
                         c.valid_until.isoformat() if c.valid_until else ""])
    return Response(("\ufeff" + out.getvalue()).encode(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="assessments.csv"',
                             "cache-control": "no-store"})


@router.post("/candidates", dependencies=[page_requires(P.CLEARANCES_CANDIDATE_CREATE)])
async def candidate_add(request: Request, s: Db, me: Me):
    form = await read_form(request)
    values = {k: form.get(k) or None for k in ("person_id", "regime", "sponsor_id")}
    try:
        clearances.list_candidate(s, validate(CandidateCreate, values), actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        return _candidates_page(request, s, me, status=422, errors=step_errors(exc), values=form)
    return redirect("/candidates?listed=1")


@router.post("/candidates/upload", dependencies=[page_requires(P.CLEARANCES_CANDIDATE_CREATE)])
async def candidate_upload(request: Request, s: Db, me: Me):
    form = await request.form()
    read_text = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, read_text)
    upload = form.get("file")
    raw = await upload.read(CSV_MAX_BYTES + 1) if hasattr(upload, "read") else b""
    try:
        if len(raw) > CSV_MAX_BYTES:
            raise ValidationFailed([("file", "too_long")])
        cases = roster.import_candidates(s, raw, read_text.get("regime", ""),
                                         read_text.get("sponsor_id", ""), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        rows = []  # (line, column, code); a row as a whole has no column
        for f, c in exc.errors:
            parts = f.split(".", 2)
            rows.append((parts[1], parts[2] if len(parts) > 2 else "", c)
                        if parts[0] == "rows" and len(parts) > 1 else (None, f, c))
        return _candidates_page(request, s, me, status=422, csv_errors=rows,
                                values=read_text)
    return redirect(f"/candidates?listed={len(cases)}")


@router.post("/candidates/events", dependencies=[page_requires(P.CLEARANCES_EVENT_CREATE)])
async def event_report(request: Request, s: Db, me: Me):
    form = await read_form(request)
    values = {k: form.get(k) or None for k in ("person_id", "kind", "occurred_on", "details")}
    try:
        aftercare.report_event(s, validate(EventCreate, values), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        return _candidates_page(request, s, me, status=422,
                                errors={f"event_{k}": v for k, v in field_errors(exc).items()},
                                values={f"event_{k}": v for k, v in form.items()})
    return redirect("/candidates?event=1")


# --- the window, investigators and adjudicators ------------------------------------------


@router.get("/casework", dependencies=[page_requires(P.CLEARANCES_CASE_READ)])
def casework(request: Request, s: Db, me: Me, intake_cursor: PageCursor = None,
             investigation_cursor: PageCursor = None, adjudication_cursor: PageCursor = None):
    """The caller's work queues, each a page at a time with its own cursor."""
    load = views.workload(s, actor=me) if me.can(P.CLEARANCES_CASE_ASSIGN) else None
    at = {"intake": intake_cursor, "investigation": investigation_cursor,
          "adjudication": adjudication_cursor}
    queue = views.work_queue(s, actor=me, cursors=at)
    return render(request, "clearances/casework.html", queue=queue, load=load, at=at,
                  names=_org_names(s, me), me_roles={r.value for r in me.roles})


def _org_names(s: Session, me: Actor) -> dict:
    orgs, _ = registry.list_organisations(s, actor=me, limit=registry.MAX_PAGE)
    return {o.id: o for o in orgs}


def _case_page(request: Request, s: Session, me: Actor, case_id: str, *, status: int = 200,
               errors: dict | None = None, values: dict | None = None):
    case = views.read_case(s, case_id, actor=me)
    person = registry.read_person(s, case.person_id, actor=me)
    load = views.workload(s, actor=me) if me.can(P.CLEARANCES_CASE_ASSIGN) else None
    may_adjudicate = (me.can(P.CLEARANCES_CASE_ADJUDICATE) and case.state == "adjudication"
                      and me.id not in {f.recorded_by for f in case.findings})
    return render(request, "clearances/case.html", status=status, case=case, person=person,
                  load=load, errors=errors or {}, values=values or {},
                  names=_org_names(s, me), areas=rules.AREAS, severities=rules.SEVERITIES,
                  may_assign=me.can(P.CLEARANCES_CASE_ASSIGN) and case.state == "submitted",
                  may_investigate=(me.can(P.CLEARANCES_FINDING_WRITE)
                                   and case.state == "investigation"),
                  may_adjudicate=may_adjudicate)


AFTERCARE = "/casework/aftercare"


# Before /casework/{case_id}, which would otherwise take "aftercare" for a case id.
@router.get(AFTERCARE, dependencies=[page_requires(P.CLEARANCES_COMPLAINT_ANSWER)])
def aftercare_page(request: Request, s: Db, me: Me, complaints_cursor: PageCursor = None,
                   events_cursor: PageCursor = None, corrections_cursor: PageCursor = None):
    return _aftercare_page(request, s, me, cursors={
        "complaints": complaints_cursor, "events": events_cursor,
        "corrections": corrections_cursor})


CASE = "/casework/{case_id}"


@router.get(CASE, dependencies=[page_requires(P.CLEARANCES_CASE_READ, deny_as=404)])
def case_view(request: Request, case_id: str, s: Db, me: Me):
    return _case_page(request, s, me, case_id)


async def _case_action(request: Request, s: Session, me: Actor, case_id: str, action):
    """Run one step on the case; on a refusal show the case again with the errors."""
    return await form_step(request, s, action, done=f"/casework/{case_id}",
                           refused=lambda form, errors: _case_page(
                               request, s, me, case_id, status=422, errors=errors,
                               values=form))


@router.post(CASE + "/intake", dependencies=[page_requires(P.CLEARANCES_CASE_ASSIGN, deny_as=404)])
async def case_intake(request: Request, case_id: str, s: Db, me: Me):
    return await _case_action(request, s, me, case_id, lambda f: clearances.intake(
        s, case_id, validate(IntakeRequest, {"investigator_id": f.get("investigator_id") or None}),
        actor=me))


@router.post(CASE + "/findings",
             dependencies=[page_requires(P.CLEARANCES_FINDING_WRITE, deny_as=404)])
async def case_finding(request: Request, case_id: str, s: Db, me: Me):
    keys = ("area", "severity", "found_on", "source", "summary")
    return await _case_action(request, s, me, case_id, lambda f: clearances.record_finding(
        s, case_id, validate(FindingCreate, {k: f.get(k) or None for k in keys},
                             whole_path=False), actor=me))


@router.post(CASE + "/completion",
             dependencies=[page_requires(P.CLEARANCES_FINDING_WRITE, deny_as=404)])
async def case_complete(request: Request, case_id: str, s: Db, me: Me):
    return await _case_action(request, s, me, case_id,
                              lambda f: clearances.complete_investigation(s, case_id, actor=me))


def _decisions(form: dict) -> dict:
    out = []
    for area in rules.AREAS:
        choice = form.get(f"{area}-favourable")
        out.append({"area": area, "favourable": {"yes": True, "no": False}.get(choice, choice),
                    "reasons": form.get(f"{area}-reasons") or None})
    return {"decisions": out}


@router.post(CASE + "/adjudication",
             dependencies=[page_requires(P.CLEARANCES_CASE_ADJUDICATE, deny_as=404,
                                         reauth=CASE)])
async def case_adjudicate(request: Request, case_id: str, s: Db, me: Me):
    def act(form):
        try:
            data = validate(Adjudication, _decisions(form))
        except ValidationFailed as exc:  # decisions.3.reasons -> the area's field
            raise ValidationFailed([(_area_field(f), c) for f, c in exc.errors]) from None
        clearances.adjudicate(s, case_id, data, actor=me)

    return await _case_action(request, s, me, case_id, act)


def _area_field(field: str) -> str:
    parts = field.split(".")
    if len(parts) >= 3 and parts[0] == "decisions" and parts[1].isdigit():
        return f"{rules.AREAS[int(parts[1])]}-{parts[2]}"
    return field


# --- the window: complaints, reportable events, corrections -------------------------------


def _people(s: Session, me: Actor, ids) -> dict:
    return {pid: registry.read_person(s, pid, actor=me) for pid in sorted(set(ids))}


def _aftercare_page(request: Request, s: Session, me: Actor, *, status: int = 200,
                    errors: dict | None = None, focus: str | None = None,
                    cursors: dict | None = None):
    """Each of the three lists a page at a time, each with its own cursor."""
    at = cursors or {}
    complaints, complaints_next = aftercare.list_complaints(
        s, actor=me, open_only=True, cursor=at.get("complaints"))
    events, events_next = (aftercare.open_events(s, actor=me, cursor=at.get("events"))
                           if me.can(P.CLEARANCES_EVENT_ASSESS) else ([], None))
    corrections, corrections_next = (
        aftercare.open_corrections(s, actor=me, cursor=at.get("corrections"))
        if me.can(P.CLEARANCES_CORRECTION_DECIDE) else ([], None))
    people = _people(s, me, [e["person_id"] for e in events]
                     + [c["person_id"] for c in corrections])
    return render(request, "clearances/aftercare.html", status=status, complaints=complaints,
                  events=events, corrections=corrections, people=people,
                  next_cursors={"complaints": complaints_next, "events": events_next,
                                "corrections": corrections_next},
                  errors=errors or {}, focus=focus)


async def _window_action(request: Request, s: Session, me: Actor, item_id: str, action):
    return await form_step(request, s, action, done=AFTERCARE,
                           refused=lambda form, errors: _aftercare_page(
                               request, s, me, status=422, errors=errors, focus=item_id))


@router.post("/casework/complaints/{complaint_id}/answer",
             dependencies=[page_requires(P.CLEARANCES_COMPLAINT_ANSWER)])
async def complaint_answer(request: Request, complaint_id: str, s: Db, me: Me):
    return await _window_action(request, s, me, complaint_id, lambda f: (
        aftercare.answer_complaint(s, complaint_id, validate(ComplaintAnswer, {
            "handling": f.get("handling") or None, "answer": f.get("answer") or None}),
            actor=me)))


@router.post("/casework/events/{event_id}/assessment",
             dependencies=[page_requires(P.CLEARANCES_EVENT_ASSESS)])
async def event_assessment(request: Request, event_id: str, s: Db, me: Me):
    return await _window_action(request, s, me, event_id, lambda f: aftercare.assess_event(
        s, event_id, validate(EventAssessment, {
            "adverse": {"yes": True, "no": False}.get(f.get("adverse"))}), actor=me))


@router.post("/casework/corrections/{request_id}/decision",
             dependencies=[page_requires(P.CLEARANCES_CORRECTION_DECIDE)])
async def correction_decision(request: Request, request_id: str, s: Db, me: Me):
    return await _window_action(request, s, me, request_id, lambda f: (
        aftercare.decide_correction(s, request_id, validate(CorrectionDecision, {
            "accepted": {"yes": True, "no": False}.get(f.get("accepted")),
            "note": f.get("note") or None}), actor=me)))


# --- the employer's renewal -----------------------------------------------------------


@router.post("/candidates/{case_id}/renewal",
             dependencies=[page_requires(P.CLEARANCES_CANDIDATE_CREATE, deny_as=404)])
async def candidate_renewal(request: Request, case_id: str, s: Db, me: Me):
    await read_form(request)
    try:
        aftercare.renew_case(s, case_id, actor=me)
    except Conflict as exc:
        s.rollback()
        return _candidates_page(request, s, me, status=409, errors=step_errors(exc))
    return redirect("/candidates?listed=1")


# the subject's pages and the inbox: after every route above, none of which they overlap
include(router, subject_pages.router)
