"""Incidents (事故: loss, leak, unauthorised access, mishandling) reported by a qualified
business's security officer and closed by the agency. Each person involved gets a
reportable event for continuous evaluation; information from a partner government is
marked for reporting to its originator (DESIGN: originator control)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission, Role
from hozen.accounts.services import users_with_role
from hozen.clearances import aftercare
from hozen.clearances.schemas import EventCreate
from hozen.db import get_by_id, new_id, split_list, utcnow
from hozen.designations.models import Designation, Item
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.facilities.models import Facility, Incident
from hozen.facilities.register_schemas import IncidentCreate, IncidentView
from hozen.facilities.registers import (
    Errors,
    audit,
    audit_read,
    holds,
    own_organisation,
    sees_all,
    staff,
)
from hozen.facilities.services import today
from hozen.messages import INCIDENT_KIND_LABELS, INCIDENT_SEVERITY_LABELS
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page
from hozen.reciprocity import originator
from hozen.registry.models import Organisation

# The reportable event an incident files on each person involved: the seven assessment
# areas include a record of mishandling information.
INCIDENT_EVENT_KIND = "information_incident"



def originators(session: Session, item_ids: list[str]) -> dict[str, list[str]]:
    """Partner governments whose information the items are, with the items of each."""
    out: dict[str, list[str]] = {}
    for item_id, country in session.execute(
            select(Item.id, Designation.originator_country)
            .join(Designation, Designation.id == Item.designation_id)
            .where(Item.id.in_(item_ids), Designation.originator_country.is_not(None))
            .order_by(Item.id)):
        out.setdefault(country, []).append(item_id)
    return dict(sorted(out.items()))


def incident_view(session: Session, i: Incident,
                  partners: dict[str, list[str]] | None = None) -> IncidentView:
    """One incident; `partners` (item id -> originators), read for a whole list at once."""
    items = split_list(i.item_ids)
    return IncidentView(id=i.id, organisation_id=i.organisation_id, kind=i.kind,
                        severity=i.severity, occurred_on=i.occurred_on,
                        description=i.description, item_ids=items,
                        person_ids=split_list(i.person_ids), status=i.status,
                        reported_at=i.reported_at, closed_at=i.closed_at,
                        closing_note=i.closing_note,
                        originator_to_notify=list(originators(session, items))
                        if partners is None else
                        sorted({c for item in items for c in partners.get(item, [])}))


def _involved(session: Session, actor: Actor, org: str,
              data: IncidentCreate) -> tuple[list[str], list[str], Errors]:
    errors: Errors = []
    items: list[str] = []
    for n, item_id in enumerate(data.item_ids):
        item = get_by_id(session, Item, item_id)
        if item is None or not holds(session, org, item):
            errors.append((f"item_ids.{n}", "item_not_held"))
        elif item.id not in items:
            items.append(item.id)
    people: list[str] = []
    for n, person_id in enumerate(data.person_ids):
        if found := staff(session, actor, person_id, f"person_ids.{n}"):
            errors += found
        elif person_id not in people:
            people.append(person_id)
    return items, people, errors


def _file_events(session: Session, i: Incident, people: list[str], *,
                 actor: Actor) -> list[str]:
    """A reportable event on each person involved, filed by their security officer
    through the aftercare service (its employer scope is the officer's own staff). The
    text names the incident only: the subject can read it."""
    return [aftercare.report_event(session, EventCreate(
        person_id=p, kind=INCIDENT_EVENT_KIND, occurred_on=i.occurred_on,
        details=f"Security incident {i.id} ({i.kind}, {i.severity}) reported by the "
                f"employer's security officer."), actor=actor).id for p in people]


def report_incident(session: Session, data: IncidentCreate, *, actor: Actor) -> Incident:
    actor.require(Permission.FACILITIES_CUSTODY)
    org = own_organisation(actor)
    items, people, errors = _involved(session, actor, org, data)
    if data.occurred_on > today():
        errors.insert(0, ("occurred_on", "date_in_future"))
    if errors:
        raise ValidationFailed(errors)
    i = Incident(id=new_id(), organisation_id=org, kind=data.kind, severity=data.severity,
                 occurred_on=data.occurred_on, description=data.description,
                 item_ids=",".join(items), person_ids=",".join(people), status="open",
                 reported_by=actor.id)
    session.add(i)
    session.flush()
    events = _file_events(session, i, people, actor=actor)
    audit(session, actor, "incident:report", "incident", i.id, organisation=org,
          kind=i.kind, severity=i.severity, items=items, persons=people, events=events,
          originator_to_notify=originators(session, items))
    _tell(session, i, "facility_incident", _agency_officials(session, _agencies(session, i)))
    for country in originators(session, items):  # originator control: tell the partner
        _tell(session, i, "originator_incident", set(originator.liaisons(session, country)))
    return i


def _agency_officials(session: Session, agencies: set[str]) -> set[str]:
    return set(users_with_role(session, agencies, Role.AGENCY_OFFICIAL))


def _tell(session: Session, i: Incident, kind: str, users: set[str]) -> None:
    org = session.get(Organisation, i.organisation_id)
    for user_id in sorted(users):
        notify(session, user_id, kind,
               {"organisation": org.name_ja, "kind_label": INCIDENT_KIND_LABELS[i.kind],
                "severity_label": INCIDENT_SEVERITY_LABELS[i.severity],
                "occurred_on": i.occurred_on.isoformat()}, f"{kind}:{i.id}:{user_id}")


def may_close(session: Session, actor: Actor, i: Incident) -> bool:
    """An official of an agency concerned (it certified the business, or owns or designated
    an item involved) closes the incident."""
    return actor.is_system or (actor.can(Permission.FACILITIES_INCIDENT_CLOSE)
                               and actor.organisation_id in _agencies(session, i))


def _agencies(session: Session, i: Incident) -> set[str]:
    """The agencies that certified the business and those whose items are involved."""
    agencies = set(session.scalars(select(Facility.agency_id).where(
        Facility.organisation_id == i.organisation_id)))
    items = split_list(i.item_ids)
    agencies |= set(session.scalars(select(Item.owner_id).where(Item.id.in_(items))))
    agencies |= set(session.scalars(select(Designation.agency_id).join(
        Item, Item.designation_id == Designation.id).where(Item.id.in_(items))))
    return agencies


def close_incident(session: Session, incident_id: str, closing_note: str, *,
                   actor: Actor) -> Incident:
    """An official of an agency concerned closes the incident with a note."""
    actor.require(Permission.FACILITIES_INCIDENT_CLOSE)
    i = get_by_id(session, Incident, incident_id, for_update=True)
    if i is None or not may_close(session, actor, i):
        raise NotFound("incident not found")
    if i.status == "closed":
        raise Conflict("the incident has already been closed", field="status")
    i.status, i.closed_by, i.closed_at, i.closing_note = ("closed", actor.id, utcnow(),
                                                          closing_note)
    audit(session, actor, "incident:close", "incident", i.id,
          organisation=i.organisation_id)
    officers = set(users_with_role(session, [i.organisation_id],
                                   Role.COMPANY_SECURITY_OFFICER))
    _tell(session, i, "facility_incident_closed", officers)
    return i


def list_incidents(session: Session, *, actor: Actor, status: str | None = None,
                   cursor: str | None = None, limit: int = DEFAULT_PAGE
                   ) -> tuple[list[IncidentView], str | None]:
    """Government roles see every business's incidents; a security officer its own. A page,
    newest first (ids are time-ordered), and the cursor of the next page."""
    actor.require(Permission.FACILITIES_READ)
    q = select(Incident)
    if not sees_all(actor):
        q = q.where(Incident.organisation_id == own_organisation(actor))
    if status is not None:
        q = q.where(Incident.status == status)
    rows, nxt = page(session, q, [Incident.id], cursor=cursor, limit=limit, newest_first=True)
    audit_read(session, actor, "incident", [i.id for i in rows if i.person_ids])
    partners: dict[str, list[str]] = {}
    for country, items in originators(session, sorted({
            item for i in rows for item in split_list(i.item_ids)})).items():
        for item in items:
            partners.setdefault(item, []).append(country)
    return [incident_view(session, i, partners) for i in rows], nxt
