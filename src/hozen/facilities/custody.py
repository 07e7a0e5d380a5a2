"""The custody log of classified items at a qualified business: receipt, handling, copy,
transfer, return and destruction (witnessed), each by a current handler. Append-only:
there is no service that changes or deletes an event. Also "where every item is": per
item and organisation, its latest event."""

from __future__ import annotations

from sqlalchemy import exists, select, tuple_
from sqlalchemy.orm import Session, aliased

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.db import get_by_id, new_id, utcnow
from hozen.designations.models import Item
from hozen.errors import ValidationFailed
from hozen.facilities import rules
from hozen.facilities.models import ApprovedArea, CustodyEvent, Facility
from hozen.facilities.register_schemas import CustodyCreate, CustodyView, WhereView
from hozen.facilities.registers import (
    Errors,
    access_item,
    audit,
    audit_read,
    classified_errors,
    cover_errors,
    handler_errors,
    held_item,
    holds,
    item_level,
    own_organisation,
    sees_all,
    staff,
)
from hozen.paging import DEFAULT_PAGE, page
from hozen.policy import get_policy
from hozen.registry.models import Organisation

# A business takes in and works on classified information only under a certification in
# force; it may still pass it on, give it back or destroy it when that has lapsed.
ACQUIRING = ("receipt", "handling", "copy")
STATUS = {"receipt": "held", "handling": "held", "copy": "held", "transfer": "transferred",
          "return": "returned", "destruction": "destroyed"}
# an item's events in the order they happened (the id breaks ties), read by keyset
EVENT_ORDER = (CustodyEvent.occurred_at, CustodyEvent.recorded_at, CustodyEvent.id)


def event_errors(kind: str, person_id: str, witness_id: str | None, to_org: str | None,
                 org: str, copies: int | None) -> Errors:
    """Pure: a destruction has a witness other than the handler; a transfer names another
    organisation; a copy says how many; no kind takes another kind's fields."""
    errors: Errors = []
    for field, value, needed_by in (("witness_person_id", witness_id, "destruction"),
                                    ("to_organisation_id", to_org, "transfer"),
                                    ("copies", copies, "copy")):
        if kind == needed_by and value is None:
            errors.append((field, "required"))
        elif kind != needed_by and value is not None:
            errors.append((field, "not_for_this_kind"))
    if kind == "destruction" and witness_id is not None and witness_id == person_id:
        errors.append(("witness_person_id", "same_person"))
    if kind == "transfer" and to_org is not None and to_org == org:
        errors.append(("to_organisation_id", "same_organisation"))
    return errors


def _area_errors(session: Session, org: str, area_id: str, level: str) -> Errors:
    area = get_by_id(session, ApprovedArea, area_id)
    facility = session.get(Facility, area.facility_id) if area else None
    if area is None or area.withdrawn_on is not None or facility.organisation_id != org:
        return [("area_id", "area_unknown")]
    if not rules.area_permits(area.level, level, get_policy().levels):
        return [("area_id", "area_below_level")]
    return []


def _recipient_errors(session: Session, item: Item, to_org: str) -> Errors:
    """Classified information passes only to an organisation that holds it."""
    if get_by_id(session, Organisation, to_org) is None:
        return [("to_organisation_id", "organisation_unknown")]
    return [] if holds(session, to_org, item) else [("to_organisation_id", "not_a_holder")]


def record_custody(session: Session, data: CustodyCreate, *, actor: Actor) -> CustodyEvent:
    actor.require(Permission.FACILITIES_CUSTODY)
    org = own_organisation(actor)
    item = held_item(session, actor, data.item_id)
    level = item_level(session, item)
    if errors := classified_errors(level):
        raise ValidationFailed(errors)
    now = utcnow()
    at = data.occurred_at or now
    errors = event_errors(data.kind, data.person_id, data.witness_person_id,
                          data.to_organisation_id, org, data.copies)
    if at > now:
        errors.append(("occurred_at", "date_in_future"))
    errors += handler_errors(session, item, org, data.person_id, level)
    if data.kind == "destruction" and data.witness_person_id not in (None, data.person_id):
        errors += staff(session, actor, data.witness_person_id, "witness_person_id")
    if data.kind == "transfer" and data.to_organisation_id not in (None, org):
        errors += _recipient_errors(session, item, data.to_organisation_id)
    if data.area_id is not None:
        errors += _area_errors(session, org, data.area_id, level)
    if data.kind in ACQUIRING:
        errors += cover_errors(session, org, level)
    if errors:
        raise ValidationFailed(list(dict.fromkeys(errors)))
    e = CustodyEvent(id=new_id(), item_id=item.id, organisation_id=org, kind=data.kind,
                     person_id=data.person_id, witness_person_id=data.witness_person_id,
                     area_id=data.area_id, to_organisation_id=data.to_organisation_id,
                     copies=data.copies, note=data.note, occurred_at=at,
                     recorded_by=actor.id)
    session.add(e)
    session.flush()
    audit(session, actor, "custody:record", "information_item", item.id, event=e.id,
          kind=e.kind, organisation=org, person=e.person_id, witness=e.witness_person_id,
          to_organisation=e.to_organisation_id)
    return e


def custody_view(e: CustodyEvent) -> CustodyView:
    return CustodyView(id=e.id, item_id=e.item_id, organisation_id=e.organisation_id,
                       kind=e.kind, person_id=e.person_id,
                       witness_person_id=e.witness_person_id, area_id=e.area_id,
                       to_organisation_id=e.to_organisation_id, copies=e.copies,
                       note=e.note, occurred_at=e.occurred_at, recorded_at=e.recorded_at)


def _scoped(q, actor: Actor):
    return q if sees_all(actor) else q.where(
        CustodyEvent.organisation_id == own_organisation(actor))


def custody_log(session: Session, item_id: str, *, actor: Actor, cursor: str | None = None,
                limit: int = DEFAULT_PAGE) -> tuple[list[CustodyView], str | None]:
    """A page of an item's events, oldest first (a security officer: its own
    organisation's), and the cursor of the next page."""
    actor.require(Permission.FACILITIES_READ)
    item = access_item(session, actor, item_id)
    q = _scoped(select(CustodyEvent).where(CustodyEvent.item_id == item.id), actor)
    rows, nxt = page(session, q, EVENT_ORDER, cursor=cursor, limit=limit)
    audit_read(session, actor, "custody", [e.id for e in rows])
    return [custody_view(e) for e in rows], nxt


def where_is(session: Session, *, actor: Actor, cursor: str | None = None,
             limit: int = DEFAULT_PAGE) -> tuple[list[WhereView], str | None]:
    """A page of, per item and organisation, the latest event: who holds it in which
    area, or that it was transferred, returned or destroyed; and the next page's cursor."""
    actor.require(Permission.FACILITIES_READ)
    later = aliased(CustodyEvent)
    # the latest of its (item, organisation): no event there comes after it
    newer = exists().where(
        later.item_id == CustodyEvent.item_id,
        later.organisation_id == CustodyEvent.organisation_id,
        tuple_(later.occurred_at, later.recorded_at, later.id)
        > tuple_(*EVENT_ORDER))
    q = _scoped(select(CustodyEvent).where(~newer), actor)
    rows, nxt = page(session, q, [CustodyEvent.item_id, CustodyEvent.organisation_id],
                     cursor=cursor, limit=limit)
    audit_read(session, actor, "custody", [e.id for e in rows])
    items: dict[str, tuple[str, str]] = {}
    out = []
    for e in rows:
        if e.item_id not in items:
            item = session.get(Item, e.item_id)
            items[e.item_id] = (item.title, item_level(session, item))
        title, level = items[e.item_id]
        out.append(WhereView(item_id=e.item_id, title=title, level=level,
                             organisation_id=e.organisation_id, status=STATUS[e.kind],
                             last_kind=e.kind, person_id=e.person_id, area_id=e.area_id,
                             to_organisation_id=e.to_organisation_id,
                             occurred_at=e.occurred_at, event_id=e.id))
    return out, nxt
