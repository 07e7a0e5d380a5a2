"""A qualified business's registers: the handler register (取扱者名簿) and training records,
with the checks the custody log, incidents, inspections and the contract share: which
items an organisation holds, an item's level, own staff, clearance and certification.
Each service checks permission and scope, applies the pure rules, records the audit
event; none commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.clearances.models import Clearance
from hozen.clearances.rules import ClearanceStatus
from hozen.db import get_by_id, is_id, new_id
from hozen.designations.items import item_view
from hozen.designations.models import DesignationHolder, Item
from hozen.designations.services import GOVERNMENT_ROLES
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.facilities import rules
from hozen.facilities.models import TRAINING_KINDS, Facility, Handler, TrainingRecord
from hozen.facilities.register_schemas import (
    HandlerView,
    TrainingRecordView,
    TrainingStatus,
)
from hozen.facilities.scope import sees_organisation
from hozen.facilities.services import state_today, today
from hozen.paging import DEFAULT_PAGE, page
from hozen.policy import get_policy
from hozen.reciprocity.models import TRANSFERRED, TransferRequest
from hozen.registry.models import Person

Errors = list[tuple[str, str]]


# --- shared checks -----------------------------------------------------------------------------


def audit(session: Session, actor: Actor, tag: str, subject_type: str,
          subject_id: str | None, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"facilities:{tag}",
           subject_type=subject_type, subject_id=subject_id, details=details)


def audit_read(session: Session, actor: Actor, what: str, ids: list[str], *,
               subject_type: str = "person", subject_id: str | None = None) -> None:
    """Reads of records about people are recorded (DESIGN: every read of personal data)."""
    if ids or subject_id:
        audit(session, actor, f"{what}:read", subject_type, subject_id, read=ids)


def sees_all(actor: Actor) -> bool:
    return actor.is_system or bool(actor.roles & GOVERNMENT_ROLES)


def own_organisation(actor: Actor) -> str:
    """The organisation whose registers the caller keeps."""
    if not actor.organisation_id:
        raise ValidationFailed([("organisation", "no_organisation")])
    return actor.organisation_id


def rank(level: str) -> int:
    return get_policy().levels.rank(level)


def holds(session: Session, organisation_id: str, item: Item) -> bool:
    """The organisation owns the item, the item's designation lists it as a holder, or
    the designating agency approved a transfer of the item to it (DESIGN R8)."""
    return item.owner_id == organisation_id or bool(item.designation_id and session.scalar(
        select(exists().where(DesignationHolder.designation_id == item.designation_id,
                              DesignationHolder.organisation_id == organisation_id)))) \
        or bool(session.scalar(select(exists().where(
            TransferRequest.item_id == item.id,
            TransferRequest.to_organisation_id == organisation_id,
            TransferRequest.status.in_(TRANSFERRED)))))


def access_item(session: Session, actor: Actor, item_id: str) -> Item:
    """Government roles see every item; a security officer those its organisation holds.
    Missing and out of scope look alike."""
    item = get_by_id(session, Item, item_id) if is_id(item_id) else None
    if item is None or not (sees_all(actor) or actor.organisation_id
                            and holds(session, actor.organisation_id, item)):
        raise NotFound("item not found")
    return item


def held_item(session: Session, actor: Actor, item_id: str, field: str = "item_id") -> Item:
    """An item named in a request body: one the caller's organisation holds."""
    org = own_organisation(actor)
    item = get_by_id(session, Item, item_id) if is_id(item_id) else None
    if item is None or not holds(session, org, item):
        raise ValidationFailed([(field, "item_not_held")])
    return item


def item_level(session: Session, item: Item) -> str:
    return item_view(session, item).level


def classified_errors(level: str, field: str = "item_id") -> Errors:
    """Only CESI and SDS items have handlers, custody and certification (CUI and unmarked
    items need none)."""
    return [] if level in rules.CERT_LEVELS else [(field, "not_classified")]


def staff(session: Session, actor: Actor, person_id: str | None, field: str) -> Errors:
    """A person of the caller's own organisation (any other, or none, alike)."""
    person = get_by_id(session, Person, person_id) if is_id(person_id) else None
    if person is None or person.employer_id is None \
            or person.employer_id != actor.organisation_id:
        return [(field, "not_own_staff")]
    return []


def clearance_errors(session: Session, person_id: str, level: str,
                     field: str = "person_id") -> Errors:
    """An active, unexpired clearance at or above the item's level (DESIGN: access)."""
    day = today()
    held = [c.regime for c in session.scalars(select(Clearance).where(
        Clearance.person_id == person_id, Clearance.status == ClearanceStatus.ACTIVE.value,
        Clearance.valid_until >= day))]
    if not held:
        return [(field, "person_not_cleared")]
    if max(rank(r) for r in held) < rank(level):
        return [(field, "clearance_below_level")]
    return []


def cover_errors(session: Session, organisation_id: str, level: str,
                 field: str = "item_id") -> Errors:
    """A certification of the organisation in force today at or above `level`; otherwise
    why the nearest of its certifications does not cover it."""
    day, levels = today(), get_policy().levels
    failures = [rules.facility_failures(state_today(f, day), f.valid_until or day, f.level,
                                        level, day, levels)
                for f in session.scalars(select(Facility).where(
                    Facility.organisation_id == organisation_id))]
    if any(not f for f in failures):
        return []
    best = min(failures, key=lambda f: ("facility_not_certified" in f, len(f)),
               default=["facility_not_certified"])
    return [(field, code) for code in best]


def handler_errors(session: Session, item: Item, organisation_id: str, person_id: str,
                   level: str, field: str = "person_id") -> Errors:
    """A current handler of the item at the organisation, still cleared for its level."""
    if not is_current_handler(session, item.id, organisation_id, person_id):
        return [(field, "not_a_handler")]
    return clearance_errors(session, person_id, level, field)


def is_current_handler(session: Session, item_id: str, organisation_id: str,
                       person_id: str) -> bool:
    return bool(session.scalar(select(exists().where(
        Handler.item_id == item_id, Handler.organisation_id == organisation_id,
        Handler.person_id == person_id, Handler.removed_on.is_(None)))))


# --- the handler register ----------------------------------------------------------------------


def handler_view(h: Handler) -> HandlerView:
    return HandlerView(id=h.id, item_id=h.item_id, organisation_id=h.organisation_id,
                       person_id=h.person_id, added_on=h.added_on, removed_on=h.removed_on,
                       current=h.removed_on is None)


def add_handler(session: Session, item_id: str, person_id: str, *, actor: Actor) -> Handler:
    """The security officer of an organisation holding a classified item chooses a handler
    from its own cleared staff, under a certification in force at the item's level."""
    actor.require(Permission.FACILITIES_CUSTODY)
    org = own_organisation(actor)
    item = access_item(session, actor, item_id)  # one its organisation holds
    level = item_level(session, item)
    if errors := classified_errors(level):
        raise ValidationFailed(errors)
    errors = cover_errors(session, org, level)
    errors += staff(session, actor, person_id, "person_id") \
        or clearance_errors(session, person_id, level)
    if errors:
        raise ValidationFailed(errors)
    if is_current_handler(session, item.id, org, person_id):
        raise Conflict("the person is already a handler of this item", field="person_id")
    h = Handler(id=new_id(), item_id=item.id, organisation_id=org, person_id=person_id,
                added_on=today(), added_by=actor.id)
    session.add(h)
    session.flush()
    audit(session, actor, "handler:add", "information_item", item.id, handler=h.id,
          person=person_id, organisation=org, level=level)
    return h


def remove_handler(session: Session, handler_id: str, *, actor: Actor) -> Handler:
    actor.require(Permission.FACILITIES_CUSTODY)
    h = get_by_id(session, Handler, handler_id, for_update=True)
    if h is None or h.organisation_id != actor.organisation_id:
        raise NotFound("handler not found")
    if h.removed_on is not None:
        raise Conflict("the handler has already been removed", field="removed_on")
    h.removed_on = today()
    audit(session, actor, "handler:remove", "information_item", h.item_id, handler=h.id,
          person=h.person_id, organisation=h.organisation_id)
    return h


def list_handlers(session: Session, item_id: str | None = None, *, actor: Actor,
                  current_only: bool = False, cursor: str | None = None,
                  limit: int = DEFAULT_PAGE) -> tuple[list[HandlerView], str | None]:
    """A page of the register per organisation (a security officer sees its own;
    government roles every organisation's) and the cursor of the next page."""
    actor.require(Permission.FACILITIES_READ)
    q = select(Handler)
    if item_id is not None:
        q = q.where(Handler.item_id == access_item(session, actor, item_id).id)
    if not sees_all(actor):
        q = q.where(Handler.organisation_id == own_organisation(actor))
    if current_only:
        q = q.where(Handler.removed_on.is_(None))
    rows, nxt = page(session, q, [Handler.organisation_id, Handler.added_on, Handler.id],
                     cursor=cursor, limit=limit)
    audit_read(session, actor, "handler", [h.id for h in rows])
    return [handler_view(h) for h in rows], nxt


# --- training records --------------------------------------------------------------------------


def _months() -> int:
    return int(get_policy().facilities["training_refresher_months"])


def record_training(session: Session, person_id: str, kind: str, trained_on: date, *,
                    actor: Actor) -> TrainingRecord:
    """Security training of one of the organisation's own staff: the first, then yearly."""
    actor.require(Permission.FACILITIES_CUSTODY)
    org = own_organisation(actor)
    errors = staff(session, actor, person_id, "person_id")
    if kind not in TRAINING_KINDS:
        errors.append(("kind", "invalid"))
    if trained_on > today():
        errors.append(("trained_on", "date_in_future"))
    if errors:
        raise ValidationFailed(errors)
    t = TrainingRecord(id=new_id(), person_id=person_id, organisation_id=org, kind=kind,
                       trained_on=trained_on, recorded_by=actor.id)
    session.add(t)
    session.flush()
    audit(session, actor, "training:record", "person", person_id, training=t.id, kind=kind,
          trained_on=trained_on.isoformat())
    return t


def _status(session: Session, person_id: str, day: date) -> TrainingStatus:
    return _statuses(session, [person_id], day)[0]


def _statuses(session: Session, person_ids: list[str], day: date) -> list[TrainingStatus]:
    """Each person's training status, in their order, in one query."""
    records: dict[str, list[TrainingRecord]] = {p: [] for p in person_ids}
    for r in session.scalars(select(TrainingRecord).where(
            TrainingRecord.person_id.in_(person_ids)).order_by(
            TrainingRecord.person_id, TrainingRecord.trained_on.desc(),
            TrainingRecord.id)) if person_ids else ():
        records[r.person_id].append(r)
    return [_from_records(p, records[p], day) for p in person_ids]


def _from_records(person_id: str, rows: list[TrainingRecord], day: date) -> TrainingStatus:
    last = rows[0].trained_on if rows else None
    months = _months()
    return TrainingStatus(
        person_id=person_id, last_trained_on=last,
        due_on=rules.training_due(last, months) if last else None,
        overdue=rules.training_overdue(last, day, months),
        records=[TrainingRecordView(id=r.id, kind=r.kind, trained_on=r.trained_on,
                                    organisation_id=r.organisation_id) for r in rows])


def training_status(session: Session, person_id: str, *, actor: Actor) -> TrainingStatus:
    """The last training, when the refresher falls due, and whether it is overdue."""
    actor.require(Permission.FACILITIES_READ)
    person = get_by_id(session, Person, person_id) if is_id(person_id) else None
    if person is None or person.employer_id is None \
            or not sees_organisation(actor, person.employer_id):
        raise NotFound("person not found")
    status = _status(session, person.id, today())
    audit_read(session, actor, "training", [r.id for r in status.records],
               subject_id=person.id)
    return status


def overdue_training(session: Session, *, actor: Actor, cursor: str | None = None,
                     limit: int = DEFAULT_PAGE) -> tuple[list[TrainingStatus], str | None]:
    """A page of own staff who need security training (a current handler, or an active
    clearance) and whose refresher is overdue or who were never trained, in id order,
    and the cursor of the next page."""
    actor.require(Permission.FACILITIES_CUSTODY)
    org, day = own_organisation(actor), today()
    handlers = select(Handler.person_id).where(Handler.organisation_id == org,
                                               Handler.removed_on.is_(None))
    cleared = select(Clearance.person_id).where(
        Clearance.status == ClearanceStatus.ACTIVE.value, Clearance.valid_until >= day)
    # overdue: no training on or after the cutoff (the rule, stated as a date)
    current = exists().where(TrainingRecord.person_id == Person.id,
                             TrainingRecord.trained_on >= rules.training_cutoff(day, _months()))
    people, nxt = page(session, select(Person).where(
        Person.employer_id == org, Person.id.in_(handlers) | Person.id.in_(cleared),
        ~current), [Person.id], cursor=cursor, limit=limit)
    overdue = _statuses(session, [p.id for p in people], day)
    audit_read(session, actor, "training", [s.person_id for s in overdue])
    return overdue, nxt
