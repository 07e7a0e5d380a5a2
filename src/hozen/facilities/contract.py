"""What a certification covers: the confidentiality contract's security classification
specification (the items, their levels, the departments that may handle them, handling
and return rules), agreed by the agency; and the participants of a cleared research
project, foreign nationals only after screening."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.db import get_by_id, new_id
from hozen.designations.models import Designation, Item
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.facilities import rules
from hozen.facilities.models import Facility, ResearchParticipant, SpecificationEntry
from hozen.facilities.register_schemas import (
    ParticipantView,
    SpecificationCreate,
    SpecificationView,
)
from hozen.facilities.registers import (
    Errors,
    audit,
    audit_read,
    classified_errors,
    holds,
    item_level,
    staff,
)
from hozen.facilities.services import _agency_side, access_facility, state_today, today
from hozen.paging import DEFAULT_PAGE, page
from hozen.policy import get_policy
from hozen.registry.models import PersonNationality


def _standing(f: Facility) -> None:
    if state_today(f) in rules.TERMINAL:
        raise Conflict(f"the facility clearance is {state_today(f).value}", field="state")


# --- research participants ---------------------------------------------------------------------


def participant_view(p: ResearchParticipant) -> ParticipantView:
    return ParticipantView(id=p.id, facility_id=p.facility_id, person_id=p.person_id,
                           screened_on=p.screened_on, joined_on=p.joined_on,
                           left_on=p.left_on)


# The rules' errors, as the request names them (it gives no nationalities: the registry has
# them).
PARTICIPANT_ERRORS = {("nationalities", "required"): ("person_id", "nationality_unknown"),
                      ("screened", "foreign_participant_unscreened"):
                      ("screened_on", "foreign_participant_unscreened")}


def add_participant(session: Session, facility_id: str, person_id: str,
                    screened_on: date | None, *, actor: Actor) -> ResearchParticipant:
    """A person of the institution joins its cleared research project; one holding any
    nationality other than Japanese is screened first."""
    actor.require(Permission.FACILITIES_CUSTODY)
    f = access_facility(session, actor, facility_id, for_update=True)
    if f.project is None:
        raise ValidationFailed([("facility_id", "not_a_research_project")])
    _standing(f)
    errors = staff(session, actor, person_id, "person_id")
    if screened_on is not None and screened_on > today():
        errors.append(("screened_on", "date_in_future"))
    if not errors:
        held = session.scalars(select(PersonNationality.country_code).where(
            PersonNationality.person_id == person_id, PersonNationality.status == "current"))
        errors = [PARTICIPANT_ERRORS.get(e, e)
                  for e in rules.participant_errors(held, screened_on is not None)]
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(select(ResearchParticipant.id).where(
            ResearchParticipant.facility_id == f.id, ResearchParticipant.person_id ==
            person_id, ResearchParticipant.left_on.is_(None))) is not None:
        raise Conflict("the person is already a participant", field="person_id")
    p = ResearchParticipant(id=new_id(), facility_id=f.id, person_id=person_id,
                            screened_on=screened_on, joined_on=today(), added_by=actor.id)
    session.add(p)
    session.flush()
    audit(session, actor, "participant:add", "facility", f.id, participant=p.id,
          person=person_id, screened=screened_on is not None)
    return p


def remove_participant(session: Session, participant_id: str, *,
                       actor: Actor) -> ResearchParticipant:
    actor.require(Permission.FACILITIES_CUSTODY)
    p = get_by_id(session, ResearchParticipant, participant_id, for_update=True)
    if p is None:
        raise NotFound("participant not found")
    f = access_facility(session, actor, p.facility_id, missing="participant not found")
    if p.left_on is not None:
        raise Conflict("the participant has already left", field="left_on")
    p.left_on = today()
    audit(session, actor, "participant:remove", "facility", f.id, participant=p.id,
          person=p.person_id)
    return p


def list_participants(session: Session, facility_id: str, *, actor: Actor,
                      cursor: str | None = None,
                      limit: int = DEFAULT_PAGE) -> tuple[list[ParticipantView], str | None]:
    """A page of the project's participants in the order they joined (a recorded read),
    and the cursor of the next page."""
    f = access_facility(session, actor, facility_id)
    rows, nxt = page(session, select(ResearchParticipant).where(
        ResearchParticipant.facility_id == f.id),
        [ResearchParticipant.joined_on, ResearchParticipant.id], cursor=cursor, limit=limit)
    audit_read(session, actor, "participant", [p.id for p in rows])
    return [participant_view(p) for p in rows], nxt


# --- the security classification specification ------------------------------------------------


def specification_view(e: SpecificationEntry) -> SpecificationView:
    return SpecificationView(id=e.id, facility_id=e.facility_id, item_id=e.item_id,
                             level=e.level, departments=json.loads(e.departments),
                             handling=e.handling, return_rule=e.return_rule,
                             recorded_at=e.recorded_at)


def _item_errors(session: Session, f: Facility, item: Item | None) -> Errors:
    """An item of the contracting agency that its designation gives the business."""
    if item is None:
        return [("item_id", "no_such_item")]
    d = session.get(Designation, item.designation_id) if item.designation_id else None
    if f.agency_id not in (item.owner_id, d.agency_id if d else None):
        return [("item_id", "not_agency_item")]
    return [] if holds(session, f.organisation_id, item) else [("item_id", "not_a_holder")]


def _spec_field(field: str) -> str:
    """The rules' `items.0.level` is the item's; the other fields keep their names."""
    if not field.startswith("items."):
        return field
    last = field.rsplit(".", 1)[-1]
    return "item_id" if last == "level" else last


def add_specification(session: Session, facility_id: str, data: SpecificationCreate, *,
                      actor: Actor) -> SpecificationEntry:
    """The agency records a line of the contract; the level is the item's, at most the
    certified one, and only while the certification is in force."""
    f = access_facility(session, actor, facility_id, for_update=True)
    _agency_side(actor, f)
    item = get_by_id(session, Item, data.item_id)
    if errors := _item_errors(session, f, item):
        raise ValidationFailed(errors)
    level = item_level(session, item)
    if errors := classified_errors(level):
        raise ValidationFailed(errors)
    line = rules.SpecItem(item.id, level, tuple(data.departments), data.handling,
                          data.return_rule)
    if errors := rules.specification_errors([line], state_today(f), f.level,
                                            get_policy().levels):
        raise ValidationFailed([(_spec_field(f_), c) for f_, c in errors])
    if session.scalar(select(SpecificationEntry.id).where(
            SpecificationEntry.facility_id == f.id, SpecificationEntry.item_id == item.id)):
        raise Conflict("the item is already in this contract's specification",
                       field="item_id")
    e = SpecificationEntry(id=new_id(), facility_id=f.id, item_id=item.id, level=level,
                           departments=json.dumps(list(data.departments),
                                                  ensure_ascii=False),
                           handling=data.handling, return_rule=data.return_rule,
                           recorded_by=actor.id)
    session.add(e)
    session.flush()
    audit(session, actor, "specification:add", "facility", f.id, entry=e.id, item=item.id,
          level=level)
    return e


def read_specification(session: Session, facility_id: str, *, actor: Actor,
                       cursor: str | None = None,
                       limit: int = DEFAULT_PAGE) -> tuple[list[SpecificationView], str | None]:
    """A page of the contract's specification in the order recorded, and the cursor of
    the next page."""
    f = access_facility(session, actor, facility_id)
    rows, nxt = page(session, select(SpecificationEntry).where(
        SpecificationEntry.facility_id == f.id),
        [SpecificationEntry.recorded_at, SpecificationEntry.id], cursor=cursor, limit=limit)
    return [specification_view(e) for e in rows], nxt
