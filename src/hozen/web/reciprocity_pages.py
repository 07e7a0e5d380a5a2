"""Pages of international reciprocity: the agreements and their equivalence tables, the
foreign clearance assurances a partner's liaison submits, and visit requests with the
agency's and the host's decisions. Thin: parse the form, call one service, render or
redirect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.access import programmes
from hozen.access.models import Programme
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import WINDOW_ROLES, Role
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.db import split_set
from hozen.errors import NotFound, ValidationFailed, validate
from hozen.facilities.models import ApprovedArea, Facility
from hozen.facilities.rules import IN_FORCE
from hozen.facilities.services import state_today
from hozen.messages import N_
from hozen.paging import every
from hozen.policy import get_policy
from hozen.reciprocity import assurances, rules, visits
from hozen.reciprocity import services as reciprocity
from hozen.reciprocity.models import Agreement
from hozen.reciprocity.schemas import (
    AssuranceView,
    FacilityAssuranceCreate,
    PersonnelAssuranceCreate,
    VisitCreate,
    VisitDecision,
    VisitView,
)
from hozen.registry import services as registry
from hozen.registry.models import Organisation
from hozen.web.pages import language, render
from hozen.web.routes import blank_to_none, codes, form_step

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]

ASSURANCE_KIND_LABELS = {"personnel": N_("personnel clearance"),
                         "facility": N_("facility clearance")}
VISIT_KIND_LABELS = {"one_time": N_("one-time visit"), "recurring": N_("recurring visits")}
VISIT_STATUS_LABELS = {"submitted": N_("awaiting approval"), "approved": N_("approved"),
                       "refused": N_("refused (see the reasons)"),
                       "withdrawn": N_("withdrawn")}
LABELS = {"assurance_kinds": ASSURANCE_KIND_LABELS, "visit_kinds": VISIT_KIND_LABELS,
          "visit_status": VISIT_STATUS_LABELS}


@router.get("/agreements", dependencies=[page_requires(P.RECIPROCITY_AGREEMENT_READ)])
def agreements_page(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    found, nxt = reciprocity.list_agreements(s, actor=me, cursor=cursor)
    rows = [reciprocity.view(a) for a in found]
    s.rollback()
    return render(request, "reciprocity/agreements.html", rows=rows, next_cursor=nxt,
                  level_names=get_policy().levels.names)


# --- what the pages show ----------------------------------------------------------------------



def _orgs(s: Session, me: Actor, ids) -> dict[str, Organisation]:
    return {i: registry.access_organisation(s, me, i) for i in set(ids) if i}


def _liaison_agreement(s: Session, me: Actor) -> Agreement | None:
    """The agreement of a liaison's own government (None: not a liaison, or a liaison whose
    organisation is not a partner government with an agreement)."""
    if not me.can(P.RECIPROCITY_ASSURANCE_SUBMIT):
        return None
    try:
        return assurances.liaison_agreement(s, me)
    except ValidationFailed:
        return None


def _partner_companies(s: Session, me: Actor, agreement: Agreement) -> list[Organisation]:
    """The companies of the partner's country (or countries, for NATO) in the registry."""
    out, cursor = [], None
    while True:
        found, cursor = registry.list_organisations(s, actor=me, kind="foreign_company",
                                                    cursor=cursor, limit=registry.MAX_PAGE)
        out += [o for o in found if rules.covers(reciprocity.as_rule(agreement),
                                                 o.country_code)]
        if cursor is None:
            return out


def _own_assurances(s: Session, me: Actor, cursor: str | None
                    ) -> tuple[list[AssuranceView], bool, str | None]:
    """A page of the assurances the actor may read, False for a liaison without an
    agreement, and the cursor of the next page."""
    if not me.can(P.RECIPROCITY_ASSURANCE_READ):
        return [], True, None
    found, nxt = assurances.list_assurances(s, actor=me, cursor=cursor)
    # a liaison whose organisation is no partner government sees none and is told why
    return assurances.views(s, found), _liaison_agreement(s, me) is not None \
        or not me.can(P.RECIPROCITY_ASSURANCE_SUBMIT), nxt


def _pickable(s: Session, me: Actor) -> list[AssuranceView]:
    """The assurances a liaison may name as visitors: all its own government's (the
    request form's picker); nobody else names visitors."""
    if not me.can(P.RECIPROCITY_VISIT_REQUEST) or _liaison_agreement(s, me) is None:
        return []
    return assurances.views(s, every(assurances.list_assurances, s, actor=me))


def _references(s: Session, me: Actor, rows: list[VisitView]) -> dict[str, str]:
    """The partner's references of the listed visitors' assurances the actor may read."""
    ids = {x.assurance_id for v in rows for x in v.visitors}
    if not ids or not me.can(P.RECIPROCITY_ASSURANCE_READ):
        return {}
    return {a.id: a.reference for a in every(assurances.list_assurances, s, actor=me, ids=ids)}


def _top(errors: dict, rename: dict | None = None) -> dict:
    """Errors by the form's field: `person.birth_date` is birth_date, `visitors.0` visitors."""
    out: dict = {}
    for field, code in errors.items():
        parts = field.split(".")
        name = parts[1] if parts[0] == "person" and len(parts) > 1 else parts[0]
        out.setdefault((rename or {}).get(name, name), code)
    return out


# --- foreign clearance assurances --------------------------------------------------------------


def _assurances(request: Request, s: Session, me: Actor, *, status: int = 200,
                errors: dict | None = None, values: dict | None = None,
                failed: str | None = None, cursor: str | None = None):
    rows, partner, nxt = _own_assurances(s, me, cursor)
    agreement = _liaison_agreement(s, me)
    companies = _partner_companies(s, me, agreement) if agreement else []
    lang = language(request)
    return render(
        request, "reciprocity/assurances.html", status=status, rows=rows, partner=partner,
        next_cursor=nxt,
        agreement=agreement, today=reciprocity.today(),
        company_options=[(o.id, o.name_ja if lang == "ja" else o.name_en) for o in companies],
        orgs=_orgs(s, me, [r.organisation_id for r in rows] + [o.id for o in companies]),
        people_links=bool(me.roles & WINDOW_ROLES), labels=LABELS, errors=errors or {},
        values=values or {}, failed=failed)


@router.get("/foreign-assurances", dependencies=[page_requires(P.RECIPROCITY_ASSURANCE_READ)])
def assurance_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _assurances(request, s, me, cursor=cursor)


async def _assurance_step(request: Request, s: Session, me: Actor, form_name: str, action):
    # A name the form does not have is reported at the one it does (Latin script only).
    rename = {"family_name_kanji": "family_name_latin", "given_name_kanji": "given_name_latin"}
    return await form_step(request, s, action, done="/foreign-assurances",
                           refused=lambda form, errors: _assurances(
                               request, s, me, status=422, errors=_top(errors, rename),
                               values=form, failed=form_name))


@router.post("/foreign-assurances/personnel",
             dependencies=[page_requires(P.RECIPROCITY_ASSURANCE_SUBMIT)])
async def submit_personnel(request: Request, s: Db, me: Me):
    return await _assurance_step(request, s, me, "personnel", lambda f: (
        assurances.submit_personnel(s, _personnel(f), actor=me)))


def _personnel(f: dict) -> PersonnelAssuranceCreate:
    """The form as the API's body: the person named, in Latin script. Errors keep their
    whole path (person.birth_date); _top names the form's field."""
    person = blank_to_none(f, ["family_name_latin", "given_name_latin", "birth_date",
                               "employer_id"]) | {"nationalities": codes(f.get("nationalities"))}
    return validate(PersonnelAssuranceCreate, {"person": person} | blank_to_none(
        f, ["partner_level", "valid_until", "reference"]))


@router.post("/foreign-assurances/facility",
             dependencies=[page_requires(P.RECIPROCITY_ASSURANCE_SUBMIT)])
async def submit_facility(request: Request, s: Db, me: Me):
    return await _assurance_step(request, s, me, "facility", lambda f: (
        assurances.submit_facility(s, validate(FacilityAssuranceCreate, blank_to_none(
            f, ["organisation_id", "partner_level", "valid_until", "reference"]),
            whole_path=False), actor=me)))


@router.post("/foreign-assurances/{assurance_id}/withdrawal",
             dependencies=[page_requires(P.RECIPROCITY_ASSURANCE_SUBMIT, deny_as=404)])
async def withdraw_assurance(request: Request, assurance_id: str, s: Db, me: Me):
    return await _assurance_step(request, s, me, f"assurance-{assurance_id}",
                                 lambda f: assurances.withdraw(s, assurance_id, actor=me))


# --- visit requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaChoice:
    id: str
    name: str
    level: str
    organisation_id: str


@dataclass(frozen=True)
class VisitChoices:
    programmes: list[tuple[Programme, bool]]  # (programme, pre-authorises the country)
    areas: dict[str, AreaChoice]
    visitors: list[AssuranceView]  # the liaison's current personnel assurances


def _visit_choices(s: Session, me: Actor, mine: list[AssuranceView]) -> VisitChoices | None:
    """What a liaison may name in a request: the programmes that name its country or in
    which a company of its country takes part, and the approved areas (certification in
    force) of those programmes' participants. Read here: programmes and facilities are no
    liaison's to read through their services, yet a request must name them."""
    agreement = _liaison_agreement(s, me)
    if agreement is None or not me.can(P.RECIPROCITY_VISIT_REQUEST):
        return None
    ours = {o.id for o in _partner_companies(s, me, agreement)}
    chosen = [(p, agreement.partner in split_set(p.countries))
              for p in s.scalars(select(Programme).order_by(Programme.code))]
    chosen = [(p, pre) for p, pre in chosen if pre or ours & split_set(p.organisations)]
    hosts = {o for p, _ in chosen for o in split_set(p.organisations)} - ours
    areas = {a.id: AreaChoice(a.id, a.name, a.level, f.organisation_id)
             for a, f in s.execute(select(ApprovedArea, Facility).join(
                 Facility, Facility.id == ApprovedArea.facility_id).where(
                 Facility.organisation_id.in_(hosts), ApprovedArea.withdrawn_on.is_(None))
                 .order_by(ApprovedArea.name))
             if state_today(f) in IN_FORCE}
    today = reciprocity.today()
    return VisitChoices(chosen, areas, [a for a in mine if a.kind == "personnel"
                                        and not a.withdrawn and a.valid_until >= today])


def _area_names(s: Session, ids) -> dict[str, str]:
    """The names of the areas of visits the actor already sees."""
    return dict(s.execute(select(ApprovedArea.id, ApprovedArea.name).where(
        ApprovedArea.id.in_(set(ids)))).all())


def _side(s: Session, me: Actor, v: VisitView) -> str | None:
    """Which side of a submitted request this actor decides ("agency", "host"), if any."""
    if v.status != "submitted" or not me.can(P.RECIPROCITY_VISIT_DECIDE):
        return None
    if Role.AGENCY_OFFICIAL in me.roles and me.can(P.PROGRAMMES_READ):
        try:
            agency = programmes.access_programme(s, me, v.programme_id).agency_id
        except NotFound:
            agency = None
        if agency == me.organisation_id:
            return None if v.agency_decided else "agency"
    if Role.COMPANY_SECURITY_OFFICER in me.roles and \
            v.host_organisation_id == me.organisation_id and not v.host_decided:
        return "host"
    return None


def _visit_context(s: Session, me: Actor, rows: list[VisitView]) -> dict:
    choices = _visit_choices(s, me, _pickable(s, me))
    areas = choices.areas if choices else {}
    return {"rows": rows, "choices": choices, "sides": {v.id: _side(s, me, v) for v in rows},
            "references": _references(s, me, rows),
            "area_names": _area_names(s, [v.area_id for v in rows]),
            "orgs": _orgs(s, me, [v.host_organisation_id for v in rows]
                          + [a.organisation_id for a in areas.values()]),
            "labels": LABELS}


def _visits(request: Request, s: Session, me: Actor, *, status: int = 200,
            errors: dict | None = None, values: dict | None = None,
            failed: str | None = None, cursor: str | None = None):
    found, nxt = visits.list_visits(s, actor=me, cursor=cursor)
    rows = visits.views(s, found, actor=me)
    return render(request, "reciprocity/visits.html", status=status, errors=errors or {},
                  values=values or {}, failed=failed, next_cursor=nxt,
                  **_visit_context(s, me, rows))


@router.get("/visits", dependencies=[page_requires(P.RECIPROCITY_VISIT_READ)])
def visit_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _visits(request, s, me, cursor=cursor)


@router.get("/visits/{visit_id}", dependencies=[page_requires(P.RECIPROCITY_VISIT_READ,
                                                               deny_as=404)])
def visit_record(request: Request, visit_id: str, s: Db, me: Me):
    """One request (missing and out of scope alike: not found)."""
    v = visits.view(s, visits.read(s, visit_id, actor=me), actor=me)
    return render(request, "reciprocity/visit.html", v=v, errors={}, values={}, failed=None,
                  **_visit_context(s, me, [v]))


async def _visit_step(request: Request, s: Session, me: Actor, form_name: str, action):
    # The host is chosen with its area: a host's refusal is shown at the area.
    return await form_step(request, s, action, done="/visits",
                           refused=lambda form, errors: _visits(
                               request, s, me, status=422, values=form, failed=form_name,
                               errors=_top(errors, {"host_organisation_id": "area_id"})))


@router.post("/visits", dependencies=[page_requires(P.RECIPROCITY_VISIT_REQUEST)])
async def request_visit(request: Request, s: Db, me: Me):
    def act(f: dict):
        choices = _visit_choices(s, me, _pickable(s, me))
        area = choices.areas.get(f.get("area_id") or "") if choices else None
        visits.request_visit(s, validate(VisitCreate, blank_to_none(
            f, ["kind", "programme_id", "area_id", "starts_on", "ends_on", "purpose"]) | {
            "host_organisation_id": area.organisation_id if area else None,
            "visitors": [x for x in (f.get("visitors") or "").split(",") if x] or None},
            whole_path=False), actor=me)
    return await _visit_step(request, s, me, "visit", act)


@router.post("/visits/{visit_id}/decision",
             dependencies=[page_requires(P.RECIPROCITY_VISIT_DECIDE, deny_as=404)])
async def decide_visit(request: Request, visit_id: str, s: Db, me: Me):
    return await _visit_step(request, s, me, f"decide-{visit_id}", lambda f: visits.decide(
        s, visit_id, validate(VisitDecision, {"approve": f.get("approve") or None,
                                              "reasons": f.get("reasons") or ""},
                              whole_path=False), actor=me))
