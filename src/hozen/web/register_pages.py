"""Pages of the handling records: the handler register, the custody log and where every
item is, incidents and training records; and, on a facility's record, its inspections,
research participants and the contract's specification. Thin: parse the form, call one
service, render or redirect."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.accounts.permissions import Role
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.designations import items
from hozen.designations import services as designations
from hozen.designations.schemas import ItemView
from hozen.errors import NotFound, ValidationFailed, validate
from hozen.facilities import contract, custody, incidents, inspections, registers, rules
from hozen.facilities import services as facilities
from hozen.facilities.models import Incident
from hozen.facilities.register_schemas import (
    CustodyCreate,
    HandlerCreate,
    IncidentClose,
    IncidentCreate,
    InspectionCreate,
    ParticipantCreate,
    SpecificationCreate,
    TrainingCreate,
)
from hozen.messages import N_
from hozen.paging import every
from hozen.policy import get_policy
from hozen.registry import search
from hozen.registry import services as registry
from hozen.registry.schemas import PersonPublic
from hozen.web.designation_pages import _list_field, _orgs
from hozen.web.pages import language, render
from hozen.web.routes import blank_to_none, form_step

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]

# Times on the forms are Japan time (no daylight saving); the services keep UTC.
JST = timezone(timedelta(hours=9))
FINDING_ROWS = 3  # blank finding rows of the inspection form

CUSTODY_KIND_LABELS = {
    "receipt": N_("receipt"), "handling": N_("handling"), "copy": N_("copy"),
    "transfer": N_("transfer"), "return": N_("return"), "destruction": N_("destruction"),
}
WHERE_STATUS_LABELS = {
    "held": N_("held"), "transferred": N_("transferred"), "returned": N_("returned"),
    "destroyed": N_("destroyed"),
}
TRAINING_KIND_LABELS = {"initial": N_("initial training"), "refresher": N_("refresher")}
INSPECTION_KIND_LABELS = {"self": N_("self-inspection"), "on_site": N_("on-site inspection")}
FINDING_SEVERITY_LABELS = {"minor": N_("minor"), "major": N_("major"),
                           "critical": N_("critical")}
LABELS = {"custody_kinds": CUSTODY_KIND_LABELS, "where_status": WHERE_STATUS_LABELS,
          "training_kinds": TRAINING_KIND_LABELS, "inspection_kinds": INSPECTION_KIND_LABELS,
          "finding_severities": FINDING_SEVERITY_LABELS}


# --- what the pages show ------------------------------------------------------------------


def jst(at: datetime) -> str:
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def person_name(p: PersonPublic) -> str:
    return " ".join(n for n in (p.family_name_kanji or p.family_name_latin,
                                p.given_name_kanji or p.given_name_latin) if n)


def own_staff(s: Session, me: Actor) -> list[PersonPublic]:
    """The caller's own staff for the pickers: names are personal data, read through the
    registry in the caller's scope (each read recorded), as /people does."""
    if not (me.organisation_id and me.can(P.REGISTRY_PERSON_READ)
            and Role.COMPANY_SECURITY_OFFICER in me.roles):
        return []
    out: list[PersonPublic] = []
    cursor = None
    while True:
        found, cursor = search.list_people(s, actor=me, employer_id=me.organisation_id,
                                           cursor=cursor, limit=registry.MAX_PAGE)
        out += found
        if cursor is None:
            return sorted(out, key=person_name)


def held_items(s: Session, me: Actor) -> list[ItemView]:
    """The items of the designations the caller's organisation holds."""
    return [i for d in every(designations.list_designations, s, actor=me)
            if me.organisation_id in d.holders
            for i in every(items.list_items, s, d.id, actor=me)]


def _areas(s: Session, me: Actor) -> dict:
    """The approved areas of the certifications in the caller's scope, by id."""
    return {a.id: a for f in every(facilities.list_facilities, s, actor=me) for a in f.areas}


def _closable(s: Session, me: Actor, rows) -> set[str]:
    """Open incidents this agency official may close (an agency concerned)."""
    if not me.can(P.FACILITIES_INCIDENT_CLOSE):
        return set()
    return {i.id for i in rows if i.status == "open"
            and incidents.may_close(s, me, s.get(Incident, i.id))}


def _registers(request: Request, s: Session, me: Actor, *, status: int = 200,
               errors: dict | None = None, values: dict | None = None,
               failed: str | None = None, cursor: str | None = None,
               where_cursor: str | None = None, handlers_cursor: str | None = None,
               training_cursor: str | None = None, late_cursor: str | None = None):
    keeps = me.can(P.FACILITIES_CUSTODY)
    lang = language(request)
    level = get_policy().levels.names[lang]
    staff = own_staff(s, me) if keeps else []
    held = held_items(s, me) if keeps else []
    found, nxt = incidents.list_incidents(s, actor=me, cursor=cursor)
    areas = _areas(s, me)
    orgs = _orgs(s, me)
    names = {p.id: person_name(p) for p in staff}
    where, where_next = custody.where_is(s, actor=me, cursor=where_cursor)
    handlers, handlers_next = (registers.list_handlers(s, actor=me, cursor=handlers_cursor)
                               if keeps else ([], None))
    overdue, training_next = (registers.overdue_training(s, actor=me, cursor=training_cursor)
                              if keeps else ([], None))
    late, late_next = inspections.overdue_findings(s, actor=me, cursor=late_cursor)
    titles = {w.item_id: w.title for w in where} | {i.id: i.title for i in held}
    titles |= {x: _title(s, me, x) for i in found for x in i.item_ids if x not in titles}
    return render(
        request, "registers/index.html", status=status, keeps=keeps, orgs=orgs,
        where=where, where_next=where_next, incidents=found, next_cursor=nxt,
        closable=_closable(s, me, found), late=late, late_next=late_next,
        handlers=handlers, handlers_next=handlers_next,
        overdue=overdue, training_next=training_next,
        names=names, person_options=list(names.items()),
        item_options=[(i.id, f"{i.title} ({level[i.level]})") for i in held
                      if i.level in rules.CERT_LEVELS and i.lifted_on is None],
        held_options=[(i.id, i.title) for i in held if i.lifted_on is None],
        titles=titles, areas=areas,
        area_options=[(a.id, f"{a.name} ({level[a.level]})") for a in areas.values()
                      if a.withdrawn_on is None] if keeps else [],
        org_options=[(o.id, o.name_ja if lang == "ja" else o.name_en)
                     for o in orgs.values() if o.id != me.organisation_id],
        labels=LABELS, jst=jst, errors=errors or {}, values=values or {}, failed=failed)


@router.get("/registers", dependencies=[page_requires(P.FACILITIES_READ)])
def register_index(request: Request, s: Db, me: Me, cursor: PageCursor = None,
                   where_cursor: PageCursor = None, handlers_cursor: PageCursor = None,
                   training_cursor: PageCursor = None, late_cursor: PageCursor = None):
    """Each list of the page is paged on its own: `cursor` the incidents, `where_cursor`
    where every item is, `handlers_cursor` the handler register, `training_cursor` the
    staff overdue for training, `late_cursor` the overdue corrective actions."""
    return _registers(request, s, me, cursor=cursor, where_cursor=where_cursor,
                      handlers_cursor=handlers_cursor, training_cursor=training_cursor,
                      late_cursor=late_cursor)


@router.get("/registers/items/{item_id}",
            dependencies=[page_requires(P.FACILITIES_READ, deny_as=404)])
def item_log(request: Request, item_id: str, s: Db, me: Me, cursor: PageCursor = None,
             handlers_cursor: PageCursor = None):
    """One item's custody log, oldest first, and its handlers (missing and out of scope
    alike: not found), each a page at a time."""
    log, nxt = custody.custody_log(s, item_id, actor=me, cursor=cursor)
    handlers, handlers_next = registers.list_handlers(s, item_id, actor=me,
                                                      cursor=handlers_cursor)
    staff = own_staff(s, me) if me.can(P.FACILITIES_CUSTODY) else []
    return render(request, "registers/item.html", item=items.read_item(s, item_id, actor=me),
                  log=log, next_cursor=nxt, handlers=handlers, handlers_next=handlers_next,
                  names={p.id: person_name(p) for p in staff}, orgs=_orgs(s, me),
                  areas=_areas(s, me), labels=LABELS, jst=jst)


# --- the forms of /registers -------------------------------------------------------------------


def _top(errors: dict) -> dict:
    """`person_ids.0` is the person_ids field's error on the page."""
    out: dict = {}
    for field, code in errors.items():
        out.setdefault(field.split(".")[0], code)
    return out


async def _step(request: Request, s: Session, me: Actor, form_name: str, action):
    return await form_step(request, s, action, done="/registers",
                           refused=lambda form, errors: _registers(
                               request, s, me, status=422, errors=_top(errors), values=form,
                               failed=form_name))


@router.post("/registers/handlers", dependencies=[page_requires(P.FACILITIES_CUSTODY)])
async def add_handler(request: Request, s: Db, me: Me):
    def act(f):
        if not (item_id := (f.get("item_id") or "").strip()):
            raise ValidationFailed([("item_id", "required")])
        data = validate(HandlerCreate, blank_to_none(f, ["person_id"]), whole_path=False)
        registers.add_handler(s, item_id, data.person_id, actor=me)
    return await _step(request, s, me, "handler", act)


@router.post("/registers/handlers/{handler_id}/removal",
             dependencies=[page_requires(P.FACILITIES_CUSTODY, deny_as=404)])
async def remove_handler(request: Request, handler_id: str, s: Db, me: Me):
    return await _step(request, s, me, "handler",
                       lambda f: registers.remove_handler(s, handler_id, actor=me))


# Each kind's own field: the page shows them all, only the chosen kind's is sent.
KIND_FIELD = {"destruction": "witness_person_id", "transfer": "to_organisation_id",
              "copy": "copies"}


def _number(value: str | None) -> int | str | None:
    try:
        return int(value) if value else None
    except ValueError:
        return value  # refused by the schema


def _occurred_at(value: str | None) -> str | None:
    """A datetime-local value is Japan time."""
    if not value or len(value) > 19 or "+" in value or value.endswith("Z"):
        return value or None
    return value + "+09:00"


@router.post("/registers/custody", dependencies=[page_requires(P.FACILITIES_CUSTODY)])
async def record_custody(request: Request, s: Db, me: Me):
    def act(f):
        values = blank_to_none(f, ["item_id", "kind", "person_id", "area_id"])
        if name := KIND_FIELD.get(values["kind"] or ""):
            values |= blank_to_none(f, [name])
            if name == "copies":
                values[name] = _number(values[name])
        values |= {"note": (f.get("note") or "").strip(),
                   "occurred_at": _occurred_at((f.get("occurred_at") or "").strip())}
        custody.record_custody(s, validate(CustodyCreate, values, whole_path=False),
                               actor=me)
    return await _step(request, s, me, "custody", act)


@router.post("/registers/incidents", dependencies=[page_requires(P.FACILITIES_CUSTODY)])
async def report_incident(request: Request, s: Db, me: Me):
    def act(f):
        values = blank_to_none(f, ["kind", "severity", "occurred_on", "description"])
        values |= {"item_ids": _list_field(f, "item_ids"),
                   "person_ids": _list_field(f, "person_ids")}
        incidents.report_incident(s, validate(IncidentCreate, values, whole_path=False),
                                  actor=me)
    return await _step(request, s, me, "incident", act)


@router.post("/registers/incidents/{incident_id}/closure",
             dependencies=[page_requires(P.FACILITIES_INCIDENT_CLOSE, deny_as=404)])
async def close_incident(request: Request, incident_id: str, s: Db, me: Me):
    def act(f):
        data = validate(IncidentClose, blank_to_none(f, ["closing_note"]))
        incidents.close_incident(s, incident_id, data.closing_note, actor=me)
    return await _step(request, s, me, f"close-{incident_id}", act)


@router.post("/registers/training", dependencies=[page_requires(P.FACILITIES_CUSTODY)])
async def record_training(request: Request, s: Db, me: Me):
    def act(f):
        data = validate(TrainingCreate, blank_to_none(f, ["person_id", "kind", "trained_on"]),
                        whole_path=False)
        registers.record_training(s, data.person_id, data.kind, data.trained_on, actor=me)
    return await _step(request, s, me, "training", act)


# --- on a facility's record: inspections, participants, the specification ---------------------


def facility_register_context(s: Session, me: Actor, facility_id: str, *,
                              cursors: dict | None = None) -> dict:
    """What facilities/_registers.html shows on the facility's record, and which of its
    forms this user may use."""
    f = facilities.access_facility(s, me, facility_id)
    business = Role.COMPANY_SECURITY_OFFICER in me.roles \
        and me.organisation_id == f.organisation_id
    agency = Role.AGENCY_OFFICIAL in me.roles and me.organisation_id == f.agency_id
    open_ = facilities.state_today(f) not in rules.TERMINAL
    staff = own_staff(s, me) if business and me.can(P.FACILITIES_CUSTODY) else []
    at = cursors or {}
    spec, spec_next = contract.read_specification(s, facility_id, actor=me,
                                                  cursor=at.get("spec"))
    found, inspections_next = inspections.list_inspections(s, facility_id, actor=me,
                                                           cursor=at.get("inspections"))
    participants, participants_next = contract.list_participants(
        s, facility_id, actor=me, cursor=at.get("participants")) if f.project else ([], None)
    spec_form = agency and me.can(P.FACILITIES_CERTIFY) \
        and facilities.state_today(f) in rules.IN_FORCE
    return {
        "reg_inspections": found,
        "reg_next": {"inspections": inspections_next, "participants": participants_next,
                     "spec": spec_next},
        "reg_self": business and open_ and me.can(P.FACILITIES_INSPECT),
        "reg_on_site": agency and open_ and me.can(P.FACILITIES_INSPECT),
        "reg_close_self": business and me.can(P.FACILITIES_INSPECT),
        "reg_close_any": agency and me.can(P.FACILITIES_INSPECT),
        "reg_finding_rows": range(FINDING_ROWS),
        "reg_participants": participants,
        "reg_add_participants": bool(staff) and open_,
        "reg_staff": staff, "reg_names": {p.id: person_name(p) for p in staff},
        "reg_spec": spec, "reg_spec_titles": {e.item_id: _title(s, me, e.item_id)
                                              for e in spec},
        "reg_spec_form": spec_form,
        "reg_spec_items": _agency_items(s, me, f.agency_id, f.organisation_id)
        if spec_form else [],
        "reg_labels": LABELS,
    }


def _title(s: Session, me: Actor, item_id: str) -> str:
    try:
        return items.read_item(s, item_id, actor=me).title
    except NotFound:
        return item_id


def _agency_items(s: Session, me: Actor, agency_id: str, organisation_id: str
                  ) -> list[ItemView]:
    """Classified items of the agency's designations that the business holds."""
    return [i for d in every(designations.list_designations, s, actor=me)
            if d.agency_id == agency_id and organisation_id in d.holders
            for i in every(items.list_items, s, d.id, actor=me)
            if i.level in rules.CERT_LEVELS and i.lifted_on is None]


FACILITY = "/facilities/{facility_id}"


async def _facility_step(request: Request, s: Session, me: Actor, facility_id: str,
                         action):
    from hozen.web import facility_pages  # it includes this module's context: not at import

    return await form_step(request, s, action, done=f"/facilities/{facility_id}",
                           refused=lambda form, errors: facility_pages._record(
                               request, s, me, facility_id, status=422, errors=errors,
                               values=form))


def _findings(form: dict) -> tuple[list[dict], list[int]]:
    """The filled-in finding rows, and the row each came from."""
    rows, at = [], []
    for n in range(FINDING_ROWS):
        row = {k: (form.get(f"finding-{n}-{k}") or "").strip() or None
               for k in ("severity", "text", "control_id", "action", "due_on")}
        if row["text"]:
            rows.append(row)
            at.append(n)
    return rows, at


def _row_errors(exc: ValidationFailed, at: list[int]) -> ValidationFailed:
    """`findings.1.action` of the filled-in rows is that of the form's row it came from."""
    out = []
    for field, code in exc.errors:
        parts = field.split(".")
        if parts[0] == "findings" and len(parts) > 2 and parts[1].isdigit() \
                and int(parts[1]) < len(at):
            field = ".".join(["findings", str(at[int(parts[1])]), *parts[2:]])
        out.append((field, code))
    return ValidationFailed(out)


@router.post(FACILITY + "/inspections",
             dependencies=[page_requires(P.FACILITIES_INSPECT, deny_as=404)])
async def record_inspection(request: Request, facility_id: str, s: Db, me: Me):
    def act(f):
        rows, at = _findings(f)
        try:
            data = validate(InspectionCreate, blank_to_none(f, ["kind", "held_on", "summary"])
                            | {"findings": rows})
            inspections.record_inspection(s, facility_id, data, actor=me)
        except ValidationFailed as exc:
            raise _row_errors(exc, at) from None
    return await _facility_step(request, s, me, facility_id, act)


@router.post(FACILITY + "/findings/{finding_id}/closure",
             dependencies=[page_requires(P.FACILITIES_INSPECT, deny_as=404)])
async def close_finding(request: Request, facility_id: str, finding_id: str, s: Db, me: Me):
    def act(f):
        if inspections.close_finding(s, finding_id, actor=me).facility_id != facility_id:
            raise NotFound("finding not found")  # another facility's: rolled back
    return await _facility_step(request, s, me, facility_id, act)


@router.post(FACILITY + "/participants",
             dependencies=[page_requires(P.FACILITIES_CUSTODY, deny_as=404)])
async def add_participant(request: Request, facility_id: str, s: Db, me: Me):
    def act(f):
        data = validate(ParticipantCreate, blank_to_none(f, ["person_id", "screened_on"]),
                        whole_path=False)
        contract.add_participant(s, facility_id, data.person_id, data.screened_on,
                                 actor=me)
    return await _facility_step(request, s, me, facility_id, act)


@router.post(FACILITY + "/participants/{participant_id}/removal",
             dependencies=[page_requires(P.FACILITIES_CUSTODY, deny_as=404)])
async def remove_participant(request: Request, facility_id: str, participant_id: str,
                             s: Db, me: Me):
    def act(f):
        if contract.remove_participant(s, participant_id, actor=me).facility_id \
                != facility_id:
            raise NotFound("participant not found")  # another facility's: rolled back
    return await _facility_step(request, s, me, facility_id, act)


@router.post(FACILITY + "/specification",
             dependencies=[page_requires(P.FACILITIES_CERTIFY, deny_as=404)])
async def add_specification(request: Request, facility_id: str, s: Db, me: Me):
    def act(f):
        values = blank_to_none(f, ["item_id", "handling", "return_rule"])
        values["departments"] = [d.strip() for d in _list_field(f, "departments")]
        contract.add_specification(s, facility_id, validate(
            SpecificationCreate, values, whole_path=False), actor=me)
    return await _facility_step(request, s, me, facility_id, act)
