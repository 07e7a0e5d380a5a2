"""Government-mediated transfers of classified items between companies, at home or abroad
(DESIGN R8: classified exchange between companies only through government). The sending
company's security officer asks; the item's designating agency approves or refuses; once
approved the receiver holds the item (registers.holds), the sender records dispatch and
the receiver receipt, each as an event of its own custody log. Without an approval the
receiver holds nothing: its handler register refuses the item, and so does the access
decision (not_registered_handler)."""

from __future__ import annotations

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session

from hozen.access import attributes
from hozen.access.rules import HOME, RANKS
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission, Role
from hozen.accounts.services import users_with_role
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.designations.models import Designation, Item
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.facilities import custody
from hozen.facilities.register_schemas import CustodyCreate
from hozen.facilities.registers import (
    Errors,
    classified_errors,
    held_item,
    holds,
    item_level,
    own_organisation,
    sees_all,
)
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page
from hozen.reciprocity import visits
from hozen.reciprocity.models import TransferRequest
from hozen.reciprocity.schemas import (
    TransferCreate,
    TransferCustody,
    TransferDecision,
    TransferView,
)
from hozen.reciprocity.services import today
from hozen.registry.models import Organisation

# Who may receive classified information: a business (a qualified one at home, or a
# company abroad under its government's facility clearance assurance).
RECEIVERS = ("company", "university", "foreign_company")


def _audit(session: Session, actor: Actor, verb: str, t: TransferRequest, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"reciprocity:transfer:{verb}",
           subject_type="transfer_request", subject_id=t.id,
           details={"item": t.item_id, "from": t.from_organisation_id,
                    "to": t.to_organisation_id} | details)


def _foreign(org: Organisation) -> bool:
    return org.country_code != HOME


def _receiver_errors(session: Session, item: Item, org_id: str, sender: str,
                     level: str) -> Errors:
    """Another business that does not hold the item yet; abroad, one the item is
    releasable to whose government assures its facility clearance at the item's level."""
    field = "to_organisation_id"
    org = get_by_id(session, Organisation, org_id)
    if org is None:
        return [(field, "organisation_unknown")]
    if org.id == sender:
        return [(field, "same_organisation")]
    if org.kind not in RECEIVERS:
        return [(field, "not_a_business")]
    if holds(session, org.id, item):
        return [(field, "already_holds")]
    if not _foreign(org):
        return []
    day, errors = today(), []
    if org.country_code not in attributes.item_of(session, item, day).releasable:
        errors.append((field, "not_releasable_to_receiver"))
    assured = visits.facility_level(session, org.id, day)
    if assured is None or RANKS[assured] < RANKS[level]:
        errors.append((field, "no_facility_assurance"))
    return errors


def request_transfer(session: Session, data: TransferCreate, *,
                     actor: Actor) -> TransferRequest:
    """The sending organisation's security officer asks to pass an item it holds."""
    actor.require(Permission.RECIPROCITY_TRANSFER_REQUEST)
    sender = own_organisation(actor)
    item = held_item(session, actor, data.item_id)
    level = item_level(session, item)
    if errors := classified_errors(level):
        raise ValidationFailed(errors)
    if errors := _receiver_errors(session, item, data.to_organisation_id, sender, level):
        raise ValidationFailed(errors)
    t = TransferRequest(id=new_id(), item_id=item.id, from_organisation_id=sender,
                        to_organisation_id=data.to_organisation_id, reason=data.reason,
                        status="submitted", requested_by=actor.id)
    session.add(t)
    session.flush()
    _audit(session, actor, "request", t, level=level)
    _tell(session, t, "transfer_requested",
          users_with_role(session, [_agency(session, t)], Role.AGENCY_OFFICIAL))
    return t


def _tell(session: Session, t: TransferRequest, kind: str, users: list[str]) -> None:
    """Notices name the item by id only: a classified item's title is not for a notice."""
    for user_id in users:
        notify(session, user_id, kind, {"item": t.item_id}, f"{kind}:{t.id}:{user_id}")


def _officers(session: Session, *organisation_ids: str) -> list[str]:
    return users_with_role(session, organisation_ids, Role.COMPANY_SECURITY_OFFICER)


def _agency(session: Session, t: TransferRequest) -> str:
    item = session.get(Item, t.item_id)
    return session.get(Designation, item.designation_id).agency_id


def may_decide(session: Session, actor: Actor, t: TransferRequest) -> bool:
    """An official of the item's designating agency decides."""
    return Role.AGENCY_OFFICIAL in actor.roles and actor.organisation_id == _agency(session, t)


def decide(session: Session, transfer_id: str, data: TransferDecision, *,
           actor: Actor) -> TransferRequest:
    """An official of the item's designating agency approves or refuses (with reasons)."""
    actor.require(Permission.RECIPROCITY_TRANSFER_DECIDE)
    t = read(session, transfer_id, actor=actor, for_update=True)
    if not may_decide(session, actor, t):
        raise NotFound("transfer not found")
    if t.status != "submitted":
        raise Conflict(f"the transfer is {t.status}", field="status")
    if not data.approve and not data.reasons.strip():
        raise ValidationFailed([("reasons", "required")])
    t.status = "approved" if data.approve else "refused"
    t.decided_by, t.decided_at, t.decision_reasons = actor.id, utcnow(), data.reasons
    _audit(session, actor, "approve" if data.approve else "refuse", t)
    _tell(session, t, f"transfer_{t.status}",
          _officers(session, t.from_organisation_id, t.to_organisation_id))
    return t


def _own_side(actor: Actor, t: TransferRequest, organisation_id: str) -> None:
    if Role.COMPANY_SECURITY_OFFICER not in actor.roles \
            or actor.organisation_id != organisation_id:
        raise NotFound("transfer not found")


def dispatch(session: Session, transfer_id: str, data: TransferCustody, *,
             actor: Actor) -> TransferRequest:
    """The sender records, once approved, that its handler passed the item on: a custody
    `transfer` event to the receiver."""
    actor.require(Permission.RECIPROCITY_TRANSFER_CUSTODY)
    t = read(session, transfer_id, actor=actor, for_update=True)
    _own_side(actor, t, t.from_organisation_id)
    if t.status != "approved":
        raise Conflict(f"the transfer is {t.status}", field="status")
    e = custody.record_custody(session, CustodyCreate(
        item_id=t.item_id, kind="transfer", person_id=data.person_id, area_id=data.area_id,
        to_organisation_id=t.to_organisation_id, note=data.note), actor=actor)
    t.status, t.dispatch_event_id, t.dispatched_at = "dispatched", e.id, e.occurred_at
    _audit(session, actor, "dispatch", t, event=e.id, person=data.person_id)
    _tell(session, t, "transfer_dispatched", _officers(session, t.to_organisation_id))
    return t


def receive(session: Session, transfer_id: str, data: TransferCustody, *,
            actor: Actor) -> TransferRequest:
    """The receiver records, once dispatched, that its handler took the item in: a custody
    `receipt` event (under its certification in force at the item's level)."""
    actor.require(Permission.RECIPROCITY_TRANSFER_CUSTODY)
    t = read(session, transfer_id, actor=actor, for_update=True)
    _own_side(actor, t, t.to_organisation_id)
    if t.status != "dispatched":
        raise Conflict(f"the transfer is {t.status}", field="status")
    e = custody.record_custody(session, CustodyCreate(
        item_id=t.item_id, kind="receipt", person_id=data.person_id, area_id=data.area_id,
        note=data.note), actor=actor)
    t.status, t.receipt_event_id, t.received_at = "received", e.id, e.occurred_at
    _audit(session, actor, "receive", t, event=e.id, person=data.person_id)
    return t


def _scope(actor: Actor):
    """Government roles see every transfer; a security officer those of its organisation,
    sending or receiving (deny by default)."""
    if sees_all(actor):
        return true()
    if Role.COMPANY_SECURITY_OFFICER in actor.roles and actor.organisation_id:
        return or_(TransferRequest.from_organisation_id == actor.organisation_id,
                   TransferRequest.to_organisation_id == actor.organisation_id)
    return false()


def read(session: Session, transfer_id: str, *, actor: Actor,
         for_update: bool = False) -> TransferRequest:
    actor.require(Permission.RECIPROCITY_TRANSFER_READ)
    t = get_by_id(session, TransferRequest, transfer_id, for_update=for_update)
    if t is None or session.scalar(select(TransferRequest.id).where(
            TransferRequest.id == t.id, _scope(actor))) is None:
        raise NotFound("transfer not found")
    return t


def list_transfers(session: Session, *, actor: Actor, cursor: str | None = None,
                   limit: int = DEFAULT_PAGE) -> tuple[list[TransferRequest], str | None]:
    """A page of the transfers in the actor's scope, newest first (ids are time-ordered),
    and the cursor of the next page."""
    actor.require(Permission.RECIPROCITY_TRANSFER_READ)
    return page(session, select(TransferRequest).where(_scope(actor)),
                [TransferRequest.id], cursor=cursor, limit=limit, newest_first=True)


def view(session: Session, t: TransferRequest) -> TransferView:
    return views(session, [t])[0]


def views(session: Session, rows: list[TransferRequest]) -> list[TransferView]:
    """The transfers, whether each receiver is abroad read in one query."""
    abroad = {i for i, country in session.execute(select(
        Organisation.id, Organisation.country_code).where(
        Organisation.id.in_({t.to_organisation_id for t in rows}))) if country != HOME}
    return [TransferView(
        id=t.id, item_id=t.item_id, from_organisation_id=t.from_organisation_id,
        to_organisation_id=t.to_organisation_id, foreign=t.to_organisation_id in abroad,
        reason=t.reason, status=t.status, requested_at=t.requested_at,
        decided_at=t.decided_at, decision_reasons=t.decision_reasons,
        dispatch_event_id=t.dispatch_event_id, dispatched_at=t.dispatched_at,
        receipt_event_id=t.receipt_event_id, received_at=t.received_at) for t in rows]
