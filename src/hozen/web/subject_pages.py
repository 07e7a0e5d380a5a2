"""Pages of suitability assessment for the subject (their assessments, consent, refusal,
withdrawal, complaints, the questionnaire saved as they go, their own data and
corrections) and every user's inbox; included by web.clearance_pages under the same
paths. Thin: parse the form, call one service, render or redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.clearances import aftercare, rules, views
from hozen.clearances import services as clearances
from hozen.clearances.schemas import (
    ComplaintCreate,
    ConsentGive,
    CorrectionCreate,
    Questionnaire,
)
from hozen.errors import Conflict, NotFound, ValidationFailed, validate
from hozen.notifications import services as notifications
from hozen.paging import every
from hozen.policy import get_policy
from hozen.web.pages import language, redirect, render
from hozen.web.routes import field_errors, form_step, read_form, step_errors

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]


# --- the subject ---------------------------------------------------------------------------


def _mine(request: Request, s: Session, me: Actor, *, status: int = 200,
          errors: dict | None = None, focus: str | None = None, done: str | None = None,
          cursor: str | None = None):
    cases, nxt = views.my_cases(s, actor=me, cursor=cursor)
    return render(request, "clearances/mine.html", status=status,
                  cases=cases, next_cursor=nxt,
                  # the subject's own complaints, few: every one of them
                  complaints=every(aftercare.list_complaints, s, actor=me),
                  errors=errors or {}, focus=focus, done=done,
                  areas=rules.AREAS, relations=rules.FAMILY_RELATIONS,
                  history_years=get_policy().clearance["history_years"],
                  retention=get_policy().retention)


MINE = "/my/assessments"


@router.get(MINE, dependencies=[page_requires(P.CLEARANCES_SELF_READ)])
def my_assessments(request: Request, s: Db, me: Me, done: str | None = None,
                   cursor: PageCursor = None):
    return _mine(request, s, me, done=done if done in ("consent", "refusal", "withdrawal",
                                                       "complaint", "submission") else None,
                 cursor=cursor)


async def _subject_action(request: Request, s: Session, me: Actor, case_id: str, done: str,
                          action):
    return await form_step(request, s, action, done=f"{MINE}?done={done}",
                           refused=lambda form, errors: _mine(
                               request, s, me, status=422, errors=errors, focus=case_id))


@router.post(MINE + "/{case_id}/consent",
             dependencies=[page_requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
async def my_consent(request: Request, case_id: str, s: Db, me: Me):
    def act(form):
        if form.get("consent") != "yes":
            raise ValidationFailed([("consent", "required")])
        data = ConsentGive(family_consent=form.get("family_consent") == "yes",
                           declines_reasons=form.get("declines_reasons") == "yes")
        clearances.give_consent(s, case_id, data, actor=me)

    return await _subject_action(request, s, me, case_id, "consent", act)


@router.post(MINE + "/{case_id}/refusal",
             dependencies=[page_requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
async def my_refusal(request: Request, case_id: str, s: Db, me: Me):
    return await _subject_action(request, s, me, case_id, "refusal",
                                 lambda f: clearances.refuse_consent(s, case_id, actor=me))


@router.post(MINE + "/{case_id}/withdrawal",
             dependencies=[page_requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
async def my_withdrawal(request: Request, case_id: str, s: Db, me: Me):
    return await _subject_action(request, s, me, case_id, "withdrawal",
                                 lambda f: clearances.withdraw(s, case_id, actor=me))


@router.post(MINE + "/{case_id}/complaints",
             dependencies=[page_requires(P.CLEARANCES_COMPLAINT_CREATE, deny_as=404)])
async def my_complaint(request: Request, case_id: str, s: Db, me: Me):
    return await _subject_action(request, s, me, case_id, "complaint", lambda f: (
        aftercare.file_complaint(s, case_id, validate(ComplaintCreate, {
            "kind": f.get("kind") or None, "text": f.get("text") or None}), actor=me)))


# --- the questionnaire: saved as the subject goes -----------------------------------------

# section -> the fields of one entry, as the form names them ("residences-0-start")
SECTIONS: dict[str, tuple[str, ...]] = {
    "residences": ("start", "end", "country_code", "address"),
    "employment": ("start", "end", "kind", "employer", "title"),
    "travel": ("country_code", "start", "end", "purpose"),
    "foreign_accounts": ("country_code", "institution"),
    "family": ("relation", "family_name", "given_name", "birth_date", "nationalities",
               "former_nationalities", "address"),
}
LIST_FIELDS = ("nationalities", "former_nationalities")


def _entries(form: dict, section: str) -> list[dict]:
    """The section's rows in form order; a row left wholly blank is no entry."""
    fields = SECTIONS[section]
    indexes = sorted({int(k.split("-")[1]) for k in form
                      if k.startswith(section + "-") and k.split("-")[1].isdigit()})
    rows = []
    for i in indexes:
        raw = {f: (form.get(f"{section}-{i}-{f}") or "").strip() for f in fields}
        if not any(raw.values()):
            continue
        row: dict = {}
        for f, v in raw.items():
            if f in LIST_FIELDS:
                row[f] = [c.strip().upper() for c in v.replace("、", ",").split(",") if c.strip()]
            elif v or f in ("start",):
                row[f] = v or None
            elif f == "end":
                row[f] = None  # continuing
        rows.append(row)
    return rows


def _form_to_questionnaire(form: dict, family_consent: bool) -> dict:
    data: dict = {s: _entries(form, s) for s in SECTIONS if s != "family" or family_consent}
    areas = {}
    for area in rules.AREAS:
        answer = form.get(f"area-{area}")
        if answer in ("yes", "no"):
            areas[area] = {"yes": answer == "yes",
                           "details": (form.get(f"area-{area}-details") or "").strip()}
    if areas:
        data["areas"] = areas
    return data


def _form_field(field: str) -> str:
    """residences.0.start -> residences-0-start; areas.drugs.details -> area-drugs-details."""
    parts = field.split(".")
    if parts[0] == "areas" and len(parts) > 1:
        return "-".join(["area", *parts[1:]])
    return "-".join(parts)


def _questionnaire_page(request: Request, s: Session, me: Actor, case_id: str, *,
                        status: int = 200, values: dict | None = None,
                        errors: dict | None = None, saved: bool = False, extra: str = ""):
    case = next((c for c in every(views.my_cases, s, actor=me) if c.id == case_id), None)
    if case is None:
        raise NotFound("case not found")
    stored = values if values is not None else (
        views.my_questionnaire(s, case_id, actor=me) or {})
    rows = {sec: list(stored.get(sec) or []) for sec in SECTIONS}
    for sec in rows:  # one blank row to add an entry, and another when asked
        rows[sec] += [{}] * (2 if sec == extra else 1)
    return render(request, "clearances/questionnaire.html", status=status, case=case,
                  rows=rows, areas_answers=stored.get("areas") or {}, areas=rules.AREAS,
                  relations=rules.FAMILY_RELATIONS, errors=errors or {}, saved=saved,
                  employment_kinds=rules.EMPLOYMENT_KINDS,
                  history_years=get_policy().clearance["history_years"],
                  gap_days=get_policy().clearance["history_gap_days"])


Q = MINE + "/{case_id}/questionnaire"


@router.get(Q, dependencies=[page_requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
def questionnaire(request: Request, case_id: str, s: Db, me: Me, saved: int = 0):
    return _questionnaire_page(request, s, me, case_id, saved=bool(saved))


@router.post(Q, dependencies=[page_requires(P.CLEARANCES_CONSENT_GIVE, deny_as=404)])
async def questionnaire_save(request: Request, case_id: str, s: Db, me: Me):
    form = await read_form(request)
    action = form.get("action", "save")
    case = next((c for c in every(views.my_cases, s, actor=me) if c.id == case_id), None)
    values = _form_to_questionnaire(form, bool(case and case.family_consent))
    try:
        data = validate(Questionnaire, values)
        clearances.save_questionnaire(s, case_id, data, actor=me)
        if action == "submit":
            clearances.submit(s, case_id, actor=me)
    except (ValidationFailed, Conflict) as exc:
        s.rollback()
        errors = {_form_field(f): c for f, c in step_errors(exc).items()}
        return _questionnaire_page(request, s, me, case_id, status=422, values=values,
                                   errors=errors)
    if action == "submit":
        return redirect(f"{MINE}?done=submission")
    extra = action.removeprefix("add-") if action.startswith("add-") else ""
    if extra in SECTIONS:
        return _questionnaire_page(request, s, me, case_id, saved=True, extra=extra)
    return redirect(f"{MINE}/{case_id}/questionnaire?saved=1")


# --- every user's inbox ------------------------------------------------------------------


@router.get("/inbox", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
def inbox(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    """The caller's notices, newest first, a page at a time."""
    notices, nxt = notifications.inbox(s, actor=me, lang=language(request), cursor=cursor)
    return render(request, "inbox.html", notices=notices, next_cursor=nxt)


@router.post("/inbox/read", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
async def inbox_read(request: Request, s: Db, me: Me):
    await read_form(request)
    notifications.mark_all_read(s, actor=me)
    return redirect("/inbox")


# --- the subject's own data and corrections ----------------------------------------------


def _my_data_page(request: Request, s: Session, me: Actor, *, status: int = 200,
                  errors: dict | None = None, values: dict | None = None, done: bool = False):
    return render(request, "clearances/my_data.html", status=status,
                  data=aftercare.my_personal_data(s, actor=me), errors=errors or {},
                  values=values or {}, done=done,
                  fields=CorrectionCreate.model_fields["field"].annotation.__args__)


@router.get("/my/data", dependencies=[page_requires(P.CLEARANCES_SELF_READ)])
def my_data(request: Request, s: Db, me: Me, done: int = 0):
    return _my_data_page(request, s, me, done=bool(done))


@router.post("/my/data/corrections",
             dependencies=[page_requires(P.CLEARANCES_CORRECTION_CREATE)])
async def my_correction(request: Request, s: Db, me: Me):
    form = await read_form(request)
    values = {k: form.get(k) or None for k in ("field", "value", "reason")}
    try:
        aftercare.request_correction(s, validate(CorrectionCreate, values), actor=me)
    except ValidationFailed as exc:
        s.rollback()
        return _my_data_page(request, s, me, status=422, errors=field_errors(exc),
                             values=form)
    return redirect("/my/data?done=1")
